"""exp and log as torch's CPU kernels compute them, to the bit: SLEEF's vector functions for
the lanes, glibc's scalar ones for the tails.

Which torch code calls which (torch 2.13 CPU, x86-64 with FMA):

* ``sleef_exp`` is at::vec::Vectorized<float|double>::exp(), i.e. Sleef_expf16_u10 and
  Sleef_expd8_u10 (the AVX2 build calls Sleef_expf8_u10 and Sleef_expd4_u10: the same
  arithmetic on fewer lanes). It runs in the vector lanes of softmax and log_softmax and
  their backward passes (cpu/SoftMaxKernel.cpp), of sigmoid's vector lambda
  (cpu/UnaryOpsKernel.cpp) and of GELU's erf and pdf (cpu/GeluKernel.cpp).
* ``sleef_log`` is Vectorized<float|double>::log(), Sleef_logf16_u10 and Sleef_logd8_u10:
  log_softmax's log of each row's sum of exponentials.
* ``glibc_exp`` is std::exp, glibc's expf and exp (2.28 and later, the FMA variants that
  x86-64 selects at load time): the scalar tails of the same kernels, the elements left
  over when a row does not fill the last vector.
* ``glibc_log`` is std::log, glibc's logf and log (FMA variants): kernels written as scalar
  loops only, such as binary_cross_entropy's.
* Not here: the elementwise ops torch.exp and torch.log call MKL's VML, whose code is not
  public; NumPy's np.exp and np.log are within a few ULP of them (reference/tolerances.py).

``lanes(dtype)`` is how many elements one Vectorized<dtype> holds in the kernel build that
runs. torch picks the build once, from the CPU (AVX512 when it has AVX512VL, BW, DQ and FMA,
else AVX2 when it has AVX2 and FMA) or from the environment variable ATEN_CPU_CAPABILITY. A
kernel registered for AVX512 runs with 64-byte vectors there (16 float32 lanes, 8 float64);
one registered with plain REGISTER_DISPATCH runs its AVX2 build with 32-byte vectors. torch's
scalar build (DEFAULT), where Vectorized::exp is std::exp lane by lane, is not modelled.

Each function follows its source one operation at a time, with every multiply-add that the
build fuses emulated as one rounding. float32 arithmetic is carried in float64, where every
product of two float32 values is exact; a float32 multiply-add c + a b is then one float64
addition, rounded once, then to float32. Where the result of a step stays within one
binade [2^E, 2^(E+1)), the addition of a constant K = 1.5 2^(E+29) makes the float64
addition itself round at float32's spacing there, 2^(E-23) (ties to even), so that step
rounds exactly once. Elsewhere the float64 sum can land exactly halfway between two
float32 values when the exact sum is not; those rare elements are redone exactly.
float64 multiply-adds use Dekker's exact product, Knuth's exact sum and Boldo and
Melquiond's rounding to odd (see manual/_parity/rounding.py).

Reference: SLEEF 3.x src/libm/sleefsimdsp.c (``xexpf``, ``xlogf_u1``) and sleefsimddp.c
(``xexp``, ``xlog_u1``) with the FMA helpers (helperavx512f.h, helperavx2.h);
aten/src/ATen/cpu/vec/vec512/vec512_float.h and vec512_double.h (``exp``, ``log``);
glibc sysdeps/ieee754/flt-32/e_expf.c, e_logf.c and dbl-64/e_exp.c, e_log.c with their
data tables; aten/src/ATen/native/DispatchStub.cpp (``compute_cpu_capability``).
"""

from __future__ import annotations

import decimal
import functools
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

_f32, _f64 = np.float32, np.float64


# -- which build runs ---------------------------------------------------------------------------

@functools.cache
def capability() -> str:
    """torch's CPU capability: "AVX512", "AVX2" or "DEFAULT", as torch decides it."""
    chosen = os.environ.get("ATEN_CPU_CAPABILITY")
    if chosen in ("avx512", "avx2", "default"):
        return chosen.upper()
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:  # no /proc: another system, assumed to have AVX2 and FMA
        return "AVX2"
    if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
        return "AVX512"
    return "AVX2" if {"avx2", "fma"} <= flags else "DEFAULT"


def lanes(dtype: np.dtype, avx512_kernel: bool = True) -> int:
    """Elements of one Vectorized<dtype>: 64-byte vectors for a kernel with an AVX512 build
    on a CPU that runs it, 32-byte ones otherwise."""
    width = 64 if avx512_kernel and capability() == "AVX512" else 32
    return width // np.dtype(dtype).itemsize


# -- the four functions, by dtype ------------------------------------------------------------------

def sleef_exp(x: np.ndarray) -> np.ndarray:
    """Vectorized<T>::exp(): SLEEF's expf (float32) or exp (float64), elementwise."""
    x = np.asarray(x)
    return _blockwise(_sleef_expf if x.dtype == _f32 else _sleef_exp, x)


def sleef_log(x: np.ndarray) -> np.ndarray:
    """Vectorized<T>::log(): SLEEF's logf (float32) or log (float64), elementwise."""
    x = np.asarray(x)
    return _blockwise(_sleef_logf if x.dtype == _f32 else _sleef_log, x)


def glibc_exp(x: np.ndarray) -> np.ndarray:
    """std::exp: glibc's expf (float32) or exp (float64), elementwise."""
    x = np.asarray(x)
    return _blockwise(_glibc_expf if x.dtype == _f32 else _glibc_exp, x)


