"""Running one expression on both twins and comparing the results: within the piece's
tolerance, to the bit, or the same error; and the C library's own functions to compare with."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np
import torch

import manual
from reference.convert import to_numpy
from reference.distance import distance
from reference.tolerances import tolerance


def assert_twins_agree(label: str, piece: str, manual_value: Any, torch_value: Any,
                       scale: Any = None, terms: int | None = None) -> None:
    """Fail with the worst element when the twins are further apart than the piece allows;
    ``terms`` is the number of terms each element of a sum adds up (see Tolerance)."""
    expected = np.asarray(torch_value.detach() if hasattr(torch_value, "detach") else torch_value)
    actual = np.asarray(manual_value)
    assert actual.shape == expected.shape, f"{label}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{label}: dtype {actual.dtype} != {expected.dtype}"
    tol = tolerance(piece, actual.dtype)
    gap = distance(actual, expected, scale if tol.of_scale else None)
    allowed = tol.allowed(terms)
    assert gap.max_ulp <= allowed, (f"{label} ({piece}, {actual.dtype}): {gap}; allowed "
                                    f"{allowed:g}: {tol}")


def _fused_kernels() -> bool:
    """Does torch's CPU build fuse a + alpha * b into one rounding here? Its vectorised
    kernels (AVX2, AVX512, NEON, SVE) compute it with an FMA instruction; a build without a
    vector unit ("DEFAULT" on x86) rounds the product first, as NumPy does."""
    import platform

    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    return capability in ("AVX2", "AVX512") or capability.startswith("SVE") or \
        platform.machine() in ("aarch64", "arm64")


def requires_fused_kernels(test):
    """Skip a to-the-bit comparison with torch where its kernels do not fuse multiply-adds."""
    import pytest
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    return pytest.mark.skipif(
        not _fused_kernels(),
        reason=f"torch's CPU kernels fuse multiply-adds only with a vector unit; this CPU "
        f"capability is {capability}, so its rounding is not the one reproduced here",
    )(test)


# -- optimizer runs: parameters, groups and gradients, the same on both twins ---------------

KEEP = "keep"  # a step that leaves the parameter's previous .grad in place


def make_params(inits: list[Any], make: Any) -> list[Any]:
    """Leaf tensors holding copies of the starting values (make: manual.tensor or torch.tensor)."""
    return [make(np.array(init), requires_grad=True) for init in inits]


def param_groups(params: list[Any], groups: list[list[int]], group_lrs: list[Any]) -> list[Any]:
    """The params, grouped by index with each group's own lr (None: the optimizer's); a
    single group without its own lr is the plain list of tensors, the usual call."""
    out = []
    for indices, lr in zip(groups, group_lrs, strict=True):
        group: dict[str, Any] = {"params": [params[i] for i in indices]}
        if lr is not None:
            group["lr"] = lr
        out.append(group)
    if len(out) == 1 and "lr" not in out[0]:
        return out[0]["params"]
    return out


def set_grads(params: list[Any], grads: list[Any], make: Any) -> None:
    """Give each parameter its gradient for a step: an array, None, or KEEP the last one."""
    for p, g in zip(params, grads, strict=True):
        if g is not KEEP:
            p.grad = None if g is None else make(np.array(g))


def magnitudes(op: Any, *arrays: Any, grad: np.ndarray, **options: Any) -> list[np.ndarray]:
    """Scales for a sum-like op: ``op`` (a torch twin) run in float64 on the magnitudes of its
    inputs (None skipped) and of the incoming gradient, so each entry of the output and of
    every input's gradient is the sum of the magnitudes of the terms it adds up."""
    import torch

    t = [torch.tensor(np.abs(a), dtype=torch.float64, requires_grad=True)
         for a in arrays if a is not None]
    y = op(*t, **options)
    y.backward(torch.tensor(np.abs(grad), dtype=torch.float64))
    return [y.detach().numpy()] + [p.grad.numpy() for p in t]


# -- what conv2d's and conv_transpose2d's tests share --------------------------------------

