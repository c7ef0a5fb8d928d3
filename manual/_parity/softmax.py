"""softmax and log_softmax at torch's edges: refusals, dim=None, and the kernels' arithmetic.

Equation numbers are those of manual/softmax.py.

* Refusals, in torch's order (``prepare``): a dim that is not an int (TypeError, torch's
  argument parser); a dim out of range (IndexError); then, after dtype= has cast the input
  (ToCopyBackward0, so an integer input with a float dtype works), no kernel for integer or
  bool inputs (NotImplementedError naming the kernel, the last-dim one when dim is the last,
  "log_softmax_lastdim_kernel_impl", else "log_softmax_kernel_impl"); an empty input is
  returned before the kernel, so it is not refused. A 0-d input is one slice of one entry.
* dim=None (``prepare``): torch warns (UserWarning: "Implicit dimension choice for softmax
  has been deprecated. Change the call to include dim=X as an argument.") and takes dim 0
  for 0, 1 or 3 dims, else 1 (``_get_softmax_dim``).
* The kernels (cpu/SoftMaxKernel.cpp, one thread), on float32 and float64, with V the lanes
  of torch's AVX512 build, 16 or 8 (8 or 4 on an AVX2 CPU; manual/_parity/libm.py):
  - along the last dim, each row is reduced in vectors (``_lane_sums``, ``_reduce_all``):
    lanes 0..V-1 start from the row's first V entries, each later vector is added lane by
    lane, the last partial one into its first lanes only, then the V lanes are combined:
    pairwise in a butterfly for float32 (lane i with i^8, then ^4, ^2, ^1), in order for
    float64. A row shorter than V is reduced in order. The max is vec::maximum (NaN wins; on
    a tie the later value, which decides only the sign of a zero max). exp (2) is SLEEF's on
    every entry. softmax's (3) is exp(x - m) (1/s).
  - along another dim, each position of the dims after it is reduced in order, from 0 for
    sums and from -inf (log_softmax: a NaN is passed over) or from the first entry (softmax)
    for the max. exp is SLEEF's on the positions that fill whole vectors, the first
    inner - inner % V of the inner positions, and glibc's on the rest. softmax's (3) is a
    division, exp(x - m) / s.
  - backward: log_softmax's (6) is fma(-exp(y), sum, dy), one rounding; softmax's sum in (5)
    is, along the last dim, vec::map2_reduce_all (products rounded, and for float32 the
    partial last vector added to them by FMA), and along another dim fma(dy, y, sum) term by
    term.

With more than one thread, softmax along another dim splits the positions among threads,
and each thread's last ones take glibc's exp: the twin follows one thread (as tests/conftest.py
and reference/checks/softmax.py set torch).

Reference: torch/nn/functional.py (``softmax``, ``log_softmax``, ``_get_softmax_dim``),
aten/src/ATen/native/SoftMax.cpp (``host_softmax``, ``log_softmax_cpu_out``),
aten/src/ATen/native/cpu/SoftMaxKernel.cpp (``_vec_log_softmax_lastdim``,
``_vec_softmax_lastdim``, ``_vec_softmax``, ``_vec_softmax_backward``,
``_vec_log_softmax_backward``), aten/src/ATen/native/cpu/LogSoftmaxKernelImpl.h,
aten/src/ATen/cpu/vec/functional_base.h (``reduce_all``, ``map2_reduce_all``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from manual._parity.dtypes import torch_name
from manual._parity.engine import check_dim
from manual._parity.libm import glibc_exp, lanes, sleef_exp
from manual._parity.rounding import fma
from manual.pointwise import cast
from manual.tensor import Tensor

Op = Callable[[np.ndarray, np.ndarray], np.ndarray]


def prepare(input: Tensor, dim: Any, dtype: Any, name: str, stacklevel: int
            ) -> tuple[Tensor, int]:
    """The input, cast to dtype when one is given, and dim made non-negative; torch's
    refusals in its order, and its warning for dim=None."""
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=stacklevel)  # from here: softmax, then its caller
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not "
                        f"{type(dim).__name__}")
    try:
        dim = check_dim(dim, input.ndim)
    except IndexError as error:
        raise IndexError(f"{error}: input of size {list(input.shape)}") from None
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f" and input.array.size:
        kernel = f"{name}_lastdim_kernel_impl" if _last(input.array, dim) else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_name(input.dtype)}': input of dtype {input.dtype}")
    return input, dim


# -- the steps of manual/softmax.py, each as torch's kernel computes it --------------------------

def max(x: np.ndarray, dim: int, name: str) -> np.ndarray:  # noqa: A001 (the step's name)
    """(1) m, the max along dim (a dim of size 1 kept), with torch's order, NaN and ties (the
    order decides only the sign of a zero max: such slices are redone one entry at a time)."""
    if x.size == 0:  # no entries: nothing to compare (and no output)
        return np.zeros(_kept_shape(x, dim), x.dtype)
    if _last(x, dim):  # vec::maximum over the lanes
        rows = _rows(x)
        return _keep(x, dim, _redo_zeros(rows.max(axis=1), rows,
                                         lambda r: _reduce_all(r, _vector_max)))
    columns = _columns(x, dim)                                    # (outer, n, inner)
    if name == "log_softmax":  # blendv from -inf: a NaN is passed over, a tie keeps the old
        m = np.fmax.reduce(columns, axis=1)
        m[np.isnan(m)] = -np.inf                                  # all NaN: -inf stays
        return _keep(x, dim, _redo_zeros(m, columns, lambda c: _fold(c, _blend_max, -np.inf)))
    cut = _vector_end(x, dim)     # softmax, from the first entry: vec::maximum, then std::max
    m = _redo_zeros(columns[:, :, :cut].max(axis=1), columns[:, :, :cut],
                    lambda c: _fold(c, _vector_max))
    tail = _fold(columns[:, :, cut:], _scalar_max)
    return _keep(x, dim, np.concatenate([m, tail], 1))


def exp(t: np.ndarray, dim: int) -> np.ndarray:
    """(2), (6) exp elementwise: SLEEF's, but glibc's on the positions of the inner dims that
    do not fill a vector when dim is not the last."""
    if _last(t, dim):
        return sleef_exp(t)
    columns = _columns(t, dim)
    cut = _vector_end(t, dim)
    out = np.concatenate([sleef_exp(columns[:, :, :cut]), glibc_exp(columns[:, :, cut:])], 2)
    return out.reshape(t.shape)


def sum(a: np.ndarray, dim: int) -> np.ndarray:  # noqa: A001 (the step's name)
    """(2), (6) the sum along dim (a dim of size 1 kept), in torch's order."""
    if _last(a, dim):
        return _keep(a, dim, _lane_sums(_rows(a)))
    columns = _columns(a, dim)
    if columns.shape[1] == 0:
        return np.zeros(_kept_shape(a, dim), a.dtype)
    # in order from 0 (+ 0 at the end: a sum of -0s is +0 from 0, -0 from the first term)
    return _keep(a, dim, np.add.accumulate(columns, axis=1)[:, -1] + a.dtype.type(0))


