"""How far apart two results are: max absolute error, max relative error, and the distance
in units in the last place (ULP), with the index of the worst element.

The ULP distance between two floats of one dtype is the number of representable values
between them: adjacent floats are 1 apart, +0 and -0 are 0 apart, two NaNs are 0 apart, a
NaN and a number are infinitely apart. It is computed by mapping each float's bits to an
integer that increases with the float's value.

For sums and matrix products the twins may add in a different order. Their difference is
then bounded relative to the sum of the magnitudes of the terms (the "scale"), not to the
result, which can be near zero by cancellation; ``distance(..., scale=...)`` measures ULPs
of that scale instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.convert import to_numpy

_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


@dataclass(frozen=True)
class Distance:
    """The gap between ``actual`` and ``expected``, and where it is largest."""

    max_abs: float
    max_rel: float
    max_ulp: float
    index: tuple[int, ...]
    actual: float
    expected: float

    def __str__(self) -> str:
        return (f"{self.max_ulp:g} ULP (abs {self.max_abs:.3g}, rel {self.max_rel:.3g}): "
                f"out{list(self.index)}={self.actual!r}, but should be {self.expected!r}")


def ulp_distance(a: Any, b: Any) -> np.ndarray:
    """Elementwise distance in ULP between two float32 or float64 arrays of one dtype."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.dtype not in _INT:
        raise TypeError(f"ulp_distance needs two float32 or float64 arrays, got {a.dtype} "
                        f"and {b.dtype}")
    ia, ib = _ordered(a), _ordered(b)
    high, low = np.maximum(ia, ib).view(np.uint64), np.minimum(ia, ib).view(np.uint64)
    with np.errstate(over="ignore"):  # NumPy warns when 0-d operands wrap, arrays do not
        gap = (high - low).astype(np.float64)  # exact in uint64 (wraps past the sign), then float
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    gap = np.where(nan_a | nan_b, np.inf, gap)
    return np.where(nan_a & nan_b, 0.0, gap)


def _ordered(x: np.ndarray) -> np.ndarray:
    """Float bits as integers that sort like the floats (-0 and +0 both map to 0)."""
    bits = x.view(_INT[x.dtype]).astype(np.int64)
    top = np.int64(np.iinfo(_INT[x.dtype]).min)
    return np.where(bits < 0, top - bits, bits)


def normwise(x: Any) -> np.ndarray:
    """A scale for normwise distances: every element the largest finite magnitude of ``x``
    (infinities and NaNs must match exactly; as a scale they would make any other gap an
    infinite number of ULPs)."""
    x = to_numpy(x)
    return np.full(x.shape, largest_finite(x), dtype=x.dtype)


def largest_finite(x: np.ndarray) -> float:
    """The largest finite magnitude in ``x`` (0 when it has none)."""
    magnitude = np.abs(x)
    if magnitude.size == 0:
        return 0.0
    largest = magnitude.max()
    if x.dtype.kind == "f" and not np.isfinite(largest):
        finite = magnitude[np.isfinite(magnitude)]
        largest = finite.max() if finite.size else 0
    return float(largest)


def distance(actual: Any, expected: Any, scale: Any = None) -> Distance:
    """Compare two results of one shape; ULPs are of ``scale`` (a same-shaped array of
    magnitudes, or one magnitude for every element) when given, else of ``expected``."""
    a, e = to_numpy(actual), to_numpy(expected)
    if a.shape != e.shape:
        raise ValueError(f"shapes differ: {a.shape} and {e.shape}")
    if a.size == 0:
        return Distance(0.0, 0.0, 0.0, (), 0.0, 0.0)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    same = (a64 == e64) | (np.isnan(a64) & np.isnan(e64))
    with np.errstate(invalid="ignore", divide="ignore"):
        abs_err = np.where(same, 0.0, np.abs(a64 - e64))
        rel_err = np.where(same, 0.0, abs_err / np.abs(e64))
        if scale is None:
            ulps = ulp_distance(a, e.astype(a.dtype))
        else:
            spacing = np.spacing(np.abs(to_numpy(scale)).astype(a.dtype)).astype(np.float64)
            ulps = np.where(same, 0.0, abs_err / spacing)
    ulps = np.nan_to_num(ulps, nan=np.inf)
    worst = np.unravel_index(int(np.argmax(ulps)), a.shape)
    return Distance(float(np.nanmax(abs_err)), float(np.nanmax(rel_err)), float(ulps[worst]),
                    tuple(int(i) for i in worst), a[worst].item(), e[worst].item())
