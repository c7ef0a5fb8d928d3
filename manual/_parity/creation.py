"""Creation at torch's edges: linspace's rounding, arange's length, refused sizes and arrays.

linspace: torch's CPU kernel computes, in the result's dtype,

1. step = (end - start) / (steps - 1)
2. value_i = start + step i                  for i < steps / 2
   value_i = end - step (steps - 1 - i)      for the others

and the compiler contracts each multiply-add into one fused multiply-add (the kernel is
built for the CPU's AVX2/AVX512 capability, with FMA), so each value is rounded once after
the product; measured to the bit on float32 and float64.

arange's length is ceil((end - start) / step), computed in double precision.

Reference: aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp (``linspace_kernel``),
aten/src/ATen/native/RangeFactories.cpp (``arange_out``), torch/csrc/utils/tensor_numpy.cpp
(``tensor_from_numpy``).
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


def arange_count(start: float, end: float, step: float) -> int:
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    return max(math.ceil((end - start) / step), 0)


def check_size(size: tuple[int, ...]) -> tuple[int, ...]:
    for n in size:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(size)}")
    return size


def check_from_numpy(array: Any) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