def divide(e: np.ndarray, s: np.ndarray, dim: int) -> np.ndarray:
    """(3) e / s: along the last dim e (1 / s), a reciprocal and a product, as torch."""
    if e.size == 0:  # an empty input is returned as it is, integer or not
        return e
    if _last(e, dim):
        return e * (e.dtype.type(1) / s)
    return e / s


def dot(dy: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
    """(5) sum_j dy_j y_j along dim, with torch's roundings: along the last dim each product
    rounded (but fused into the partial last vector, for float32), along another dim
    fma(dy_j, y_j, sum) term by term."""
    if _last(y, dim):
        return _keep(y, dim, _dot_rows(_rows(dy), _rows(y)))
    dy_c, y_c = _columns(dy, dim), _columns(y, dim)
    total = np.zeros(_positions(y_c), y.dtype)
    for j in range(y_c.shape[1]):
        total = fma(dy_c[:, j], y_c[:, j], total)
    return _keep(y, dim, total)


# -- shapes -------------------------------------------------------------------------------------

def _last(a: np.ndarray, dim: int) -> bool:
    """Does the kernel reduce rows (the last dim, or a 0-d tensor as one entry)?"""
    return dim >= a.ndim - 1


def _rows(a: np.ndarray) -> np.ndarray:
    """The slices along the last dim, (rows, n)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1]) if a.ndim else a.reshape(1, 1)


def _columns(a: np.ndarray, dim: int) -> np.ndarray:
    """(outer, n, inner): the dims before dim, dim, the dims after it."""
    return a.reshape(math.prod(a.shape[:dim]), a.shape[dim], math.prod(a.shape[dim + 1:]))


def _keep(a: np.ndarray, dim: int, reduced: np.ndarray) -> np.ndarray:
    """A reduction shaped as a with dim of size 1."""
    return reduced.reshape(_kept_shape(a, dim))


def _kept_shape(a: np.ndarray, dim: int) -> tuple[int, ...]:
    return a.shape[:dim] + (1,) * (a.ndim > 0) + a.shape[dim + 1:]


def _positions(columns: np.ndarray) -> tuple[int, int]:
    """(outer, inner): the shape of a reduction of (outer, n, inner) along n."""
    return columns.shape[0], columns.shape[2]


def _vector_end(a: np.ndarray, dim: int) -> int:
    """Where the scalar tail starts among the inner positions (the dims after dim): the
    last inner % V are left over after the whole vectors."""
    inner = math.prod(a.shape[dim + 1:])
    return inner - inner % lanes(a.dtype)


# -- torch's reductions ---------------------------------------------------------------------------

def _vector_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """vec::maximum(a, b): _mm512_max (b unless a > b) with the NaNs of either."""
    return np.where(np.isnan(a), a, np.where(a > b, a, b))


def _blend_max(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """blendv(m, x, x > m): x if x > m, else m (a NaN x is passed over)."""
    return np.where(x > m, x, m)


def _scalar_max(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """std::max(m, x): x if m < x, else m (a NaN m stays, a NaN x is passed over)."""
    return np.where(m < x, x, m)


def _fold(slices: np.ndarray, op: Op, start: float | None = None) -> np.ndarray:
    """op over axis 1 of (k, n, ...), in order, from start or from the first entry."""
    acc = slices[:, 0] if start is None else op(np.full(slices[:, 0].shape, start), slices[:, 0])
    for j in range(1, slices.shape[1]):
        acc = op(acc, slices[:, j])
    return acc


def _redo_zeros(m: np.ndarray, slices: np.ndarray, exact: Callable[[np.ndarray], np.ndarray]
                ) -> np.ndarray:
    """A max m (of slices along axis 1), with those that are zero redone by ``exact``: only
    there do torch's order and ties matter, for the sign."""
    zero = m == 0
    if zero.any():
        m = m.copy()
        m[zero] = exact(np.moveaxis(slices, 1, -1)[zero][:, :, None])[:, 0]
    return m


def _lane_sums(rows: np.ndarray) -> np.ndarray:
    """vec::reduce_all(+, row) for each row of (rows, n): the lanes summed in order, the
    partial last vector into the first lanes, then the lanes combined."""
    n, width = rows.shape[1], lanes(rows.dtype)
    if n < width:  # lane 0 alone, in order
        return np.add.accumulate(rows, axis=1)[:, -1] if n else np.zeros(len(rows), rows.dtype)
    whole = n - n % width
    vectors = rows[:, :whole].reshape(len(rows), whole // width, width)  # (rows, n / V, V)
    acc = np.add.accumulate(vectors, axis=1)[:, -1]               # (rows, V)
    acc[:, :n - whole] += rows[:, whole:]
    return _combine_lanes(acc, np.add)


def _reduce_all(rows: np.ndarray, op: Op) -> np.ndarray:
    """vec::reduce_all(op, row) for each row of (rows, n), one vector at a time."""
    n, width = rows.shape[1], lanes(rows.dtype)
    if n < width:  # lane 0 alone, in order
        return _fold(rows, op)
    acc = rows[:, :width]
    whole = n - n % width
    for j in range(width, whole, width):
        acc = op(acc, rows[:, j:j + width])
    if whole < n:  # the partial last vector: its lanes only
        acc = np.concatenate([op(acc[:, :n - whole], rows[:, whole:]), acc[:, n - whole:]], 1)
    return _combine_lanes(acc, op)


def _combine_lanes(acc: np.ndarray, op: Op) -> np.ndarray:
    """The V lanes to one: a butterfly for float32 (lane i with lane i ^ step, step = V/2,
    ..., 1), lane 0 then 1, 2, ... in order for float64."""
    width = acc.shape[1]
    if acc.dtype != np.float32:
        return _fold(acc, op)
    step = width // 2
    while step:
        acc = op(acc, acc[:, np.arange(width) ^ step])
        step //= 2
    return acc[:, 0]


def _dot_rows(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """vec::map2_reduce_all(dy * y, +) as compiled: products rounded, summed as reduce_all,
    but the partial last vector fused, fma(dy, y, acc), for float32 (not for float64)."""
    n, width = y.shape[1], lanes(y.dtype)
    if n < width or y.dtype != np.float32 or n % width == 0:
        return _lane_sums(dy * y)
    whole = n - n % width
    products = (dy[:, :whole] * y[:, :whole]).reshape(len(y), whole // width, width)
    acc = np.add.accumulate(products, axis=1)[:, -1]              # (rows, V)
    acc[:, :n - whole] = fma(dy[:, whole:], y[:, whole:], acc[:, :n - whole])
    return _combine_lanes(acc, np.add)
