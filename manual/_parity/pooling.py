"""pooling at torch's edges: its refusals in its order and words, the order it adds in,
its 1x1 mean, its node names, and the layouts and dtypes that change its arithmetic.

Equation numbers are those of manual/pooling.py.

* Arguments (``_ints``, ``_flag``): torch's argument parser takes an int, or a list or tuple
  of ints (a bool only after the first element), for kernel_size, stride, padding, dilation
  and output_size, and a bool for ceil_mode and count_include_pad; anything else is its
  TypeError. F.max_pool2d hands a missing stride on as [], which means the kernel size.
* max_pool2d and avg_pool2d (``check_max_pool2d``, ``check_avg_pool2d``), in torch's order:
  1. each size a list of 1 or 2 ints (stride may be empty), each one fitting a C int;
  2. avg: a divisor_override of 0, then the input's size(-3) (an IndexError below 3 dims);
     max: an input of 3 or 4 dims;
  3. per axis, height first (``pooling_output_shape``): stride not 0, padding not negative
     and at most half the dilated kernel, ((k - 1) d + 1) / 2 in C's integer division;
     then (1)'s output size;
  4. ``pool2d_shape_check``: kernel, stride and dilation positive, an input of 3 or 4 dims
     empty at most in its batch, padding at most half the undilated kernel (k / 2), and an
     output of at least one pixel;
  5. the kernel's dtypes: max_pool2d has none for bool, avg_pool2d only floats and int64,
     an empty batch included.
  Messages keep torch's words and add the arguments where torch names none.
* adaptive_avg_pool2d (``adaptive_output_size``): F.adaptive_avg_pool2d asks the input for
  its size() (whatever it is: a list's AttributeError), replaces a None in output_size by
  that size (a ValueError when the input has too few dims); then two
  sizes, not negative. (1, 1) is x.mean((-1, -2), keepdim=True): mean refuses a non-float
  input, then fewer than 2 dims. Any other size: 3 or 4 dims, H and W not empty, and floats
  only, unless the output is empty. Its backward (``check_adaptive_grad``) refuses a dy
  empty past its first dim: an empty output, or no channels.
* The windows (``windows``, ``cells``): (1) and (6) as tables of flat offsets h W + w, one
  row per window in raster order, its taps row-major, as torch's kernels visit them.
  An empty window: with dilation and padding a window can miss every input element (height
  1, kernel 2, dilation 2, padding 1). torch passes every check, then returns -inf and an
  index outside the (H, W) plane, and its backward writes outside the input's gradient
  (heap corruption). Refused here, with a RuntimeError that says so.
* max's start (``windows``, ``max_start``): each window starts at -inf (the least integer for
  an integer x) with the index of its first tap inside x, so a window of -inf has that idx.
  The scan reads each tap of every window as one strided view (``tap_planes``), copied; a tap
  outside x reads -inf there (the least integer), which is never taken over the start; it
  keeps the larger values by bit operations (``where``), np.where's result without its cost.
* The order of the sums (``window_sums``, ``add_into_zeros``, ``scatter_windows``): (4) and
  (7) add each window's taps one by one from 0, row-major, in x's dtype; (3), (5) and (8)
  start dx at 0 and add each window's share in raster order, so where windows overlap the
  shares are added in that order.
* Division (``divide``, ``adaptive_divide``): avg_pool2d's out = 0 + total / D (so -0.0
  becomes +0.0), and for int64 C's integer division, which truncates toward zero. A
  channels_last input (NHWC strides, as ``suggest_memory_format`` reads them) runs
  torch's channels_last kernels: max and avg give the same bits, but in (7) the channels
  that fill whole AVX2 vectors (8 float32, 4 float64) are divided once, total / (k_h k_w).
* The 1x1 output (``mean``): torch takes x.mean((-1, -2), keepdim=True), node MeanBackward1
  (AsStridedBackward1 for channels_last, whose result is restrided):

  9. y = (the sum of the plane) / (H W)                          (..., 1, 1)
  10. dx = dy / (H W) at every pixel                              (..., H, W)

  The sum (``sum_hw``) is torch's sum kernel (its AVX2 build, V = 8 float32 or 4 float64
  lanes): each contiguous row of H W values in vectors of V, in 4 interleaved accumulators,
  each a 4-level cascade flushed every 16 steps (``_cascade``); then 0 + the scalar tail in
  order + the V lanes in order. A row shorter than V is summed as scalars the same way. A
  channels_last input is reduced over H W with C contiguous: blocks of 4 vectors, then one
  vector, then one channel at a time, each column its own sum.

Reference: torch/nn/functional.py (``max_pool2d``, ``adaptive_avg_pool2d``,
``_list_with_default``), torch/csrc/utils/python_arg_parser.cpp (the TypeErrors),
aten/src/ATen/native/Pool.h (``pooling_output_shape``, ``pool2d_shape_check``),
DilatedMaxPool2d.cpp and AveragePool2d.cpp (the meta functions), AdaptivePooling.h
(``start_index``, ``end_index``), AdaptiveAveragePooling.cpp
(``adaptive_avg_pool2d_symint``), cpu/MaxPoolKernel.cpp (``cpu_max_pool``),
cpu/AvgPoolKernel.cpp (``cpu_avg_pool``), cpu/AdaptiveAvgPoolKernel.cpp,
cpu/SumKernel.cpp (``cascade_sum``), c10/core/MemoryFormat.h
(``is_channels_last_strides_2d_s4``), derivatives.yaml (``mean.dim``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from manual._parity.dtypes import torch_name
from manual.graph import record
from manual.tensor import Tensor

Pair = tuple[int, int]
MAX_NODE, AVG_NODE, ADAPTIVE_NODE = ("MaxPool2DWithIndicesBackward0", "AvgPool2DBackward0",
                                     "AdaptiveAvgPool2DBackward0")
_SIZES = "either be a single int, or a tuple of two ints"
_INT_MAX = 2**31 - 1


class Geometry(NamedTuple):
    """A pooling's sizes as (height, width) pairs, and its output's."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out: Pair


