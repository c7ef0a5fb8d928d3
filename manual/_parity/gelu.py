"""GELU on torch's CPU, rounding for rounding: which kernel runs, and what each one computes.

torch 2.13 (``gelu_out_cpu``, ``gelu_backward_out_cpu``) runs one of two kernels:

* oneDNN's ``eltwise_gelu_erf`` for float32, approximate="none", an input that is contiguous
  and has more than one element (``use_mkldnn``). Forward: erf(|x| / sqrt 2) is a degree-5
  polynomial in |x| whose coefficients one of 24 tables gives, picked by the exponent and
  two mantissa bits of |x|; y = (x (1 + sign(x) P(|x|))) 0.5, with no exp and no division
  (an infinity gives NaN). Backward: r = x / sqrt 2, erf(r) by Abramowitz-Stegun 7.1.26 with
  oneDNN's own exp, f'(x) = 1/2 + erf(r) / 2 + r e^(-r^2) / sqrt(pi), and dx = dy f'(x).
* ATen's ``GeluKernel`` and ``GeluBackwardKernel`` (AVX512 build) for everything else.
  TensorIterator walks the elements in memory order, in runs: rows of the innermost
  dimension once adjacent dimensions are merged, cut where a thread's share ends (the
  forward above 16384 elements in ``THREADS`` equal shares; the backward, with torch's
  usual grain, above 32768 elements in one share per 32768 or per thread). A run hands
  blocks of 32 float32 or 16 float64 elements to the vector op and its last n mod 32 (16)
  to the scalar op; a run whose elements are not adjacent in memory goes to the scalar op
  whole. float16 is computed in float32 by the same ops, in blocks of 64, and rounded.
  - vector op: erf is Abramowitz-Stegun 7.1.26 with SLEEF's expf (float32) or SLEEF's erf
    (float64); exp and tanh are SLEEF's (the u10 functions);
  - scalar op: glibc 2.36's erff, erf, expf, exp, tanhf and tanh;
  - GCC contracted some multiply-adds into fused ones, in both ops: ``fma`` marks each, as
    measured against torch.

This gives torch 2.13.0's bits on an x86-64 CPU with AVX512 (without it the vector ops are
half as wide and oneDNN's forward is another formula), x and dy laid out in memory as
torch's tensors are, NaN's sign and payload aside.

Reference: aten/src/ATen/native/Activation.cpp (``gelu_out_cpu``, ``use_mkldnn``),
aten/src/ATen/native/cpu/Activation.cpp (``GeluKernelImpl``, ``GeluBackwardKernelImpl``),
aten/src/ATen/native/cpu/Loops.h (``vectorized_loop``), aten/src/ATen/TensorIterator.cpp
(``reorder_dimensions``, ``coalesce_dimensions``, ``for_each``), oneDNN
src/cpu/x64/injectors/jit_uni_eltwise_injector.cpp (``gelu_erf_minimax_approx_compute_vector_fwd``,
``gelu_erf_compute_vector_bwd``, ``exp_compute_vector_fwd``), SLEEF src/libm/sleefsimdsp.c and
sleefsimddp.c (``xerf_u1``, ``xtanhf``, ``xtanh``, df.h/dd.h), glibc 2.36
sysdeps/ieee754/flt-32 and dbl-64 (s_erff.c, s_erf.c, s_tanhf.c, s_tanh.c, s_expm1f.c,
s_expm1.c).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from manual._parity.libm import glibc_exp, lanes, sleef_exp
from manual._parity.rounding import fma

f32, f64 = np.float32, np.float64
Pair = tuple[np.ndarray, np.ndarray]  # a value as hi + lo (SLEEF's double-float)
Function = Callable[[np.ndarray], np.ndarray]

M_SQRT1_2 = 0.70710678118654752440                 # 1 / sqrt 2
BETA = 1.41421356237309504880 * 1.12837916709551257390 * 0.5   # sqrt(2 / pi)
KAPPA = 0.044715
PDF = 1.12837916709551257390 * M_SQRT1_2 * 0.5    # 1 / sqrt(2 pi)
GRAIN = 32768  # at::internal::GRAIN_SIZE: a loop over more elements is shared among threads
ALONE = 16384  # GeluKernel (forward) shares out any loop over more elements, in equal parts


def _default_threads() -> int:  # pragma: no mutate block (import time)
    """The threads torch's parallel loops run on by default: OMP_NUM_THREADS or
    MKL_NUM_THREADS if set, else one per core. After torch.set_num_threads(n), or on a
    machine with two hardware threads per core (torch counts physical cores), set THREADS
    to torch.get_num_threads()."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit() and int(os.environ[name]) > 0:
            return int(os.environ[name])
    return os.cpu_count() or 1


THREADS = _default_threads()


# -- the two kernels and the choice between them ----------------------------------------------

def forward(x: np.ndarray, approximate: str) -> np.ndarray:
    """gelu(x) as torch's kernel for x's dtype, layout and size computes it."""
    with np.errstate(all="ignore"):
        if _onednn(x, approximate):
            return _onednn_forward(x)
        out = np.empty(x.shape, x.dtype)
        grain = x.size // THREADS if x.size > ALONE else GRAIN    # one share per thread
        for vector, pick in _lanes(grain, x):
            v = _computed_in(x[pick])
            erf, _, tanh = _functions(vector, v.dtype)
            out[pick] = _erf_form(v, erf) if approximate == "none" else _tanh_form(v, tanh)
        return out                                                # float16: rounded once more


