"""Reductions: many elements in, one out (per kept position), and the gradient spread back.

For x reduced over the dims D (all of them by default), n the number of elements reduced:

1. sum:      y = sum over D of x          dx = dy, copied to every reduced element
2. mean:     y = (1/n) sum over D of x    dx = dy / n, to every reduced element
3. max:      y = the largest x            dx = dy / k at the k elements equal to y (ties
                                          share), 0 elsewhere
4. max(dim): (values, indices): the largest along dim and where it is (the first, on a tie)
                                          dx = dy at that index, 0 elsewhere
5. argmax:   the index of the largest     no gradient
(min, argmin: the same with the smallest)

``keepdim=True`` keeps each reduced dim with size 1, so y broadcasts against x.

Quirks that change numbers: a NaN is the largest and the smallest of all (max and min
propagate it, and point at the first one). Sums are added pairwise by NumPy and in
cascades by torch, so float sums may differ in their last bits (reference/tolerances.py).
Integers and bools are summed as int64; the mean of an integer tensor is refused.

Reference: tools/autograd/derivatives.yaml (``sum``, ``mean``, ``max``, ``max.dim``:
``evenly_distribute_backward``, ``value_selecting_reduction_backward``),
aten/src/ATen/native/ReduceOps.cpp, aten/src/ATen/native/TensorCompare.cpp.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity import arithmetic, dtypes, engine
from manual._parity import clip_grad as norms
from manual.graph import record
from manual.pointwise import _both, cast
from manual.tensor import Tensor

Dims = int | Sequence[int] | None
def _return_repr(pair: Any) -> str:
    """torch.return_types.max (min) as torch prints it."""
    return (f"torch.return_types.{type(pair).__name__}(\nvalues={pair.values!r},"
            f"\nindices={pair.indices!r})")


# torch.return_types.max and min: values and indices, by name or position
RETURN_TYPES = {"Max": namedtuple("max", ["values", "indices"]),
                "Min": namedtuple("min", ["values", "indices"])}
RETURN_TYPES["Max"].__repr__ = RETURN_TYPES["Min"].__repr__ = _return_repr


def sum(input: Tensor, dim: Dims = None, keepdim: bool = False, *,  # noqa: A001
        dtype: Any = None) -> Tensor:
    input = input if dtype is None else cast(input, dtype)  # summed in the dtype asked for
    shape, axes = input.shape, _axes(dim, input.ndim)

    def derivative(grad):                                         # (1) dy to every element
        return (np.broadcast_to(_unsqueeze(grad, axes, keepdim), shape),)

    out = np.sum(input.array, axis=axes, keepdims=keepdim)        # (1)
    return record("SumBackward0" if dim is None else "SumBackward1",
                  np.asarray(out, dtype=dtypes.sum_dtype(input.dtype)), (input,), derivative)


def mean(input: Tensor, dim: Dims = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    input = input if dtype is None else cast(input, dtype)
    arithmetic.check_mean_dtype(input.dtype)
    shape, axes = input.shape, _axes(dim, input.ndim)
    count = int(np.prod([shape[i] for i in axes]))

    def derivative(grad):                                         # (2) dy / n to every one
        return (np.broadcast_to(_unsqueeze(grad, axes, keepdim) / count, shape),)

    out = np.asarray(_average(input.array, axes, keepdim), input.dtype)  # (2)
    return record("MeanBackward0" if dim is None else "MeanBackward1", out, (input,),
                  derivative)


def max(input: Tensor, dim: int | Tensor | None = None,  # noqa: A001 (torch's name)
        keepdim: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The largest element (3), the largest along ``dim`` with its index (4), or, given a
    tensor, the elementwise larger of two (torch.maximum)."""
    return _extreme(input, dim, keepdim, np.argmax, "Max")