def check_max_pool2d(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                     ceil_mode: Any, return_indices: bool) -> Geometry:
    """max_pool2d's arguments checked in torch's order; its sizes as (height, width)."""
    fn = "max_pool2d_with_indices" if return_indices else "max_pool2d"
    sizes = _parse(fn, input, kernel_size, stride, padding, dilation)
    _flag(ceil_mode, "ceil_mode", 6, fn)
    kernel = _pair(sizes[0], "kernel_size", f"max_pool2d: kernel_size must {_SIZES}")
    step = _stride(sizes[1], kernel, "max_pool2d")
    pad = _pair(sizes[2], "padding", f"max_pool2d: padding must {_SIZES}")
    dilate = _pair(sizes[3], "dilation", "max_pool2d: dilation must be either a single int, "
                   "or a tuple of two ints")
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input, but got "
                           f"input of size {list(input.shape)}")
    geometry = _geometry(input, kernel, step, pad, dilate, ceil_mode, given=bool(sizes[1]))
    _check_dtype(input, "max_pool2d", input.dtype != bool)
    return geometry


def check_avg_pool2d(input: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: Any,
                     count_include_pad: Any, divisor_override: Any) -> Geometry:
    """avg_pool2d's arguments checked in torch's order; its sizes as (height, width)."""
    sizes = _parse("avg_pool2d", input, kernel_size, stride, padding)
    _flag(ceil_mode, "ceil_mode", 5, "avg_pool2d")
    _flag(count_include_pad, "count_include_pad", 6, "avg_pool2d")
    if divisor_override is not None and not _is_int(divisor_override, bool_ok=False):
        raise TypeError("avg_pool2d(): argument 'divisor_override' (position 7) must be int, "
                        f"not {_type_name(divisor_override)}")
    kernel = _pair(sizes[0], "kernel_size", f"avg_pool2d: kernel_size must {_SIZES}")
    step = _stride(sizes[1], kernel, "avg_pool2d")
    pad = _pair(sizes[2], "padding", f"avg_pool2d: padding must {_SIZES}")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero, but got divisor_override=0")
    if input.ndim < 3:  # torch reads the channels as size(-3)
        raise IndexError(_dim_error(-3, input.shape))
    geometry = _geometry(input, kernel, step, pad, (1, 1), ceil_mode, given=bool(sizes[1]))
    _check_dtype(input, "avg_pool2d", input.dtype.kind == "f" or input.dtype == np.int64)
    return geometry