def backward(dy: np.ndarray, x: np.ndarray, approximate: str) -> np.ndarray:
    """dL/dx from dL/dy, as torch's kernel (gelu_backward) computes it."""
    with np.errstate(all="ignore"):
        if _onednn(x, approximate):
            return dy * _onednn_derivative(x)                       # dy f'(x)
        out = np.empty(x.shape, x.dtype)
        for vector, pick in _lanes(GRAIN, x, dy):
            g, v = _computed_in(dy[pick]), _computed_in(x[pick])
            erf, exp, tanh = _functions(vector, v.dtype)
            fused = vector and x.dtype != np.float16     # float16's vector op: unfused
            out[pick] = (_erf_derivative(g, v, erf, exp, fused) if approximate == "none"
                         else _tanh_derivative(g, v, tanh))
        return out


def _onednn(x: np.ndarray, approximate: str) -> bool:
    """use_mkldnn: float32, contiguous, more than one element; and approximate="none"."""
    return (x.dtype == f32 and approximate == "none" and x.size > 1
            and x.flags.c_contiguous)


def _computed_in(x: np.ndarray) -> np.ndarray:
    """float16 is computed in float32 (its vector op holds 2 x 32 of them), then rounded."""
    return x.astype(f32) if x.dtype == np.float16 else x


def _functions(vector: bool, dtype: np.dtype) -> tuple[Function, Function, Function]:
    """(erf, exp, tanh) of the vector op (SLEEF's) or of the scalar op (glibc's), for dtype."""
    if not vector:
        return _glibc_erf, glibc_exp, _glibc_tanh
    return (_vector_erff, sleef_exp, _sleef_tanhf) if dtype == f32 else (
        _sleef_erf, sleef_exp, _sleef_tanh)


def _erf_form(x: np.ndarray, erf: Function) -> np.ndarray:
    """x/2 (1 + erf(x / sqrt 2)), as ((x 0.5) (1 + erf(x (1 / sqrt 2))))."""
    t = x.dtype.type
    return x * t(0.5) * (t(1) + erf(x * t(M_SQRT1_2)))


def _tanh_form(x: np.ndarray, tanh: Function) -> np.ndarray:
    """x/2 (1 + tanh(sqrt(2/pi) (x + k x^3))), k x^3 + x fused."""
    t = x.dtype.type
    inner = t(BETA) * fma(t(KAPPA), x * x * x, x)
    return t(0.5) * x * (t(1) + tanh(inner))


def _erf_derivative(g: np.ndarray, x: np.ndarray, erf: Function, exp: Function,
                    fused: bool) -> np.ndarray:
    """dy (Phi(x) + x phi(x)); the vector op fuses x phi + Phi (float16's does not), the scalar
    op does not."""
    t = x.dtype.type
    cdf = t(0.5) * (t(1) + erf(x * t(M_SQRT1_2)))                 # Phi(x)
    pdf = t(PDF) * exp(x * x * t(-0.5))                           # phi(x)
    return g * (fma(x, pdf, cdf) if fused else cdf + x * pdf)


def _tanh_derivative(g: np.ndarray, x: np.ndarray, tanh: Function) -> np.ndarray:
    """dy ((1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3k x^2)), t = tanh(inner)."""
    t_ = x.dtype.type
    t = tanh(t_(BETA) * fma(t_(KAPPA), x * x * x, x))
    tanh_d = fma(-t, t, t_(1))                                    # 1 - t^2
    inner_d = t_(BETA) * fma(t_(3) * t_(KAPPA), x * x, t_(1))     # sqrt(2/pi) (1 + 3k x^2)
    return g * (t_(0.5) * (t_(1) + t) + t_(0.5) * x * tanh_d * inner_d)


# -- which element each op computes: TensorIterator's runs -------------------------------------

def _lanes(grain: int, x: np.ndarray, *inputs: np.ndarray) -> list[tuple[bool, np.ndarray]]:
    """(True, where the vector op computes), (False, where the scalar op does); inputs are
    the operands before x (dy for backward), whose strides TensorIterator reads first."""
    vector = _vector_mask([*inputs, x], grain)
    return [(True, vector), (False, ~vector)]


