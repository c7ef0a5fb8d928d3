"""manual/_parity/rounding.py: the fused multiply-add that torch's kernels round like, against exact
rational arithmetic (no torch), and against torch's add(alpha=...)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from manual._parity.rounding import fma, fused_add
from tests.helpers import requires_fused_kernels


def exact(x, y, z, dtype):
    """x * y + z computed exactly, then rounded once to dtype."""
    value = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    return dtype(float(value)) if dtype == np.float64 else _round_to_float32(value)


def _round_to_float32(value: Fraction) -> np.float32:
    """Round a rational to the nearest float32 (ties to even), without going through float64."""
    candidate = np.float32(float(value))  # within one float32 step of the answer
    neighbours = [np.nextafter(candidate, np.float32(-np.inf)), candidate,
                  np.nextafter(candidate, np.float32(np.inf))]
    gaps = [abs(Fraction(float(n)) - value) for n in neighbours]
    best = min(gaps)
    ties = [n for n, g in zip(neighbours, gaps) if g == best]
    return min(ties, key=lambda n: int(np.float32(n).view(np.int32)) & 1)


finite64 = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100)


@given(st.sampled_from([np.float32, np.float64]), st.data())
def test_fma_rounds_once(dtype, data):
    width = 32 if dtype == np.float32 else 64
    values = st.floats(-1e6, 1e6, width=width, allow_subnormal=False)
    x, y = data.draw(values), data.draw(values)
    # z near -x*y: the cancellation where a second rounding shows
    z = data.draw(st.one_of(values, st.just(dtype(-(dtype(x) * dtype(y))))))
    got = fma(dtype(x), np.asarray([y], dtype), np.asarray([z], dtype))[0]
    assert got == exact(x, y, z, dtype), (x, y, z)


def test_fma_with_products_below_the_normal_range():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 2, 200) * 2.0 ** rng.integers(-560, -480, 200)
    y = rng.uniform(1, 2, 200) * 2.0 ** rng.integers(-560, -480, 200)
    z = rng.uniform(-1, 1, 200) * 2.0 ** -1030
    got = fma(x, y, z)
    assert all(g == exact(a, b, c, np.float64) for g, a, b, c in zip(got, x, y, z))


def test_float32_halfway_cases_round_once():
    # z + x y = 1 + 2^-24 + 2^-70: just above the float32 midpoint 1 + 2^-24, so the answer is
    # 1 + 2^-23. Rounded to float64 first it lands exactly on the midpoint, and rounding that
    # to float32 (ties to even) would give 1: the double rounding round-to-odd avoids.
    z = np.float32([1 + 2.0**-23, -(1 + 2.0**-23)])
    x = np.float32([-(2.0**-24 + 2.0**-47), 2.0**-24 + 2.0**-47])
    y = np.float32([1 - 2.0**-23, 1 - 2.0**-23])
    got = fma(x, y, z)
    assert got.tolist() == [1 + 2.0**-23, -(1 + 2.0**-23)]
    assert all(g == exact(a, b, c, np.float32) for g, a, b, c in zip(got, x, y, z))


@requires_fused_kernels
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_add_is_torchs_add_with_alpha(dtype):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(1003) for _ in range(2))
    a, b = torch.tensor(a, dtype=dtype), torch.tensor(b, dtype=dtype)
    expected = a.add(b, alpha=-0.0137).numpy()
    np.testing.assert_array_equal(fused_add(a.numpy(), b.numpy(), -0.0137), expected)
    assert not np.array_equal(a.numpy() - np.asarray(0.0137, a.numpy().dtype) * b.numpy(),
                              expected)  # the plain expression would not do


_SPECIALS = {
    np.float32: [0.0, -0.0, 2.0**-149, -(2.0**-149), 2.0**-126, 1.5 * 2.0**-126, 1.0, -1.0, 0.1,
                 3.0, 2.0**60, 3.4e38, -3.4e38, np.inf, -np.inf, np.nan],
    np.float64: [0.0, -0.0, 5e-324, 2.0**-1022, 2.0**-600, 1e-300, 1.0, -1.0, 0.1, 3.0,
                 2.0**500, 1.7e308, -1.7e308, np.inf, -np.inf, np.nan],
}


def _exact_or_ieee(x, y, z, dtype):
    """fma's answer by IEEE 754: exact then rounded once; signed zeros, overflow, inf, NaN."""
    if not all(np.isfinite([x, y, z])):  # inf and NaN propagate as in x * y + z
        with np.errstate(invalid="ignore", over="ignore"):
            return dtype(np.float64(x) * np.float64(y) + np.float64(z))
    value = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    if value == 0:  # -0 only when x y and z are both zeros of negative sign
        product_negative = (np.signbit(x) != np.signbit(y)) and (x == 0 or y == 0)
        return dtype(-0.0) if product_negative and z == 0 and np.signbit(z) else dtype(0.0)
    info = np.finfo(dtype)
    top_step = Fraction(2) ** (int(info.maxexp) - int(info.nmant) - 1)  # the ulp of max
    overflow = Fraction(float(info.max)) + top_step / 2
    if abs(value) >= overflow:
        return dtype(np.inf) if value > 0 else dtype(-np.inf)
    return exact(x, y, z, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_fma_of_zeros_subnormals_overflow_infinities_and_nan(dtype):
    grid = np.array(np.meshgrid(*[np.asarray(_SPECIALS[dtype], dtype)] * 3)).reshape(3, -1)
    got = fma(grid[0], grid[1], grid[2])  # silently, as torch: NumPy's warnings are errors here
    expected = np.array([_exact_or_ieee(*triple, dtype) for triple in grid.T], dtype)
    same = (got == expected) & (np.signbit(got) == np.signbit(expected))
    same |= np.isnan(got) & np.isnan(expected)
    assert same.all(), [(tuple(grid[:, i]), got[i], expected[i]) for i in np.flatnonzero(~same)][:5]


def test_fma_rounds_each_element_alone_whatever_its_neighbours():
    # float32: a subnormal result next to a NaN still takes the exact path; float64: a sum
    # whose plain form overflows, but whose exact value rounds to the largest float
    x32 = np.float32([(1 + 2.0**-23) * 2.0**-75, np.nan])
    y32 = np.float32([(1 - 2.0**-23) * 2.0**-75, 1.0])
    z32 = np.float32([2.0**-140 + 2.0**-149, 1.0])
    got = fma(x32, y32, z32)
    assert got[0] == exact(x32[0], y32[0], z32[0], np.float32) and np.isnan(got[1])
    big = np.finfo(np.float64).max
    x64, y64 = np.float64([1 + 2.0**-52]), np.float64([(1 - 2.0**-52) * 2.0**970])
    assert fma(x64, y64, np.float64([big]))[0] == big
