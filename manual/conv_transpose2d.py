"""conv_transpose2d: every input pixel stamps a scaled copy of the kernel onto the output.

x is (N, C_in, H, W), the weight W is (C_in, C_out/G, kh, kw) (in-channels first: conv2d's
layout read the other way) and the bias b is (C_out,). With G groups, in-channel c writes
only to the out-channels of its group g = c // (C_in/G), that is g C_out/G + o for
o < C_out/G. Per axis: stride s, padding p, output_padding a, dilation d.

The definition (``_conv_transpose2d_loops`` below is these lines as Python loops):

1. canvas = zeros of shape (N, C_out, H_c, W_c), H_c = (H - 1) s_h + d_h (kh - 1) + 1 + a_h
2. for every input pixel x[n, c, i, j] and kernel tap (u, v):
       canvas[n, g C_out/G + o, s_h i + d_h u, s_w j + d_w v] += x[n, c, i, j] W[c, o, u, v]
   (stamps overlap where the kernel is wider than the stride, and add up there)
3. y = canvas[:, :, p_h : p_h + H_out, p_w : p_w + W_out] + b     p cropped on every side
   H_out = (H - 1) s_h - 2 p_h + d_h (kh - 1) + a_h + 1, and likewise W_out

a adds a_h rows at the bottom (a_w columns on the right): conv2d with stride s maps s
consecutive input sizes to one output size, and a says which one to give back.

The vectorised form that ``conv_transpose2d`` computes, a kernel tap at a time (col2im):

4. S_uv[n] = X_g[n]^T W_g[:, :, u, v]      (H W, C_out/G): what tap (u, v) of every pixel's
   stamp writes, X_g[n] (C_in/G, H W) being image n's channels of group g
5. canvas[n, g C_out/G + o, s_h i + d_h u, s_w j + d_w v] += S_uv[n][(i, j), o] for every
   tap, in place (the canvas is kept channels-last, so these adds run along long rows)

(4)-(5) and the crop are dL/dx of conv2d (manual/conv2d.py, (6)) with the same W, stride,
padding, dilation and groups; output_padding gives back the rows its stride skipped.

Backward, given dL/dy (written dy), in one recorded node:

6. D = im2col(dy padded by p, less the a rows and columns no pixel stamped)  (N, G, K, H W)
   with K = C_out/G kh kw: one window per input pixel
7. dx_g[n] = W_g D_g[n], W_g read as (C_in/G, K)      that is conv2d(dy, W), cut to H x W
8. dW_g^T = sum over n of D_g[n] X_g[n]^T             (K, C_in/G), as conv2d's (5)
9. db = sum of dy over n, i, j                        (C_out,)

Quirk of (3): b of another dtype than x is rounded to x's (conv2d refuses it; so does this
one for a b of a higher kind, a float b for an integer x); db comes back in b's own dtype.

``ConvTranspose2d`` draws W (in_channels, out_channels/G, kh, kw) with kaiming_uniform_(
a=sqrt(5)), torch taking fan_in from that layout: W.size(1) kh kw = C_out/G kh kw. Then b
from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bit for bit as torch draws them (manual/init.py).

Reference: torch/nn/modules/conv.py (``ConvTranspose2d``), torch/nn/functional.py
(``conv_transpose2d``), aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp
(``slow_conv_transpose2d``: gemm, then col2im).
"""

from __future__ import annotations

import numpy as np