def assert_empty_batch_agrees(manual_conv: Any, torch_conv: Any, dtype: Any, groups: int) -> None:
    """No images, 4 channels in and out: an empty output and dx, and dW and db sums of
    nothing (zeros), on both twins."""
    import torch

    import manual

    x = np.zeros((0, 4, 5, 5), dtype)                     # (N, C_in, H, W) with N = 0
    w, b = np.ones((4, 4 // groups, 3, 3), dtype), np.ones(4, dtype)
    leaves = {lib: [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
              for lib in (manual, torch)}
    twins = {manual: manual_conv, torch: torch_conv}
    ys = {lib: twins[lib](*leaves[lib], stride=2, padding=1, groups=groups) for lib in twins}
    assert_twins_agree("y", "exact", ys[manual], ys[torch])
    for y in ys.values():
        y.sum().backward()
    for name, m, t in zip(("dx", "dW", "db"), leaves[manual], leaves[torch]):
        assert_twins_agree(name, "exact", m.grad, t.grad)


def conv_dtype_outcomes_differ(manual_conv: Any, torch_conv: Any) -> list[str]:
    """For a batch of images, every mix of x, W and b dtypes run on both twins: the mixes
    where one returns and the other refuses, the two refuse with different exception
    classes, or the two results differ in dtype."""
    import itertools

    import torch

    import manual

    kinds = [np.float32, np.float64, np.int64, np.bool_]
    differ = []
    for x_type, w_type, b_type in itertools.product(kinds, kinds, [None, *kinds]):
        x, w = np.zeros((1, 2, 3, 3), x_type), np.zeros((2, 2, 1, 1), w_type)
        b = None if b_type is None else np.zeros(2, b_type)
        outcomes = []
        for lib, conv in ((manual, manual_conv), (torch, torch_conv)):
            try:
                y = conv(lib.tensor(x), lib.tensor(w), None if b is None else lib.tensor(b))
                outcomes.append(f"returns {np.asarray(y.detach()).dtype}")
            except Exception as error:  # noqa: BLE001 (the class is what is compared)
                outcomes.append(type(error).__name__)
        if outcomes[0] != outcomes[1]:
            differ.append(f"x {x.dtype}, W {w.dtype}, b {b_type}: {outcomes}")
    return differ


# -- the same bits, or the same error, on both libraries --------------------------------------

LIBS = (manual, torch)
FREED = "Trying to backward through the graph a second time"
IN_PLACE = ("one of the variables needed for gradient computation has been modified by an "
            "inplace operation")


def assert_exact(label: str, m: Any, t: Any) -> None:
    """To the bit: the same shape, dtype and bits (signed zeros too; any NaN matches NaN)."""
    m, t = to_numpy(m), to_numpy(t)
    assert m.shape == t.shape, f"{label}: shape {m.shape} != {t.shape}"
    assert m.dtype == t.dtype, f"{label}: dtype {m.dtype} != {t.dtype}"
    if m.dtype.kind != "f":
        assert np.array_equal(m, t), f"{label}: {m!r} != {t!r}"
        return
    nan = np.isnan(m)
    assert np.array_equal(nan, np.isnan(t)), f"{label}: NaN at other places: {m!r} != {t!r}"
    bits = f"u{m.itemsize}"
    differ = np.flatnonzero(m[~nan].view(bits) != t[~nan].view(bits))
    assert differ.size == 0, (f"{label}: {differ.size} elements differ, first "
                              f"{m[~nan][differ[0]]!r} != {t[~nan][differ[0]]!r}")


def outcomes(f: Any) -> list[tuple[Any, BaseException | None]]:
    """f(lib) on manual, then on torch: (result, None) or (None, the error)."""
    results = []
    for lib in LIBS:
        try:
            results.append((f(lib), None))
        except Exception as error:  # noqa: BLE001 (class and message are what is compared)
            results.append((None, error))
    return results


def assert_same_error(f: Any) -> str:
    """Both sides raise the same class with the same message; returns the message."""
    (_, m), (_, t) = outcomes(f)
    assert m is not None and t is not None, f"manual {m!r}, torch {t!r}"
    assert (type(m), str(m)) == (type(t), str(t))
    return str(t)


def assert_same(label: str, f: Any) -> None:
    """The same result to the bit, or the same error."""
    (m, m_error), (t, t_error) = outcomes(f)
    if m_error is not None or t_error is not None:
        assert (type(m_error), str(m_error)) == (type(t_error), str(t_error)), label
    else:
        assert_exact(label, m, t)


# -- the C library's own functions, through ctypes --------------------------------------------

LIBM = ctypes.CDLL(ctypes.util.find_library("m"))


def c_function(name: str, dtype: type) -> Any:
    """The C library's name (name + "f" for float32), elementwise over an array."""
    function = getattr(LIBM, name + ("f" if dtype == np.float32 else ""))
    c_type = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    function.restype, function.argtypes = c_type, [c_type]
    return lambda x: np.array([function(float(v)) for v in x], dtype)


def assert_bits(label: str, x: np.ndarray, got: np.ndarray, want: np.ndarray) -> None:
    """Same dtype and bits, zeros' signs included; NaN matches NaN (sign and payload aside)."""
    assert got.dtype == want.dtype, f"{label}: {got.dtype} != {want.dtype}"
    unsigned = f"u{got.itemsize}"
    same = (got.view(unsigned) == want.view(unsigned)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), f"{label} of {x[~same][:4]!r}: {got[~same][:4]!r}, not {want[~same][:4]!r}"


def around(values: Any, dtype: type, ulps: int = 2) -> np.ndarray:
    """Each value (rounded to dtype) and its neighbours up to ``ulps`` steps either way."""
    out = []
    for v in np.asarray(values, dtype):
        with np.errstate(over="ignore"):                 # the largest value's next: inf
            below = above = v
            out.append(v)
            for _ in range(ulps):
                below = np.nextafter(below, dtype(-np.inf))
                above = np.nextafter(above, dtype(np.inf))
                out += [below, above]
    return np.array(out, dtype)


def raised(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, str] | None:
    """(class name, message) of what fn(*args, **kwargs) raises, or None if it returns."""
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the type and words are what is compared
        return type(e).__name__, str(e)
    return None
