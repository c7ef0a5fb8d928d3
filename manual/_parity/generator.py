"""The generator at torch's edges: its normal draws to the bit, and its state as torch's bytes.

Normal draws (``randn``, ``normal_``) take one of two paths in torch's CPU kernel:

* fewer than 16 elements, or a tensor that is not contiguous: one value at a time in double
  precision, Box-Muller with u1, u2 from two 53-bit uniforms (u1 drawn first):
  r = sqrt(-2 log1p(-u2)), theta = 2 pi u1; r cos(theta) is the value and r sin(theta) is
  kept in the generator for the next such draw (a cache shared by every dtype, cleared by
  ``manual_seed``); then value std + mean as one fused multiply-add.
* 16 or more: every uniform first (24 bits each for float32, 53 for float64), then blocks
  of 16, lane j pairing u1 = 1 - data[j] with u2 = data[j + 8]:
  data[j] = r cos(theta) std + mean, data[j + 8] = r sin(theta) std + mean, with
  r = sqrt(-2 log u1), theta = 2 pi u2. When the size is not a multiple of 16, 16 fresh
  uniforms overwrite the last 16 values and are transformed again.

The float64 block uses glibc's log, sin and cos (Python's ``math`` calls the same
functions). The float32 block runs torch's AVX2 kernel, whose log and sincos are Cephes
polynomials (avx_mathfun.h) that the compiler contracted into fused multiply-adds in
places; ``_log_ps`` and ``_sincos_ps`` replay that instruction sequence, so the values are
torch's to the bit. (torch holds no AVX512 copy of these kernels; a CPU with AVX2 or
AVX512 runs this one. A CPU without AVX2 runs a plain copy that rounds differently.)

State: torch's ``get_state()`` is 5056 bytes: the 64-bit seed, the Mersenne Twister's
``left`` and ``next`` counters and its 624 words (as 64-bit integers), then the two normal
caches. ``pack_state`` and ``unpack_state`` write and read that layout, so a generator can
take torch's state and go on with torch's stream.

Reference: aten/src/ATen/native/cpu/DistributionTemplates.h (``normal_kernel``,
``normal_fill``, ``normal_fill_16_AVX2``), aten/src/ATen/native/cpu/avx_mathfun.h
(``log256_ps``, ``sincos256_ps``), aten/src/ATen/core/DistributionsHelper.h
(``normal_distribution``), aten/src/ATen/CPUGeneratorImpl.cpp (``CPUGeneratorImplState``,
``get_state``, ``set_state``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from manual._parity.rounding import fma

STATE_SIZE = 5056  # sizeof(CPUGeneratorImplState)
WORDS = 624        # the Mersenne Twister's state
SMALL = 16         # below this many elements (or not contiguous), one value at a time

_f32 = np.float32
_C = {name: _f32(value) for name, value in dict(
    sqrt_half=0.707106781186547524,
    p0=7.0376836292E-2, p1=-1.1514610310E-1, p2=1.1676998740E-1, p3=-1.2420140846E-1,
    p4=+1.4249322787E-1, p5=-1.6668057665E-1, p6=+2.0000714765E-1, p7=-2.4999993993E-1,
    p8=+3.3333331174E-1, q1=-2.12194440e-4, q2=0.693359375,
    four_over_pi=1.27323954473516,
    dp1=-0.78515625, dp2=-2.4187564849853515625e-4, dp3=-3.77489497744594108e-8,
    s0=-1.9515295891E-4, s1=8.3321608736E-3, s2=-1.6666654611E-1,
    c0=2.443315711809948E-005, c1=-1.388731625493765E-003, c2=4.166664568298827E-002,
    two_pi=2.0 * math.pi,
).items()}


def normal_small(generator: Any, n: int, mean: float, std: float) -> np.ndarray:
    """n values of the one-at-a-time path, in float64 (the caller casts to its dtype)."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        if generator.next_double_normal is not None:  # the other half of the last pair
            out[i], generator.next_double_normal = generator.next_double_normal, None
            continue
        u1, u2 = generator.uniform01(2, np.float64).tolist()
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        generator.next_double_normal = radius * math.sin(theta)
        out[i] = radius * math.cos(theta)
    return fma(out, np.float64(std), np.full(n, mean, np.float64))  # value std + mean


