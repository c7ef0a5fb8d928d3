"""The check of softmax and log_softmax: random shapes and dims, both twins, forward and
backward to the bit.

Along a dim that is not the last, torch's softmax splits the positions among its threads,
and each thread's last ones take glibc's exp instead of SLEEF's; the manual twin follows one
thread, so torch runs on one here (and is set back after)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from reference.checks import both, check, compare, on_torch, twin, values
from reference.convert import to_manual


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread for the block, as the twins are compared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@check("softmax")
def _softmax(rng, dtype):
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(n) for n in rng.integers(1, 40 if ndim < 3 else 10, ndim))
    dim = int(rng.integers(-max(ndim, 1), max(ndim, 1)))
    x, g = values(rng, dtype, *shape, bound=30.0), values(rng, dtype, *shape)
    for name in ("softmax", "log_softmax"):
        (m_x,), (t_x,) = both(x)
        with one_thread():
            m_y = getattr(twin("manual", "softmax"), name)(m_x, dim)
            t_y = getattr(twin("native", "softmax"), name)(t_x, dim)
            m_y.backward(to_manual(g))
            t_y.backward(on_torch(g))
        yield compare(f"{name}{shape} dim {dim}", "exact", m_y, t_y)
        yield compare(f"{name}{shape} dim {dim}: dx", "exact", m_x.grad, t_x.grad)
