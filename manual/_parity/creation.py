"""Creation at torch's edges: linspace's and arange's rounding, refused sizes and data.

linspace: torch's CPU kernel computes, in the result's dtype (in double for integers, whose
start and end are first truncated toward zero),

1. step = (end - start) / (steps - 1)
2. value_i = start + step i                  for i < steps / 2
   value_i = end - step (steps - 1 - i)      for the others

and the compiler contracts each multiply-add into one fused multiply-add (the kernel is
built for the CPU's AVX2/AVX512 capability, with FMA), so each value is rounded once after
the product; measured to the bit on float32 and float64.

arange: its length is ceil((end - start) / step) in double precision (for int64, in int64
of start, end and step truncated first). Its values are computed in double (in float for
float16, in int64 from the truncated start and step for integers) and rounded to the
dtype; the kernel (the AVX2 build: 16 float16, 8 float32 or 4 float64 lanes) writes blocks
of two vectors, each vector from its first element,

3. base = start + step k                     (k the vector's first index; fused)
4. value_(k+j) = base + j step               (base rounded to the dtype first; fused)

and the last n mod (2 lanes) values one by one as start + step i (fused); measured to the
bit on float16, float32 and float64. Half's linspace uses half's operators instead, each
product and sum rounded to half. The bounds are converted to the dtype (arange's: to the
type it computes in) as torch's Scalar.to converts them: refused past its range.

Reference: aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp (``linspace_kernel``,
``arange_kernel``), aten/src/ATen/cpu/vec/vec256/vec256_float.h (``Vectorized::arange``),
aten/src/ATen/native/RangeFactories.cpp (``arange_out``), torch/csrc/utils/tensor_new.cpp
(the data types ``torch.tensor`` takes), torch/csrc/utils/tensor_numpy.cpp.
"""

from __future__ import annotations

import collections.abc
import math
import numbers
from typing import Any

import numpy as np

from manual._parity.rounding import fma


def linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    """(1)-(2) in ``dtype``, each value rounded once, as torch's kernel."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    if steps > 1:  # one or no value is a fill, with no kernel to refuse bools
        check_kernel(dtype, "linspace_cpu")
    if not steps:
        return np.empty(0, dtype)
    if steps > 1 or dtype != np.float16:  # the ends converted to the dtype, checked (a fill
        start = to_scalar(start, dtype)    # of half alone unchecked: past its range, inf)
    end = to_scalar(end, dtype) if steps > 1 else start  # one value: a fill of start alone
    if dtype.kind in "iu":  # computed in double from the truncated ends, then truncated
        return linspace(start, end, steps, np.dtype(np.float64)).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # infinite ends make NaNs, as torch's
        return _linspace(start, end, steps, dtype)


def _linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    t = dtype.type
    first, last = t(start), t(end)
    if steps == 1:
        return np.full(1, first, dtype)
    step = t((last - first) / t(steps - 1))                       # (1)
    i = np.arange(steps)
    from_start = i < steps // 2
    k = np.where(from_start, i, steps - 1 - i).astype(dtype)
    if dtype == np.float16:  # half's operators: each product and sum rounded, none fused
        return np.where(from_start, first + step * k, last - step * k)       # (2)
    up = fma(np.full(steps, step, dtype), k, np.full(steps, first, dtype))   # (2) start + step i
    down = fma(np.full(steps, -step, dtype), k, np.full(steps, last, dtype))  # (2) end - step k
    return np.where(from_start, up, down)


# the C++ type names of torch's overflow message (c10::checked_convert)
C_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t", "float16": "c10::Half", "float32": "float", "float64": "double"}


def to_scalar(value: Any, dtype: np.dtype) -> Any:
    """A Python number as torch's Scalar.to<dtype>() takes it: refused past the dtype's range
    (compared in double; for an integer dtype NaN and infinities too; an int may be negative
    down to -max for an unsigned dtype), an integer dtype's value truncated and wrapped."""
    if dtype.kind == "b" or isinstance(value, (bool, np.bool_)):
        return value
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    low = -int(info.max) if dtype.kind == "u" and isinstance(value, (int, np.integer)) else \
        info.min
    if dtype.kind in "iu" and not math.isfinite(value) or (
            math.isfinite(value) and not float(low) <= value <= float(info.max)):
        raise RuntimeError(f"value cannot be converted to type {C_NAMES[dtype.name]} without "
                           "overflow")
    if dtype.kind in "iu":  # truncated, then wrapped into the dtype's bits
        bits = 8 * dtype.itemsize
        return (int(value) + 2**(bits - 1)) % 2**bits - 2**(bits - 1) if dtype.kind == "i" \
            else int(value) % 2**bits
    return value


