"""binary_cross_entropy and binary_cross_entropy_with_logits at torch's edges: the legacy
reduction arguments, the refusals, the dtype of each in-place step, the libm functions its
kernels call and the order of its sums. Equation numbers are those of manual/bce.py.

* The reduction (``legacy_reduction``, ``reduction``): torch's _Reduction rules, shared with
  nll_loss (manual/_parity/nll_loss.py): size_average or reduce, when either is given, replace
  it ("mean" if both are true, "sum" if only reduce, else "none", each None counting as true)
  with a UserWarning; "elementwise_mean" is "mean" with a UserWarning; any other name is a
  ValueError, before any other check.
* binary_cross_entropy's refusals, in torch's order (``check_probabilities``): a target of
  another size than the input (ValueError); a weight that does not broadcast with the target
  (torch.broadcast_shapes' message); a weight that requires grad while grad mode is on; a
  target of another dtype than the input; a dtype without a kernel (integers, bool; float16,
  which torch computes, is refused here too); then, element by element in the input's
  memory order, an input and then a target outside [0, 1] (NaN included); last, a weight
  whose broadcast with the target grows the input's shape (the in-place loss.mul_(weight)).
  The weight is used expanded to that broadcast shape.
* binary_cross_entropy_with_logits' refusals (``check_logits``): a target of another size;
  a weight, then a pos_weight, that requires grad; an input of no float dtype (log_sigmoid's
  kernel); then its tensor arithmetic's, step by step: pos_weight - 1 of a bool; pos_weight
  and target that do not broadcast; a (pos_weight - 1) y + 1 that would grow the input's
  shape; 1 - y of a bool target; (1 - y) x stored in an integer target's dtype; a weight that
  does not broadcast with the loss, or would grow it.
* In-place dtypes (``mul_``, ``sub_``; ``mul`` out of place): torch computes the logits'
  loss in place, starting from 1 - y, so the loss has the target's dtype (float32 for a
  float64 input and a float32 target), and every step a.op_(b) is computed in the dtype
  torch promotes a and b to (a 0-d operand ranks below one with dims) and rounded to a's.
  The backward formulas run in place too (grad mode is off in backward).
* libm: binary_cross_entropy's kernel is a scalar loop calling glibc's log (``log``) and log1p
  (``log1p``: fdlibm's log1pf for float32; for float64 the x86-64 FMA build of log1p, which
  glibc's 2.36 branch gained as a backport (Debian 12 ships it) and picks on a CPU with FMA
  and AVX2, with the contractions GCC made in it); each
  operation of (1) and (3) rounds in the input's dtype, none fused (Loss.cpp is compiled
  without FMA). log_sigmoid (6) runs in vector lanes only (the last partial vector is padded):
  SLEEF's exp and log1p (``log_sigmoid``, ``sleef_log1p``). The sigmoid of (8) is torch's
  sigmoid kernel (manual/_parity/arithmetic.py). The logit of (4) is MKL's vector log on a
  contiguous input, which is not public: ``logit`` uses glibc's, which is within 1 ULP of it.
* The sums of (2) and (7) (``reduce``, ``torch_sum``): torch's sum kernel on the loss, in
  its memory order (the loss is laid out as the input, or for the logits as the target): AVX2
  vectors of 8 (float32) or 4 (float64) lanes, added four vectors at a time into four
  accumulators, each a cascade of 4 levels that flushes a level into the next every 2^p
  steps (p = max(4, ceil(log2 m) / 4) for m steps); the leftover vectors go into the first
  accumulator, the four are added in order, then the leftover elements and then the lanes
  are added to 0 one by one. A loss shorter than a vector is added as scalars, four
  accumulators the same way. "mean" divides that sum by N.

Reference: torch/nn/functional.py (``binary_cross_entropy``,
``binary_cross_entropy_with_logits``), torch/_refs/__init__.py (``_broadcast_shapes``),
aten/src/ATen/native/Loss.cpp (``binary_cross_entropy_out_cpu``,
``binary_cross_entropy_backward_out_cpu``, ``binary_cross_entropy_with_logits``),
torch/csrc/autograd/FunctionsManual.cpp (``binary_cross_entropy_target_backward``,
``binary_cross_entropy_with_logits_backward``, ``..._target_backward``),
aten/src/ATen/native/cpu/Activation.cpp (``log_sigmoid_cpu_kernel``),
aten/src/ATen/native/cpu/UnaryOpsKernel.cpp (``logit_kernel``: ``LogitMKLKernel``),
aten/src/ATen/native/cpu/SumKernel.cpp (``cascade_sum``), glibc 2.36
sysdeps/ieee754/flt-32/s_log1pf.c, sysdeps/ieee754/dbl-64/s_log1p.c and
sysdeps/x86_64/fpu/multiarch/s_log1p-fma.c, SLEEF src/libm/sleefsimdsp.c and sleefsimddp.c
(``xlog1pf``, ``xlog1p``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from manual._parity.arithmetic import check_subtraction
from manual._parity.arithmetic import sigmoid as sigmoid
from manual._parity.dtypes import casts_down, result_dtype, torch_name
from manual._parity.engine import check_broadcast, check_in_place_shape
from manual._parity.libm import glibc_log as log
from manual._parity.libm import sleef_exp
from manual._parity.nll_loss import legacy_reduction as legacy_reduction
from manual._parity.nll_loss import reduction as reduction
from manual._parity.rounding import fma
from manual.no_grad import is_grad_enabled
from manual.tensor import Tensor

NODE = "BinaryCrossEntropyBackward0"
LOGITS_NODE = "BinaryCrossEntropyWithLogitsBackward0"
EPSILON = np.float32(1e-12)  # (3)'s floor: a C++ float, widened for float64


def saved(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    """What torch's node saves and reads at backward: the input, the target and the weights
    given (changing one in place before backward is refused)."""
    return tuple(t for t in tensors if t is not None)


# -- refusals ------------------------------------------------------------------------------------

def check_probabilities(input: Tensor, target: Tensor, weight: Tensor | None
                        ) -> np.ndarray | None:
    """binary_cross_entropy's refusals, in torch's order; the weight expanded to its broadcast
    with the target (the input's shape, once accepted), or None."""
    _check_sizes(input, target, "Using a target size ({}) that is different to the input "
                 "size ({}) is deprecated. Please ensure they have the same size.")
    shape = None if weight is None else _with(_sizes(target=target, weight=weight),
                                              _broadcast_shapes, target.shape, weight.shape)
    _check_weights("binary_cross_entropy", weight=weight)
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {torch_name(target.dtype)} but expected "
                           f"{torch_name(input.dtype)}: input of dtype {input.dtype}, target "
                           f"of dtype {target.dtype}")
    _check_kernel("binary_cross_entropy", input.dtype)
    _check_range(input.array, target.array)
    if weight is None:
        return None
    _with(_sizes(input=input, weight=weight), check_in_place_shape,  # loss.mul_(weight)
          np.broadcast_shapes(input.shape, shape), input.shape)
    return np.broadcast_to(weight.array, shape)