def adaptive_output_size(input: Any, output_size: Any) -> Pair:
    """The output's (height, width), None read as the input's size; torch's refusals on the
    path it takes: the mean for (1, 1), its pooling kernel otherwise."""
    shape = input.size()  # torch's Python layer asks any input for its size first
    if not isinstance(output_size, int):  # torch's Python layer: None keeps the input's size
        if len(shape) <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}: "
                             f"output_size={output_size} for an input of size {list(shape)}")
        output_size = [shape[-len(output_size) + i] if v is None else v
                       for i, v in enumerate(output_size)]
    _check_tensor(input, "adaptive_avg_pool2d")
    sizes = _ints(output_size, "output_size", 2, "adaptive_avg_pool2d")
    sizes = sizes * 2 if isinstance(output_size, int) else sizes
    if len(sizes) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be 2, but got {sizes}")
    if min(sizes) < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{sizes[0]}, {sizes[1]}}}")
    if sizes == [1, 1]:
        _check_mean(input)
    else:
        _check_adaptive(input, sizes)
    return sizes[0], sizes[1]


def check_adaptive_grad(dy: np.ndarray) -> None:
    """The adaptive backward's refusal: dy empty in a dim past its first (its channels, or
    an output_size with a 0); a 1x1 output is the mean's, which takes any."""
    for axis in range(1, dy.ndim):
        if dy.shape[axis] == 0:
            raise RuntimeError(
                "adaptive_avg_pool2d_backward(): Expected grad_output to have non-zero size for "
                f"non-batch dimensions, but grad_output has sizes {list(dy.shape)} with "
                f"dimension {axis} being empty")


def windows(geometry: Geometry, size: Pair) -> tuple[np.ndarray, ...]:
    """(1) as tables: each window's taps as offsets h W + w into its plane (0 for a tap
    outside x), row-major, and which are inside x, (M, K) each; each window's first tap
    inside x (its number), where torch's max starts, and its count of taps inside x and its
    padding, (M,) each. A window with no tap inside x is refused."""
    (rows, in_h), (cols, in_w) = (_along(geometry, axis, n) for axis, n in enumerate(size))
    if not (in_h.any(axis=1).all() and in_w.any(axis=1).all()):
        raise RuntimeError(
            f"max_pool2d: a window holds no element of the input of size {size} (kernel_size="
            f"{geometry.kernel}, stride={geometry.stride}, padding={geometry.padding}, "
            f"dilation={geometry.dilation}): torch returns -inf and an index outside the input "
            "there, and its backward writes outside the gradient, so this is refused")
    taps, inside = _table(rows, in_h, cols, in_w, size[1])
    first = inside.argmax(axis=1).astype(np.min_scalar_type(taps.shape[1]))  # tap numbers
    (ph, pw), (h, w) = geometry.padding, size
    padded = np.outer((rows < h + ph).sum(1), (cols < w + pw).sum(1)).ravel()
    return taps, inside, first, padded