def normal_fill(generator: Any, n: int, mean: float, std: float, dtype: np.dtype) -> np.ndarray:
    """n values of the block path, in ``dtype``."""
    data = generator.uniform01(n, dtype)
    blocks = n // SMALL * SMALL
    data[:blocks] = _fill16(data[:blocks].reshape(-1, SMALL), mean, std).ravel()
    if n % SMALL:  # 16 fresh uniforms redo the last 16 values
        tail = generator.uniform01(SMALL, dtype).reshape(1, SMALL)
        data[n - SMALL:] = _fill16(tail, mean, std).ravel()
    return data


def _fill16(block: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Box-Muller on blocks of 16 uniforms (rows): lane j with lane j + 8."""
    if block.dtype == np.float32:
        u1 = _f32(1) - block[:, :8]
        radius = np.sqrt(_log_ps(u1) * _f32(-2))
        sin, cos = _sincos_ps(_C["two_pi"] * block[:, 8:])
        mean, std = _f32(mean), _f32(std)
    else:
        u1 = 1.0 - block[:, :8]
        radius = np.sqrt(_libm(math.log, u1) * -2.0)
        theta = (2.0 * math.pi) * block[:, 8:]
        sin, cos = _libm(math.sin, theta), _libm(math.cos, theta)
    shift = np.full(cos.shape, mean, block.dtype)
    return np.concatenate([fma(radius * cos, std, shift), fma(radius * sin, std, shift)], axis=1)


def _libm(function: Any, x: np.ndarray) -> np.ndarray:
    return np.array([function(v) for v in x.ravel().tolist()]).reshape(x.shape)


def _log_ps(x: np.ndarray) -> np.ndarray:
    """log256_ps for x in (0, 1], as compiled: Cephes' polynomial, Horner with FMAs."""
    c = _C
    bits = np.maximum(x, _f32(np.finfo(np.float32).tiny)).view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - np.int32(127)).astype(_f32) + _f32(1)
    x = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(_f32)  # in [0.5, 1)
    below = x < c["sqrt_half"]
    e = e - np.where(below, _f32(1), _f32(0))
    x = (x + _f32(-1)) + np.where(below, x, _f32(0))
    z = x * x
    y = fma(c["p0"], x, c["p1"])
    for k in range(2, 9):
        y = fma(y, x, c[f"p{k}"])
    y = fma(x * y, z, e * c["q1"])
    y = fma(-z, _f32(0.5), y)
    return fma(e, c["q2"], x + y)


