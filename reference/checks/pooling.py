"""The check of pooling: max_pool2d (values, indices, gradient), avg_pool2d and
adaptive_avg_pool2d (values, gradient) on random images and options, all to the bit."""

from __future__ import annotations

import numpy as np

from reference.checks import both, check, compare, on_torch, twin, values
from reference.convert import to_manual, to_numpy


def _window_options(rng: np.random.Generator, size: tuple[int, int], dilated: bool) -> dict:
    """kernel, stride, padding (and dilation), ceil_mode: at least one output pixel, and no
    window outside the input (torch's backward writes outside its gradient there)."""
    ceil_mode = bool(rng.integers(2))
    axes = []
    for n in size:
        while True:
            k, s, d = int(rng.integers(1, 4)), int(rng.integers(1, 4)), \
                int(rng.integers(1, 3)) if dilated else 1
            p = int(rng.integers(0, k // 2 + 1))
            if n + 2 * p >= d * (k - 1) + 1 and not _misses(n, k, s, p, d, ceil_mode):
                break
        axes.append((k, s, p, d))
    (kh, sh, ph, dh), (kw, sw, pw, dw) = axes
    options = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode)
    if dilated:
        options["dilation"] = (dh, dw)
    return options


def _misses(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> bool:
    """Does a window along this axis hold no element of the input (dilation with padding)?"""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    out -= ceil_mode and (out - 1) * s >= n + p
    return any(all(not 0 <= s * i - p + d * u < n for u in range(k)) for i in range(out))


@check("pooling")
def _pooling(rng, dtype):
    kind = ("max", "avg", "adaptive")[rng.integers(3)]
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 9)), *map(int, rng.integers(1, 12, 2)))
    x = values(rng, dtype, *shape)
    if kind == "max":
        name, options = "max_pool2d", _window_options(rng, shape[2:], dilated=True)
        options["return_indices"] = True
    elif kind == "avg":
        name, options = "avg_pool2d", _window_options(rng, shape[2:], dilated=False)
        options.update(count_include_pad=bool(rng.integers(2)),
                       divisor_override=[None, None, 3][rng.integers(3)])
    else:
        size = tuple(int(n) for n in rng.integers(1, 9, 2)) if rng.integers(2) else 1
        name, options = "adaptive_avg_pool2d", dict(output_size=size)
    (m_x,), (t_x,) = both(x)
    m_out = getattr(twin("manual", "pooling"), name)(m_x, **options)
    t_out = getattr(twin("native", "pooling"), name)(t_x, **options)
    m_y, t_y = (m_out[0], t_out[0]) if kind == "max" else (m_out, t_out)
    grad = values(rng, dtype, *t_y.shape)
    m_y.backward(to_manual(grad))
    t_y.backward(on_torch(grad))
    label = f"{name} {shape} {options}"
    yield compare(f"y {label}", "exact", m_y, t_y)
    yield compare(f"dx {label}", "exact", m_x.grad, t_x.grad)
    if kind == "max":  # the indices, int64, compared exactly as float64 (all below 2^53)
        yield compare(f"indices {label}", "exact", to_numpy(m_out[1]).astype(np.float64),
                      to_numpy(t_out[1]).astype(np.float64))
