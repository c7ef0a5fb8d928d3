"""layer_norm at torch's edges: its refusals, and how its CPU kernels round.

Refusals (``check``), in torch's order (F.layer_norm's argument parser, then
_check_layer_norm_inputs, then layer_norm_cpu):

1. normalized_shape not a tuple (or list) of ints: TypeError; empty: RuntimeError;
2. weight, then bias, not of normalized_shape's shape; the input's last dims not
   normalized_shape (RuntimeError);
3. mixed dtypes, as batch_norm's (manual/_parity/batch_norm.py, ``check_dtypes``); then no
   kernel for an input that is not float32 or float64 (NotImplementedError); then weight
   and bias read as x's dtype (RuntimeError).

Rounding, as torch 2.13's x86-64 CPU kernels do it (AVX2 builds: float32 vectors of 8 lanes,
float64 of 4; multiply-adds fused where the compiler fused them, as measured):

* ``moments`` (RowwiseMoments, moments_utils.h): Welford's update per lane, over chunks of
  16 vectors, with c_j = 1 / (j + 1): delta = x - m1, m1 = fma(c_j, delta, m1),
  m2 = fma(delta, x - m1, m2); the chunks merged by a binary cascade (AddMomentsVec:
  m1 + c delta not fused, m2 = fma(delta m0, c delta, m2 + m2_add)); the N mod W last
  values by a scalar Welford, not fused; then the W lanes merged into those one by one
  (AddMoments: m1 = fma(c, delta, m1), m2 = m2 + fma(delta^2 c, m0, m2_lane)); var = m2 / N.
* ``output``: fma((x - mean) rstd, w, b), with w = 1 and b = 0 where absent; with a bias and
  no weight, fma(x - mean, rstd, b) (the compiler dropped the * 1).
* ``input_grad``: ds = sum dy x w and db = sum dy w per row in lanes (batch_norm's
  ``lane_sums``), b' = fma(db, mean, -ds) rstd^3 / N, c' = fma(-b', mean, -db rstd / N),
  dx = fma(b', x, rstd dy w) + c'.
* ``weight_grad``: dw = fma(dy, fma(rstd, x, -rstd mean), dw) over the rows, in x's dtype;
  ``bias_grad``: db = db + dy. torch splits the rows between its threads, each with its own
  sums, added at the end: this is torch on one thread (the tests set it so), 0 + the sum.

torch makes x and dy contiguous first, so strided ones round as contiguous ones do.

Reference: torch/nn/functional.py (``layer_norm``), aten/src/ATen/native/layer_norm.cpp
(``_check_layer_norm_inputs``, ``layer_norm_cpu``), aten/src/ATen/native/cpu/
layer_norm_kernel.cpp (``LayerNormKernelImplInternal``, ``layer_norm_backward_frame``),
aten/src/ATen/native/cpu/moments_utils.h (``RowwiseMoments``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from manual._parity.batch_norm import (
    check_dtypes,
    check_read,
    fused_sum,
    lane_sums,
    sum_rows,
    vector_width,
)
from manual._parity.dtypes import torch_name
from manual._parity.rounding import fma
from manual.tensor import Tensor

NODE = "NativeLayerNormBackward0"
_CHUNK = 16  # vectors per Welford chunk


def check(input: Tensor, normalized_shape: Any, weight: Tensor | None,
          bias: Tensor | None) -> tuple[int, ...]:
    """torch's refusals, in its order (the module's docstring lists them); the shape S."""
    shape = _as_shape(normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    if input.ndim < len(shape) or input.shape[input.ndim - len(shape):] != shape:
        dims = "".join(f", {size}" for size in shape)
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{dims}], but got input of size{list(input.shape)}")
    given = {"weight": weight, "bias": bias}
    check_dtypes(input, given)
    if input.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for "
                                  f"'{torch_name(input.dtype)}': input {input.dtype}")
    for name, t in given.items():
        check_read(input, name, t)
    return shape


def _as_shape(normalized_shape: Any) -> tuple[int, ...]:
    """What torch's argument parser takes for an int list: a tuple or list of ints."""
    start = "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints"
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{start}, not {type(normalized_shape).__name__}")
    for pos, size in enumerate(normalized_shape):
        if not isinstance(size, numbers.Integral) or isinstance(size, bool):
            raise TypeError(f"{start}, but found element of type {type(size).__name__} at "
                            f"pos {pos}")
    return tuple(int(size) for size in normalized_shape)


def flat(t: Tensor | None, size: int, absent: float, dtype: np.dtype) -> np.ndarray:
    """w or b as one row of N values, or ``absent`` where not given."""
    return np.full(size, absent, dtype) if t is None else t.array.reshape(size)


# -- the forward kernel ---------------------------------------------------------------------

def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mean and biased variance of each row of x (M, N), as torch's RowwiseMoments."""
    dt = x.dtype
    rows, size = x.shape
    width = vector_width(dt)
    vectors = size // width
    lane_m1, lane_m2 = _lane_moments(x[:, :vectors * width].reshape(rows, vectors, width))
    count, m1, m2 = 0, np.zeros(rows, dt), np.zeros(rows, dt)
    for column in x[:, vectors * width:].T:        # the last N mod W values: scalar Welford
        delta = column - m1
        count += 1
        m1 = m1 + delta / dt.type(count)
        m2 = m2 + delta * (column - m1)
    for lane in range(width):                       # each lane's moments merged in
        total = count + vectors
        c = dt.type(0) if total == 0 else dt.type(vectors) / dt.type(total)
        delta = lane_m1[:, lane] - m1
        m1 = fma(c, delta, m1)
        m2 = m2 + fma(delta * delta * c, dt.type(count), lane_m2[:, lane])
        count = total
    return m1, m2 / dt.type(size)


