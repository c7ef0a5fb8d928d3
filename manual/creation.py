"""Creation: new leaf tensors from data, from a fill value, or from a range.

1. tensor(data)                    a copy of nested lists, numbers or an array
2. from_numpy(array)               the array itself: the tensor shares its memory
3. zeros, ones, full, empty        a shape filled with 0, 1 or a value
4. zeros_like(t), ones_like(t)...  t's shape and dtype, filled
5. arange(start, end, step)        start + i step for i = 0, 1, ... while below end
6. linspace(start, end, steps)     steps values from start to end, both included

Dtypes are torch's, not NumPy's: Python floats make float32 (torch's default float), Python
ints int64, bools bool; ``full`` takes its dtype from the fill value, ``arange`` is int64
when every bound is an integer. Every creation function takes torch's keywords ``dtype``,
``device`` (the CPU only: manual is NumPy) and ``requires_grad``, and a shape as separate
ints or one tuple, ``()`` included.

Quirks that change numbers: linspace computes the first half of its values from the start
and the second half from the end (start + i step, then end - (steps - 1 - i) step), in the
dtype of the result; arange computes start + i step in double precision, in vectors that
start from their first element; so a value can differ from the exact grid point in its
last bit exactly as torch's does (manual/_parity/creation.py).

Reference: torch/_tensor.py, aten/src/ATen/native/TensorFactories.cpp,
aten/src/ATen/native/RangeFactories.cpp and cpu/RangeFactoriesKernel.cpp.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity import creation as parity
from manual._parity import dtypes
from manual.device import check_device
from manual.tensor import Tensor


def tensor(data: Any, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """(1) A new leaf tensor with a copy of ``data``, typed as ``torch.tensor`` types it."""
    check_device(device)
    if isinstance(data, Tensor):
        data = data.array
    dtype = dtype if dtype is not None else dtypes.default_dtype(data)
    return _leaf(parity.array_of(data, dtype), requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """(2) The array as a tensor, sharing its memory."""
    parity.check_from_numpy(ndarray)
    return Tensor(ndarray)


def as_tensor(data: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor as it is, an array without a copy when it can be, else ``tensor(data)``."""
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
        return Tensor(data)
    return tensor(data, dtype=dtype)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """(3) A shape of zeros (float32 unless ``dtype``)."""
    shape = parity.check_size(parity.size(size, "zeros"), "zeros")
    return full(shape, 0, dtype=dtype or dtypes.float32, device=device,
                requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """(3) A shape of ones (float32 unless ``dtype``)."""
    return full(parity.size(size, "ones"), 1, dtype=dtype or dtypes.float32, device=device,
                requires_grad=requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """(3) A shape whose values are not to be read before written (zeros, here)."""
    return full(parity.size(size, "empty"), 0, dtype=dtype or dtypes.float32, device=device,
                requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """(3) A shape filled with ``fill_value``; its dtype by default from the value's kind."""
    check_device(device)
    dtype = dtype if dtype is not None else dtypes.result_dtype(fill_value)
    value = fill_value.array if isinstance(fill_value, Tensor) else fill_value
    shape = parity.check_size(parity.size((size,), "full"))
    return _leaf(np.full(shape, value, dtype=dtype), requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """(4) input's shape and dtype, zeros."""
    return full(input.shape, 0, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """(4) input's shape and dtype, ones."""
    return full(input.shape, 1, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """(4) input's shape and dtype, filled with ``fill_value``."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """(4) input's shape and dtype, uniform values in [0, 1) (manual/generator.py)."""
    from manual.generator import rand

    check_device(device)
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """(4) input's shape and dtype, standard normal values (manual/generator.py)."""
    from manual.generator import randn

    check_device(device)
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """(5) start, start + step, ... below end; ``arange(n)`` is 0, 1, ..., n - 1."""
    check_device(device)
    start, end = (0, start) if end is None else (start, end)
    integers = dtypes.result_dtype(start, end, step).kind in "biu"
    dtype = np.dtype(dtype) if dtype is not None else (
        dtypes.int64 if integers else dtypes.float32)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    return _leaf(parity.arange(start, end, step, dtype), requires_grad)        # (5)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """(6) ``steps`` evenly spaced values from start to end, both included."""
    check_device(device)
    dtype = np.dtype(dtype) if dtype is not None else dtypes.float32
    return _leaf(parity.linspace(start, end, steps, dtype), requires_grad)      # (6)


def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor(array)
    return t.requires_grad_() if requires_grad else t


def _size(size: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as ints or as one sequence: ``zeros(2, 3)``, ``zeros((2, 3))``."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(int(n) for n in size[0])
    return tuple(int(n) for n in size)
