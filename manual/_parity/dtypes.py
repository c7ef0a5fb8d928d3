"""torch's dtypes: their names in its messages, and its type promotion.

torch promotes the operands of an operation in three tiers, where NumPy (before 2.0) looked
at values and NumPy 2 looks at Python numbers as "weak" but ranks 0-d arrays with the rest:

1. tensors with dimensions, 2. 0-d tensors, 3. Python numbers (a float counts as float32,
an int as int64, a bool as bool).

A lower tier changes the result only when it is of a higher kind (bool < int < float), so
float32 * 2.5 stays float32, int64 * 2.5 becomes float32 (NumPy: float64), and a float32
tensor times a 0-d float64 tensor stays float32. Within a tier, an integer meeting a float
takes the float's type as it is (int64 + float32 is float32, where NumPy widens to float64).

In-place operations keep the tensor's dtype, and refuse a result of a higher kind ("result
type Float can't be cast to the desired output type Long").

Reference: c10/core/ScalarType.h (``promoteTypes``), aten/src/ATen/native/TypeProperties.cpp
(``result_type``, ``combine_categories``), aten/src/ATen/TensorIterator.cpp (the in-place
cast check).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(bool)

_NUMBER_DTYPES = {"f": float32, "i": int64, "u": int64, "b": bool_}
_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "uint16": "short unsigned int",
            "uint32": "unsigned int", "uint64": "long unsigned int", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_KIND_RANKS = {"b": 0, "u": 1, "i": 1, "f": 2}


def torch_name(dtype: Any) -> str:
    """A dtype as torch's messages name it (Float, Long, Bool, ...)."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def c_name(dtype: Any) -> str:
    """A dtype as the C++ type some of torch's messages print (float, long int, c10::Half)."""
    return _C_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def result_dtype(*operands: Any) -> np.dtype:
    """The dtype of an operation on these operands: tensors (or NumPy arrays) and numbers."""
    tiers: list[np.dtype | None] = [None, None, None]
    for x in operands:
        if hasattr(x, "array") or isinstance(x, np.ndarray):  # a tensor, or an array as one
            tier, dtype = (0 if np.ndim(x) else 1), np.asarray(x).dtype
        else:  # a Python or NumPy number
            tier, dtype = 2, _NUMBER_DTYPES[np.asarray(x).dtype.kind]
        tiers[tier] = dtype if tiers[tier] is None else promote(tiers[tier], dtype)
    dims, zero_dim, numbers = tiers
    return _combine(dims, _combine(zero_dim, numbers))


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: an integer meeting a float takes the float's type as it is."""
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """c10's combine_categories: the higher tier wins unless the lower is of a higher kind."""
    if higher is None or lower is None:
        return higher if lower is None else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote(higher, lower)
    return higher


def casts_down(result: Any, out: Any) -> bool:
    """Would storing ``result`` in ``out`` lower its kind (bool < int < float)?"""
    return _KIND_RANKS[np.dtype(result).kind] > _KIND_RANKS[np.dtype(out).kind]


def default_dtype(data: Any) -> np.dtype | None:
    """torch.tensor's inference (infer_scalar_type): a NumPy array or scalar keeps its dtype
    (None here: NumPy's own), Python numbers map as torch maps them (floats to float32, ints
    to int64, bools to bool), a sequence takes its elements' promoted type, NumPy scalars'
    and tensors' own among them, an empty one float32. None too for data torch refuses
    (_parity/creation.py refuses it in torch's words)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return None
    return _inferred(data)


def _inferred(data: Any) -> np.dtype | None:
    if isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "array"):
        return np.asarray(data).dtype
    if isinstance(data, (bool, int, float)):
        return _NUMBER_DTYPES[np.asarray(data).dtype.kind]
    if not isinstance(data, Sequence) or isinstance(data, (str, bytes, bytearray)):
        return None  # any other sequence (a deque, a UserList) is read as a list is
    types = set(map(type, data))  # the common lists at once: Python numbers only
    if types <= {int, float, bool} and (types <= {bool} or bool not in types):
        return _NUMBER_DTYPES["f" if float in types or not types else
                              "i" if int in types else "b"]
    found = None
    for item in data:
        dtype = _inferred(item)
        if dtype is None:
            return None
        found = dtype if found is None else promote(found, dtype)
    return found


def sum_dtype(dtype: np.dtype) -> np.dtype:
    """torch sums bools and integers as int64."""
    return int64 if dtype.kind in "biu" else dtype
