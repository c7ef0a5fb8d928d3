"""batch_norm at torch's edges: its refusals, its empty batch, and how its CPU kernels round.

Refusals (``check``), in torch's order (F.batch_norm, then _batch_norm_impl_index, then
batch_norm_cpu and its kernels):

1. training: one value per channel (ValueError; a 0-d input has no size[0]: IndexError);
   then eps <= 0 in training, eps < 0 in eval (ValueError);
2. C is the input's size(1), read as 0 below 2 dims; an empty input stops here
   (``empty_batch``); running_mean and running_var must hold C elements (and exist in eval),
   weight and bias too;
3. a 0-d input (torch's list of reduced dims cannot hold -1 entries); training: dim 1 of a
   1-d input (IndexError), then one running statistic without the other (ValueError);
4. no kernel for an input that is not float32 or float64 (NotImplementedError);
5. mixed dtypes: the first parameter given (weight, bias, running_mean, running_var) is not
   of x's dtype: "expect parameter to have scalar type of Float" unless every one is float32;
6. the kernel's reads, in its order: training reads running_mean, running_var (1-d, x's
   dtype), then weight and bias (x's dtype); eval reads dim 1 of x (IndexError for 1-d),
   weight, bias, then running_mean and running_var.

An empty input never reaches the kernel: torch returns x.clone() * w[0] + b[0].

Rounding, as torch 2.13's x86-64 CPU kernels do it (AVX2 builds: float32 vectors of 8 lanes,
float64 of 4; the kernels in native/cpu fuse multiply-adds, Normalization.cpp does not):

* ``moments``: for L > 1 (an image of L values per row), per channel the sum of x in double
  in (n, l) order, the mean divided in double and rounded to x's dtype; then (x - mean)^2
  rounded in float32 and summed in double, or for float64 summed with the last element of
  each odd-length row fused. For L = 1, ``buf + x`` in x's dtype over the rows, then
  double; the squares fused as fma(d, d, buf). torch splits those rows between its
  threads, one buffer each: this is torch on one thread (the tests set it so).
* ``inv_std``: 1 / sqrt(var + eps) in double, rounded once (torch's InvStd, and its eval
  backward). ``blend``: running_var's update, m unbiased + (1 - m) running_var, summed in
  double from the rounded product (1 - m) running_var.
* ``channel_sums`` (backward): for L > 1, per row the dy and dy (x - mean) of its L values
  reduced in lanes (``lane_sums``), the rows summed in double; for L = 1, sequential sums in
  x's dtype, the products fused (``fused_sum``), split between threads as above.
* ``training_dx``: fma(-(x - mean), k, dy - grad_mean) invstd w, where k = dot invstd^2 / M;
  for L = 1 the last C mod 8 (float32) or C mod 4 (float64) channels are not fused.

These are the kernels of a contiguous x and dy. torch takes other paths for a channels-last
or otherwise strided x, and for a dy that is not contiguous (``y.sum().backward()`` hands
down an expanded one: a serial loop in double, not fused); those are not reproduced. For
the expanded dy, measured: dw within 9 ULP of the scale sum |dy xhat|, dx within 1 ULP of
its scale.

Reference: torch/nn/functional.py (``batch_norm``, ``_verify_batch_size``),
aten/src/ATen/native/Normalization.cpp (``_batch_norm_impl_index``, ``batch_norm_cpu``,
``batch_norm_cpu_update_stats_template``, ``batch_norm_backward_cpu_template``),
aten/src/ATen/native/cpu/batch_norm_kernel.cpp, aten/src/ATen/native/cpu/mixed_data_type.h,
aten/src/ATen/cpu/vec/functional_base.h (``reduce_all``, ``map2_reduce_all``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.dtypes import torch_name
from manual._parity.rounding import fma
from manual.tensor import Tensor

NODE = "NativeBatchNormBackward0"
_PARAMETERS = ("weight", "bias", "running_mean", "running_var")


def check(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
          weight: Tensor | None, bias: Tensor | None, training: bool, eps: float) -> bool:
    """torch's refusals, in its order (the module's docstring lists them); True for an
    empty input, which torch answers without its kernel."""
    given = dict(zip(_PARAMETERS, (weight, bias, running_mean, running_var)))
    if training:
        _check_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.array.size == 0:
        return True
    _check_sizes(input, given, training)
    _check_rank(input, running_mean, running_var, training)
    if input.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"batch_norm\" not implemented for "
                                  f"'{torch_name(input.dtype)}': input {input.dtype}")
    check_dtypes(input, given)
    order = (("running_mean", "running_var", "weight", "bias") if training else
             ("input", "weight", "bias", "running_mean", "running_var"))
    for name in order:
        _check_read(input, name, given.get(name))
    return False


def check_input_dim(input: Tensor, ranks: tuple[int, ...]) -> None:
    """BatchNorm1d takes (N, C) or (N, C, L), BatchNorm2d (N, C, H, W): torch's ValueError."""
    if input.ndim not in ranks:
        expected = " or ".join(f"{rank}D" for rank in ranks)
        raise ValueError(f"expected {expected} input (got {input.ndim}D input)")