def _sincos_ps(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sincos256_ps, as compiled: range reduction by pi/4 in three parts, two polynomials."""
    c = _C
    bits = theta.view(np.uint32)
    ax = (bits & np.uint32(0x7FFFFFFF)).view(_f32)
    j = (ax * c["four_over_pi"]).astype(np.int32)
    j = (j + np.int32(1)) & np.int32(~1)
    y = j.astype(_f32)
    sign_sin = (bits & np.uint32(0x80000000)) ^ ((j & np.int32(4)).astype(np.uint32) << 29)
    sign_cos = ((~(j - np.int32(2))) & np.int32(4)).astype(np.uint32) << np.uint32(29)
    use_sin_poly = (j & np.int32(2)) == 0
    x = fma(c["dp3"], y, fma(c["dp2"], y, fma(y, c["dp1"], ax)))
    z = x * x
    yc = z * fma(fma(c["c0"], z, c["c1"]), z, c["c2"])
    yc = fma(z, yc, -(z * _f32(0.5))) + _f32(1)
    ys = fma(x, z * fma(fma(c["s0"], z, c["s1"]), z, c["s2"]), x)
    sin_part = np.where(use_sin_poly, ys, _f32(0))
    cos_part = np.where(use_sin_poly, _f32(0), yc)
    sin = (cos_part + sin_part).view(np.uint32) ^ sign_sin
    cos = ((ys - sin_part) + (yc - cos_part)).view(np.uint32) ^ sign_cos
    return sin.view(_f32), cos.view(_f32)


def get_state(generator: Any) -> Any:
    """The generator's state as torch's bytes (a uint8 tensor)."""
    from manual.tensor import Tensor

    _, words, position, _, _ = generator._twister.get_state()
    return Tensor(pack_state(generator._seed, words, position, generator._fresh,
                             generator.next_double_normal, generator.next_float_normal))


def set_state(generator: Any, new_state: Any) -> Any:
    """Take torch's state bytes (a tensor or an array): the next draws are torch's."""
    seed, words, position, fresh, double, single = unpack_state(getattr(new_state, "array",
                                                                        new_state))
    generator._twister.set_state(("MT19937", words, position, 0, 0.0))
    generator._seed, generator._fresh = seed, fresh
    generator.next_double_normal, generator.next_float_normal = double, single
    return generator


def pack_state(seed: int, words: np.ndarray, position: int, fresh: bool,
               double_normal: float | None, float_normal: float | None) -> np.ndarray:
    """torch's 5056 state bytes from the Twister's words and position (NumPy's ``pos``:
    torch's ``left`` is 625 - pos, its ``next`` is pos, 0 right after seeding)."""
    buf = bytearray(STATE_SIZE)
    buf[0:8] = int(seed).to_bytes(8, "little")
    buf[8:12] = (WORDS + 1 - position).to_bytes(4, "little")
    buf[12:16] = (1).to_bytes(4, "little")                          # seeded
    buf[16:24] = (0 if fresh else position).to_bytes(8, "little")
    buf[24:24 + 8 * WORDS] = np.asarray(words, "<u8").tobytes()
    if double_normal is not None:
        buf[5024:5032] = np.float64(double_normal).astype("<f8").tobytes()
        buf[5040:5044] = (1).to_bytes(4, "little")
    if float_normal is not None:
        buf[5048:5052] = np.float32(float_normal).astype("<f4").tobytes()
        buf[5052] = 1
    return np.frombuffer(bytes(buf), dtype=np.uint8).copy()


def unpack_state(state: Any) -> tuple[int, np.ndarray, int, bool, float | None, float | None]:
    """(seed, words, position, fresh, double normal, float normal) from torch's bytes."""
    b = np.asarray(state, dtype=np.uint8).tobytes()
    left = int.from_bytes(b[8:12], "little", signed=True)
    position = int.from_bytes(b[16:24], "little")
    if len(b) != STATE_SIZE or not (0 < left <= WORDS and position <= WORDS):
        raise RuntimeError("Invalid mt19937 state" if len(b) == STATE_SIZE else
                           f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found "
                           f"the input RNG state size to be {len(b)}")
    words = (np.frombuffer(b[24:24 + 8 * WORDS], "<u8") & 0xFFFFFFFF).astype(np.uint32)
    double_normal = float(np.frombuffer(b[5024:5032], "<f8")[0]) if b[5040] else None
    float_normal = float(np.frombuffer(b[5048:5052], "<f4")[0]) if b[5052] else None
    return (int.from_bytes(b[0:8], "little"), words, WORDS + 1 - left, position == 0 and left == 1,
            double_normal, float_normal)


LARGE_PERMUTATION = 2**32 // 20  # randperm's switch to 64-bit draws (uint32 max / 20)


def randperm_large(generator: Any, n: int) -> np.ndarray:
    """randperm for n >= 2^32 / 20: item i goes to a place z <= i drawn with 64 bits."""
    r = np.empty(n, dtype=np.int64)
    for i, z in enumerate(generator.random64(n).tolist()):
        z %= i + 1
        r[i], r[z] = r[z], i
    return r


def check_randint(low: int, high: int) -> int:
    """high - low, which must be positive."""
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return high - low


def fill(t: Any, draw: Any) -> Any:
    """Write ``draw(n)`` into t's elements in memory order (torch fills a strided view in
    the order of its storage), as an in-place change."""
    a = t.array
    values = draw(a.size).astype(a.dtype, copy=False)
    if a.flags.c_contiguous:
        order = None
    else:  # the elements' byte offsets, sorted
        offsets = sum(np.indices(a.shape)[d] * a.strides[d] for d in range(a.ndim))
        order = np.unravel_index(np.argsort(offsets, axis=None, kind="stable"), a.shape)

    def write(array: np.ndarray) -> None:
        if order is None:
            array.reshape(-1)[...] = values
        else:
            array[order] = values
    return t._update_in_place(write)
