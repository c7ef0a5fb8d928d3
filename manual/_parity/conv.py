"""The convolutions at torch's edges: their arguments checked in torch's order and words,
"same" turned into pads, and the modules' repr.

Each refusal raises torch's exception class with torch's message, extended with the
argument's name and value. What torch does at each edge, in the order a call meets it here:

* Sizes (stride, padding, dilation, output_padding, kernel_size): an int or a list of one
  or two ints, read as (height, width). Anything else is torch's argument parser's
  TypeError ("must be tuple of ints"); a list of another length is the RuntimeError of
  ``expand_param_if_needed`` (aten/src/ATen/native/ConvUtils.h).
* The input: 3-d (unbatched, a batch of one here) or 4-d, else RuntimeError
  (Convolution.cpp, ``batchify``).
* Padding strings (conv2d only): "valid" or "same", and "same" with stride 1 only
  (Convolution.cpp, ``_convolution_mode`` and ``convolution_same``; ValueError from the
  module, torch/nn/modules/conv.py ``_ConvNd.__init__``). "same" pads d (k - 1) per axis
  in total, the odd zero (if any) on the bottom and the right; torch then warns, once, that
  it copies the input to pad it (np.pad always copies here, with no warning).
* The numbers: groups positive (Convolution.cpp, ``_convolution``), then padding and
  output_padding not negative, stride and dilation positive (``check_shape_forward``).
* W's shape against groups, x's channels and b (``check_shape_forward``: W 4-d, at least
  and divisible by groups at dim 0, x with its channels, b 1-d with C_out elements).
* conv2d: b's dtype equal to x's (Convolution.cpp, ``conv2d``), then the padded input at
  least as large as the dilated kernel (``check_shape_forward``).
* conv_transpose2d: an input empty by its height or width is refused
  (Convolution.cpp, ``_select_conv_backend``); output_padding below the stride or the
  dilation and an output of at least one pixel (NaiveConvolutionTranspose2d.cpp,
  ``slow_conv_transpose2d_shape_check``).
* The kernels: neither convolution has a bool kernel, a NotImplementedError for a bool input
  with images in it (ConvolutionMM2d.cpp ``slow_conv2d_forward_out_cpu``,
  NaiveConvolutionTranspose2d.cpp ``slow_conv_transpose2d_out_cpu``); an empty batch takes
  torch's empty path and is not refused. Then W's dtype must be x's ("expected scalar
  type"). conv_transpose2d adds b in place in x's dtype: b of another dtype is rounded to
  x's, unless it is of a higher kind (a float b for an integer x), which cannot be cast down.
* The modules (torch/nn/modules/conv.py, ``_ConvNd``): groups positive, in_channels and
  out_channels divisible by it (ValueError), and ``extra_repr``: the sizes, then whatever
  differs from the defaults.

Reference: aten/src/ATen/native/Convolution.cpp (``batchify``, ``conv2d``,
``_convolution_mode``, ``_convolution``, ``check_shape_forward``, ``_select_conv_backend``),
ConvUtils.h, ConvolutionMM2d.cpp, NaiveConvolutionTranspose2d.cpp,
torch/nn/modules/conv.py (``_ConvNd``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from manual._conv import _Pads, _Pair
from manual._parity.dtypes import c_name, casts_down, torch_name

if TYPE_CHECKING:
    from manual.module import Module
    from manual.tensor import Tensor


def check_conv2d(input: Tensor, weight: Tensor, bias: Tensor | None, stride: int | _Pair,
                 padding: int | _Pair | str, dilation: int | _Pair,
                 groups: int) -> tuple[np.ndarray, _Pair, _Pads, _Pair]:
    """Check a conv2d call as torch does; return x as a batch, stride, pads and dilation."""
    x = _batched(input, "conv2d")
    stride, dilation = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation", "conv2d")
    _check_padding_string(padding, stride, RuntimeError)
    pair = (0, 0) if isinstance(padding, str) else _pair(padding, "padding", "conv2d")
    _check_numbers(groups, stride, dilation, pair)
    _check_weight(weight, groups, x.shape, bias, transposed=False)
    if bias is not None:  # torch compares b's dtype next; W's only in its kernel (no bool)
        _check_dtypes(x, weight=None, bias=bias)
    if padding == "same":
        pads = _same_pads(weight.shape[2:], dilation)
    else:
        pads = ((pair[0], pair[0]), (pair[1], pair[1]))              # "valid" is (0, 0)
    _check_kernel_fits(x.shape[2:], pads, weight.shape[2:], dilation)
    _check_bool(x, "slow_conv2d_cpu")
    _check_dtypes(x, weight, bias=None)
    return x, stride, pads, dilation


def check_conv_transpose2d(
        input: Tensor, weight: Tensor, bias: Tensor | None, stride: int | _Pair,
        padding: int | _Pair, output_padding: int | _Pair, groups: int,
        dilation: int | _Pair) -> tuple[np.ndarray, _Pair, _Pair, _Pair, _Pair]:
    """Check a conv_transpose2d call as torch does; return x as a batch, stride, padding,
    the output's (H_out, W_out) and dilation."""
    x = _batched(input, "conv_transpose2d")
    stride, padding, output_padding, dilation = (
        _pair(value, name, "conv_transpose2d") for value, name in
        ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
         (dilation, "dilation")))
    _check_numbers(groups, stride, dilation, padding, output_padding)
    _check_weight(weight, groups, x.shape, bias, transposed=True)
    if x.size == 0 and x.shape[0] and x.shape[1]:  # empty, but not by its batch or channels
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {list(x.shape)}")
    _check_output_padding(output_padding, stride, dilation)
    out_size = tuple((x.shape[2 + i] - 1) * stride[i] - 2 * padding[i]
                     + dilation[i] * (weight.shape[2 + i] - 1) + output_padding[i] + 1
                     for i in range(2))                               # H_out, W_out
    if min(out_size) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({x.shape[2]} x {x.shape[3]}). Calculated output "
            f"size per channel: ({out_size[0]} x {out_size[1]}). Output size is too small")
    _check_bool(x, "slow_conv_transpose2d_out_cpu")
    _check_dtypes(x, weight, bias=None)
    if bias is not None and casts_down(bias.dtype, x.dtype):  # b is added in place, in x's dtype
        raise RuntimeError(f"result type {torch_name(bias.dtype)} can't be cast to the desired "
                           f"output type {torch_name(x.dtype)}: bias of dtype {bias.dtype}, "
                           f"input of dtype {x.dtype}")
    return x, stride, padding, out_size, dilation


