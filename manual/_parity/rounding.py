"""How torch's CPU kernels round, where NumPy's obvious expression rounds differently.

``a.add(b, alpha=alpha)`` (and ``add_``) computes a + alpha * b as one fused multiply-add:
the product is not rounded before the sum, so the result is rounded once. NumPy's
``a + alpha * b`` rounds twice, and about 1 element in 20 then differs by 1 ULP.

1. alpha is first rounded to the tensor's dtype
2. result = round(a + alpha * b)                    one rounding

float32: alpha * b is exact in float64 (24 + 24 bits < 53). The sum is formed in float64
rounding to odd (if inexact, the neighbour whose last bit is 1), then rounded to float32:
with 53 >= 2 * 24 + 2 bits this double rounding equals one correct rounding, where plain
round-to-nearest twice could land on the wrong side of a float32 halfway point.

float64: there is no wider type, so the FMA is emulated exactly (Boldo and Melquiond,
"Emulation of FMA and correctly rounded sums: proved algorithms using rounding to odd",
IEEE Trans. Computers, 2008): the product is split exactly into a high and a low part
(Dekker), the high part is added to a exactly (Knuth's TwoSum), the two low parts are
added rounding to odd, and one final addition rounds to nearest. Products below 2^-969,
where the split underflows, and factors or products beyond 2^995, where it overflows, are
done in exact rational arithmetic instead.

Reference: aten/src/ATen/native/ufunc/add.h (``add`` with alpha: ``vec::fmadd``),
aten/src/ATen/cpu/vec/vec_base.h (``fmadd``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from manual._parity.dtypes import result_dtype


def fused_add(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """torch's ``a.add(b, alpha=alpha)``: a + alpha * b, rounded once to the dtype torch
    promotes a and b to (an integer b takes a's float dtype, rounded to it first)."""
    dtype = result_dtype(a, b)
    if dtype.kind != "f":
        return a + alpha * b
    return fma(dtype.type(alpha), np.asarray(b, dtype), np.asarray(a, dtype))  # (1), (2)


def fma(x: Any, y: Any, z: np.ndarray) -> np.ndarray:
    """x * y + z rounded once to z's dtype (float32 or float64), as a fused multiply-add."""
    z = np.asarray(z)
    if z.dtype == np.float32:
        return _fma32(x, y, z)
    x, y, z = np.broadcast_arrays(np.asarray(x, z.dtype), np.asarray(y, z.dtype), z)
    out = np.array(_fma64(x, y, z))
    rare = _outside_the_split(x, y, z)
    out[rare] = [_to_float(Fraction(a) * Fraction(b) + Fraction(c))
                 for a, b, c in zip(x[rare].tolist(), y[rare].tolist(), z[rare].tolist())]
    return out


def _outside_the_split(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Finite elements whose exact split of x * y underflows (products below 2^-969) or
    overflows (a factor or the product beyond 2^995), or whose sum overflows: those few go
    through exact rationals."""
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):  # inf 0 is NaN
        big, product = 2.0**995, np.abs(x * y)
        outside = (product < 2.0**-969) | (product > big) | (np.abs(x) > big) | (np.abs(y) > big)
        outside |= ~np.isfinite(x * y + z)  # a sum that overflows may still round to the max
        return outside & (x != 0) & (y != 0) & np.isfinite(x) & np.isfinite(y) & np.isfinite(z)


def _to_float(value: Fraction) -> float:
    """A rational rounded to the nearest float64 (Python's float() does that), or an
    infinity past the largest."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _fma32(x: Any, y: Any, z: np.ndarray) -> np.ndarray:
    """x * y + z for float32: exact product and rounded sum in float64, then to float32.

    Rounding twice (to 53 bits, then to 24) differs from rounding once only where the float64
    sum lands exactly halfway between two float32 values; those few elements (and any in
    float32's subnormal range, where the halfway bits sit elsewhere) are redone rounding to
    odd, which makes the second rounding right.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        wide = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(z)), np.float64)
        np.copyto(wide, y)
        wide *= x                                                          # exact
        wide += z                                                          # rounded once
        out = wide.astype(np.float32)
        dropped = wide.view(np.uint64)        # wide is done with: its bits are reused in place
        dropped <<= np.uint64(64 - 29)        # the 29 low bits that float32 drops, on top
        redo = dropped == np.uint64(1 << 63)  # exactly halfway: a 1 then 28 zeros
        redo |= np.abs(out) < np.finfo(np.float32).tiny    # subnormal (or 0); NaN is not
        if redo.any():
            xs, ys, zs = (a[redo].astype(np.float64) for a in np.broadcast_arrays(x, y, z))
            out[redo] = _add_round_to_odd(zs, xs * ys).astype(np.float32)
    return out


def _fma64(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """x * y + z in float64, correctly rounded while x * y stays within [2^-969, 2^995]."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        product_hi, product_lo = _two_product(x, y)
        sum_hi, sum_lo = _two_sum(z, product_hi)
        result = sum_hi + _add_round_to_odd(sum_lo, product_lo)
        # where a term is inf or NaN the error terms are meaningless, and a zero result lost
        # its sign in them: plain arithmetic is right there (an exact 0 is exact either way)
        plain = x * y + z
    return np.where(np.isfinite(plain) & np.isfinite(result) & (result != 0), result, plain)


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
