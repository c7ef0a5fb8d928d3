"""How torch's CPU kernels round, where NumPy's obvious expression rounds differently.

``a.add(b, alpha=alpha)`` (and ``add_``) computes a + alpha * b as one fused multiply-add:
the product is not rounded before the sum, so the result is rounded once. NumPy's
``a + alpha * b`` rounds twice, and about 1 element in 20 then differs by 1 ULP.

1. alpha is first rounded to the tensor's dtype
2. result = round(a + alpha * b)                    one rounding

float32: alpha * b is exact in float64 (24 + 24 bits < 53), so the sum is formed in float64
and rounded to float32. (A double rounding could in principle differ from a true FMA when
the float64 sum lands exactly halfway between two float32 values; none has been seen.)

float64: there is no wider type, so the FMA is emulated exactly (Boldo and Melquiond,
"Emulation of FMA and correctly rounded sums: proved algorithms using rounding to odd",
IEEE Trans. Computers, 2008): the product is split exactly into a high and a low part
(Dekker), the high part is added to a exactly (Knuth's TwoSum), the two low parts are
added rounding to odd, and one final addition rounds to nearest.

Reference: aten/src/ATen/native/ufunc/add.h (``add`` with alpha: ``vec::fmadd``),
aten/src/ATen/cpu/vec/vec_base.h (``fmadd``).
"""

from __future__ import annotations

import numpy as np


def fused_add(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """torch's ``a.add(b, alpha=alpha)``: a + alpha * b, rounded once to a's dtype."""
    dtype = np.result_type(a, b)
    alpha = dtype.type(alpha)                                         # (1)
    if dtype == np.float32:
        wide = np.asarray(a, np.float64) + np.float64(alpha) * np.asarray(b, np.float64)
        return wide.astype(np.float32)                                # (2)
    if dtype == np.float64:
        return fma(np.broadcast_to(b, np.broadcast_shapes(np.shape(a), np.shape(b))),
                   alpha, np.asarray(a))                              # (2)
    return a + alpha * b


def fma(x: np.ndarray, y: float | np.ndarray, z: np.ndarray) -> np.ndarray:
    """x * y + z in float64, correctly rounded (rounded once)."""
    with np.errstate(over="ignore", invalid="ignore"):
        product_hi, product_lo = _two_product(x, y)
        sum_hi, sum_lo = _two_sum(z, product_hi)
        result = sum_hi + _add_round_to_odd(sum_lo, product_lo)
        # where a term is inf or NaN the error terms are meaningless: plain arithmetic is right
        plain = x * y + z
    return np.where(np.isfinite(plain) & np.isfinite(result), result, plain)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s + e == a + b exactly, s = round(a + b) (Knuth)."""
    s = a + b
    b_virtual = s - a
    return s, (a - (s - b_virtual)) + (b - b_virtual)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """hi + lo == a exactly, each with at most 26 significant bits (Veltkamp)."""
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_product(a: np.ndarray, b: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p + e == a * b exactly, p = round(a * b) (Dekker)."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(np.asarray(b, dtype=np.float64))
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _add_round_to_odd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd: if inexact, the neighbour whose last bit is 1."""
    s, e = _two_sum(a, b)
    even = (np.asarray(s).view(np.int64) & 1) == 0
    return np.where((e != 0) & even, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