def check_conv2d_module(in_channels: int, out_channels: int, groups: int,
                        kernel_size: int | _Pair, stride: int | _Pair,
                        padding: int | _Pair | str,
                        dilation: int | _Pair) -> tuple[_Pair, _Pair, _Pair | str, _Pair]:
    """Conv2d's arguments checked as torch's _ConvNd does; its sizes as (height, width)."""
    kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
    stride = _pair(stride, "stride", "Conv2d")
    padding = padding if isinstance(padding, str) else _pair(padding, "padding", "Conv2d")
    dilation = _pair(dilation, "dilation", "Conv2d")
    _check_module(in_channels, out_channels, groups)
    _check_padding_string(padding, stride, ValueError)
    return kernel_size, stride, padding, dilation


def check_conv_transpose2d_module(
        in_channels: int, out_channels: int, groups: int, kernel_size: int | _Pair,
        stride: int | _Pair, padding: int | _Pair, output_padding: int | _Pair,
        dilation: int | _Pair) -> tuple[_Pair, _Pair, _Pair, _Pair, _Pair]:
    """ConvTranspose2d's arguments checked as torch's _ConvNd does; its sizes as pairs."""
    sizes = tuple(_pair(value, name, "ConvTranspose2d") for value, name in (
        (kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"),
        (output_padding, "output_padding"), (dilation, "dilation")))
    _check_module(in_channels, out_channels, groups)
    return sizes


def extra_repr(module: Module) -> str:
    """torch's _ConvNd.extra_repr: the sizes, then whatever differs from the defaults."""
    s = (f"{module.in_channels}, {module.out_channels}, kernel_size={module.kernel_size}, "
         f"stride={module.stride}")
    defaults = {"padding": (0, 0), "dilation": (1, 1), "output_padding": (0, 0), "groups": 1}
    for name, default in defaults.items():
        value = getattr(module, name, default)
        if value != default:
            s += f", {name}={value}"
    return s + (", bias=False" if module.bias is None else "")


# -- the checks, one edge each ----------------------------------------------------------------

def _batched(input: Tensor, name: str) -> np.ndarray:
    """x as (N, C, H, W): an unbatched (C, H, W) input is a batch of one."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return input.array if input.ndim == 4 else input.array[None]


def _pair(value: int | _Pair, name: str, fn: str) -> _Pair:
    """An int or a sequence of one or two ints, as (height, width)."""
    values = [value] if isinstance(value, (int, np.integer)) else value
    if not isinstance(values, (list, tuple)) or not all(
            isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, but got "
                        f"{name}={value!r}")
    if len(values) not in (1, 2):
        raise RuntimeError(f"expected {name} to be a single integer value or a list of 2 values "
                           f"to match the convolution dimensions, but got {name}={list(values)}")
    return (int(values[0]), int(values[-1]))


def _check_padding_string(padding: int | _Pair | str, stride: _Pair, error: type) -> None:
    """Only "valid" and "same", and "same" only with stride 1 (RuntimeError in the function,
    ValueError in the module, as torch)."""
    if not isinstance(padding, str):
        return
    if padding not in ("valid", "same"):
        raise error(f"Invalid padding string {padding!r}, should be one of "
                    "{'valid', 'same'}")
    if padding == "same" and stride != (1, 1):
        raise error("padding='same' is not supported for strided convolutions, but got "
                    f"stride={stride}")


def _same_pads(kernel_size: tuple[int, ...], dilation: _Pair) -> _Pads:
    """"same": d (k - 1) zeros per axis, the odd one (if any) on the bottom / right."""
    totals = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
    return tuple((total // 2, total - total // 2) for total in totals)


def _check_numbers(groups: int, stride: _Pair, dilation: _Pair, padding: _Pair,
                   output_padding: _Pair = (0, 0)) -> None:
    """torch's checks on the numbers: each message starts with torch's own words."""
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported, but got groups={groups}")
    if min(padding) < 0:
        raise RuntimeError(f"negative padding is not supported, but got padding={padding}")
    if min(output_padding) < 0:
        raise RuntimeError("negative output_padding is not supported, but got "
                           f"output_padding={output_padding}")
    if min(stride) <= 0:
        raise RuntimeError(f"non-positive stride is not supported, but got stride={stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={dilation}")


def _check_weight(weight: Tensor, groups: int, x_shape: tuple[int, ...], bias: Tensor | None,
                  transposed: bool) -> None:
    """W's shape against groups, x's channels and b (torch's check_shape_forward)."""
    size = list(weight.shape)
    if weight.ndim != 4:
        raise RuntimeError(f"Expected 4-dimensional weight, but got weight of size {size}")
    if size[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {size} instead")
    if size[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{size}] instead")  # sic
    c_in, c_out = (size[0], size[1] * groups) if transposed else (size[1] * groups, size[0])
    given = f"Given {'transposed=1' if transposed else f'groups={groups}'}, weight of size {size}"
    if x_shape[1] != c_in:
        raise RuntimeError(f"{given}, expected input{list(x_shape)} to have {c_in} channels, "
                           f"but got {x_shape[1]} channels instead")
    if bias is not None and bias.shape != (c_out,):
        given = given if transposed else f"Given weight of size {size}"
        raise RuntimeError(f"{given}, expected bias to be 1-dimensional with {c_out} elements, "
                           f"but got bias of size {list(bias.shape)} instead")


def _check_kernel_fits(size: tuple[int, ...], pads: _Pads, kernel_size: tuple[int, ...],
                       dilation: _Pair) -> None:
    """The padded input (Hp, Wp) at least as large as the dilated kernel, on both axes."""
    padded = tuple(n + sum(pad) for n, pad in zip(size, pads))
    kernel = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel_size))
    if padded[0] < kernel[0] or padded[1] < kernel[1]:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). Kernel "
            f"size: ({kernel[0]} x {kernel[1]}). Kernel size can't be greater than actual "
            "input size")