def check_dtypes(input: Tensor, given: dict[str, Tensor | None]) -> None:
    """torch's mixed-dtype check (mixed_data_type.h): if the first parameter given is not of
    x's dtype, torch takes the mix only for float32 parameters and a bfloat16 or float16 x:
    with every parameter float32 it is x that is refused, otherwise a parameter."""
    defined = {name: t for name, t in given.items() if t is not None}
    first = next(iter(defined.values()), None)
    if first is None or first.dtype == input.dtype:
        return
    dtypes = ", ".join(f"{name} {t.dtype}" for name, t in defined.items())
    if all(t.dtype == np.float32 for t in defined.values()):
        raise RuntimeError(f"mixed dtype (CPU): all inputs must share same datatype.: input "
                           f"{input.dtype}, {dtypes}")
    raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of Float: "
                       f"input {input.dtype}, {dtypes}")


def check_read(input: Tensor, name: str, t: Tensor | None) -> None:
    """A parameter read by a kernel of x's dtype (``data_ptr``): torch's refusal of another."""
    if t is not None and t.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(input.dtype)} but found "
                           f"{torch_name(t.dtype)}: input {input.dtype}, {name} {t.dtype}")


def _check_batch_size(shape: tuple[int, ...]) -> None:
    """F.batch_norm's _verify_batch_size: more than one value per channel to train on."""
    if not shape:
        raise IndexError("tuple index out of range: input of size []")
    if shape[0] * int(np.prod(shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size torch.Size({list(shape)})")


def _check_sizes(input: Tensor, given: dict[str, Tensor | None], training: bool) -> None:
    """_batch_norm_impl_index: C elements in each parameter; the running statistics exist
    in eval. C is size(1), which torch reads as 0 for an input under 2 dims."""
    channels = input.shape[1] if input.ndim > 1 else 0
    for name in ("running_mean", "running_var", "weight", "bias"):
        t = given[name]
        if t is None and name.startswith("running") and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        if t is not None and t.array.size != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.array.size}")


def _check_rank(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                training: bool) -> None:
    """batch_norm_cpu before its dtype dispatch: the reduced dims of a 0-d input, dim 1 of a
    1-d one in training, and the running statistics as a pair."""
    if input.ndim == 0:
        raise RuntimeError("SmallVector unable to grow. Requested capacity "
                           "(18446744073709551615) is larger than maximum value for size "
                           "type (4294967295): input of size []")
    if training:
        _check_dim_1(input)
        if (running_mean is None) != (running_var is None):
            raise ValueError("running_mean and running_var must either both be None or "
                             "neither be None")


def _check_read(input: Tensor, name: str, t: Tensor | None) -> None:
    """One read of the kernel: dim 1 of x, or a parameter (the running statistics through a
    1-d accessor, which checks their rank first)."""
    if name == "input":
        _check_dim_1(input)
        return
    if t is not None and name.startswith("running") and t.ndim != 1:
        raise RuntimeError(f"TensorAccessor expected 1 dims but tensor has {t.ndim}: {name} "
                           f"of size {list(t.shape)}")
    check_read(input, name, t)


def _check_dim_1(input: Tensor) -> None:
    """torch reads size(1): out of range for a 1-d input."""
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"1): input of size {list(input.shape)}")


