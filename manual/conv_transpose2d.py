"""conv_transpose2d: every input pixel stamps a scaled copy of the kernel onto the output.

x is (N, C_in, H, W), the weight W is (C_in, C_out/G, kh, kw) (in-channels first: conv2d's
layout read the other way) and the bias b is (C_out,). With G groups, in-channel c writes
only to the out-channels of its group g = c // (C_in/G), that is g C_out/G + o for
o < C_out/G. Per axis: stride s, padding p, output_padding a, dilation d.

The definition (``_conv_transpose2d_loops`` below is these lines as Python loops):

1. canvas = zeros of shape (N, C_out, H_c, W_c), H_c = (H - 1) s_h + d_h (kh - 1) + 1 + a_h
2. for every input pixel x[n, c, i, j] and kernel tap (u, v):
       canvas[n, g C_out/G + o, s_h i + d_h u, s_w j + d_w v] += x[n, c, i, j] W[c, o, u, v]
   (where the stamped copies overlap, that is where the kernel is wider than the stride,
   they add up)
3. y = canvas[:, :, p_h : p_h + H_out, p_w : p_w + W_out] + b     p cropped on every side
   H_out = (H - 1) s_h - 2 p_h + d_h (kh - 1) + a_h + 1, and likewise W_out

output_padding only adds a_h rows at the bottom (a_w columns on the right): conv2d with
stride s maps s consecutive input sizes to one output size, and a says which one to give
back. torch requires a < s or a < d on each axis (RuntimeError otherwise).

The vectorised form that ``conv_transpose2d`` computes, a kernel tap at a time (col2im):

4. S_uv[n] = X_g[n]^T W_g[:, :, u, v]   (H W, C_in/G) @ (C_in/G, C_out/G): what tap (u, v)
                                         of every pixel's stamp writes, X_g[n] being image
                                         n's channels of group g, a row each
5. canvas[n, g C_out/G + o, s_h i + d_h u, s_w j + d_w v] += S_uv[n][(i, j), o]
                                         for every tap, in place (the canvas is kept
                                         channels-last, so these adds run along long rows)

Steps 4-5 and the crop are conv2d's input gradient (manual/conv2d.py, equation 6):
conv_transpose2d(dy, W) with conv2d's W, stride, padding, dilation and groups is dL/dx of
that conv2d, with output_padding restoring the last rows that conv2d's stride skipped.

Backward, given dL/dy (written dy), in one recorded node:

6. D = im2col(dy with p zeros on every side, less the a_h rows and a_w columns of
   output_padding that no pixel stamped): one window per input pixel  (N, G, K, H W),
   K = C_out/G kh kw
7. dx_g[n] = W_g D_g[n], W_g read as (C_in/G, K)      that is conv2d(dy, W), cut to H x W
8. dW_g^T = sum over n of D_g[n] X_g[n]^T             (K, C_in/G), as conv2d's (5)
9. db = sum of dy over n, i, j                        (C_out,)

Quirk: torch accepts a bias of another dtype here (conv2d refuses it) and rounds it to x's
dtype, unless it is of a higher kind (a float b for integer x: it adds b in place, and cannot
cast the sum down); b's gradient comes back in b's own dtype. Neither convolution has a bool
kernel: a bool input with images in it is a NotImplementedError.

``ConvTranspose2d`` draws W (in_channels, out_channels/G, kh, kw) with kaiming_uniform_(
a=sqrt(5)), torch taking fan_in from that layout: W.size(1) kh kw = C_out/G kh kw. Then b
from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bit for bit as torch draws them (manual/_init.py).

Reference: torch/nn/modules/conv.py (``ConvTranspose2d``), torch/nn/functional.py
(``conv_transpose2d``), aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp
(``slow_conv_transpose2d``: gemm, then col2im).
"""

from __future__ import annotations

import numpy as np