def _check_output_padding(output_padding: _Pair, stride: _Pair, dilation: _Pair) -> None:
    """a < s or a < d on each axis: output_padding picks one of the sizes a stride merges."""
    if not all(a < s or a < d for a, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {output_padding[0]} output_padding_width: "
            f"{output_padding[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
            f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")


def _check_bool(x: np.ndarray, kernel: str) -> None:
    """torch has no bool convolution: its kernel refuses a bool input with images in it
    before any check of W's and b's dtypes (an empty batch takes another path)."""
    if x.dtype == bool and x.size:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\': input of dtype '
                                  "bool")


def _check_dtypes(x: np.ndarray, weight: Tensor | None, bias: Tensor | None) -> None:
    """One dtype for x, W and b, in torch's words: its dtype names for W, C++'s for b."""
    if weight is not None and weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(x.dtype)} but found "
                           f"{torch_name(weight.dtype)}")
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"Input type ({c_name(x.dtype)}) and bias type "
                           f"({c_name(bias.dtype)}) should be the same")



def _check_module(in_channels: int, out_channels: int, groups: int) -> None:
    """The module's refusals (ValueError, as torch's _ConvNd)."""
    if groups <= 0:
        raise ValueError(f"groups must be a positive integer, but got groups={groups}")
    if in_channels % groups:
        raise ValueError(f"in_channels must be divisible by groups, but got "
                         f"in_channels={in_channels}, groups={groups}")
    if out_channels % groups:
        raise ValueError(f"out_channels must be divisible by groups, but got "
                         f"out_channels={out_channels}, groups={groups}")


def output_padding(module: Any, x: Any, output_size: Any) -> tuple[int, int]:
    """ConvTranspose2d's extra rows and columns: the module's output_padding, or what makes
    the output ``output_size`` (its last two entries), with torch's refusals
    (torch/nn/modules/conv.py, ``_ConvTransposeNd._output_padding``)."""
    if output_size is None:
        return module.output_padding
    size, batched = output_size, x.ndim == 4
    if len(size) == (4 if batched else 3):
        size = size[-2:]  # a slice of what was given: torch prints it as it is
    if len(size) != 2:
        raise ValueError(f"ConvTranspose2D: for {x.ndim}D input, output_size must have 2 or "
                         f"{4 if batched else 3} elements (got {len(output_size)})")
    least = [(x.shape[-2 + d] - 1) * module.stride[d] - 2 * module.padding[d]
             + module.dilation[d] * (module.kernel_size[d] - 1) + 1 for d in range(2)]
    most = [least[d] + module.stride[d] - 1 for d in range(2)]
    if any(not least[d] <= size[d] <= most[d] for d in range(2)):
        raise ValueError(f"requested an output size of {size}, but valid sizes range from "
                         f"{least} to {most} (for an input of {x.shape[2:]})")  # sic: [W] if 3-d
    return (size[0] - least[0], size[1] - least[1])