def empty_batch(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """torch's answer for an input without values: x.clone() * w[0] + b[0], no kernel."""
    out = input.clone()
    if weight is not None:
        out = out * weight[0]
    if bias is not None:
        out = out + bias[0]
    return out


def watched(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    """What torch's node saves and checks: x, w and the running statistics, where given."""
    return tuple(t for t in tensors if t is not None)


def per_channel(t: Tensor | None, channels: int, dtype: np.dtype, absent: float) -> np.ndarray:
    """w or b as (C,) (torch reads any shape of C elements), or ``absent`` where not given."""
    if t is None:
        return np.full(channels, absent, dtype)
    return t.array.reshape(channels)


# -- the forward kernel --------------------------------------------------------------------

def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mean and sum (x - mean)^2 per channel of x (N, C, L), rounded as torch's kernel."""
    n, c, size = x.shape
    if size == 1:
        return _moments_channels_last(x[:, :, 0])
    flat = x.transpose(1, 0, 2).reshape(c, n * size)             # (C, M), in (n, l) order
    mean = (_sequential_sum(flat, np.float64) / (n * size)).astype(x.dtype)
    d = flat - mean[:, None]                                     # (C, M)
    if x.dtype == np.float32:
        return mean, _sequential_sum(d * d, np.float64).astype(x.dtype)
    return mean, _squares_in_double(d.reshape(c, n, size)).astype(x.dtype)


def _moments_channels_last(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (M, C), one value per row and channel: buf + x over the rows in the dtype, then
    in double; the squares fused into their buffer, fma(d, d, buf)."""
    total = 0.0 + sum_rows(x).astype(np.float64)                 # (C,)
    mean = (total / x.shape[0]).astype(x.dtype)
    d = x - mean                                                 # (M, C)
    return mean, (0.0 + fused_sum(d, d).astype(np.float64)).astype(x.dtype)


def _squares_in_double(d: np.ndarray) -> np.ndarray:
    """float64 sum of d^2 over (N, L) per channel of d (C, N, L): the products rounded, but
    for an odd L the last of each row fused into the sum (as GCC compiled the loop)."""
    c, n, size = d.shape
    squares = d * d
    if size % 2 == 0:
        return _sequential_sum(squares.reshape(c, n * size), np.float64)
    total = np.zeros(c)
    for row in range(n):
        # the sum so far, then the row's first L - 1 squares, left to right: (C, L)
        total = np.cumsum(np.column_stack([total, squares[:, row, :-1]]), axis=1)[:, -1]
        total = fma(d[:, row, -1], d[:, row, -1], total)
    return total


def inv_std(var: np.ndarray, eps: float) -> np.ndarray:
    """1 / sqrt(var + eps), computed in double and rounded once to var's dtype."""
    return (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(var.dtype)


def blend(running: np.ndarray, stat: np.ndarray, m: np.floating) -> np.ndarray:
    """running_var's update m stat + (1 - m) running: the second product rounded in the
    dtype, the sum formed in double, then rounded."""
    kept = ((1 - m) * running).astype(np.float64)
    return (np.float64(m) * stat.astype(np.float64) + kept).astype(running.dtype)


# -- the backward kernel -------------------------------------------------------------------

def channel_sums(dy: np.ndarray, x: np.ndarray, mean: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """sum dy and sum dy (x - mean) per channel of (N, C, L), in double, as torch holds
    them (for L = 1 already rounded to the dtype)."""
    n, c, size = x.shape
    if size == 1:
        total = 0.0 + sum_rows(dy[:, :, 0]).astype(np.float64)
        dot = 0.0 + fused_sum(x[:, :, 0] - mean, dy[:, :, 0]).astype(np.float64)
        return total, dot
    rows = dy.reshape(n * c, size)                               # (N C, L)
    centred = (x - mean[:, None]).reshape(n * c, size)           # (N C, L)
    per_row = [lane_sums(rows, None), lane_sums(centred, rows)]  # each (N C,)
    return tuple(0.0 + _sequential_sum(r.reshape(n, c).T, np.float64) for r in per_row)


def training_dx(dy: np.ndarray, x: np.ndarray, mean: np.ndarray, invstd: np.ndarray,
                w: np.ndarray, total: np.ndarray, dot: np.ndarray) -> np.ndarray:
    """dx = (dy - grad_mean - (x - mean) k) invstd w, k = dot invstd^2 / M, on (N, C, L)."""
    dt = x.dtype
    n, c, size = x.shape
    count = dt.type(n * size)
    k = dot.astype(dt) * invstd * invstd / count                 # (C,)
    if size == 1:
        grad_mean = total.astype(dt) / count                     # in the dtype
    else:
        grad_mean = (total / (n * size)).astype(dt)              # in double
    centred = x - mean[:, None]                                  # (N, C, L)
    dx = fma(-centred, k[:, None], dy - grad_mean[:, None]) * invstd[:, None] * w[:, None]
    if size == 1:  # the channels after the last full vector: not fused
        rest = c - c % vector_width(dt)
        dx[:, rest:] = ((dy - grad_mean[:, None] - centred * k[:, None])
                        * invstd[:, None] * w[:, None])[:, rest:]
    return dx


# -- torch's reductions, shared with layer_norm -------------------------------------------

def vector_width(dtype: np.dtype) -> int:
    """Lanes of the AVX2 vectors the kernels run on."""
    return 8 if dtype == np.float32 else 4


def _sequential_sum(a: np.ndarray, dtype: Any) -> np.ndarray:
    """Sum along the last axis, left to right, in ``dtype``."""
    return np.cumsum(a, axis=-1, dtype=dtype)[..., -1]


def sum_rows(a: np.ndarray) -> np.ndarray:
    """a[0] + a[1] + ... in a's dtype, one row at a time (zeros for no rows)."""
    if len(a) == 0:
        return np.zeros(a.shape[1:], a.dtype)
    total = a[0].copy()
    for row in a[1:]:
        np.add(total, row, out=total)
    return total


def lane_sums(a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """torch's vec::reduce_all of each row of a (R, L), or map2_reduce_all of a * b: rows
    shorter than a vector add left to right; longer ones in lanes (the first vector, then
    + each full vector, the last partial one fused into its lanes), then across the lanes."""
    dt = a.dtype
    width = vector_width(dt)
    r, size = a.shape
    values = a if b is None else a * b
    if size < width:
        return _sequential_sum(values, dt)
    full = size - size % width
    blocks = values[:, :full].reshape(r, -1, width).transpose(1, 0, 2)  # (L // W, R, W)
    lanes = sum_rows(blocks)                                     # (R, W), block by block
    if full < size:  # the partial vector: only its lanes, a product fused into its lane
        tail, done = slice(full, size), lanes[:, :size - full]
        if b is None:
            lanes[:, :size - full] = done + a[:, tail]
        else:
            lanes[:, :size - full] = fma(a[:, tail], b[:, tail], done)
    if width == 8:  # float32: a tree, lanes i and i ^ 4, then ^ 2, then ^ 1
        for step in (4, 2, 1):
            lanes = lanes + lanes[:, np.arange(8) ^ step]
        return lanes[:, 0]
    return ((lanes[:, 0] + lanes[:, 1]) + lanes[:, 2]) + lanes[:, 3]


def fused_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """acc = fma(a[i], b[i], acc) over the rows i of a and b (R, K), from acc = 0: (K,).

    For float32 each product is exact in double, so acc + a b added in double and rounded
    to float32 is the fused result, except where that double sum lands exactly halfway
    between two float32 values (or below float32's normal range): those columns, found
    afterwards, are redone one rounding.fma at a time."""
    if a.dtype != np.float32:
        return _fused_sum_exact(a, b)
    acc = np.zeros(a.shape[1:], a.dtype)
    sums = a.astype(np.float64) * b                              # (R, K), exact products
    for row in sums:
        np.add(row, acc, out=row)                                # acc + a b, in double
        np.copyto(acc, row, casting="unsafe")                    # rounded to float32
    halfway = (sums.view(np.uint64) & np.uint64(2**29 - 1)) == np.uint64(2**28)
    halfway |= (np.abs(sums) < np.finfo(np.float32).tiny) & (sums != 0)   # 0 is exact
    redo = halfway.any(axis=0)
    if redo.any():
        acc[redo] = _fused_sum_exact(a[:, redo], b[:, redo])
    return acc


def _fused_sum_exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """fused_sum, one rounding.fma per row."""
    acc = np.zeros(a.shape[1:], a.dtype)
    for row_a, row_b in zip(a, b):
        acc = fma(row_a, row_b, acc)
    return acc