from manual._conv import _Pair, col2im, grouped, im2col, kernel_product, weight_gradient
from manual._parity import conv as parity
from manual.creation import empty
from manual.graph import record
from manual.init import _reset_layer
from manual.module import Module, Parameter
from manual.tensor import Tensor


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | _Pair = 1, padding: int | _Pair = 0,
                     output_padding: int | _Pair = 0, groups: int = 1,
                     dilation: int | _Pair = 1) -> Tensor:
    """Scatter x (N, C_in, H, W) or (C_in, H, W) through W (C_in, C_out/G, kh, kw)."""
    # torch's refusals, in its order; x as a batch (N, C_in, H, W), out_size (3)'s H_out, W_out
    x, stride, (ph, pw), out_size, dilation = parity.check_conv_transpose2d(
        input, weight, bias, stride, padding, output_padding, groups, dilation)
    w, (h, w_in) = weight.array, x.shape[2:]
    x_g = grouped(x, w, groups)                                       # (N, G, C_in/G, H W)
    canvas_size = (out_size[0] + 2 * ph, out_size[1] + 2 * pw)        # (1) (H_c, W_c)
    canvas = col2im(w, x_g, (h, w_in), canvas_size, stride, dilation)  # (4)-(5) = (2)
    y = canvas[:, :, ph:ph + out_size[0], pw:pw + out_size[1]]        # (3) (N, C_out, Ho, Wo)
    if bias is not None:
        y = y + bias.array.astype(x.dtype)[:, None, None]             # (3) b rounded to x's dtype
    stamped = [(m - 1) * s + d * (k - 1) + 1                          # canvas rows and columns
               for m, s, d, k in zip((h, w_in), stride, dilation, w.shape[2:])]  # x stamped

    def derivative(dy):
        dy = dy.reshape(y.shape)                                      # (N, C_out, Ho, Wo)
        dy_pad = np.pad(dy, ((0, 0), (0, 0), (ph, ph), (pw, pw)))     # (N, C_out, Hc, Wc)
        dy_pad = dy_pad[:, :, :stamped[0], :stamped[1]]               # (N, C_out, Hc - a, Wc - a)
        d_stamps = im2col(dy_pad, w, stride, dilation, groups)        # (6) (N, G, K, H W)
        dx = kernel_product(w, d_stamps)                              # (7) (N, G, C_in/G, H W)
        dw_t = weight_gradient(d_stamps, x_g)                         # (8) (G, K, C_in/G)
        dw = dw_t.transpose(0, 2, 1).reshape(w.shape)                 # (C_in, C_out/G, kh, kw)
        db = dy.sum(axis=(0, 2, 3))                                   # (9) (C_out,)
        return np.ascontiguousarray(dx).reshape(input.shape), dw, db  # (N, C_in, H, W)

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
    x, (sh, sw), (ph, pw), (h_out, w_out), (dh, dw) = parity.check_conv_transpose2d(
        input, weight, bias, stride, padding, output_padding, groups, dilation)
    w = weight.array
    c_in, c_group, kh, kw = w.shape
    canvas = np.zeros((x.shape[0], c_group * groups, h_out + 2 * ph, w_out + 2 * pw),
                      dtype=x.dtype)                                  # (1)
    for n, c, i, j in np.ndindex(*x.shape):
        first = c // (c_in // groups) * c_group                       # g C_out/G in (2)
        for o, u, v in np.ndindex(c_group, kh, kw):                  # (2)
            row, column = sh * i + dh * u, sw * j + dw * v
            canvas[n, first + o, row, column] += x[n, c, i, j] * w[c, o, u, v]
    y = canvas[:, :, ph:ph + h_out, pw:pw + w_out]                   # (3)
    if bias is not None:
        y = y + bias.array.astype(x.dtype)[:, None, None]
    return Tensor(y if input.ndim == 4 else y[0])


class ConvTranspose2d(Module):
    """Holds W (in_channels, out_channels/groups, kh, kw) and b (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | _Pair,
                 stride: int | _Pair = 1, padding: int | _Pair = 0, output_padding: int |
                 _Pair = 0, groups: int = 1, bias: bool = True, dilation: int | _Pair = 1) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        (self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation) = (
            parity.check_conv_transpose2d_module(in_channels, out_channels, groups, kernel_size,
                                                 stride, padding, output_padding, dilation)
        )  # torch's refusals (ValueError, as its _ConvNd); the sizes as (height, width)
        self.weight = Parameter(empty((in_channels, out_channels // groups, *self.kernel_size)))
        self.register_parameter("bias", Parameter(empty(out_channels)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_layer(self.weight, self.bias)  # manual/init.py (5): W, then b, as torch draws

    def forward(self, input: Tensor, output_size: list[int] | None = None) -> Tensor:
        extra = parity.output_padding(self, input, output_size)  # what output_size asks for
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                extra, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return parity.extra_repr(self)