LANES = {np.dtype(np.float16): 16, np.dtype(np.float32): 8,  # the AVX2 build's vectors
         np.dtype(np.float64): 4}


def arange(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    """(3)-(4): start, start + step, ... below end, as torch's kernel rounds them."""
    check_kernel(dtype, "arange_cpu")
    if dtype.kind in "iu":  # integers: the values exact, in int64, from the truncated bounds
        n = _arange_count(start, end, step, dtype == np.int64)
        start, step = (to_scalar(v, np.dtype(np.int64)) for v in (start, step))
        return (start + step * np.arange(n)).astype(dtype)
    n = _arange_count(start, end, step)
    acc = np.float32 if dtype == np.float16 else np.float64  # torch's accumulate type
    if dtype == np.float16:  # the bounds converted to float, checked
        start, end, step = (to_scalar(v, np.dtype(np.float32)) for v in (start, end, step))
    i = np.arange(n)
    lanes = LANES.get(dtype, 8)
    vector = i < n - n % (2 * lanes)              # the blocks of two vectors
    first = i - i % lanes                          # each vector's first index
    with np.errstate(over="ignore"):  # past the dtype's range: inf, as torch's
        base = _mad(step, first, start, acc).astype(dtype)  # (3)
        in_vector = np.where(i == first, base,  # (4), the first lane base itself (a -0 kept)
                             _mad(i - first, step, base.astype(acc), acc).astype(dtype))
        return np.where(vector, in_vector, _mad(step, i, start, acc).astype(dtype))


def _mad(x: Any, y: Any, z: Any, acc: type = np.float64) -> np.ndarray:
    """x * y + z in the accumulate type (double; float for half), rounded once (fused)."""
    z = np.broadcast_to(np.asarray(z, acc), np.broadcast_shapes(np.shape(x), np.shape(y)))
    return fma(np.asarray(x, acc), np.asarray(y, acc), z)


def _arange_count(start: float, end: float, step: float, int64: bool = False) -> int:
    """ceil((end - start) / step), checked as torch checks it, in double; for int64 from
    the truncated bounds, as (end - start + step - sign(step)) / step in int64 arithmetic
    (wrapping past 2^63). A count of exactly 2^63 passes the check and wraps to -2^63."""
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (step > 0 and end >= start or step < 0 and end <= start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if int64:
        start, end, step = (to_scalar(v, np.dtype(np.int64)) for v in (start, end, step))
        if not step:
            raise ValueError("step must be nonzero")  # a fraction, truncated to nothing
        span = (end - start + step - (1 if step > 0 else -1) + 2**63) % 2**64 - 2**63
        size = float(abs(span) // abs(step) * (1 if (span < 0) == (step < 0) else -1))
    else:
        size = (float(end) - float(start)) / float(step)
    if not -1 < size <= 2.0**63:
        raise RuntimeError("invalid size, possible overflow?")
    if math.ceil(size) == 2**63:
        raise RuntimeError("IntArrayRef contains an int that cannot be represented as a "
                           "SymInt: -9223372036854775808")
    return math.ceil(size)


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
    strings. Numbers nested evenly are read at once; anything else goes through torch's
    steps, for its refusals in its order (internal_new_from_data):

    1. the shape, from the first element at each depth (compute_sizes: a string is a
       sequence there, so a string inside a list nests without end, "too many dimensions");
    2. without a dtype, one inferred from every element (infer_scalar_type: a string is a
       TypeError, what is neither a number nor a sequence a RuntimeError);
    3. each element stored where the shape wants it (recursive_store: a ragged nesting, a
       number where a sequence should be, or a non-number where a number should be),
       skipped when the shape holds no element."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{_type_name(data)}'")
    try:
        array = np.array(data, dtype=dtype)
        plain = array if dtype is None else np.array(data)  # what the data holds, undtyped
    except (ValueError, TypeError):
        array = plain = None
    if plain is not None and plain.dtype.kind in "biuf":
        return array
    if isinstance(data, np.ndarray):  # of strings, objects, dates, ...
        raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. "
                        "The only supported types are: float64, float32, float16, complex64, "
                        "complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, "
                        "and bool.")
    sizes = _compute_sizes(data)                                       # 1.
    kind = _infer_kind(data) if dtype is None else np.dtype(dtype).kind  # 2.
    if math.prod(sizes) == 0:
        return np.empty(sizes, dtype or {"f": np.float32, "b": np.bool_}.get(kind, np.int64))
    _store(data, sizes, 0, kind in "cf")                               # 3.
    if array is None or plain.dtype.kind == "S":  # bytes: torch reads their integers
        array = np.array(_as_lists(data), dtype or {"f": np.float32}.get(kind, np.int64))
    return array


def _as_lists(data: Any) -> Any:
    if isinstance(data, collections.abc.Sequence):
        return [_as_lists(item) for item in data]
    return data


def _compute_sizes(data: Any) -> list[int]:
    sizes = []
    while isinstance(data, collections.abc.Sequence):
        sizes.append(len(data))
        if len(sizes) > 128:
            raise ValueError(f"too many dimensions '{type(data).__name__}'")
        if not data:
            break
        data = data[0]
    return sizes


def _infer_kind(data: Any) -> str:
    """torch's infer_scalar_type, every element depth first: the kind of the promoted type
    ("c" over "f" over "i" over "b"), or its refusal (of a number that is none of Python's
    or NumPy's own, a Fraction say, too)."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{_type_name(data)}'")
    if isinstance(data, (bool, int, float, complex, np.generic, np.ndarray)) or hasattr(
            data, "array"):
        return np.asarray(data).dtype.kind
    if not isinstance(data, collections.abc.Sequence):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    kinds = {_infer_kind(item) for item in data}
    return next((k for k in "cfiub" if k in kinds), "f")  # an empty sequence: the default


def _is_number(data: Any) -> bool:
    """A number, a NumPy scalar or a tensor (of one element, as torch stores it)."""
    return isinstance(data, (numbers.Number, np.generic)) or hasattr(data, "array")


def _store(data: Any, sizes: list[int], dim: int, floating: bool) -> None:
    """Each element where the shape wants it: a sequence of that length down to the last
    dim, a number there."""
    if dim == len(sizes):
        if not _is_number(data):
            name = type(data).__name__
            raise TypeError(f"must be real number, not {name}" if floating else
                            f"'{name}' object cannot be interpreted as an integer")
        return
    if not isinstance(data, collections.abc.Sequence):
        raise TypeError("not a sequence")
    if len(data) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got "
                         f"{len(data)})")
    for item in data:
        _store(item, sizes, dim + 1, floating)


def _type_name(data: Any) -> str:
    """The name of data's type as torch writes it: NumPy's with their module."""
    kind = type(data)
    return kind.__name__ if kind.__module__ == "builtins" else f"numpy.{kind.__name__}"


def check_from_numpy(array: Any) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