def _vector_mask(operands: list[np.ndarray], grain: int) -> np.ndarray:
    """True for the elements that a run of TensorIterator's loop hands to the vector op."""
    shape, n = operands[-1].shape, operands[-1].size
    order, inner, adjacent = _iteration_order(operands)
    position = np.arange(n)
    share = _share(n, grain)
    row = position // inner * inner
    start = np.maximum(row, position // share * share)            # where this run starts
    length = np.minimum(row + inner, (position // share + 1) * share) - start
    width = 2 * lanes(operands[-1].dtype)                # 64 float16, 32 float32, 16 float64
    in_block = (position - start < length - length % width) & adjacent
    mask = np.zeros(n, bool)
    mask[order] = in_block
    return mask.reshape(shape)


def _share(n: int, grain: int) -> int:
    """How many elements each thread takes: at::parallel_for runs n <= grain on one thread,
    else cuts it into min(THREADS, ceil(n / grain)) equal shares (the last one shorter)."""
    if n <= grain or THREADS == 1:
        return max(n, 1)
    return -(-n // min(THREADS, -(-n // grain)))


def _iteration_order(operands: list[np.ndarray]) -> tuple[np.ndarray, int, bool]:
    """TensorIterator's walk: the flat index of each element in the order visited, the
    length of its rows, and whether each operand's row is adjacent in memory (stride 1) or
    one value (stride 0, for one operand at most)."""
    shape = operands[-1].shape
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    strides = [{d: op.strides[d] // op.itemsize for d in dims} for op in operands]
    perm = _reorder(dims[::-1], shape, strides)                   # innermost first
    inner, k = (shape[perm[0]], 1) if perm else (1, 0)
    while k < len(perm) and all(s[perm[k]] == s[perm[0]] * inner for s in strides):
        inner, k = inner * shape[perm[k]], k + 1                  # merge the next dim
    steps = [s[perm[0]] if perm else 1 for s in strides]
    adjacent = all(s == 1 for s in steps) or (
        steps.count(0) == 1 and all(s in (0, 1) for s in steps))
    axes = [dims.index(d) for d in reversed(perm)]                # outermost first
    flat = np.arange(operands[-1].size).reshape([shape[d] for d in dims])
    return flat.transpose(axes).ravel(), inner, adjacent


def _reorder(perm: list[int], shape: tuple[int, ...], strides: list[dict[int, int]]
             ) -> list[int]:
    """reorder_dimensions: an insertion sort of the dims, smallest stride first, by the
    first operand that tells them apart (a broadcast dim tells nothing)."""
    def should_swap(a: int, b: int) -> int:
        for s in strides:
            if s[a] == 0 or s[b] == 0:
                continue
            if s[a] != s[b]:
                return 1 if s[a] > s[b] else -1
            if shape[a] > shape[b]:
                return 1
        return 0

    for i in range(1, len(perm)):
        later = i
        for earlier in range(i - 1, -1, -1):
            order = should_swap(perm[earlier], perm[later])
            if order > 0:
                perm[earlier], perm[later] = perm[later], perm[earlier]
                later = earlier
            elif order < 0:
                break
    return perm


# -- oneDNN: eltwise_gelu_erf, avx512_core ----------------------------------------------------

def _bits(values: list[int]) -> np.ndarray:
    return np.array(values, np.uint32).view(f32)


# the minimax polynomials' coefficients, degree 0 to 5, each a row of 24 pieces
_ONEDNN_GELU = _bits([
    0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229,
    0x37b8a3bb, 0x3867a213, 0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b,
    0x3c515ed3, 0xbb503236, 0xbd8d8e5e, 0xbe8abcd9, 0xbf0c19a2, 0xbeccb328, 0x3e176ced,
    0x3f470d99, 0x3f7abb28, 0x3f800000,
    0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f,
    0x3f4c2d40, 0x3f4c146a, 0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07,
    0x3f3b980f, 0x3f48dff3, 0x3f78b21b, 0x3fbb0704, 0x40019c32, 0x3fe536d6, 0x3f81331e,
    0x3e6c8684, 0x3c98f936, 0x00000000,
    0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb,
    0x3af9b960, 0x3b6e5491, 0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660,
    0x3e0f27ab, 0x3d94004b, 0xbe0efdeb, 0xbf1d96c3, 0xbf89db58, 0xbf6d9897, 0xbef69fb8,
    0xbdc4f8a8, 0xbbde6422, 0,
    0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0,
    0xbe0e400a, 0xbe124df8, 0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f,
    0xbe96cbca, 0xbe8044aa, 0xbe0550f2, 0x3dcfd6a1, 0x3e94c826, 0x3e79345f, 0x3decec91,
    0x3ca46568, 0x3aa1e00a, 0,
    0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527,
    0x3c221712, 0x3c6c5840, 0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910,
    0x3dd53f69, 0x3db7dcef, 0x3d639ebe, 0xba6ede48, 0xbd22be69, 0xbd041cf1, 0xbc64f5ab,
    0xbb097a32, 0xb8ebf380, 0,
    0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623,
    0x3c4c824b, 0x3c2a7935, 0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366,
    0xbc492c9e, 0xbc2a7aa6, 0xbbd55d04, 0xba823a76, 0x3b102aa8, 0x3ae25a7e, 0x3a31f792,
    0x38b84375, 0x3689bb5a, 0]).reshape(6, 24)
_SIGN = np.uint32(0x80000000)


def _flip_sign(value: np.ndarray, sign_of: np.ndarray) -> np.ndarray:
    """value with its sign flipped where sign_of's sign bit is set (a bitwise xor)."""
    if value.dtype == f32:
        return (value.view(np.uint32) ^ (sign_of.view(np.uint32) & _SIGN)).view(f32)
    top = np.uint64(1 << 63)
    return (value.view(np.uint64) ^ (sign_of.view(np.uint64) & top)).view(f64)


def _onednn_forward(x: np.ndarray) -> np.ndarray:
    """y = (x (1 + sign(x) P_i(|x|))) 0.5, P_i(|x|) ~ erf(|x| / sqrt 2)."""
    magnitude = np.abs(x)
    bits = magnitude.view(np.uint32).astype(np.int64)
    piece = ((bits + 0xc21fffff + 2**31) % 2**32 - 2**31) >> 21   # int32 add, shift right 21
    piece = np.clip(piece, 1, 23)          # oneDNN clips to 24, a piece only NaN reaches
    piece = np.where(magnitude > _bits([0x40b15cee])[0], 23, piece)  # |x| > 5.54: erf = 1
    poly = _ONEDNN_GELU[5][piece]
    for degree in range(4, -1, -1):
        poly = fma(poly, magnitude, _ONEDNN_GELU[degree][piece])  # Horner, fused
    return (x * (_flip_sign(poly, x) + f32(1))) * f32(0.5)


_AS_P = _bits([0x3ea7ba05])[0]                                     # 0.3275911
_AS_A = _bits([0x3e827906, 0xbe91a98e, 0x3fb5f0e3, 0xbfba00e3, 0x3f87dc22])  # a1 .. a5


def _onednn_derivative(x: np.ndarray) -> np.ndarray:
    """f'(x) = 1/2 + erf(r) / 2 + r e^(-r^2) / sqrt(pi), r = x / sqrt 2."""
    r = x * _bits([0x3f3504f3])[0]                                 # x / sqrt 2
    e = _onednn_exp(-(r * r))
    density = (r * _bits([0x3f106eba])[0]) * e                     # r e^(-r^2) / sqrt(pi)
    t = f32(1) / fma(_AS_P, np.abs(r), f32(1))                     # 1 / (1 + p |r|)
    poly = _AS_A[4]
    for k in (3, 2, 1, 0):
        poly = fma(poly, t, _AS_A[k])
    erf = _flip_sign(fma((-e) * t, poly, f32(1)), r)               # 1 - t P(t) e^(-r^2)
    return fma(erf, f32(0.5), density + f32(0.5))


_ONEDNN_EXP = _bits([0x3f7ffffb, 0x3efffee3, 0x3e2aad40, 0x3d2b9d0d, 0x3c07cfce])


def _onednn_exp(x: np.ndarray) -> np.ndarray:
    """oneDNN's exp: 2^n p(r), n = floor(x log2(e) + 1/2), r = x - n ln 2, p of degree 5."""
    low, high = _bits([0xc2aeac50, 0x42b17218])
    underflow = x < low
    x = np.maximum(np.minimum(x, high), low)
    n = np.floor(x * _bits([0x3fb8aa3b])[0] + f32(0.5))
    r = fma(-n, _bits([0x3f317218])[0], x)                         # x - n ln 2, fused
    half_scale = ((np.rint(n - f32(1)).astype(np.int64) + 127).astype(np.uint32)
                  << np.uint32(23)).view(f32)                       # 2^(n - 1)
    p = _ONEDNN_EXP[4]
    for k in (3, 2, 1, 0):
        p = fma(p, r, _ONEDNN_EXP[k])
    p = fma(p, r, f32(1))
    return (p * np.where(underflow, f32(0), half_scale)) * f32(2)


# -- SLEEF's double-float arithmetic (df.h, dd.h, the FMA variants) ---------------------------

def _add2(x: Pair, y: np.ndarray) -> Pair:
    """dfadd2_vf2_vf2_vf: (x.hi + x.lo) + y, error term kept."""
    s = x[0] + y
    v = s - x[0]
    return s, ((x[0] - (s - v)) + (y - v)) + x[1]


def _add2_pairs(x: Pair, y: Pair) -> Pair:
    """dfadd2_vf2_vf2_vf2."""
    s = x[0] + y[0]
    v = s - x[0]
    return s, ((x[0] - (s - v)) + (y[0] - v)) + (x[1] + y[1])


def _add_to(x: np.ndarray, y: Pair) -> Pair:
    """dfadd_vf2_vf_vf2, |x| >= |y|."""
    s = x + y[0]
    return s, ((x - s) + y[0]) + y[1]


def _add_pairs(x: Pair, y: Pair) -> Pair:
    """dfadd_vf2_vf2_vf2, |x| >= |y|."""
    s = x[0] + y[0]
    return s, (((x[0] - s) + y[0]) + x[1]) + y[1]


def _mul(x: Pair, y: np.ndarray) -> Pair:
    """dfmul_vf2_vf2_vf."""
    s = x[0] * y
    return s, fma(x[1], y, fma(x[0], y, -s))


def _mul_pairs(x: Pair, y: Pair) -> Pair:
    """dfmul_vf2_vf2_vf2."""
    s = x[0] * y[0]
    return s, fma(x[0], y[1], fma(x[1], y[0], fma(x[0], y[0], -s)))


def _square(x: Pair) -> Pair:
    """dfsqu_vf2_vf2."""
    s = x[0] * x[0]
    return s, fma(x[0] + x[0], x[1], fma(x[0], x[0], -s))


def _reciprocal(d: Pair) -> Pair:
    """dfrec_vf2_vf2."""
    one = d[0].dtype.type(1)
    s = one / d[0]
    return s, s * fma(-d[1], s, fma(-d[0], s, one))


def _divide(n: Pair, d: Pair) -> Pair:
    """dfdiv_vf2_vf2_vf2."""
    one = d[0].dtype.type(1)
    t = one / d[0]
    s = n[0] * t
    u = fma(t, n[0], -s)
    v = fma(-d[1], t, fma(-d[0], t, one))
    return s, fma(s, v, fma(n[1], t, u))


def _pow2(q: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """2^q for integers q in the normal range: the exponent field written directly."""
    if dtype == f32:
        return ((q + 0x7f) << 23).astype(np.uint32).view(f32)
    return ((q + 0x3ff) << 52).astype(np.uint64).view(f64)


def _ldexp2(d: np.ndarray, q: np.ndarray) -> np.ndarray:
    """d 2^q as two multiplications by 2^(q/2) (vldexp2)."""
    half = q >> 1
    return (d * _pow2(half, d.dtype)) * _pow2(q - half, d.dtype)


def _f64s(values: tuple[float, ...]) -> tuple[np.float64, ...]:
    return tuple(f64(v) for v in values)


def _rint(x: np.ndarray) -> np.ndarray:
    """Round half to even, to int64 (0 for infinities and NaN)."""
    return np.where(np.isfinite(x), np.rint(x), 0).astype(np.int64)


# -- SLEEF tanh and erf ------------------------------------------------------------------------

def _tanh_from_exp(x: np.ndarray, exp2: Callable[[np.ndarray], Pair], big: float) -> np.ndarray:
    """xtanhf / xtanh: (e^|x| - e^-|x|) / (e^|x| + e^-|x|) in double-float, sign of x."""
    d = exp2(np.abs(x))
    e = _reciprocal(d)
    d = _divide(_add2_pairs(d, (-e[0], -e[1])), _add2_pairs(d, e))
    y = d[0] + d[1]
    y = np.where((np.abs(x) > big) | np.isnan(y), x.dtype.type(1), y)
    return np.where(np.isnan(x), x, _flip_sign(y, x))


_LN2_HI_F, _LN2_LO_F = f32(0.693145751953125), f32(1.428606765330187045e-06)
_LOG2E_F = f32(1.442695040888963407359924681001892137426645954152985934135449406931)


def _exp_pair_f(y: np.ndarray) -> Pair:
    """SLEEF expk2f: e^y as a float-float pair."""
    q = _rint(y * _LOG2E_F)
    s = _add2((y, np.zeros_like(y)), q.astype(f32) * -_LN2_HI_F)
    s = _add2(s, q.astype(f32) * -_LN2_LO_F)
    u = f32(+0.1980960224e-3)
    for c in (+0.1394256484e-2, +0.8333456703e-2, +0.4166637361e-1):
        u = fma(u, s[0], f32(c))
    t = _add2(_mul(s, u), f32(+0.166666659414234244790680580464e+0))
    t = _add2(_mul_pairs(s, t), f32(0.5))
    t = _add_to(f32(1), _add2_pairs(s, _mul_pairs(_square(s), t)))
    small = y < f32(-104)
    return (np.where(small, f32(0), _ldexp2(t[0], q)),
            np.where(small, f32(0), _ldexp2(t[1], q)))


def _sleef_tanhf(x: np.ndarray) -> np.ndarray:
    """Sleef_tanhf16_u10."""
    return _tanh_from_exp(x, _exp_pair_f, 8.664339742)


_LN2_HI, _LN2_LO = f64(.69314718055966295651160180568695068359375), f64(
    .28235290563031577122588448175013436025525412068e-12)
_LOG2E = f64(1.442695040888963407359924681001892137426645954152985934135449406931)


def _estrin(x: np.ndarray, powers: list[np.ndarray], c: tuple) -> np.ndarray:
    """SLEEF's POLYn: Estrin's scheme with fused multiply-adds, c from the highest degree
    down (numbers, or arrays of them), powers = [x^2, x^4, x^8, ...]: the top
    len(c) - 2^j coefficients times x^(2^j), plus the rest, for the largest 2^j < len(c)."""
    if len(c) <= 2:
        return c[0] if len(c) == 1 else fma(x, c[0], c[1])
    level = max(j for j in range(len(powers)) if 2 ** (j + 1) < len(c))
    split = len(c) - 2 ** (level + 1)
    return fma(powers[level], _estrin(x, powers, c[:split]), _estrin(x, powers, c[split:]))


def _exp_pair(y: np.ndarray) -> Pair:
    """SLEEF expk2: e^y as a double-double pair."""
    dq = np.rint(y * _LOG2E)
    q = _rint(dq)
    s = _add2(_add2((y, np.zeros_like(y)), dq * -_LN2_HI), dq * -_LN2_LO)
    s2 = _square(s)
    s4 = _square(s2)
    u = _estrin(s[0], [s2[0], s4[0], s4[0] * s4[0]], _f64s((
        +0.1602472219709932072e-9, +0.2092255183563157007e-8, +0.2505230023782644465e-7,
        +0.2755724800902135303e-6, +0.2755731892386044373e-5, +0.2480158735605815065e-4,
        +0.1984126984148071858e-3, +0.1388888888886763255e-2, +0.8333333333333347095e-2,
        +0.4166666666666669905e-1)))
    t = _add_to(f64(0.5), _mul(s, f64(+0.1666666666666666574e+0)))
    t = _add_to(f64(1.0), _mul_pairs(t, s))
    t = _add_to(f64(1.0), _mul_pairs(t, s))
    t = _add_pairs(t, _mul(s4, u))
    small = y < -1000
    return (np.where(small, 0.0, _ldexp2(t[0], q)), np.where(small, 0.0, _ldexp2(t[1], q)))


def _sleef_tanh(x: np.ndarray) -> np.ndarray:
    """Sleef_tanhd8_u10."""
    return _tanh_from_exp(x, _exp_pair, 18.714973875)


def _vector_erff(x: np.ndarray) -> np.ndarray:
    """Vectorized<float>::erf: Abramowitz-Stegun 7.1.26 with SLEEF's expf."""
    t = f32(1) / fma(f32(0.3275911), np.abs(x), f32(1))           # 1 / (1 + p |x|)
    r = fma(f32(1.061405429), t, f32(-1.453152027))
    for c in (1.421413741, -0.284496736, 0.254829592):
        r = fma(r, t, f32(c))                                     # a1 + a2 t + ... + a5 t^4
    erf = fma((-sleef_exp(-(x * x))) * t, r, f32(1))             # 1 - t r e^(-x^2)
    return _flip_sign(erf, x)


_ERF_NEAR = (-0.2083271002525222097e-14, +0.7151909970790897009e-13, -0.1162238220110999364e-11,
             +0.1186474230821585259e-10, -0.8499973178354613440e-10, +0.4507647462598841629e-9,
             -0.1808044474288848915e-8, +0.5435081826716212389e-8, -0.1143939895758628484e-7,
             +0.1215442362680889243e-7, +0.1669878756181250355e-7, -0.9808074602255194288e-7,
             +0.1389000557865837204e-6, +0.2945514529987331866e-6, -0.1842918273003998283e-5,
             +0.3417987836115362136e-5, +0.3860236356493129101e-5, -0.3309403072749947546e-4,
             +0.1060862922597579532e-3, +0.2323253155213076174e-3, +0.1490149719145544729e-3)
_ERF_FAR = (-0.4024015130752621932e-18, +0.3847193332817048172e-16, -0.1749316241455644088e-14,
            +0.5029618322872872715e-13, -0.1025221466851463164e-11, +0.1573695559331945583e-10,
            -0.1884658558040203709e-9, +0.1798167853032159309e-8, -0.1380745342355033142e-7,
            +0.8525705726469103499e-7, -0.4160448058101303405e-6, +0.1517272660008588485e-5,
            -0.3341634127317201697e-5, -0.2515023395879724513e-5, +0.6539731269664907554e-4,
            -0.3551065097428388658e-3, +0.1210736097958368864e-2, -0.2605566912579998680e-2,
            +0.1252823202436093193e-2, +0.1820191395263313222e-1, -0.1021557155453465954e+0)
# the last three coefficients of each, as double-double pairs
_ERF_NEAR_PAIRS = ((0.0092877958392275604405, 7.9287559463961107493e-19),
                   (0.042275531758784692937, 1.3785226620501016138e-19),
                   (0.07052369794346953491, 9.5846628070792092842e-19))
_ERF_FAR_PAIRS = ((-0.63691044383641748361, -2.4249477526539431839e-17),
                  (-1.1282926061803961737, -6.2970338860410996505e-17),
                  (-1.2261313785184804967e-05, -5.5329707514490107044e-22))


def _sleef_erf(a: np.ndarray) -> np.ndarray:
    """Sleef_erfd8_u10 (xerf_u1): |a| <= 2.5: 1 - (1 + x P(x))^-16; else 1 - e^(x P(x))."""
    x = np.abs(a)
    near = x <= 2.5
    x2 = x * x
    x4 = x2 * x2
    x8 = x4 * x4
    c = tuple(np.where(near, p, q) for p, q in zip(_ERF_NEAR, _ERF_FAR))
    t = _estrin(x, [x2, x4, x8, x8 * x8], c)                       # P(x), degree 20
    pairs = [(np.where(near, p[0], q[0]), np.where(near, p[1], q[1]))
             for p, q in zip(_ERF_NEAR_PAIRS, _ERF_FAR_PAIRS)]
    t2 = _add_pairs(pairs[0], _mul((t, np.zeros_like(t)), x))     # c2 + t x
    low = _add_pairs(pairs[2], _mul(pairs[1], x))                 # c0 + c1 x
    t2 = _add_pairs(low, _mul(t2, x * x))                         # low + x^2 (c2 + t x)
    s = _add_to(f64(1), _mul(t2, x))                              # 1 + x t2
    for _ in range(4):
        s = _square(s)                                            # ^16
    s = _reciprocal(s)
    far = _exp_dd(t2)
    u = _add2((np.where(near, s[0], far), np.where(near, s[1], 0.0)), f64(-1))
    z = -(u[0] + u[1])
    z = np.where(x < 1e-8, x * f64(1.12837916709551262756245475959), z)
    z = np.where((x >= 6) | np.isinf(a), 1.0, np.where(a == 0, 0.0, z))
    return np.where(np.isnan(a), a, _flip_sign(z, a))


def _exp_dd(d: Pair) -> np.ndarray:
    """SLEEF expk: e^(hi + lo) as a double."""
    dq = np.rint((d[0] + d[1]) * _LOG2E)
    q = _rint(dq)
    s = _add2(_add2(d, dq * -_LN2_HI), dq * -_LN2_LO)
    hi = s[0] + s[1]
    s = (hi, (s[0] - hi) + s[1])                                  # normalised
    s2 = s[0] * s[0]
    s4 = s2 * s2
    u = _estrin(s[0], [s2, s4, s4 * s4], _f64s((
        2.51069683420950419527139e-08, 2.76286166770270649116855e-07,
        2.75572496725023574143864e-06, 2.48014973989819794114153e-05,
        0.000198412698809069797676111, 0.0013888888939977128960529,
        0.00833333333332371417601081, 0.0416666666665409524128449,
        0.166666666666666740681535, 0.500000000000000999200722)))
    t = _add_pairs(_add_to(f64(1), s), _mul(_square(s), u))
    return np.where(d[0] < -1000, 0.0, _ldexp2(t[0] + t[1], q))


# -- glibc 2.36: erff, erf, tanhf, tanh and their expm1 (fdlibm) ---------------------------------

def _top(x: np.ndarray) -> np.ndarray:
    """|x|'s bits (float32) or the high 32 of them (float64), as fdlibm compares them."""
    if x.dtype == f32:
        return x.view(np.uint32).astype(np.int64) & 0x7fffffff
    return (x.view(np.uint64) >> np.uint64(32)).astype(np.int64) & 0x7fffffff


def _horner(z: np.ndarray, c: tuple[float, ...]) -> np.ndarray:
    """c[0] + z (c[1] + z (c[2] + ...)), each step rounded (fdlibm's float code)."""
    t = z.dtype.type
    r = t(c[-1])
    for coefficient in c[-2::-1]:
        r = t(coefficient) + z * r
    return r


def _paired(s: np.ndarray, c: tuple[float, ...]) -> np.ndarray:
    """glibc's double erf evaluates its polynomials in pairs, unfused:
    (c0 + s c1) + s^2 (c2 + s c3) + s^4 (c4 + s c5) + s^6 (...) + s^8 (...)."""
    s2 = s * s
    s4 = s2 * s2
    powers = [None, s2, s4, s4 * s2, s4 * s4]
    pairs = [c[i] + s * c[i + 1] if i + 1 < len(c) else f64(c[i]) for i in range(0, len(c), 2)]
    out = pairs[0]
    for power, pair in zip(powers[1:], pairs[1:]):
        out = out + power * pair
    return out


# erff's (float) and erf's (double) coefficients: P and Q of x^2 below 0.84375, of |x| - 1
# below 1.25, of 1/x^2 below 1/0.35 (ra, sa) and below 6 (rb, sb); Q's leading 1 included
_ERF_COEFFICIENTS = {
    f32: dict(
        pp=(1.2837916613e-01, -3.2504209876e-01, -2.8481749818e-02, -5.7702702470e-03,
            -2.3763017452e-05),
        qq=(1.0, 3.9791721106e-01, 6.5022252500e-02, 5.0813062117e-03, 1.3249473704e-04,
            -3.9602282413e-06),
        pa=(-2.3621185683e-03, 4.1485610604e-01, -3.7220788002e-01, 3.1834661961e-01,
            -1.1089469492e-01, 3.5478305072e-02, -2.1663755178e-03),
        qa=(1.0, 1.0642088205e-01, 5.4039794207e-01, 7.1828655899e-02, 1.2617121637e-01,
            1.3637083583e-02, 1.1984500103e-02),
        ra=(-9.8649440333e-03, -6.9385856390e-01, -1.0558626175e+01, -6.2375331879e+01,
            -1.6239666748e+02, -1.8460508728e+02, -8.1287437439e+01, -9.8143291473e+00),
        sa=(1.0, 1.9651271820e+01, 1.3765776062e+02, 4.3456588745e+02, 6.4538726807e+02,
            4.2900814819e+02, 1.0863500214e+02, 6.5702495575e+00, -6.0424413532e-02),
        rb=(-9.8649431020e-03, -7.9928326607e-01, -1.7757955551e+01, -1.6063638306e+02,
            -6.3756646729e+02, -1.0250950928e+03, -4.8351919556e+02),
        sb=(1.0, 3.0338060379e+01, 3.2579251099e+02, 1.5367296143e+03, 3.1998581543e+03,
            2.5530502930e+03, 4.7452853394e+02, -2.2440952301e+01),
        erx=8.4506291151e-01, efx=1.2837916613e-01, efx8=1.0270333290e+00),
    f64: dict(
        pp=(1.28379167095512558561e-01, -3.25042107247001499370e-01,
            -2.84817495755985104766e-02, -5.77027029648944159157e-03,
            -2.37630166566501626084e-05),
        qq=(1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02,
            5.08130628187576562776e-03, 1.32494738004321644526e-04,
            -3.96022827877536812320e-06),
        pa=(-2.36211856075265944077e-03, 4.14856118683748331666e-01,
            -3.72207876035701323847e-01, 3.18346619901161753674e-01,
            -1.10894694282396677476e-01, 3.54783043256182359371e-02,
            -2.16637559486879084300e-03),
        qa=(1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01,
            7.18286544141962662868e-02, 1.26171219808761642112e-01,
            1.36370839120290507362e-02, 1.19844998467991074170e-02),
        ra=(-9.86494403484714822705e-03, -6.93858572707181764372e-01,
            -1.05586262253232909814e+01, -6.23753324503260060396e+01,
            -1.62396669462573470355e+02, -1.84605092906711035994e+02,
            -8.12874355063065934246e+01, -9.81432934416914548592e+00),
        sa=(1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02,
            4.34565877475229228821e+02, 6.45387271733267880336e+02,
            4.29008140027567833386e+02, 1.08635005541779435134e+02,
            6.57024977031928170135e+00, -6.04244152148580987438e-02),
        rb=(-9.86494292470009928597e-03, -7.99283237680523006574e-01,
            -1.77579549177547519889e+01, -1.60636384855821916062e+02,
            -6.37566443368389627722e+02, -1.02509513161107724954e+03,
            -4.83519191608651397019e+02),
        sb=(1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02,
            1.53672958608443695994e+03, 3.19985821950859553908e+03,
            2.55305040643316442583e+03, 4.74528541206955367215e+02,
            -2.24409524465858183362e+01),
        erx=8.45062911510467529297e-01, efx=1.28379167095512586316e-01,
        efx8=1.02703333676410069053e+00),
}
# the top-word thresholds: 2^-28, 0.84375, 1.25, 1/0.35 and 6
_ERF_LIMITS = {f32: (0x31800000, 0x3f580000, 0x3fa00000, 0x4036DB6E, 0x40c00000),
               f64: (0x3e300000, 0x3feb0000, 0x3ff40000, 0x4006DB6E, 0x40180000)}


def _glibc_erf(x: np.ndarray) -> np.ndarray:
    """glibc erff (s_erff.c) and erf (s_erf.c): four ranges of |x|, split at 0.84375, 1.25
    and 6; the float code evaluates by Horner, the double code in pairs. Below 2^-28 erf is
    x + efx x (glibc rescales the tiniest x against underflow: 1 + erf is 1 either way)."""
    t, c = x.dtype.type, _ERF_COEFFICIENTS[x.dtype.type]
    poly = _horner if x.dtype == f32 else _paired
    tiny, small, near, lower, far = _ERF_LIMITS[x.dtype.type]
    top, ax, one = _top(x), np.abs(x), t(1)
    z = x * x
    below = x + x * (poly(z, c["pp"]) / poly(z, c["qq"]))        # x + x P(x^2) / Q(x^2)
    below = np.where(top < tiny, x + t(c["efx"]) * x, below)
    s = ax - one
    ratio = poly(s, c["pa"]) / poly(s, c["qa"])
    close = np.where(x >= 0, t(c["erx"]) + ratio, -t(c["erx"]) - ratio)   # erx + P/Q
    s = one / (ax * ax)
    ratio = np.where(top < lower, poly(s, c["ra"]) / poly(s, c["sa"]),
                     poly(s, c["rb"]) / poly(s, c["sb"]))
    cut = _cut_low_bits(ax)
    tail = glibc_exp(-cut * cut - t(0.5625)) * glibc_exp((cut - ax) * (cut + ax) + ratio)
    above = np.where(x >= 0, one - tail / ax, tail / ax - one)   # 1 - erfc(x)
    return np.where(top < small, below, np.where(top < near, close,
                    np.where(top < far, above, np.sign(x))))     # +-1 (NaN for NaN)


def _cut_low_bits(x: np.ndarray) -> np.ndarray:
    """x with its low 12 bits (float) or its low word (double) zeroed."""
    if x.dtype == f32:
        return (x.view(np.uint32) & np.uint32(0xfffff000)).view(f32)
    return (x.view(np.uint64) & np.uint64(0xffffffff00000000)).view(f64)


# tanh's top-word thresholds: 2^-55, 1 and 22
_TANH_LIMITS = {f32: (0x24000000, 0x3f800000, 0x41b00000),
                f64: (0x3c800000, 0x3ff00000, 0x40360000)}


def _glibc_tanh(x: np.ndarray) -> np.ndarray:
    """glibc tanhf (s_tanhf.c) and tanh (s_tanh.c), from expm1 of 2|x|."""
    t = x.dtype.type
    tiny, unit, big = _TANH_LIMITS[x.dtype.type]
    top, ax = _top(x), np.abs(x)
    e = _glibc_expm1(t(2) * ax)
    above_one = t(1) - t(2) / (e + t(2))                          # 1 - 2 / (e^2|x| + 1)
    e = _glibc_expm1(-t(2) * ax)
    z = np.where(top >= unit, above_one, -e / (e + t(2)))
    z = np.where(top >= big, t(1), z)
    z = np.where(top < tiny, x * (t(1) + x), np.where(np.signbit(x), -z, z))
    return np.where(np.isfinite(x), z, np.sign(x))               # +-1, NaN for NaN


# expm1f's (float) and expm1's (double) constants: the top words of ln2 / 2, 3 ln2 / 2, the
# tiny and huge limits, the overflow threshold (expm1f: o_threshold is tested only from
# 0x42b17218 up, so it acts as 0x42b17217), ln2 in two parts, 1/ln2, and Q1 .. Q5
_EXPM1 = {
    f32: ((0x3eb17218, 0x3F851592, 0x33000000, 0x4195b844), 8.872283172607421875e+01,
          (6.9313812256e-01, 9.0580006145e-06, 1.4426950216e+00),
          (1.0, -3.3333335072e-02, 1.5873016091e-03, -7.9365076090e-05, 4.0082177293e-06,
           -2.0109921195e-07)),
    f64: ((0x3fd62e42, 0x3FF0A2B2, 0x3c900000, 0x4043687A), 7.09782712893383973096e+02,
          (6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.44269504088896338700e+00),
          (1.0, -3.33333333333331316428e-02, 1.58730158725481460165e-03,
           -7.93650757867487942473e-05, 4.00821782732936239552e-06,
           -2.01099218183624371326e-07)),
}


def _glibc_expm1(x: np.ndarray) -> np.ndarray:
    """glibc expm1f (s_expm1f.c, unfused) and expm1 (s_expm1.c, built with FMA):
    e^x - 1 = 2^k (1 + expm1(r)) - 1, r = x - k ln2, expm1(r) by a rational correction."""
    t, fused = x.dtype.type, x.dtype == f64
    (half_ln2, one_and_half_ln2, tiny, huge), overflow, (ln2_hi, ln2_lo, inv_ln2), q = (
        _EXPM1[x.dtype.type])

    def ma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        return fma(a, b, c) if fused else a * b + c               # a b + c

    top, positive = _top(x), ~np.signbit(x)
    k = _trunc(ma(t(inv_ln2), x, np.where(positive, t(0.5), t(-0.5))))   # x / ln2, rounded
    hi, lo = ma(-k.astype(t), t(ln2_hi), x), k.astype(t) * t(ln2_lo)
    one_step = (top > half_ln2) & (top < one_and_half_ln2)       # k = +-1 without dividing
    sign = np.where(positive, t(1), t(-1))
    hi = np.where(one_step, x - sign * t(ln2_hi), hi)
    lo = np.where(one_step, sign * t(ln2_lo), lo)
    k = np.where(one_step, sign.astype(np.int64), np.where(top > half_ln2, k, 0))
    r = np.where(top > half_ln2, hi - lo, x)                      # x - k ln2
    c = np.where(top > half_ln2, (hi - r) - lo, t(0))             # what r lost
    half_r = t(0.5) * r
    r_sq = r * half_r                                             # r^2 / 2
    r1 = _horner(r_sq, q) if not fused else _expm1_poly(r_sq, q)
    u = ma(-r1, half_r, t(3))                                     # 3 - r1 r / 2
    e = r_sq * ((r1 - u) / ma(-r, u, t(6)))                       # expm1(r) - r - r^2/2
    out = _expm1_ranges(r, e, c, r_sq, k, ma, x.dtype == f32)
    out = np.where(top < tiny, x, out)
    out = np.where((top >= huge) & ~positive, t(-1), out)
    out = np.where((top >= huge) & (x > t(overflow)), t(np.inf), out)
    return np.where(np.isnan(x), x, out)


def _trunc(x: np.ndarray) -> np.ndarray:
    """(int) x, 0 for infinities and NaN."""
    return np.where(np.isfinite(x), np.trunc(x), 0).astype(np.int64)


def _expm1_poly(z: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """1 + Q1 z + ... + Q5 z^5, as glibc's double code evaluates it (fused, in three pairs)."""
    z2 = z * z
    return fma(z2 * z2, fma(z, q[5], q[4]), fma(z2, fma(z, q[3], q[2]), fma(z, q[1], q[0])))


def _expm1_ranges(r: np.ndarray, e: np.ndarray, c: np.ndarray, r_sq: np.ndarray,
                  k: np.ndarray, ma: Callable, single: bool) -> np.ndarray:
    """2^k (1 + r - (r (e - c) - c - r^2/2)) - 1, in the order fdlibm uses for each k."""
    t = r.dtype.type
    at_0 = r - ma(r, e, -r_sq)
    e = ma(r, e - c, -c) - r_sq
    at_minus_1 = ma(t(0.5), r - e, t(-0.5))
    at_1 = np.where(r < t(-0.25), t(-2) * (e - (r + t(0.5))), ma(t(2), r - e, t(1)))
    k32 = k.astype(np.int32)
    far = np.ldexp(t(1) - (e - r), k32) - t(1)                    # k <= -2 or k > 56
    below = np.ldexp((t(1) - np.ldexp(t(1), -k32)) - (e - r), k32)  # 2 <= k < 23 (20)
    above = np.ldexp(r - (e + np.ldexp(t(1), -k32)) + t(1), k32)    # up to 56
    return np.where(k == 0, at_0, np.where(k == -1, at_minus_1, np.where(k == 1, at_1, np.where(
        (k <= -2) | (k > 56), far, np.where(k < (23 if single else 20), below, above)))))