def check_logits(input: Tensor, target: Tensor, weight: Tensor | None,
                 pos_weight: Tensor | None) -> None:
    """binary_cross_entropy_with_logits' refusals, in the order torch meets them."""
    _check_sizes(input, target, "Target size ({}) must be the same as input size ({})")
    _check_weights("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    _check_kernel("log_sigmoid_cpu", input.dtype)
    if pos_weight is not None:  # log_sig.mul_((pos_weight - 1).mul(target).add_(1))
        _with(f"pos_weight of dtype {pos_weight.dtype}", check_subtraction, pos_weight.dtype,
              np.dtype(np.int64))
        sizes = _sizes(pos_weight=pos_weight, target=target)
        _with(sizes, check_broadcast, pos_weight.shape, target.shape)
        _with(sizes, check_in_place_shape,
              np.broadcast_shapes(pos_weight.shape, target.shape), input.shape)
    _with(f"target of dtype {target.dtype}", check_subtraction,  # 1 - y: torch's words
          target.dtype, target.dtype)
    if casts_down(result_dtype(target, input), target.dtype):  # (1 - y).mul_(x)
        raise RuntimeError(f"result type {torch_name(result_dtype(target, input))} can't be "
                           f"cast to the desired output type {torch_name(target.dtype)}: "
                           f"input of dtype {input.dtype}, target of dtype {target.dtype}")
    if weight is not None:  # loss.mul_(weight)
        sizes = _sizes(input=input, weight=weight)
        _with(sizes, check_broadcast, input.shape, weight.shape)
        _with(sizes, check_in_place_shape, np.broadcast_shapes(input.shape, weight.shape),
              input.shape)


def _with(context: str, check: Callable[..., object], *args: object) -> object:
    """A check shared with other pieces, its message followed by the arguments it is about."""
    try:
        return check(*args)
    except RuntimeError as error:
        words = str(error)
        raise RuntimeError(f"{words} ({context})" if words.endswith(".") else
                           f"{words}: {context}") from None


def _sizes(**tensors: Tensor) -> str:
    return ", ".join(f"{name} of size {list(t.shape)}" for name, t in tensors.items())


def _check_sizes(input: Tensor, target: Tensor, words: str) -> None:
    if target.shape != input.shape:
        raise ValueError(words.format(f"torch.Size({list(target.shape)})",
                                      f"torch.Size({list(input.shape)})"))


def _broadcast_shapes(target: tuple[int, ...], weight: tuple[int, ...]) -> tuple[int, ...]:
    """torch.broadcast_shapes(target, weight): the shape grows dim by dim from the last, and
    a clash names the weight's dim, counted from the end, and the shape reached so far."""
    common = [1] * max(len(target), len(weight))
    for index, shape in enumerate((target, weight)):
        for dim in range(-1, -1 - len(shape), -1):
            if shape[dim] == common[dim]:
                continue
            if common[dim] == 1:
                common[dim] = shape[dim]
            if shape[dim] != 1 and common[dim] != shape[dim]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[dim]} at {dim}! "
                    f"Mismatching argument at index {index} had torch.Size({list(shape)}); "
                    f"but expected shape should be broadcastable to {common}")
    return tuple(common)


