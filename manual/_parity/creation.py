"""Creation at torch's edges: linspace's and arange's rounding, refused sizes and data.

linspace: torch's CPU kernel computes, in the result's dtype (in double for integers, whose
start and end are first truncated toward zero),

1. step = (end - start) / (steps - 1)
2. value_i = start + step i                  for i < steps / 2
   value_i = end - step (steps - 1 - i)      for the others

and the compiler contracts each multiply-add into one fused multiply-add (the kernel is
built for the CPU's AVX2/AVX512 capability, with FMA), so each value is rounded once after
the product; measured to the bit on float32 and float64.

arange: its length is ceil((end - start) / step) in double precision (for an integer
dtype, of start, end and step truncated first). Its values are computed in double (in
int64 for integers) and rounded to the dtype; the kernel (the AVX2 build: 8 float32 or 4
float64 lanes) writes blocks of two vectors, each vector from its first element,

3. base = start + step k                     (k the vector's first index; fused)
4. value_(k+j) = base + j step               (base rounded to the dtype first; fused)

and the last n mod (2 lanes) values one by one as start + step i (fused); measured to the
bit on float32 and float64.

Reference: aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp (``linspace_kernel``,
``arange_kernel``), aten/src/ATen/cpu/vec/vec256/vec256_float.h (``Vectorized::arange``),
aten/src/ATen/native/RangeFactories.cpp (``arange_out``), torch/csrc/utils/tensor_new.cpp
(the data types ``torch.tensor`` takes), torch/csrc/utils/tensor_numpy.cpp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from manual._parity.rounding import fma


def linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    """(1)-(2) in ``dtype``, each value rounded once, as torch's kernel."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    if steps > 1:  # one or no value is a fill, with no kernel to refuse bools
        check_kernel(dtype, "linspace_cpu")
    if dtype.kind in "iu":  # computed in double from the truncated ends, then truncated
        return linspace(int(start), int(end), steps, np.dtype(np.float64)).astype(dtype)
    t = dtype.type
    first, last = t(start), t(end)
    if steps <= 1:
        return np.full(steps, first, dtype)
    step = t((last - first) / t(steps - 1))                       # (1)
    i = np.arange(steps)
    from_start = i < steps // 2
    k = np.where(from_start, i, steps - 1 - i).astype(dtype)
    up = fma(np.full(steps, step, dtype), k, np.full(steps, first, dtype))   # (2) start + step i
    down = fma(np.full(steps, -step, dtype), k, np.full(steps, last, dtype))  # (2) end - step k
    return np.where(from_start, up, down)


LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # the AVX2 build's vectors


def arange(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    """(3)-(4): start, start + step, ... below end, as torch's kernel rounds them."""
    check_kernel(dtype, "arange_cpu")
    if dtype.kind in "iu":  # integers: the bounds truncated, the values exact
        if step and not int(step):
            raise ValueError("step must be nonzero")  # a fraction, truncated to nothing
        _arange_count(start, end, step)               # the checks, on the bounds as given
        start, end, step = int(start), int(end), int(step)
        return (start + step * np.arange(_arange_count(start, end, step))).astype(dtype)
    n = _arange_count(start, end, step)
    i = np.arange(n)
    lanes = LANES.get(dtype, 8)
    vector = i < n - n % (2 * lanes)              # the blocks of two vectors
    first = i - i % lanes                          # each vector's first index
    base = _mad(step, first, start).astype(dtype)  # (3)
    in_vector = _mad(i - first, step, base.astype(np.float64)).astype(dtype)  # (4)
    return np.where(vector, in_vector, _mad(step, i, start).astype(dtype))


def _mad(x: Any, y: Any, z: Any) -> np.ndarray:
    """x * y + z in double precision, rounded once (a fused multiply-add)."""
    z = np.broadcast_to(np.asarray(z, np.float64), np.broadcast_shapes(np.shape(x),
                                                                         np.shape(y)))
    return fma(np.asarray(x, np.float64), np.asarray(y, np.float64), z)


def _arange_count(start: float, end: float, step: float) -> int:
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = math.ceil((end - start) / step)
    if count > 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    return max(count, 0)


def size(args: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """A shape given as ints or as one sequence (``zeros(2, 3)``, ``zeros((2, 3))``), which
    ``full`` takes only as a sequence; at least one argument."""
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(int(n) for n in args[0])
    if name == "full":
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(args[0]).__name__}")
    return tuple(int(n) for n in args)


def check_kernel(dtype: np.dtype, kernel: str) -> None:
    """arange and linspace have no kernel for bools."""
    if dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def check_size(size: tuple[int, ...], name: str = "") -> tuple[int, ...]:
    for n in size:
        if n < 0 and name == "zeros":
            raise RuntimeError(f"zeros: Dimension size must be non-negative. (size "
                               f"{list(size)})")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(size)}")
    return size


def array_of(data: Any, dtype: Any) -> np.ndarray:
    """torch.tensor's reading of ``data``: numbers, bools and nested sequences of them, not
    strings; a ragged nesting refused as torch refuses it."""
    try:
        array = np.array(data, dtype=dtype)
    except ValueError:  # a ragged nesting: NumPy's words, then torch's
        _check_nesting(data, _nested_shape(data), 0, isinstance(_first_number(data), float))
        raise
    if array.dtype.kind in "USO":
        raise TypeError(f"new(): invalid data type '{_python_type(array)}'")
    return array


def _nested_shape(data: Any) -> list[int]:
    """The shape torch infers: from the first element at each depth."""
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        data = data[0] if data else None
    return shape


def _check_nesting(data: Any, shape: list[int], dim: int, floating: bool) -> None:
    """Each element where torch's inferred shape wants it: a sequence of the inferred
    length down to the last dim, a number there."""
    if dim == len(shape):
        if isinstance(data, (list, tuple)):
            name = type(data).__name__
            raise TypeError(f"must be real number, not {name}" if floating else
                            f"'{name}' object cannot be interpreted as an integer")
        return
    if not isinstance(data, (list, tuple)):
        raise TypeError("not a sequence")
    if len(data) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got "
                         f"{len(data)})")
    for item in data:
        _check_nesting(item, shape, dim + 1, floating)


def _first_number(data: Any) -> Any:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _python_type(array: np.ndarray) -> str:
    return {"U": "str", "S": "bytes"}.get(array.dtype.kind, type(array.flat[0]).__name__
                                          if array.size else "object")


def check_from_numpy(array: Any) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