from manual import _init
from manual._conv import (
    _batched,
    _check_bool,
    _check_dtypes,
    _check_module,
    _check_numbers,
    _check_weight,
    _col2im,
    _conv_repr,
    _grouped,
    _im2col,
    _Pair,
    _pair,
    _tap_matrices,
    _weight_matrix,
)
from manual._module import Module
from manual._parity.dtypes import casts_down as _casts_down
from manual._parity.dtypes import torch_name as _torch_name
from manual.graph import record
from manual.tensor import Tensor


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | _Pair = 1, padding: int | _Pair = 0,
                     output_padding: int | _Pair = 0, groups: int = 1,
                     dilation: int | _Pair = 1) -> Tensor:
    """Scatter x (N, C_in, H, W) or (C_in, H, W) through W (C_in, C_out/G, kh, kw)."""
    x, stride, (ph, pw), out_size, dilation = _arguments(
        input, weight, bias, stride, padding, output_padding, groups, dilation)
    w = weight.array
    (h, w_in), kernel = x.shape[2:], w.shape[2:]
    x_g = _grouped(x, groups)                                         # (N, G, C_in/G, H W)
    canvas_size = (out_size[0] + 2 * ph, out_size[1] + 2 * pw)       # (1) (H_c, W_c)
    canvas = _col2im(_tap_matrices(w, groups), x_g, (h, w_in), canvas_size, stride,
                     dilation)                                        # (4)-(5) = (2)
    y = canvas[:, :, ph:ph + out_size[0], pw:pw + out_size[1]]       # (3) (N, C_out, Ho, Wo)
    if bias is not None:
        y = y + bias.array.astype(x.dtype)[:, None, None]                # (3)
    stamped = [(m - 1) * s + d * (k - 1) + 1                          # canvas rows and columns
               for m, s, d, k in zip((h, w_in), stride, dilation, kernel)]  # that x stamped

    def derivative(dy):
        dy = dy.reshape(y.shape)                                      # (N, C_out, Ho, Wo)
        dy_pad = np.pad(dy, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        dy_pad = dy_pad[:, :, :stamped[0], :stamped[1]]               # (N, C_out, Hc - a, Wc - a)
        d_stamps = _im2col(dy_pad, kernel, stride, dilation, groups)  # (6) (N, G, K, H W)
        dx = _weight_matrix(w, groups) @ d_stamps                     # (7) (N, G, C_in/G, H W)
        dw_t = (d_stamps @ x_g.transpose(0, 1, 3, 2)).sum(axis=0)     # (8) (G, K, C_in/G)
        dw = dw_t.transpose(0, 2, 1).reshape(w.shape)                 # (C_in, C_out/G, kh, kw)
        db = dy.sum(axis=(0, 2, 3))                                   # (9) (C_out,)
        return dx.reshape(input.shape), dw, db

    inputs = (input, weight) if bias is None else (input, weight, bias)
    out = y if input.ndim == 4 else y[0]
    # torch's convolution saves x and W whichever wants a gradient: both are watched
    return record("ConvolutionBackward0", out, inputs, derivative, saves=True,
                  reads=(input, weight))


def _conv_transpose2d_loops(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                            stride: int | _Pair = 1, padding: int | _Pair = 0,
                            output_padding: int | _Pair = 0, groups: int = 1,
                            dilation: int | _Pair = 1) -> Tensor:
    """conv_transpose2d by its definition, one input pixel at a time (slow; no gradient).

    Each input pixel x[n, c, i, j] adds x[n, c, i, j] W[c] onto the canvas, with its kernel
    taps spread s apart per pixel and d apart per tap (equation 2); then the crop (3).
    """
    x, (sh, sw), (ph, pw), (h_out, w_out), (dh, dw) = _arguments(
        input, weight, bias, stride, padding, output_padding, groups, dilation)
    w = weight.array
    c_in, c_group, kh, kw = w.shape
    canvas = np.zeros((x.shape[0], c_group * groups, h_out + 2 * ph, w_out + 2 * pw),
                      dtype=x.dtype)                                  # (1)
    for n, c, i, j in np.ndindex(*x.shape):
        first = c // (c_in // groups) * c_group                      # c's group's first out-channel
        for o, u, v in np.ndindex(c_group, kh, kw):                  # (2)
            canvas[n, first + o, sh * i + dh * u, sw * j + dw * v] += x[n, c, i, j] * w[c, o, u, v]
    y = canvas[:, :, ph:ph + h_out, pw:pw + w_out]                   # (3)
    if bias is not None:
        y = y + bias.array.astype(x.dtype)[:, None, None]
    return Tensor(y if input.ndim == 4 else y[0])


class ConvTranspose2d(Module):
    """Holds W (in_channels, out_channels/groups, kh, kw) and b (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | _Pair,
                 stride: int | _Pair = 1, padding: int | _Pair = 0,
                 output_padding: int | _Pair = 0, groups: int = 1, bias: bool = True,
                 dilation: int | _Pair = 1) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        name = "ConvTranspose2d"
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.stride, self.padding = _pair(stride, "stride", name), _pair(padding, "padding", name)
        self.output_padding = _pair(output_padding, "output_padding", name)
        self.dilation = _pair(dilation, "dilation", name)
        _check_module(in_channels, out_channels, groups)
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        self.register_parameter("weight", Tensor(_init.kaiming_uniform(shape), requires_grad=True))
        b = Tensor(_init.bias_uniform(out_channels, shape), requires_grad=True) if bias else None
        self.register_parameter("bias", b)

    def forward(self, input: Tensor) -> Tensor:
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _conv_repr(self)


def _arguments(input: Tensor, weight: Tensor, bias: Tensor | None, stride: int | _Pair,
               padding: int | _Pair, output_padding: int | _Pair, groups: int,
               dilation: int | _Pair) -> tuple[np.ndarray, _Pair, _Pair, _Pair, _Pair]:
    """Check the call as torch does; return x as a batch, stride, padding, the output's
    (H_out, W_out) and dilation."""
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
    if not all(a < s or a < d for a, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {output_padding[0]} output_padding_width: "
            f"{output_padding[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
            f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
    out_size = tuple((x.shape[2 + i] - 1) * stride[i] - 2 * padding[i]               # (3)
                     + dilation[i] * (weight.shape[2 + i] - 1) + output_padding[i] + 1
                     for i in range(2))
    if min(out_size) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({x.shape[2]} x {x.shape[3]}). Calculated output "
            f"size per channel: ({out_size[0]} x {out_size[1]}). Output size is too small")
    _check_bool(x, "slow_conv_transpose2d_out_cpu")
    _check_dtypes(x, weight, None)
    if bias is not None and _casts_down(bias.dtype, x.dtype):
        raise RuntimeError(f"result type {_torch_name(bias.dtype)} can't be cast to the desired "
                           f"output type {_torch_name(x.dtype)}: bias of dtype {bias.dtype}, "
                           f"input of dtype {x.dtype}")  # b is added in place, in x's dtype
    return x, stride, padding, out_size, dilation