def _check_weights(function: str, **weights: Tensor | None) -> None:
    """Neither weight is differentiable: torch refuses one that requires grad (in grad mode)."""
    for name, weight in weights.items():
        if weight is not None and weight.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function '{function}' is not differentiable with respect "
                               f"to argument '{name}'. This input cannot have requires_grad "
                               f"True. ({name} of size {list(weight.shape)})")


def _check_kernel(kernel: str, dtype: np.dtype) -> None:
    if dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(dtype)}\': '
                                  f"input of dtype {dtype}")


def _check_range(x: np.ndarray, y: np.ndarray) -> None:
    """The kernel checks each element in turn, in the input's memory order, the input's
    value first: the first outside [0, 1]."""
    order = _memory_order(x)
    walked = [np.transpose(~((a >= 0) & (a <= 1)), order) for a in (x, y)]
    bad = np.stack(walked, -1).reshape(-1)                        # input, target, input, ...
    if bad.any():
        first = int(np.argmax(bad))
        name, values = ("input", x) if first % 2 == 0 else ("target", y)
        walked_index = np.unravel_index(first // 2, walked[0].shape)
        index = tuple(int(walked_index[order.index(d)]) for d in range(x.ndim))
        raise RuntimeError(f"all elements of {name} should be between 0 and 1: {name}"
                           f"{list(index)} is {values[index]}")


# -- the arithmetic, rounded as torch rounds it ---------------------------------------------------

def mul_(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch's a.mul_(b): a b in the dtype torch promotes them to, kept in a's dtype."""
    return _in_place(np.multiply, a, b)


def sub_(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch's a.sub_(b): a - b in the dtype torch promotes them to, kept in a's dtype."""
    return _in_place(np.subtract, a, b)


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch's a.mul(b), out of place: a b in the dtype torch promotes them to."""
    a, b = np.asarray(a), np.asarray(b)  # 0-d results of NumPy are scalars: arrays again
    dtype = result_dtype(a, b)
    with np.errstate(all="ignore"):
        return a.astype(dtype, copy=False) * b.astype(dtype, copy=False)


def _in_place(op: Callable[..., np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)  # 0-d results of NumPy are scalars: arrays again
    dtype = result_dtype(a, b)
    with np.errstate(all="ignore"):
        return op(a.astype(dtype, copy=False), b.astype(dtype, copy=False)).astype(a.dtype)


def logit(x: np.ndarray) -> np.ndarray:
    """(4) log(x / (1 - x)), inf at x = 1: glibc's log where torch calls MKL's (1 ULP apart)."""
    with np.errstate(divide="ignore"):
        return log(x / (1 - x))


def reduce(loss: np.ndarray, reduction: str, like: np.ndarray) -> np.ndarray:
    """(2), (7): the loss kept, summed, or summed and divided by N, as torch's kernels do;
    torch lays the loss out as ``like`` (the input, or the target for the logits), its dims
    in the order of their strides, and sums it in that memory order."""
    if reduction == "none":
        return loss
    total = torch_sum(np.transpose(loss, _memory_order(like)))
    with np.errstate(invalid="ignore"):  # the mean of nothing is 0 / 0 = NaN, as in torch
        return total / loss.dtype.type(loss.size) if reduction == "mean" else total


def _memory_order(a: np.ndarray) -> list[int]:
    """a's dims from the outermost in memory to the innermost (ties kept in order)."""
    return sorted(range(a.ndim), key=lambda d: -a.strides[d])


def torch_sum(a: np.ndarray) -> np.ndarray:
    """torch's sum of all of a, row-major, in its kernel's order (the module's docstring)."""
    flat = np.ravel(a)
    width = 32 // flat.dtype.itemsize                             # AVX2 lanes
    if flat.size < width:
        return np.asarray(flat.dtype.type(0) + _row_sum(flat))
    whole = flat.size - flat.size % width
    lanes = _row_sum(flat[:whole].reshape(-1, width))             # (n / V vectors, V) -> (V,)
    total = flat.dtype.type(0)
    for value in (*flat[whole:], *lanes):                         # the tail, then the lanes
        total = total + value
    return np.asarray(flat.dtype.type(0) + total)


def _row_sum(items: np.ndarray) -> np.ndarray:
    """row_sum: items (m, ...) into four accumulators, the leftovers into the first."""
    m = len(items)
    partial = _cascade(items[:m - m % 4].reshape(m // 4, 4, *items.shape[1:]))  # (4, ...)
    first = partial[0]
    for item in items[m - m % 4:]:
        first = first + item
    return ((first + partial[1]) + partial[2]) + partial[3]


def _cascade(items: np.ndarray) -> np.ndarray:
    """multi_row_sum along axis 0: blocks of 2^p summed from 0 into level 1, whose sums of 2^p
    blocks go to level 2, and so on to level 3; then the levels added from level 0 up."""
    step = 1 << max(4, _ceil_log2(len(items)) // 4)
    rest = []
    for _ in range(3):
        whole = len(items) - len(items) % step
        rest.append(_serial(items[whole:]))                       # what stays at this level
        blocks = items[:whole].reshape(-1, step, *items.shape[1:])  # (blocks, 2^p, ...)
        items = _serial(np.moveaxis(blocks, 1, 0))
    return ((rest[0] + rest[1]) + rest[2]) + _serial(items)


def _serial(items: np.ndarray) -> np.ndarray:
    """Items along axis 0 added in order to 0 (so -0 + ... starts from +0, as in torch)."""
    zero = np.zeros((1, *items.shape[1:]), items.dtype)
    return np.add.accumulate(np.concatenate([zero, items]), axis=0)[-1]


def _ceil_log2(n: int) -> int:
    """c10's CeilLog2: 1 up to 2, then the bits of n - 1."""
    return 1 if n <= 2 else (n - 1).bit_length()


# -- log_sigmoid: SLEEF's exp and log1p ---------------------------------------------------------

def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """(6) min(z, 0) - log1p(exp(-|z|)) in torch's vector lanes (min of -0 and 0 is +0, NaN
    stays NaN)."""
    with np.errstate(invalid="ignore"):
        low = np.where(np.isnan(z) | (z < 0), z, z.dtype.type(0))
        return low - sleef_log1p(sleef_exp(-np.abs(z)))


_LN2 = {np.dtype(np.float32): (np.float32(0.69314718246459960938),
                               np.float32(-1.904654323148236017e-09)),
        np.dtype(np.float64): (0.693147180559945286226764, 2.319046813846299558417771e-17)}
_LOG1P_POLY = (0.1532076988502701353e+0, 0.1525629051003428716e+0, 0.1818605932937785996e+0,
               0.2222214519839380009e+0, 0.2857142932794299317e+0, 0.3999999999635251990e+0,
               0.6666666666667333541e+0)


def sleef_log1p(d: np.ndarray) -> np.ndarray:
    """SLEEF's xlog1pf / xlog1p (u10, FMA) for d in [0, 1] and NaN, the arguments of (6):

    1. 1 + d = 2^e (1 + m): e from (1 + d) (1 / 0.75), m = fma(d, 2^-e, 2^-e - 1), exact
    2. x = m / (2 + m) as a double-float (dfdiv); x2 = x.hi^2
    3. t: fma(fma(0.3027294874, x2, 0.3996108174), x2, 0.6666694880) for float32, Estrin's
       POLY7 in x2 for float64
    4. s = ln2 e + 2 x + x.hi x2 t in double-float additions; the result s.hi + s.lo"""
    dt = d.dtype.type
    with np.errstate(invalid="ignore", over="ignore"):
        _, exponent = np.frexp((d + dt(1)) * dt(1 / 0.75))
        e = np.where(np.isnan(d), 0, exponent - 1)                # (1)
        t = np.ldexp(dt(1), -e).astype(d.dtype)
        m = fma(d, t, t - dt(1))
        ln2_hi, ln2_lo = _LN2[d.dtype]
        e = e.astype(d.dtype)
        sx = ln2_hi * e                                           # (4) ln2 e as (sx, sy)
        sy = fma(ln2_lo, e, fma(ln2_hi, e, -sx))
        dx = dt(2) + m                                            # (2) 2 + m as (dx, dy)
        dy = (dt(2) - dx) + m
        t = dt(1) / dx
        xx = m * t
        v = fma(-dy, t, fma(-dx, t, np.ones_like(m)))
        xy = fma(xx, v, fma(t, m, -xx))
        x2 = xx * xx
        p = _log1p_poly(x2)                                       # (3)
        hi = sx + xx * dt(2)                                      # (4) + 2 x
        lo = (((sx - hi) + xx * dt(2)) + sy) + xy * dt(2)
        w = (x2 * xx) * p                                         # (4) + x^3 t
        top = hi + w
        r = top + (((hi - top) + w) + lo)
    return np.where(np.isnan(d) | (d == 0), d, r)  # log1p(0) = 0 with d's sign; NaN stays


def _log1p_poly(x2: np.ndarray) -> np.ndarray:
    if x2.dtype == np.float32:
        f = np.float32
        return fma(fma(np.full_like(x2, f(0.3027294874)), x2, np.full_like(x2, f(0.3996108174))),
                   x2, np.full_like(x2, f(0.6666694880)))
    c6, c5, c4, c3, c2, c1, c0 = _LOG1P_POLY
    x4 = x2 * x2
    return fma(x4 * x4, fma(x4, c6, fma(x2, c5, np.full_like(x2, c4))),
               fma(x4, fma(x2, c3, np.full_like(x2, c2)), fma(x2, c1, np.full_like(x2, c0))))


# -- glibc's log1p: fdlibm's algorithm, float32 plain, float64 as its FMA build ------------------

_FDLIBM = {  # per dtype: the exponent's bias and place in the (high) word, and the constants
    np.dtype(np.float32): dict(
        bias=127, bits=23, tiny=0x31000000, tinier=0x24800000, near=0x3E95F61F,
        sqrt2=0x3504F7, ln2=(np.float32(6.9313812256e-01), np.float32(9.0580006145e-06)),
        lp=tuple(np.float32(c) for c in (6.6666668653e-01, 4.0000000596e-01, 2.8571429849e-01,
                                          2.2222198546e-01, 1.8183572590e-01, 1.5313838422e-01,
                                          1.4798198640e-01))),
    np.dtype(np.float64): dict(
        bias=1023, bits=20, tiny=0x3E200000, tinier=0x3C900000, near=0x3FD2BEC3,
        sqrt2=0x6A09E, ln2=(6.93147180369123816490e-01, 1.90821492927058770002e-10),
        lp=(6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
            2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
            1.479819860511658591e-01)),
}


def log1p(a: np.ndarray) -> np.ndarray:
    """std::log1p for a in [-1, 0], the arguments -x of (1): glibc 2.36's log1pf (fdlibm's,
    each operation rounded) and log1p (its FMA build, fused where GCC fused it: ``_mad``).

    1. a = -1 gives -inf; |a| < 2^-29: a - a^2 / 2 (a itself below 2^-54)
    2. |a| <= 0.2929: k = 0, f = a; else u = 1 + a = 2^k (1 + f) with 1 + f in
       [sqrt(2)/2, sqrt(2)), and c = (a - (u - 1)) / u the rounding error of u
    3. log1p(a) = k ln2 + c + f - (h - s (h + R(s^2))), h = f^2 / 2, s = f / (2 + f),
       as k ln2_hi - ((h - (s (h + R) + (k ln2_lo + c))) - f)
    4. |f| < 2^-20: R = h (1 - 2f / 3) in place of s (h + R)"""
    spec, dt = _FDLIBM[a.dtype], a.dtype.type
    bits, bias = spec["bits"], spec["bias"]
    magnitude = _high_word(a) & 0x7FFFFFFF
    with np.errstate(all="ignore"):  # a = -1 makes nonsense here, replaced by (1)
        u = dt(1) + a                                             # (2) u = 1 + a
        word = _high_word(u)
        k = (word >> bits) - bias
        c = (a - (u - dt(1))) / u
        hu = word & ((1 << bits) - 1)
        halve = hu >= spec["sqrt2"]                               # 1 + f kept below sqrt(2)
        k = k + halve
        u = _with_high_word(u, hu | np.where(halve, bias - 1, bias) << bits)
        hu = np.where(halve, ((1 << bits) - hu) >> 2, hu)
        near = magnitude <= spec["near"]                          # (2) k = 0, f = a
        f = np.where(near, a, u - dt(1))
        k, c = np.where(near, 0, k).astype(a.dtype), np.where(near, dt(0), c)
        out = _fdlibm(f, k, c, ~near & (hu == 0), spec)
        small = _mad(-(a * a), dt(0.5), a)                        # (1) a - a^2 / 2
    out = np.where(magnitude < spec["tiny"], np.where(magnitude < spec["tinier"], a, small), out)
    return np.where(a == -1, -np.inf, out).astype(a.dtype)


def _fdlibm(f: np.ndarray, k: np.ndarray, c: np.ndarray, flat: np.ndarray, spec: dict
            ) -> np.ndarray:
    """(3), (4): log(1 + f) + k ln2 + c, from the reduced argument."""
    dt = f.dtype.type
    ln2_hi, ln2_lo = spec["ln2"]
    h = dt(0.5) * f * f
    low = _mad(k, ln2_lo, c)                                      # k ln2_lo + c
    s = f / (dt(2) + f)
    sh = s * (h + _fdlibm_poly(s * s, spec["lp"]))                # (3) s (h + R), rounded
    main = np.where(k == 0, f - (h - sh), _mad(k, ln2_hi, -((h - (sh + low)) - f)))
    r = h * _mad(dt(-0.66666666666666666), f, np.ones_like(f))    # (4) h (1 - 2f / 3)
    flat_value = np.where(k == 0, f - r, _mad(k, ln2_hi, -((r - low) - f)))
    flat_value = np.where(f == 0, np.where(k == 0, dt(0), _mad(k, ln2_hi, low)), flat_value)
    return np.where(flat, flat_value, main)


def _fdlibm_poly(z: np.ndarray, lp: tuple) -> np.ndarray:
    """R(z) = z (Lp1 + z (Lp2 + ... + z Lp7)): float32 by Horner, rounding each step;
    float64 as the FMA build computes it, fma(z6, R4, fma(z4, R3, fma(z, Lp1, z2 R2)))."""
    if z.dtype == np.float32:
        r = lp[6]
        for coefficient in lp[5::-1]:
            r = coefficient + z * r
        return z * r
    z2 = z * z
    z4 = z2 * z2
    r2, r3, r4 = (fma(z, lp[i + 1], np.full_like(z, lp[i])) for i in (1, 3, 5))
    return fma(z4 * z2, r4, fma(z4, r3, fma(z, np.full_like(z, lp[0]), z2 * r2)))


def _mad(a: np.ndarray, b: float, c: np.ndarray) -> np.ndarray:
    """a b + c: one rounding in glibc's float64 (FMA) build, two in float32's."""
    c = np.asarray(c)
    return fma(a, b, c) if c.dtype == np.float64 else a * b + c


def _high_word(a: np.ndarray) -> np.ndarray:
    """fdlibm's GET_FLOAT_WORD (float32) or GET_HIGH_WORD (float64), signed."""
    if a.dtype == np.float32:
        return a.view(np.int32).astype(np.int64)
    return a.view(np.int64) >> 32


def _with_high_word(a: np.ndarray, word: np.ndarray) -> np.ndarray:
    """fdlibm's SET_FLOAT_WORD (float32) or SET_HIGH_WORD (float64, the low word kept)."""
    if a.dtype == np.float32:
        return word.astype(np.uint32).view(np.float32)
    return ((word << 32) | (a.view(np.int64) & 0xFFFFFFFF)).view(np.float64)