def cells(out: Pair, size: Pair) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(6) as tables: each cell's rows and columns as offsets h W + w (0 past the cell),
    row-major, padded to the largest cell, and which are the cell's, (M, K) each; each cell's
    k_h and k_w, (M,) each."""
    (rows, in_h), (cols, in_w) = (_cell_axis(n_out, n) for n_out, n in zip(out, size))
    taps, inside = _table(rows, in_h, cols, in_w, size[1])
    return taps, inside, (np.repeat(in_h.sum(1), out[1]), np.tile(in_w.sum(1), out[0]))


def max_start(dtype: np.dtype, first: np.ndarray, out: Pair,
              planes: int) -> tuple[np.ndarray, ...]:
    """Where torch's max starts each window of each plane: at -inf (the least integer for an
    integer dtype), held by the window's first tap inside x; (P, H_out, W_out) each, the tap
    numbers in the smallest dtype that holds them (the scan rewrites them often)."""
    start = np.full((planes, len(first)), _lowest(dtype), dtype)
    return start.reshape(planes, *out), np.tile(first, (planes, 1)).reshape(planes, *out)


def tap_planes(planes: np.ndarray, geometry: Geometry) -> Iterator[np.ndarray]:
    """(1) tap (u, v) of every window of the planes (P, H, W), as (P, H_out, W_out), the taps
    row-major: a strided view of the planes, copied. Where windows reach past x (padding,
    ceil_mode), the planes are read from a copy bordered with the lowest value (-inf, or the
    least integer): (2) never takes it over the window's start, just as it never takes a tap
    outside x."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (h_out, w_out) = geometry
    p, h, w = planes.shape
    bottom = max(sh * (h_out - 1) + dh * (kh - 1) + 1 - ph - h, 0)    # rows past x
    right = max(sw * (w_out - 1) + dw * (kw - 1) + 1 - pw - w, 0)     # columns past x
    if ph or pw or bottom or right:
        bordered = np.full((p, ph + h + bottom, pw + w + right), _lowest(planes.dtype),
                           planes.dtype)
        bordered[:, ph:ph + h, pw:pw + w] = planes
        planes = bordered
    for u, v in np.ndindex(kh, kw):
        yield np.ascontiguousarray(planes[:, dh * u:dh * u + sh * (h_out - 1) + 1:sh,
                                          dw * v:dw * v + sw * (w_out - 1) + 1:sw])


def where(condition: np.ndarray, new: np.ndarray | int, old: np.ndarray) -> np.ndarray:
    """np.where(condition, new, old), bit for bit, computed on the bits: np.where and copyto's
    where= take a branch per element, mispredicted about half the time where the condition
    is as irregular as a max-scan's (on the MNIST example's pooling, 30 times slower)."""
    if old.dtype.itemsize not in (1, 2, 4, 8):  # no unsigned type to read the bits as
        return np.where(condition, new, old)
    bits = np.dtype(f"u{old.dtype.itemsize}")
    mask = condition.astype(bits)
    np.negative(mask, out=mask)                                       # all ones where taken
    o, n = old.view(bits), np.asarray(new, old.dtype).view(bits)
    return (o ^ ((o ^ n) & mask)).view(old.dtype)