def _lane_moments(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Welford's m1 and m2 per lane of v (M, vectors, W): each chunk of 16 vectors on its
    own (all chunks at once), then the chunks merged by torch's cascade."""
    dt = v.dtype
    rows, vectors, width = v.shape
    chunks = -(-vectors // _CHUNK)
    counts = [min(_CHUNK, vectors - _CHUNK * i) for i in range(chunks)]
    padded = np.zeros((rows, chunks * _CHUNK, width), dt)
    padded[:, :vectors] = v
    padded = padded.reshape(rows, chunks, _CHUNK, width)    # (M, chunks, 16, W)
    m1 = np.zeros((rows, chunks, width), dt)
    m2 = np.zeros((rows, chunks, width), dt)
    for j in range(min(_CHUNK, vectors)):
        xj = padded[:, :, j]                                 # (M, chunks, W)
        delta = xj - m1
        new_m1 = fma(dt.type(1) / dt.type(j + 1), delta, m1)
        new_m2 = fma(delta, xj - new_m1, m2)
        active = (j < np.array(counts))[None, :, None]      # the last chunk may be short
        m1, m2 = np.where(active, new_m1, m1), np.where(active, new_m2, m2)
    return _cascade([(counts[i], m1[:, i], m2[:, i]) for i in range(chunks)], rows, width, dt)


def _cascade(chunks: list, rows: int, width: int, dt: np.dtype) -> tuple[np.ndarray, ...]:
    """torch's binary cascade of the chunks' moments (levels merged as a counter carries)."""
    zero = np.zeros((rows, width), dt)
    depth = 1 if len(chunks) <= 2 else (len(chunks) - 1).bit_length()   # CeilLog2
    levels = [(0, zero, zero)] * depth
    for i, chunk in enumerate(chunks):
        levels[0] = _merge(chunk, levels[0], dt)
        mask, j = i + 1, 1
        while j < depth and mask & 1 == 0:
            levels[j], levels[j - 1] = _merge(levels[j - 1], levels[j], dt), (0, zero, zero)
            mask, j = mask >> 1, j + 1
    for level in levels[1:]:
        levels[0] = _merge(level, levels[0], dt)
    return levels[0][1], levels[0][2]


def _merge(add: tuple, into: tuple, dt: np.dtype) -> tuple:
    """AddMomentsVec: the moments ``add`` merged into ``into`` (count, m1, m2)."""
    (n_add, m1_add, m2_add), (n, m1, m2) = add, into
    total = n + n_add
    c = dt.type(0) if total == 0 else dt.type(n_add) / dt.type(total)
    delta = m1_add - m1
    c_delta = c * delta
    return total, m1 + c_delta, fma(delta * dt.type(n), c_delta, m2 + m2_add)


def output(x: np.ndarray, mean: np.ndarray, rstd: np.ndarray, weight: Tensor | None,
           bias: Tensor | None) -> np.ndarray:
    """(x - mean) rstd w + b on x (M, N), fused as torch's kernel fuses it."""
    size = x.shape[1]
    w, b = flat(weight, size, 1, x.dtype), flat(bias, size, 0, x.dtype)
    centred = x - mean[:, None]                              # (M, N)
    if weight is None and bias is not None:
        return fma(centred, rstd[:, None], b)
    return fma(centred * rstd[:, None], w, b)


# -- the backward kernel --------------------------------------------------------------------

def input_grad(dy: np.ndarray, x: np.ndarray, mean: np.ndarray, rstd: np.ndarray,
               weight: Tensor | None) -> np.ndarray:
    """dx = rstd dy w + b' x + c' on (M, N), as torch's kernel arranges it."""
    dt = x.dtype
    rows, size = x.shape
    if x.size == 0:
        return np.zeros_like(x)
    if weight is None:
        ds, db = lane_sums(dy, x), lane_sums(dy, None)       # sum dy x, sum dy: (M,)
        scaled = rstd[:, None] * dy                          # (M, N)
    else:
        w = np.broadcast_to(weight.array.reshape(size), x.shape)
        ds, db = lane_sums(dy * x, w), lane_sums(dy, w)      # sum dy x w, sum dy w: (M,)
        scaled = rstd[:, None] * dy * w
    scale = dt.type(1) / dt.type(size)
    b = fma(db, mean, -ds) * rstd * rstd * rstd * scale      # (db mean - ds) rstd^3 / N
    c = fma(-b, mean, -(db * rstd * scale))                  # -b mean - db rstd / N
    return fma(b[:, None], x, scaled) + c[:, None]


def weight_grad(dy: np.ndarray, x: np.ndarray, mean: np.ndarray, rstd: np.ndarray
                ) -> np.ndarray:
    """sum over the rows of dy (rstd x - rstd mean), each step fused, from 0: (N,)."""
    xhat = fma(rstd[:, None], x, (-rstd * mean)[:, None])    # (M, N)
    return 0 + fused_sum(dy, xhat)


def bias_grad(dy: np.ndarray) -> np.ndarray:
    """sum over the rows of dy, in x's dtype, from 0: (N,)."""
    return 0 + sum_rows(dy)