def min(input: Tensor, dim: int | Tensor | None = None,  # noqa: A001 (torch's name)
        keepdim: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    return _extreme(input, dim, keepdim, np.argmin, "Min")


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """(5) the index of the largest element (of the flattened tensor when dim is None)."""
    return _arg(input, dim, keepdim, np.argmax, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(input, dim, keepdim, np.argmin, "argmin")


def _arg(input: Tensor, dim: int | None, keepdim: bool, arg, name: str) -> Tensor:
    arithmetic.check_arg_dtype(input.dtype, name)
    axis = None if dim is None else engine.check_dim(dim, input.ndim)
    arithmetic.check_dim_not_empty(input, axis, name)
    x = input.array if input.ndim else input.array.reshape(1)
    return Tensor(np.asarray(arg(x, axis=axis, keepdims=keepdim and input.ndim > 0),
                             dtype=np.int64))                     # (5)


def _extreme(input: Tensor, dim: int | Tensor | None, keepdim: bool, arg, name: str):
    if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
        return _elementwise_extreme(input, dim, name)
    if dim is None:
        return _whole_extreme(input, name)
    axis = engine.check_dim(dim, input.ndim)
    arithmetic.check_dim_not_empty(input, axis, name.lower())
    shape = input.shape
    x = input.array if input.ndim else input.array.reshape(1)    # a 0-d tensor as (1,)
    picked = np.expand_dims(arg(x, axis=axis), axis)              # (..., 1, ...)
    kept = tuple(1 if i == axis else n for i, n in enumerate(shape)) if keepdim else (
        shape[:axis] + shape[axis + 1:])                          # the output's shape

    def derivative(grad):                                         # (4) dy at the index
        dx = np.zeros(x.shape, grad.dtype)
        np.put_along_axis(dx, picked, grad.reshape(picked.shape), axis)
        return (dx.reshape(shape),)

    values = np.take_along_axis(x, picked, axis=axis).reshape(kept)  # (4)
    out = record(f"{name}Backward0", values, (input,), derivative, saves=True)
    return RETURN_TYPES[name](out, Tensor(picked.reshape(kept).astype(np.int64)))


def _whole_extreme(input: Tensor, name: str) -> Tensor:
    arithmetic.check_reduction_not_empty(input, name.lower())
    x = input.array
    value = np.asarray(np.max(x) if name == "Max" else np.min(x))  # (3); NaN propagates
    ties = np.isnan(x) if np.isnan(value) else x == value

    def derivative(grad):                                         # (3) dy / k at the ties
        return (np.where(ties, grad / np.count_nonzero(ties), 0).astype(grad.dtype),)

    return record(f"{name}Backward1", value, (input,), derivative, saves=True)


def _elementwise_extreme(input: Tensor, other: Tensor, name: str) -> Tensor:
    """torch.maximum (torch.minimum): the larger (smaller) of a and b at each place."""
    a, b = _both(input, other, name.lower())
    larger = name == "Max"
    out = (np.maximum if larger else np.minimum)(a.array, b.array)  # NaN propagates

    def derivative(grad):  # to the one picked; a tie shares it, dy / 2 to each
        shared = np.where(a.array == b.array, grad / 2, grad)
        a_loses = a.array < b.array if larger else a.array > b.array
        b_loses = a.array > b.array if larger else a.array < b.array
        return np.where(a_loses, 0, shared), np.where(b_loses, 0, shared)

    return record(f"{name}imumBackward0", out, (a, b), derivative, saves=True)


def _axes(dim: Dims, ndim: int) -> tuple[int, ...]:
    """The dims reduced, in order; None or an empty list reduce every dim, as torch's."""
    dims = () if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    axes = [engine.check_dim(d, ndim) for d in dims]
    arithmetic.check_unique_dims(axes)
    return tuple(sorted(axes)) if ndim and axes else tuple(range(ndim))


def _average(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """NumPy's mean, but the mean of nothing is 0 / 0, NaN, without a word, as torch's."""
    with np.errstate(invalid="ignore"):  # inf - inf, or 0 / 0, is NaN silently
        if math.prod(x.shape[i] for i in axes):
            return np.mean(x, axis=axes, keepdims=keepdims)
        return np.sum(x, axis=axes, keepdims=keepdims) / 0


def _unsqueeze(grad: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Put the reduced axes back as size 1, so grad broadcasts against the input."""
    return grad if keepdim else np.expand_dims(grad, axes)


def norm(input: Tensor, p: Any = "fro", dim: Dims = None, keepdim: bool = False) -> Tensor:
    """(6) The p-norm of the elements (along dim): sqrt(sum x^2) for p = 2 ("fro"), sum |x|
    for 1, max |x| for inf; torch's linalg.vector_norm. Of a whole tensor, in torch's order
    of addition (manual/_parity/clip_grad.py, whose norms these are)."""
    order = norms.norm_order(p, input.dtype, dim)
    x = input.array
    axes = None if dim is None else _axes(dim, input.ndim)
    _check_identity(x, order, dim)  # the largest of nothing: refused
    if axes is None:
        value = np.asarray(norms.vector_norm(x, order), x.dtype).reshape(
            (1,) * input.ndim if keepdim else ())
    elif input.ndim and math.prod(input.shape[i] for i in axes) == 1:  # one term: |x|
        value = np.abs(x) if keepdim else np.abs(x).reshape(
            [n for i, n in enumerate(input.shape) if i not in axes])
    else:
        a = np.abs(x)
        value = np.asarray((np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim)) if order == 2
                            else np.sum(a, axis=axes, keepdims=keepdim) if order == 1 else
                            np.max(a, axis=axes, keepdims=keepdim)), x.dtype)

    def derivative(grad):                                         # (6)
        g, r = (v if keepdim or axes is None else np.expand_dims(v, axes) for v in (grad, value))
        with np.errstate(divide="ignore", invalid="ignore"):
            if order == 2:                                        # g x / |x|, 0 where |x| = 0
                return (g * np.where(r == 0, x.dtype.type(0), x / r),)
            if order == 1:                                        # sign(x) g
                return (np.sign(x) * g,)
            peak = (np.abs(x) == r) | np.isnan(x)                 # g shared by the maxima
            count = np.sum(peak, axis=axes, keepdims=True)
            return (np.sign(x) * ((g / count).astype(x.dtype) * peak),)

    return record("LinalgVectorNormBackward0", value, (input,), derivative, saves=True)


def _check_identity(x: np.ndarray, order: float, dim: Dims) -> None:
    """The inf norm of no elements has no value (max has no identity): torch refuses it, by
    the first empty dim named, or for the whole tensor."""
    if order != np.inf or x.size:
        return
    dims = [] if dim is None else [dim] if isinstance(dim, int) else list(dim)
    for d in dims:
        if x.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the "
                               f"dimension {d}because this dimension is empty and the "
                               "operation does not have an identity")
    if not dims:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty "
                           "tensor because the operation does not have an identity")


def var(input: Tensor, dim: Dims = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """(7) The variance: sum (x - mean)^2 / (N - c), c = 1 unless ``correction`` (or
    ``unbiased=False``: 0) says otherwise, N - c never below 0; torch's sum order is
    Welford's, so the last bits may differ."""
    return _spread(input, dim, unbiased, keepdim, correction, "Var")


def std(input: Tensor, dim: Dims = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """(7) The standard deviation: sqrt(var)."""
    return _spread(input, dim, unbiased, keepdim, correction, "Std")


def _spread(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
            name: str) -> Tensor:
    if isinstance(dim, bool):  # x.std(False): torch's old (unbiased) form
        dim, unbiased = None, dim
    c = correction if correction is not None else (0 if unbiased is False else 1)
    x = input.array
    arithmetic.check_spread(x.dtype, name.lower())
    axes = tuple(range(input.ndim)) if dim is None else _axes(dim, input.ndim)
    n = math.prod(input.shape[i] for i in axes) if x.size else 0  # 0 when no output, as torch
    arithmetic.warn_spread(n, c, name.lower())
    dof = x.dtype.type(n - c if n > c else 0)  # N - c, never below 0 (inf or NaN), as torch
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = x - _average(x, axes, True)
        variance = np.sum(centred * centred, axis=axes, keepdims=keepdim) / dof
        value = np.asarray(np.sqrt(variance) if name == "Std" else variance, x.dtype)

    def derivative(grad):                                         # (7)
        g, r = (v if keepdim else np.expand_dims(v, axes) for v in (grad, value))
        with np.errstate(divide="ignore", invalid="ignore"):
            if name == "Std":                                     # g / (2 std), 0 where std = 0
                g = np.where(r == 0, x.dtype.type(0), g / (r * 2))
            if (dim is None or not input.ndim) and n - c <= 0:  # torch: inf, NaN where x = m
                return (g * np.where(centred == 0, np.nan, np.inf).astype(x.dtype),)
            return ((x.dtype.type(2) / x.dtype.type(n - c)) * g * centred,)  # 2 g (x - m) / (N - c)

    return record(f"{name}Backward0", value, (input,), derivative, saves=True)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How many times each of 0 .. max(x) occurs in x (a 1-d tensor of counts, at least
    ``minlength`` long); with weights, the sum of the weights of each value's occurrences,
    added in x's order (float32 weights in float32, others in float64)."""
    x = input.array
    arithmetic.check_bincount(x, None if weights is None else weights.array, minlength)
    size = int(np.maximum(x.max(initial=-1) + 1, minlength))      # 0 .. max(x), or more
    if weights is None:
        return Tensor(np.bincount(x, minlength=size).astype(np.int64))
    w = weights.array.astype(np.float32 if weights.dtype == np.float32 else np.float64)
    out = np.zeros(size, w.dtype)
    np.add.at(out, x, w)                                          # out[x_i] += w_i, in order
    return Tensor(out)


def all(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Is every element nonzero (along dim)? A bool tensor (uint8 for a uint8 input)."""
    return _logical(np.all, input, dim, keepdim)


def any(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Is any element nonzero (along dim)?"""
    return _logical(np.any, input, dim, keepdim)


def _logical(reduce: Any, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    axes = None if dim is None else _axes(dim, input.ndim)
    out = np.asarray(reduce(input.array, axis=axes, keepdims=keepdim and dim is not None))
    return Tensor(out.astype(np.uint8) if input.dtype == np.uint8 else out)


def equal(input: Tensor, other: Tensor) -> bool:
    """Whole tensors: the same shape and the same values (a Python bool, no graph)."""
    return input.shape == other.shape and bool(np.array_equal(input.array, other.array))