@np.errstate(invalid="ignore", over="ignore")  # inf - inf is NaN, silently as in torch
def window_sums(planes: np.ndarray, taps: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(4), (7) in torch's order: 0, then each window's taps inside x added one by one,
    row-major, in x's dtype (a tap outside adds 0, which changes no sum that starts at +0).
    planes (P, H W), taps and inside (M, K); the sums (P, M)."""
    total, zero = np.zeros((len(planes), len(taps)), planes.dtype), planes.dtype.type(0)
    for k in range(taps.shape[1]):
        total = total + np.where(inside[:, k], np.take(planes, taps[:, k], axis=1), zero)
    return total


@np.errstate(invalid="ignore", over="ignore")
def add_into_zeros(values: np.ndarray, offsets: np.ndarray, shape: tuple[int, ...]
                   ) -> np.ndarray:
    """(3): dx = 0, then dx[offset] += value, pair by pair in order (windows in raster
    order), as torch's backward kernels add; values (P, n), offsets (P, n) or (n,) into each
    (H, W) plane. dx is shaped like x."""
    size = shape[-2] * shape[-1]
    dx = np.zeros(values.shape[0] * size, values.dtype)                # (P H W,)
    flat = np.arange(values.shape[0])[:, None] * size + offsets         # (P, n) into dx
    np.add.at(dx, flat.ravel(), values.ravel())
    return dx.reshape(shape)


def scatter_windows(delta: np.ndarray, taps: np.ndarray, inside: np.ndarray,
                    shape: tuple[int, ...]) -> np.ndarray:
    """(5), (8): each window's delta (P, M) added to each of its taps inside x, windows in
    raster order: add_into_zeros over the (window, tap) pairs."""
    window = np.nonzero(inside)[0]                                     # the window of each pair
    return add_into_zeros(np.take(delta, window, axis=1), taps[inside], shape)


def divide(total: np.ndarray, divisor: np.ndarray | int) -> np.ndarray:
    """(4) 0 + total / D in the input's dtype; for int64, C's division toward zero."""
    if total.dtype.kind == "f":
        return total / np.asarray(divisor, total.dtype) + 0
    quotient = np.abs(total) // np.abs(divisor)
    return np.where((total < 0) != (np.asarray(divisor) < 0), -quotient, quotient)


def adaptive_divide(total: np.ndarray, k_h: np.ndarray, k_w: np.ndarray,
                    input: Tensor) -> np.ndarray:
    """(7) (total / k_h) / k_w; a channels_last input divides its whole vectors of channels
    once, by k_h k_w. total is (P, M), k_h and k_w (M,)."""
    t = total.dtype.type  # (an empty integer output keeps its dtype)
    y = (total / k_h.astype(t) / k_w.astype(t)).astype(total.dtype, copy=False)
    if _channels_last(input.array):
        channels = input.shape[1]
        whole = channels - channels % _lanes(total.dtype)              # in whole vectors
        by_image = y.reshape(-1, channels, y.shape[1])                  # (N, C, M), a view
        by_image[:, :whole] = total.reshape(by_image.shape)[:, :whole] / (k_h * k_w).astype(t)
    return y


def mean(input: Tensor) -> Tensor:
    """(9)-(10), torch's path for a (1, 1) output: x.mean((-1, -2), keepdim=True)."""
    x = input.array
    n = x.dtype.type(x.shape[-2] * x.shape[-1])
    with np.errstate(invalid="ignore", divide="ignore"):              # an empty plane: 0 / 0
        y = sum_hw(x) / n                                              # (9) sum / (H W)

    @np.errstate(invalid="ignore", divide="ignore")
    def derivative(dy: np.ndarray) -> tuple[np.ndarray]:
        return (np.broadcast_to(dy / n, x.shape).copy(),)              # (10) dy / (H W)

    return record(mean_node(input), y, (input,), derivative)


def sum_hw(x: np.ndarray) -> np.ndarray:
    """torch's sum over the last two dims, in its kernel's order, keeping them as 1s."""
    h, w = x.shape[-2:]
    if _channels_last(x) and x.shape[1] > 1:  # each image's (H W, C) reduced over its rows
        # (one channel: torch's reduction drops the size-1 dim and sees contiguous rows)
        images = x.transpose(0, 2, 3, 1).reshape(x.shape[0], h * w, x.shape[1])
        total = _outer_sum(images)                                     # (N, C)
    else:
        rows = np.ascontiguousarray(x).reshape(math.prod(x.shape[:-2]), h * w)  # (R, H W)
        total = _inner_sum(rows)                                       # (R,)
    return total.reshape(*x.shape[:-2], 1, 1)


def mean_node(input: Tensor) -> str:
    """The node on top of the 1x1 mean: a channels_last result is restrided."""
    return "AsStridedBackward1" if _channels_last(input.array) else "MeanBackward1"


def extra_repr(module: Any, *names: str) -> str:
    """A module's arguments as torch's pooling modules print them: name=value, in order."""
    return ", ".join(f"{name}={getattr(module, name)}" for name in names)


# -- the windows --------------------------------------------------------------------------------

def _lowest(dtype: np.dtype) -> float | int:
    """Below every value of the dtype, or equal to the least: -inf, or the least integer."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _along(geometry: Geometry, axis: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(1) along one axis: tap u of window i reads s i - p + d u; is it inside x? (out, k)."""
    s, p, d = geometry.stride[axis], geometry.padding[axis], geometry.dilation[axis]
    taps = s * np.arange(geometry.out[axis])[:, None] - p + d * np.arange(geometry.kernel[axis])
    return taps, (taps >= 0) & (taps < n)


def _cell_axis(n_out: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(6) along one axis: cell i spans floor(i n / n_out) to ceil((i + 1) n / n_out), its
    rows padded to the longest cell's count; which are its? (out, k) each."""
    i = np.arange(n_out)
    start, end = i * n // n_out, -(-(i + 1) * n // n_out)             # floor, ceil
    taps = start[:, None] + np.arange((end - start).max(initial=0))
    return taps, taps < end[:, None]


def _table(rows: np.ndarray, in_h: np.ndarray, cols: np.ndarray, in_w: np.ndarray,
           w: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis taps (H_out, k_h) and (W_out, k_w) combined into each window's offsets
    h W + w (0 where outside) and inside flags, (M, K) each, windows in raster order."""
    inside = in_h[:, None, :, None] & in_w[None, :, None, :]            # (H_out, W_out, k_h, k_w)
    offsets = rows[:, None, :, None] * w + cols[None, :, None, :]      # (H_out, W_out, k_h, k_w)
    m, k = inside.shape[0] * inside.shape[1], inside.shape[2] * inside.shape[3]
    return np.where(inside, offsets, 0).reshape(m, k), inside.reshape(m, k)  # (M, K) each


# -- the checks -------------------------------------------------------------------------------

def _parse(fn: str, input: Any, *sizes: Any) -> list[list[int]]:
    """The parser's pass over the input and the sizes (stride None as [])."""
    _check_tensor(input, fn)
    names = ("kernel_size", "stride", "padding", "dilation")
    return [_ints([] if value is None and name == "stride" else value, name, position, fn)
            for position, (value, name) in enumerate(zip(sizes, names), start=2)]


def _check_tensor(input: Any, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_type_name(input)}")


def _ints(value: Any, name: str, position: int, fn: str) -> list[int]:
    """An int list as torch's parser reads one: an int, or a list or tuple of ints."""
    prefix = f"{fn}(): argument '{name}'"
    if not isinstance(value, (list, tuple)):
        if _is_int(value, bool_ok=False):
            return [operator.index(value)]
        raise TypeError(f"{prefix} (position {position}) must be tuple of ints, not "
                        f"{_type_name(value)}")
    for i, item in enumerate(value):
        if not _is_int(item, bool_ok=i > 0):
            if i == 0:
                raise TypeError(f"{prefix} (position {position}) must be tuple of ints, but "
                                f"found element of type {_type_name(item)} at pos 0")
            raise TypeError(f"{prefix} failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {_type_name(item)}\"")
    return [operator.index(item) for item in value]


def _is_int(value: Any, bool_ok: bool) -> bool:
    if isinstance(value, (bool, np.bool_)) and not bool_ok:
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return not isinstance(value, np.ndarray)


def _type_name(value: Any) -> str:
    """A type as torch's messages name it: NumPy's with their module."""
    kind = type(value)
    return f"numpy.{kind.__name__}" if kind.__module__.startswith("numpy") else kind.__name__


def _flag(value: Any, name: str, position: int, fn: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be bool, not "
                        f"{_type_name(value)}")


def _pair(values: list[int], name: str, message: str) -> Pair:
    """One or two ints as (height, width), each fitting a C int."""
    if len(values) not in (1, 2):
        raise RuntimeError(f"{message}, but got {name}={values}")
    if any(not -_INT_MAX - 1 <= v <= _INT_MAX for v in values):
        raise RuntimeError(f"value cannot be converted to type int without overflow: "
                           f"{name}={values}")
    return values[0], values[-1]


def _stride(values: list[int], kernel: Pair, fn: str) -> Pair:
    """The stride: omitted ([]) is the kernel size."""
    if not values:
        return kernel
    return _pair(values, "stride", f"{fn}: stride must either be omitted, a single int, or a "
                 "tuple of two ints")


def _geometry(input: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
              ceil_mode: bool, given: bool) -> Geometry:
    """The output size per axis, height first, then pool2d_shape_check."""
    out = tuple(_out_size(input.shape[axis], kernel[i], padding[i], stride[i], dilation[i],
                          ceil_mode, stride if given else f"{stride} (the kernel_size: no "
                          "stride was given)")
                for i, axis in enumerate((-2, -1)))
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    if not (kw > 0 and kh > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if not (sw > 0 and sh > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if not (dh > 0 and dw > 0):
        raise RuntimeError("dilation should be greater than zero, but got dilationH: "
                           f"{dh} dilationW: {dw}")
    shape = input.shape
    if input.ndim not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(shape)}")
    if not (kw // 2 >= pw and kh // 2 >= ph):
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if min(out) < 1:
        planes = f"{shape[-3]}x{shape[-2]}x{shape[-1]}"
        raise RuntimeError(f"Given input size: ({planes}). Calculated output size: "
                           f"({shape[-3]}x{out[0]}x{out[1]}). Output size is too small")
    return Geometry(kernel, stride, padding, dilation, out)


def _out_size(size: int, k: int, pad: int, stride: int, dilation: int, ceil_mode: bool,
              stride_given: Any) -> int:
    """(1), with pooling_output_shape's refusals."""
    if stride == 0:
        raise RuntimeError(f"stride should not be zero, but got stride={stride_given}")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > int(((k - 1) * dilation + 1) / 2):  # C's division, toward zero
        raise RuntimeError("pad should be at most half of effective kernel size, but got "
                           f"pad={pad}, kernel_size={k} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) \
        // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:  # the last window starts in the input
        out -= 1
    return out


def _check_dtype(input: Tensor, kernel: str, supported: bool) -> None:
    if not supported:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_name(input.dtype)}': input of dtype {input.dtype}")


def _check_mean(input: Tensor) -> None:
    """x.mean((-1, -2)): a float input, then a dim -2 to reduce."""
    if input.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {torch_name(input.dtype)}")
    if input.ndim < 2:
        raise IndexError(_dim_error(-2, input.shape, wraps_scalar=True))


def _check_adaptive(input: Tensor, sizes: list[int]) -> None:
    """The pooling kernel's checks: 3 or 4 dims, H and W not empty, a float input."""
    shape = list(input.shape)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {shape}")
    for axis in (-2, -1):
        if shape[axis] == 0:
            raise RuntimeError(
                "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {shape} with dimension {axis + input.ndim} "
                "being empty")
    if math.prod(shape[:-2]) * sizes[0] * sizes[1]:  # an empty output runs no kernel
        _check_dtype(input, "adaptive_avg_pool2d", input.dtype.kind == "f")


def _dim_error(dim: int, shape: tuple[int, ...], wraps_scalar: bool = False) -> str:
    """torch's words for a dim the input does not have (mean reads a 0-d input as 1-d)."""
    if not shape and not wraps_scalar:
        return f"Dimension specified as {dim} but tensor has no dimensions"
    n = max(len(shape), 1)
    return (f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
            f"{dim}): input of size {list(shape)}")


# -- torch's sum kernel, and the channels_last layout ---------------------------------------

def _lanes(dtype: np.dtype) -> int:
    """Lanes of one AVX2 vector, the build torch's sum and pooling kernels run."""
    return 32 // dtype.itemsize


def _cascade(items: np.ndarray) -> np.ndarray:
    """multi_row_sum: items (R, n, ...) added along n into 4 levels of accumulators, each
    level flushed into the next every 2^p steps (p = max(4, ceil(log2 n) / 4))."""
    n = items.shape[1]
    power = max(4, (n - 1).bit_length() // 4) if n > 2 else 4
    step = 1 << power
    acc = np.zeros((4, items.shape[0], *items.shape[2:]), items.dtype)
    i = 0
    while i + step <= n:
        for _ in range(step):
            acc[0] = acc[0] + items[:, i]
            i += 1
        for j in range(1, 4):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = 0
            if i & ((step - 1) << (j * power)):
                break
    for k in range(i, n):
        acc[0] = acc[0] + items[:, k]
    return ((acc[0] + acc[1]) + acc[2]) + acc[3]


def _row_sum(items: np.ndarray) -> np.ndarray:
    """row_sum: items (R, n, ...) in 4 interleaved accumulators, the leftovers into the
    first, then the 4 added in order."""
    r, n = items.shape[:2]
    groups = items[:, :n - n % 4].reshape(r, n // 4, 4, *items.shape[2:])  # (R, n/4, 4, ...)
    parts = _cascade(groups)                                          # (R, 4, ...)
    first = parts[:, 0]
    for k in range(n - n % 4, n):
        first = first + items[:, k]
    return ((first + parts[:, 1]) + parts[:, 2]) + parts[:, 3]


def _inner_sum(rows: np.ndarray) -> np.ndarray:
    """Each contiguous row (R, n) summed: vectors of V lanes, then 0 + tail + lanes."""
    n = rows.shape[1]
    lanes = _lanes(rows.dtype) if n >= _lanes(rows.dtype) else 1     # a short row: scalars
    whole = n - n % lanes
    vectors = _row_sum(rows[:, :whole].reshape(rows.shape[0], whole // lanes, lanes))
    total = np.zeros(rows.shape[0], rows.dtype)
    for k in range(whole, n):
        total = total + rows[:, k]
    for k in range(lanes):
        total = total + vectors[:, k]
    return 0 + total


def _outer_sum(images: np.ndarray) -> np.ndarray:
    """Each image (N, H W, C) summed over its rows, channels in blocks as the kernel takes
    them: 4 vectors at a time, then one vector, then one channel (4 channels at a time,
    then one, when C is less than a vector)."""
    channels, lanes = images.shape[2], _lanes(images.dtype)
    out = np.zeros((images.shape[0], channels), images.dtype)
    j = 0
    block = 4 * lanes if channels >= lanes else 4
    while j + block <= channels:
        out[:, j:j + block] += _cascade(images[:, :, j:j + block])
        j += block
    while channels >= lanes and j + lanes <= channels:
        out[:, j:j + lanes] += _row_sum(images[:, :, j:j + lanes])
        j += lanes
    for k in range(j, channels):
        out[:, k] += _row_sum(images[:, :, k])
    return out


def _channels_last(x: np.ndarray) -> bool:
    """torch's is_channels_last_strides_2d_s4 on x's strides (in elements): NHWC order, with
    its rules for dims of size 1 and 0."""
    if x.ndim != 4 or x.strides[1] == 0:
        return False
    strides = [s // x.itemsize for s in x.strides]
    least = 0
    for d in (1, 3, 2, 0):
        if x.shape[d] == 0 or strides[d] < least or (d == 0 and least == strides[1]):
            return False
        least = strides[d] * (x.shape[d] if x.shape[d] > 1 else 1)
    return True