def glibc_log(x: np.ndarray) -> np.ndarray:
    """std::log: glibc's logf (float32) or log (float64), elementwise."""
    x = np.asarray(x)
    return _blockwise(_glibc_logf if x.dtype == _f32 else _glibc_log, x)


_BLOCK = 8192  # elements per block: every temporary stays under malloc's mmap threshold


def _blockwise(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """function(x) computed a block at a time: the temporaries of one block are reused by
    the next, in cache, where arrays of the whole size would be fresh pages every time.
    An empty x comes back as it is, of any dtype."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    with np.errstate(all="ignore"):  # NaN, overflow: the values are torch's, silently
        for start in range(0, flat.size, _BLOCK):
            out[start:start + _BLOCK] = function(flat[start:start + _BLOCK])
    return out.reshape(x.shape)


# -- exact roundings ----------------------------------------------------------------------------

_LOW29, _HALF29 = np.uint64((1 << 29) - 1), np.uint64(1 << 28)  # the bits float32 drops
_TINY32 = float(np.finfo(_f32).tiny)


def _binade_constant(e: int) -> float:  # pragma: no mutate block (import time)
    """K = 1.5 2^(E+29): (x + K) - K rounds x to a multiple of 2^(E-23), float32's spacing
    in [2^E, 2^(E+1)), ties to even, in one float64 addition."""
    return 1.5 * 2.0 ** (e + 29)


def _to_float32(w: np.ndarray, a: Any, b: Any, c: Any) -> np.ndarray:
    """w = a b + c summed in float64, to float32, rounded once: where w landed exactly
    halfway between two float32 values, or among float32's subnormals, the exact sum may
    round otherwise, so those rare elements are redone: the exact product plus c rounded to
    odd in float64, then to float32 (53 bits >= 24 + 2: that second rounding is right)."""
    out = w.astype(_f32)
    redo = (w.view(np.uint64) & _LOW29) == _HALF29
    redo |= (np.abs(w) < _TINY32) & (w != 0)  # an exact 0 is exact
    if redo.any():
        a, b, c = (np.broadcast_to(np.asarray(v, _f64), w.shape)[redo] for v in (a, b, c))
        out[redo] = _odd_sum(c, a * b).astype(_f32)
    return out


def _fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """a b + c for float32, rounded once: the product is exact in float64."""
    w = np.multiply(a, b, dtype=_f64)
    w += c
    return _to_float32(w, a, b, c)


def _split(a: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """hi + lo == a exactly, each with at most 26 significant bits (Veltkamp)."""
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s + e == a + b exactly, s = round(a + b) (Knuth)."""
    s = a + b
    b_virtual = s - a
    return s, (a - (s - b_virtual)) + (b - b_virtual)


def _odd_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd: if inexact, of the two neighbours the one whose last bit is 1
    (the sum rounded toward zero, with its last bit set)."""
    s, e = _two_sum(a, b)
    inexact = e != 0
    beyond = inexact & (np.signbit(e) != np.signbit(s))  # |s| > |a + b|: one step down
    return ((s.view(np.int64) - beyond) | inexact).view(_f64)


def _fma64(a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float) -> np.ndarray:
    """a b + c in float64, rounded once (Boldo and Melquiond): the exact product p_hi + p_lo,
    the exact sum c + p_hi = s + s_lo, and s + (s_lo + p_lo), the inner sum rounded to odd.
    For the finite, moderate operands of these functions (a product below 2^-969 loses bits
    only far below the last one of c, which then decides the result)."""
    p = a * b
    a_hi, a_lo = _split(a)  # a constant (a Python float) is split in Python
    b_hi, b_lo = _split(b)
    p_lo = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s, s_lo = _two_sum(c, p)
    return s + _odd_sum(s_lo, p_lo)


# -- SLEEF: expf, exp ---------------------------------------------------------------------------

_R_LN2F = float(_f32(1.442695040888963407359924681001892137426645954152985934135449406931))
_L2UF, _L2LF = float(_f32(0.693145751953125)), float(_f32(1.428606765330187045e-06))
_EXPF_POLY = tuple(float(_f32(c)) for c in (
    1.98527617612853646278381e-4, 1.39304355252534151077271e-3, 8.33336077630519866943359e-3,
    4.16664853692054748535156e-2, 0.166666671633720397949219, 0.5))
# the first four Horner steps, u = fma(u, s, c), each stay in one binade for |s| <= ln2 / 2:
# [2^-10, 2^-9), [2^-7, 2^-6), [2^-5, 2^-4), [2^-3, 2^-2)
_EXPF_STEPS = tuple((c, _binade_constant(e)) for c, e in zip(_EXPF_POLY[1:5], (-10, -7, -5, -3)))
# the last, fma(u, s, 0.5), lies in [2^-2, 2^-1] for s < 0 and in [2^-1, 2^0) otherwise: its
# constant is 1.5 2^27 or 1.5 2^28, 1.125 2^28 -+ 0.375 2^28 by the sign of s
_EXPF_LAST = (0.5 + 1.125 * 2.0**28, 0.375 * 2.0**28)


def _sleef_expf(d: np.ndarray) -> np.ndarray:
    """SLEEF's xexpf, every vmla a fused multiply-add:

    1. q = rint(d log2(e)), the product rounded to float32 first, half to even
    2. s = fma(q, -L2L, fma(q, -L2U, d))         d - q ln2 in two parts (Cody and Waite)
    3. u = P(s), five Horner steps fma(u, s, c); u = 1 + fma(s s, u, s)
    4. u 2^q, as two multiplies (2^(q/2) twice): rounded once, as ldexp rounds
    5. d < -104 gives 0, d > 100 gives inf, NaN stays NaN

    Carried in float64: the first step of (2) is exact in float32 too (d - q L2U is a
    multiple of 2^-25 below 2^-1 in size), and the second is exact in float64 (its bits span
    2^-1 to 2^-43), so it rounds once to float32."""
    x = np.clip(d, -105, 100).astype(_f64)  # (5) past -104 the result rounds to 0 anyway
    q = np.rint((x * _R_LN2F).astype(_f32))                       # (1)
    s = q.astype(_f64)                                            # (2), in place: q L2U,
    t = s * _L2LF                                                 # q L2L,
    s *= -_L2UF
    s += x                                                        # d - q L2U (exact),
    s -= t                                                        # - q L2L,
    np.copyto(s, s.astype(_f32))                                  # rounded to float32
    u = x                                                         # (3) fma(u, s, c) in x's place
    u.fill(_EXPF_POLY[0])
    for c, k in _EXPF_STEPS:
        u *= s
        u += c + k
        u -= k
    last = np.copysign(_EXPF_LAST[1], s, out=t)                   # (3) fma(u, s, 0.5)
    last += _EXPF_LAST[0]
    u *= s
    u += last
    last -= 0.5
    u -= last
    s2 = np.multiply(s, s, out=t)                                 # (3) fma(s s, u, s)
    np.copyto(s2, s2.astype(_f32))
    v = _to_float32(s2 * u + s, s2, u, s)
    return np.ldexp(_f32(1) + v, q.astype(np.int32))              # (3), (4)


_R_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931
_L2U = .69314718055966295651160180568695068359375
_L2L = .28235290563031577122588448175013436025525412068e-12
_EXP_POLY = (0.2081276378237164457e-8, 0.2511210703042288022e-7, 0.2755762628169491192e-6,
             0.2755723402025388239e-5, 0.2480158687479686264e-4, 0.1984126989855865850e-3,
             0.1388888888914497797e-2, 0.8333333333314938210e-2, 0.4166666666666602598e-1,
             0.1666666666666669072e+0)
_EXP_OVERFLOW = 709.78271114955742909217217426


def _sleef_exp(d: np.ndarray) -> np.ndarray:
    """SLEEF's xexp, every vmla a fused multiply-add:

    1. q = rint(d log2(e)); s = fma(q, -L2L, d - q L2U)   (q L2U and the difference exact)
    2. u = POLY10(s) in Estrin's scheme (pairs, then s^2, s^4, s^8), every step an FMA
    3. u = fma(u, s, 0.5), fma(u, s, 1), fma(u, s, 1)
    4. u 2^q, rounded once; d > 709.78271114955742909217217426 gives inf (a little below
       the overflow threshold), d < -1000 gives 0, NaN stays NaN"""
    x = np.clip(d, -1001.0, 710.0)  # (4) beyond, 0 and inf come out of the arithmetic
    q = np.rint(x * _R_LN2)                                       # (1)
    s = _fma64(q, -_L2L, x - q * _L2U)                            # (1)
    s2 = s * s
    s4 = s2 * s2
    c9, c8, c7, c6, c5, c4, c3, c2, c1, c0 = _EXP_POLY
    low = _fma64(s2, _fma64(s, c3, c2), _fma64(s, c1, c0))        # (2)
    high = _fma64(s2, _fma64(s, c7, c6), _fma64(s, c5, c4))
    u = _fma64(s4 * s4, _fma64(s, c9, c8), _fma64(s4, high, low))
    for c in (0.5, 1.0, 1.0):                                     # (3)
        u = _fma64(u, s, c)
    u = np.ldexp(u, q.astype(np.int64))                           # (4)
    return np.where(x > _EXP_OVERFLOW, np.inf, u)


# -- SLEEF: logf, log ----------------------------------------------------------------------------

def _log_specials(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """log 0 = -inf, log of a negative number NaN, log inf = inf, NaN stays NaN."""
    r = np.where(d == 0, -np.inf, r)
    r = np.where(d < 0, np.nan, r)
    return np.where(np.isposinf(d) | np.isnan(d), d, r).astype(d.dtype)


def _exponent_and_mantissa(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SLEEF's AVX512 split of d > 0: e = getexp(d (1/0.75)), the product rounded to d's
    dtype, and m = getmant(d) in [0.75, 1.5), from d itself (so near 1.5 2^k the two may
    disagree by one, as in SLEEF)."""
    dtype = d.dtype.type
    scaled = d * dtype(1 / 0.75)
    _, e = np.frexp(scaled)
    e = np.where(np.isinf(scaled), np.finfo(dtype).maxexp + 1, e)  # getexp(inf): 128 (1024)
    m, _ = np.frexp(d)
    return (e - 1).astype(d.dtype), np.where(m >= 0.75, m, m * 2).astype(d.dtype)


def _df_add(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SLEEF's dfadd2: x + y as an unevaluated sum (hi, lo), exact."""
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _sleef_logf(d: np.ndarray) -> np.ndarray:
    """SLEEF's xlogf_u1 (AVX512 path; the AVX2 path computes the same e and m):

    1. d = m 2^e, m in [0.75, 1.5)
    2. x = (m - 1) / (m + 1) as a double-float (dfdiv); x2 = x.hi^2
    3. t = fma(fma(0.3027294874, x2, 0.3996108174), x2, 0.6666694880)
    4. s = ln2 e + 2 x + x.hi x2 t, in double-float additions; the result s.hi + s.lo"""
    f = _f32
    ok = np.isfinite(d) & (d > 0)
    e, m = _exponent_and_mantissa(np.where(ok, d, f(1)))          # (1)
    ln2_hi, ln2_lo = f(0.69314718246459960938), f(-1.904654323148236017e-09)
    sx = ln2_hi * e                                               # (4) ln2 e as (sx, sy)
    sy = _fma32(ln2_lo, e, _fma32(ln2_hi, e, -sx))
    nx, ny = _df_add(np.full_like(m, f(-1)), m)                   # (2) m - 1 and m + 1
    dx, dy = _df_add(np.full_like(m, f(1)), m)
    t = f(1) / dx
    xx = nx * t
    v = _fma32(-dy, t, _fma32(-dx, t, f(1)))
    xy = _fma32(xx, v, _fma32(ny, t, _fma32(t, nx, -xx)))
    x2 = xx * xx
    t = _fma32(_fma32(np.full_like(x2, f(0.3027294874)), x2, f(0.3996108174)), x2, f(0.6666694880))
    hi = sx + xx * f(2)                                           # (4) + 2 x
    lo = (((sx - hi) + xx * f(2)) + sy) + xy * f(2)
    w = (x2 * xx) * t                                             # (4) + x^3 t
    top = hi + w
    return _log_specials(d, top + (((hi - top) + w) + lo))


_LOG_POLY = (0.1532076988502701353e+0, 0.1525629051003428716e+0, 0.1818605932937785996e+0,
             0.2222214519839380009e+0, 0.2857142932794299317e+0, 0.3999999999635251990e+0,
             0.6666666666667333541e+0)


def _sleef_log(d: np.ndarray) -> np.ndarray:
    """SLEEF's xlog_u1 (AVX512 path): as logf in double-double, with POLY7 in Estrin's
    scheme for t."""
    ok = np.isfinite(d) & (d > 0)
    e, m = _exponent_and_mantissa(np.where(ok, d, 1.0))
    nx, ny = _df_add(np.full_like(m, -1.0), m)
    dx, dy = _df_add(np.full_like(m, 1.0), m)
    t = 1.0 / dx
    xx = nx * t
    v = _fma64(-dy, t, _fma64(-dx, t, 1.0))
    xy = _fma64(xx, v, _fma64(ny, t, _fma64(t, nx, -xx)))
    x2 = xx * xx
    x4 = x2 * x2
    c6, c5, c4, c3, c2, c1, c0 = _LOG_POLY
    t = _fma64(x4 * x4, _fma64(x4, c6, _fma64(x2, c5, c4)),
               _fma64(x4, _fma64(x2, c3, c2), _fma64(x2, c1, c0)))
    ln2_hi, ln2_lo = 0.693147180559945286226764, 2.319046813846299558417771e-17
    sx = ln2_hi * e
    sy = _fma64(ln2_lo, e, _fma64(ln2_hi, e, -sx))
    hi = sx + xx * 2.0
    lo = (((sx - hi) + xx * 2.0) + sy) + xy * 2.0
    w = (x2 * xx) * t
    top = hi + w
    return _log_specials(d, top + (((hi - top) + w) + lo))


# -- glibc: expf, exp -----------------------------------------------------------------------------

def _powers_of_two(n: int) -> list[tuple[float, float]]:  # pragma: no mutate block (import time)
    """2^(i/n) for i < n, each as its nearest double H and the relative rest (2^(i/n) - H)/H
    rounded: the values glibc's tables hold (e_exp2f_data.c, e_exp_data.c)."""
    context = decimal.Context(prec=60)
    out = []
    for i in range(n):
        exact = Fraction(context.power(decimal.Decimal(2), decimal.Decimal(i) / n))
        nearest = float(exact)
        out.append((nearest, float((exact - Fraction(nearest)) / Fraction(nearest))))
    return out


_SHIFT = float.fromhex("0x1.8p52")
# expf: N = 32, T[i] = bits(2^(i/32)) - (i << 47); exp: N = 128, (tail, bits - (i << 45))
_EXPF_TABLE = np.array([_f64(h).view(np.uint64) - np.uint64(i << 47)
                        for i, (h, _) in enumerate(_powers_of_two(32))], np.uint64)
_EXP_TABLE = np.array([(_f64(tail).view(np.uint64), _f64(h).view(np.uint64) - np.uint64(i << 45))
                       for i, (h, tail) in enumerate(_powers_of_two(128))], np.uint64)
_EXPF_INVLN2N = float.fromhex("0x1.71547652b82fep+0") * 32
_EXPF_C = (float.fromhex("0x1.c6af84b912394p-5") / 32**3, float.fromhex("0x1.ebfce50fac4f3p-3")
           / 32**2, float.fromhex("0x1.62e42ff0c52d6p-1") / 32)


def _glibc_expf(x: np.ndarray) -> np.ndarray:
    """glibc's expf, in double: z = x 32/ln2, k = round(z), r = z - k;
    2^(k/32) from the table times fma(fma(C0, r, C1), r^2, fma(C2, r, 1)), then to float.
    x > 0x1.62e42ep6 gives inf, x < -0x1.9fe368p6 gives 0."""
    xd = np.where(np.isfinite(x), x, _f32(0)).astype(_f64)
    z = _EXPF_INVLN2N * xd
    kd = z + _SHIFT
    ki = kd.view(np.uint64)
    r = z - (kd - _SHIFT)
    scale = (_EXPF_TABLE[(ki % 32).astype(np.intp)] + (ki << np.uint64(47))).view(_f64)
    c0, c1, c2 = _EXPF_C
    y = _fma64(_fma64(c0, r, c1), r * r, _fma64(c2, r, 1.0))
    y = (y * scale).astype(_f32)
    y = np.where(x > _f32(float.fromhex("0x1.62e42ep6")), np.inf, y)
    y = np.where(x < _f32(-float.fromhex("0x1.9fe368p6")), 0, y)
    return np.where(np.isnan(x), x, y).astype(_f32)


_EXP_INVLN2N = float.fromhex("0x1.71547652b82fep0") * 128
_EXP_LN2_HI = float.fromhex("0x1.62e42fefa0000p-8")
_EXP_LN2_LO = float.fromhex("0x1.cf79abc9e3b3ap-47")
_EXP_C = tuple(float.fromhex(c) for c in ("0x1.ffffffffffdbdp-2", "0x1.555555555543cp-3",
                                            "0x1.55555cf172b91p-5", "0x1.1111167a4d017p-7"))


def _glibc_exp(x: np.ndarray) -> np.ndarray:
    """glibc's exp: k = round(x 128/ln2), r = x - k ln2/128 (two FMAs); 2^(k/128) from the
    table (its value and a tail); tmp = tail + r + r^2 P(r) (FMAs); scale + scale tmp as
    one FMA. 512 <= |x| < 1024 scales in two steps (specialcase: fused for k > 0 only);
    |x| < 2^-54 gives 1 + x; beyond 1024, 0 or inf."""
    x = np.asarray(x, _f64)
    ax = np.abs(x)
    tiny, huge = ax < 2.0**-54, ~(ax < 1024.0)
    xm = np.where(tiny | huge, 0.0, x)
    kd = _EXP_INVLN2N * xm + _SHIFT
    ki = kd.view(np.uint64)
    kd = kd - _SHIFT
    r = _fma64(kd, -_EXP_LN2_LO, _fma64(kd, -_EXP_LN2_HI, xm))
    index = 2 * (ki % 128).astype(np.intp)
    tail, sbits = _EXP_TABLE.reshape(-1)[index].view(_f64), _EXP_TABLE.reshape(-1)[index + 1]
    sbits = sbits + (ki << np.uint64(45))
    r2 = r * r
    c2, c3, c4, c5 = _EXP_C
    tmp = _fma64(r2 * r2, _fma64(r, c5, c4), _fma64(r2, _fma64(r, c3, c2), tail + r))
    scale = sbits.view(_f64)
    y = np.where(ax < 512.0, _fma64(scale, tmp, scale), _exp_special(ki, sbits, tmp))
    y = np.where(tiny, 1.0 + x, y)
    y = np.where(huge, np.where(x > 0, np.inf, 0.0), y)
    return np.where(np.isnan(x), x, y)


def _exp_special(ki: np.ndarray, sbits: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """glibc's specialcase() for 512 <= |x| < 1024: for k > 0 the scale is lowered by
    2^1009, fused, and raised again; for k < 0 it is raised by 2^1022 and the sum is
    taken apart so that the subnormal result rounds once (each operation rounded)."""
    up = (sbits - np.uint64(1009 << 52)).view(_f64)
    high = 2.0**1009 * _fma64(up, tmp, up)
    down = (sbits + np.uint64(1022 << 52)).view(_f64)
    y = down + down * tmp
    lo = down - y + down * tmp
    one = 1.0 + y
    lo = 1.0 - one + y + lo
    y = np.where(y < 1.0, ((one + lo) - 1.0) + 0.0, y)  # + 0.0: no -0 (glibc's fix)
    return np.where((ki & np.uint64(0x80000000)) == 0, high, 2.0**-1022 * y)


# -- glibc: logf, log -----------------------------------------------------------------------------

def _glibc_logf(x: np.ndarray) -> np.ndarray:
    """glibc's logf, in double: x = 2^k z with z in [0x3f330000, 2 0x3f330000) (as bits),
    c near z from a 16-entry table; r = fma(z, 1/c, -1);
    y = fma(fma(A0, r^2, fma(A1, r, A2)), r^2, fma(k, ln2, log c) + r), then to float."""
    subnormal = (x > 0) & (x < np.finfo(_f32).tiny)
    normal = np.where(subnormal, x * _f32(2.0**23), np.where(x > 0, x, _f32(1)))
    bits = normal.view(np.uint32).astype(np.int64) - np.where(subnormal, 23 << 23, 0)
    tmp = bits - 0x3F330000
    i = (tmp >> 19) % 16
    k = (tmp >> 23).astype(_f64)
    z = (bits - (tmp & (0x1FF << 23))).astype(np.uint32).view(_f32).astype(_f64)
    invc, logc = _LOGF_TABLE[i, 0], _LOGF_TABLE[i, 1]
    r = _fma64(z, invc, -1.0)
    r2 = r * r
    a0, a1, a2 = _LOGF_POLY
    y = _fma64(_fma64(a0, r2, _fma64(a1, r, a2)), r2, _fma64(k, _LN2, logc) + r)
    return _log_specials(x, y.astype(_f32))


def _glibc_log(x: np.ndarray) -> np.ndarray:
    """glibc's log: near 1 (1 - 2^-4 < x < 1 + 0x1.09p-4) a degree-11 polynomial in r = x - 1
    with r^2 / 2 split exactly; elsewhere x = 2^k z, c near z from a 128-entry table,
    r = fma(z, 1/c, -1), hi + lo = k ln2 + log c + r, and
    y = lo + r^2 A0 + r^3 (A1 + r A2 + r^2 (A3 + r A4)) + hi (FMAs where a product is added)."""
    near = (x > 1 - 2.0**-4) & (x < 1 + float.fromhex("0x1.09p-4"))
    subnormal = (x > 0) & (x < np.finfo(_f64).tiny)
    normal = np.where(subnormal, x * 2.0**52, np.where(x > 0, x, 1.0))
    bits = normal.view(np.int64) - np.where(subnormal, 52 << 52, 0)
    tmp = bits - 0x3FE6000000000000
    i = (tmp >> 45) % 128
    k = (tmp >> 52).astype(_f64)
    z = (bits - (tmp & np.int64(-1 << 52))).view(_f64)  # tmp's top 12 bits
    invc, logc = _LOG_TABLE[i, 0], _LOG_TABLE[i, 1]
    r = _fma64(z, invc, -1.0)
    w = _fma64(k, _LN2_HI, logc)
    hi = w + r
    lo = _fma64(k, _LN2_LO, (w - hi) + r)
    r2 = r * r
    a0, a1, a2, a3, a4 = _LOG_POLY_GLIBC
    tail = _fma64(r2, _fma64(r, a4, a3), _fma64(r, a2, a1))
    y = _fma64(r * r2, tail, _fma64(r2, a0, lo)) + hi
    y = np.where(near, _log_near_one(np.where(near, x, 1.0)), y)
    return _log_specials(x, y)


def _log_near_one(x: np.ndarray) -> np.ndarray:
    """glibc's log for x near 1: r = x - 1, r^3 B(r) (Horner in r^3 over groups of three,
    FMAs) + lo + hi, where hi + lo = r - r^2 / 2 with r split at 2^27 so that r_hi^2 / 2 is
    exact."""
    b = _LOG_POLY1
    r = x - 1.0
    r2 = r * r
    r3 = r * r2
    inner = _fma64(r3, b[10], _fma64(r2, b[9], _fma64(r, b[8], b[7])))
    middle = _fma64(r3, inner, _fma64(r2, b[6], _fma64(r, b[5], b[4])))
    poly = _fma64(r3, middle, _fma64(r2, b[3], _fma64(r, b[2], b[1])))
    w = r * 2.0**27
    r_hi = (r + w) - w
    r_lo = r - r_hi
    w = r_hi * r_hi * b[0]
    hi = r + w
    lo = (r - hi) + w
    lo = _fma64(b[0] * r_lo, r_hi + r, lo)
    return _fma64(r3, poly, lo) + hi  # y = r^3 B(r), then y + lo: fused


# -- glibc's log tables (e_logf_data.c, e_log_data.c): 1/c and log(c) for each subinterval ------

def _hex_table(text: str) -> np.ndarray:  # pragma: no mutate block (import time)
    """Pairs of hexadecimal floats, (1/c, log c) per row."""
    return np.array([float.fromhex(v) for v in text.split()]).reshape(-1, 2)


_LN2 = float.fromhex("0x1.62e42fefa39efp-1")
_LOGF_POLY = tuple(float.fromhex(a) for a in (
    "-0x1.00ea348b88334p-2", "0x1.5575b0be00b6ap-2", "-0x1.ffffef20a4123p-2"))
_LOGF_TABLE = _hex_table("""
    0x1.661ec79f8f3bep+0 -0x1.57bf7808caadep-2  0x1.571ed4aaf883dp+0 -0x1.2bef0a7c06ddbp-2
    0x1.49539f0f010bp+0 -0x1.01eae7f513a67p-2   0x1.3c995b0b80385p+0 -0x1.b31d8a68224e9p-3
    0x1.30d190c8864a5p+0 -0x1.6574f0ac07758p-3  0x1.25e227b0b8eap+0 -0x1.1aa2bc79c81p-3
    0x1.1bb4a4a1a343fp+0 -0x1.a4e76ce8c0e5ep-4  0x1.12358f08ae5bap+0 -0x1.1973c5a611cccp-4
    0x1.0953f419900a7p+0 -0x1.252f438e10c1ep-5  0x1p+0 0x0p+0
    0x1.e608cfd9a47acp-1 0x1.aa5aa5df25984p-5   0x1.ca4b31f026aap-1 0x1.c5e53aa362eb4p-4
    0x1.b2036576afce6p-1 0x1.526e57720db08p-3   0x1.9c2d163a1aa2dp-1 0x1.bc2860d22477p-3
    0x1.886e6037841edp-1 0x1.1058bc8a07ee1p-2   0x1.767dcf5534862p-1 0x1.4043057b6ee09p-2
""")
_LN2_HI, _LN2_LO = float.fromhex("0x1.62e42fefa3800p-1"), float.fromhex("0x1.ef35793c76730p-45")
_LOG_POLY1 = tuple(float.fromhex(b) for b in (
    "-0x1p-1", "0x1.5555555555577p-2", "-0x1.ffffffffffdcbp-3", "0x1.999999995dd0cp-3",
    "-0x1.55555556745a7p-3", "0x1.24924a344de3p-3", "-0x1.fffffa4423d65p-4",
    "0x1.c7184282ad6cap-4", "-0x1.999eb43b068ffp-4", "0x1.78182f7afd085p-4",
    "-0x1.5521375d145cdp-4"))
_LOG_POLY_GLIBC = tuple(float.fromhex(a) for a in (
    "-0x1.0000000000001p-1", "0x1.555555551305bp-2", "-0x1.fffffffeb459p-3",
    "0x1.999b324f10111p-3", "-0x1.55575e506c89fp-3"))
_LOG_TABLE = _hex_table("""
    0x1.734f0c3e0de9fp+0 -0x1.7cc7f79e69000p-2  0x1.713786a2ce91fp+0 -0x1.76feec20d0000p-2
    0x1.6f26008fab5a0p+0 -0x1.713e31351e000p-2  0x1.6d1a61f138c7dp+0 -0x1.6b85b38287800p-2
    0x1.6b1490bc5b4d1p+0 -0x1.65d5590807800p-2  0x1.69147332f0cbap+0 -0x1.602d076180000p-2
    0x1.6719f18224223p+0 -0x1.5a8ca86909000p-2  0x1.6524f99a51ed9p+0 -0x1.54f4356035000p-2
    0x1.63356aa8f24c4p+0 -0x1.4f637c36b4000p-2  0x1.614b36b9ddc14p+0 -0x1.49da7fda85000p-2
    0x1.5f66452c65c4cp+0 -0x1.445923989a800p-2  0x1.5d867b5912c4fp+0 -0x1.3edf439b0b800p-2
    0x1.5babccb5b90dep+0 -0x1.396ce448f7000p-2  0x1.59d61f2d91a78p+0 -0x1.3401e17bda000p-2
    0x1.5805612465687p+0 -0x1.2e9e2ef468000p-2  0x1.56397cee76bd3p+0 -0x1.2941b3830e000p-2
    0x1.54725e2a77f93p+0 -0x1.23ec58cda8800p-2  0x1.52aff42064583p+0 -0x1.1e9e129279000p-2
    0x1.50f22dbb2bddfp+0 -0x1.1956d2b48f800p-2  0x1.4f38f4734ded7p+0 -0x1.141679ab9f800p-2
    0x1.4d843cfde2840p+0 -0x1.0edd094ef9800p-2  0x1.4bd3ec078a3c8p+0 -0x1.09aa518db1000p-2
    0x1.4a27fc3e0258ap+0 -0x1.047e65263b800p-2  0x1.4880524d48434p+0 -0x1.feb224586f000p-3
    0x1.46dce1b192d0bp+0 -0x1.f474a7517b000p-3  0x1.453d9d3391854p+0 -0x1.ea4443d103000p-3
    0x1.43a2744b4845ap+0 -0x1.e020d44e9b000p-3  0x1.420b54115f8fbp+0 -0x1.d60a22977f000p-3
    0x1.40782da3ef4b1p+0 -0x1.cc00104959000p-3  0x1.3ee8f5d57fe8fp+0 -0x1.c202956891000p-3
    0x1.3d5d9a00b4ce9p+0 -0x1.b81178d811000p-3  0x1.3bd60c010c12bp+0 -0x1.ae2c9ccd3d000p-3
    0x1.3a5242b75dab8p+0 -0x1.a45402e129000p-3  0x1.38d22cd9fd002p+0 -0x1.9a877681df000p-3
    0x1.3755bc5847a1cp+0 -0x1.90c6d69483000p-3  0x1.35dce49ad36e2p+0 -0x1.87120a645c000p-3
    0x1.34679984dd440p+0 -0x1.7d68fb4143000p-3  0x1.32f5cceffcb24p+0 -0x1.73cb83c627000p-3
    0x1.3187775a10d49p+0 -0x1.6a39a9b376000p-3  0x1.301c8373e3990p+0 -0x1.60b3154b7a000p-3
    0x1.2eb4ebb95f841p+0 -0x1.5737d76243000p-3  0x1.2d50a0219a9d1p+0 -0x1.4dc7b8fc23000p-3
    0x1.2bef9a8b7fd2ap+0 -0x1.4462c51d20000p-3  0x1.2a91c7a0c1babp+0 -0x1.3b08abc830000p-3
    0x1.293726014b530p+0 -0x1.31b996b490000p-3  0x1.27dfa5757a1f5p+0 -0x1.2875490a44000p-3
    0x1.268b39b1d3bbfp+0 -0x1.1f3b9f879a000p-3  0x1.2539d838ff5bdp+0 -0x1.160c8252ca000p-3
    0x1.23eb7aac9083bp+0 -0x1.0ce7f57f72000p-3  0x1.22a012ba940b6p+0 -0x1.03cdc49fea000p-3
    0x1.2157996cc4132p+0 -0x1.f57bdbc4b8000p-4  0x1.201201dd2fc9bp+0 -0x1.e370896404000p-4
    0x1.1ecf4494d480bp+0 -0x1.d17983ef94000p-4  0x1.1d8f5528f6569p+0 -0x1.bf9674ed8a000p-4
    0x1.1c52311577e7cp+0 -0x1.adc79202f6000p-4  0x1.1b17c74cb26e9p+0 -0x1.9c0c3e7288000p-4
    0x1.19e010c2c1ab6p+0 -0x1.8a646b372c000p-4  0x1.18ab07bb670bdp+0 -0x1.78d01b3ac0000p-4
    0x1.1778a25efbcb6p+0 -0x1.674f145380000p-4  0x1.1648d354c31dap+0 -0x1.55e0e6d878000p-4
    0x1.151b990275fddp+0 -0x1.4485cdea1e000p-4  0x1.13f0ea432d24cp+0 -0x1.333d94d6aa000p-4
    0x1.12c8b7210f9dap+0 -0x1.22079f8c56000p-4  0x1.11a3028ecb531p+0 -0x1.10e4698622000p-4
    0x1.107fbda8434afp+0 -0x1.ffa6c6ad20000p-5  0x1.0f5ee0f4e6bb3p+0 -0x1.dda8d4a774000p-5
    0x1.0e4065d2a9fcep+0 -0x1.bbcece4850000p-5  0x1.0d244632ca521p+0 -0x1.9a1894012c000p-5
    0x1.0c0a77ce2981ap+0 -0x1.788583302c000p-5  0x1.0af2f83c636d1p+0 -0x1.5715e67d68000p-5
    0x1.09ddb98a01339p+0 -0x1.35c8a49658000p-5  0x1.08cabaf52e7dfp+0 -0x1.149e364154000p-5
    0x1.07b9f2f4e28fbp+0 -0x1.e72c082eb8000p-6  0x1.06ab58c358f19p+0 -0x1.a55f152528000p-6
    0x1.059eea5ecf92cp+0 -0x1.63d62cf818000p-6  0x1.04949cdd12c90p+0 -0x1.228fb8caa0000p-6
    0x1.038c6c6f0ada9p+0 -0x1.c317b20f90000p-7  0x1.02865137932a9p+0 -0x1.419355daa0000p-7
    0x1.0182427ea7348p+0 -0x1.81203c2ec0000p-8  0x1.008040614b195p+0 -0x1.0040979240000p-9
    0x1.fe01ff726fa1ap-1 0x1.feff384900000p-9   0x1.fa11cc261ea74p-1 0x1.7dc41353d0000p-7
    0x1.f6310b081992ep-1 0x1.3cea3c4c28000p-6   0x1.f25f63ceeadcdp-1 0x1.b9fc114890000p-6
    0x1.ee9c8039113e7p-1 0x1.1b0d8ce110000p-5   0x1.eae8078cbb1abp-1 0x1.58a5bd001c000p-5
    0x1.e741aa29d0c9bp-1 0x1.95c8340d88000p-5   0x1.e3a91830a99b5p-1 0x1.d276aef578000p-5
    0x1.e01e009609a56p-1 0x1.07598e598c000p-4   0x1.dca01e577bb98p-1 0x1.253f5e30d2000p-4
    0x1.d92f20b7c9103p-1 0x1.42edd8b380000p-4   0x1.d5cac66fb5ccep-1 0x1.606598757c000p-4
    0x1.d272caa5ede9dp-1 0x1.7da76356a0000p-4   0x1.cf26e3e6b2ccdp-1 0x1.9ab434e1c6000p-4
    0x1.cbe6da2a77902p-1 0x1.b78c7bb0d6000p-4   0x1.c8b266d37086dp-1 0x1.d431332e72000p-4
    0x1.c5894bd5d5804p-1 0x1.f0a3171de6000p-4   0x1.c26b533bb9f8cp-1 0x1.067152b914000p-3
    0x1.bf583eeece73fp-1 0x1.147858292b000p-3   0x1.bc4fd75db96c1p-1 0x1.2266ecdca3000p-3
    0x1.b951e0c864a28p-1 0x1.303d7a6c55000p-3   0x1.b65e2c5ef3e2cp-1 0x1.3dfc33c331000p-3
    0x1.b374867c9888bp-1 0x1.4ba366b7a8000p-3   0x1.b094b211d304ap-1 0x1.5933928d1f000p-3
    0x1.adbe885f2ef7ep-1 0x1.66acd2418f000p-3   0x1.aaf1d31603da2p-1 0x1.740f8ec669000p-3
    0x1.a82e63fd358a7p-1 0x1.815c0f51af000p-3   0x1.a5740ef09738bp-1 0x1.8e92954f68000p-3
    0x1.a2c2a90ab4b27p-1 0x1.9bb3602f84000p-3   0x1.a01a01393f2d1p-1 0x1.a8bed1c2c0000p-3
    0x1.9d79f24db3c1bp-1 0x1.b5b515c01d000p-3   0x1.9ae2505c7b190p-1 0x1.c2967ccbcc000p-3
    0x1.9852ef297ce2fp-1 0x1.cf635d5486000p-3   0x1.95cbaeea44b75p-1 0x1.dc1bd3446c000p-3
    0x1.934c69de74838p-1 0x1.e8c01b8cfe000p-3   0x1.90d4f2f6752e6p-1 0x1.f5509c0179000p-3
    0x1.8e6528effd79dp-1 0x1.00e6c121fb800p-2   0x1.8bfce9fcc007cp-1 0x1.071b80e93d000p-2
    0x1.899c0dabec30ep-1 0x1.0d46b9e867000p-2   0x1.87427aa2317fbp-1 0x1.13687334bd000p-2
    0x1.84f00acb39a08p-1 0x1.1980d67234800p-2   0x1.82a49e8653e55p-1 0x1.1f8ffe0cc8000p-2
    0x1.8060195f40260p-1 0x1.2595fd7636800p-2   0x1.7e22563e0a329p-1 0x1.2b9300914a800p-2
    0x1.7beb377dcb5adp-1 0x1.3187210436000p-2   0x1.79baa679725c2p-1 0x1.377266dec1800p-2
    0x1.77907f2170657p-1 0x1.3d54ffbaf3000p-2   0x1.756cadbd6130cp-1 0x1.432eee32fe000p-2
""")
