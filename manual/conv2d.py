"""conv2d: a bank of kernels slid over a batch of images, and the module that holds them.

x is (N, C_in, H, W), the weight W is (C_out, C_in/G, kh, kw) and the bias b is (C_out,).
With G groups, out-channel o sees only the in-channels of its group g = o // (C_out/G),
that is g C_in/G + c for c < C_in/G. Per axis: stride s, padding p, dilation d.

The definition (``_conv2d_loops`` below is these two lines as Python loops):

1. x_pad = x with p zeros added on each side of H and W      (N, C_in, H + 2 p_h, W + 2 p_w)
2. y[n, o, i, j] = b[o] + sum over c, u, v of
       W[o, c, u, v] x_pad[n, g C_in/G + c, s_h i + d_h u, s_w j + d_w v]
   H_out = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1, and likewise W_out

The same sums as one matrix product per image and group (im2col), which ``conv2d`` computes:

3. X_g[n][(c, u, v), (i, j)] = x_pad[n, g C_in/G + c, s_h i + d_h u, s_w j + d_w v]
                                                  (K, H_out W_out) with K = C_in/G kh kw
4. y_g[n] = W_g X_g[n] + b_g                                  (C_out/G, H_out W_out)
   W_g is group g's C_out/G kernels, each read as a row of K: W's own memory order, so the
   rows of X_g run (c, u, v) too, and y comes out in (N, C_out, H_out, W_out) order.

Backward, given dL/dy (written dy, and dy_g[n] regrouped like y_g[n]), in one recorded node:

5. dW_g^T = sum over n of X_g[n] dy_g[n]^T                    (K, C_out/G)
6. col2im, a kernel tap at a time: dy_g[n]^T W_g[:, :, u, v] (H_out W_out, C_in/G) is what
   tap (u, v) sends back to the pixels of x_pad it read in (3); each is added there (on a
   channels-last canvas), and the padding is cropped. This is conv_transpose2d(dy, W)
   (manual/conv_transpose2d.py).
7. db = sum of dy over n, i, j                                (C_out,)

Quirk of (1): padding may also be "valid" (none) or "same" (stride 1 only: the output as
large as the input), d (k - 1) zeros per axis in total, the odd one (if any) on the bottom
and the right, as torch. An unbatched (C_in, H, W) input gives an unbatched output.

``Conv2d`` draws W with torch's kaiming_uniform_(a=sqrt(5)), which is U(-1/sqrt(fan_in),
1/sqrt(fan_in)) with fan_in = C_in/G kh kw, then b from the same range: the bits torch draws
from the same seed (manual/init.py).

im2col, col2im and the products (over the whole batch at once where the bits allow) are in
manual/_conv.py, shared with conv_transpose2d; torch's checks in manual/_parity/conv.py.

Reference: torch/nn/modules/conv.py (``Conv2d``), torch/nn/functional.py (``conv2d``),
aten/src/ATen/native/Convolution.cpp (``check_shape_forward``, ``_convolution_mode``),
aten/src/ATen/native/ConvolutionMM2d.cpp and im2col.h (im2col, gemm, col2im).
"""

from __future__ import annotations

import numpy as np

from manual._conv import _Pair, col2im, grouped, im2col, kernel_product, out_size, weight_gradient
from manual._parity import conv as parity
from manual.creation import empty
from manual.graph import record
from manual.init import _reset_layer
from manual.module import Module, Parameter
from manual.tensor import Tensor


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | _Pair = 1, padding: int | _Pair | str = 0, dilation: int | _Pair = 1,
           groups: int = 1) -> Tensor:
    """Cross-correlate x (N, C_in, H, W) or (C_in, H, W) with W (C_out, C_in/G, kh, kw)."""
    # torch's refusals, in its order; x as a batch (N, C_in, H, W), padding as pads
    x, stride, pads, dilation = parity.check_conv2d(input, weight, bias, stride, padding,
                                                    dilation, groups)
    w = weight.array
    (n, _, h, w_in), kernel = x.shape, w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), *pads))                        # (1) (N, C_in, Hp, Wp)
    cols = im2col(x_pad, w, stride, dilation, groups)                 # (3) (N, G, K, Ho Wo)
    h_out, w_out = out_size(x_pad.shape[2:], kernel, stride, dilation)  # (2)'s H_out, W_out
    y = kernel_product(w, cols)                                       # (4) (N, G, C_out/G, Ho Wo)
    y = np.ascontiguousarray(y).reshape(n, w.shape[0], h_out, w_out)  # (N, C_out, Ho, Wo)
    if bias is not None:
        y += bias.array[:, None, None]                                # (4)
    padded = x_pad.shape[2:]                                          # (6)'s canvas: (Hp, Wp)

    wants_dx = input.requires_grad  # a batch of images does not: torch skips (6) then too

    def derivative(dy):
        dy = np.ascontiguousarray(dy.reshape(y.shape))                # (N, C_out, Ho, Wo)
        dy_g = grouped(dy, w, groups)                                 # (N, G, C_out/G, Ho Wo)
        # (5) as dW's transpose: the same dot products, faster in OpenBLAS as K rows
        dw_t = weight_gradient(cols, dy_g)                            # (5) (G, K, C_out/G)
        dw = dw_t.transpose(0, 2, 1).reshape(w.shape)                 # (C_out, C_in/G, kh, kw)
        per_group = dy.reshape(n, groups, w.shape[0] // groups, h_out * w_out)  # (N, G, ., Ho Wo)
        db = per_group.sum(axis=(0, 3)).reshape(w.shape[0])           # (7) (C_out,)
        if not wants_dx:
            return None, dw, db
        dx_pad = col2im(w, dy_g, (h_out, w_out), padded, stride, dilation)  # (6) (N, C_in, Hp, Wp)
        (top, _), (left, _) = pads
        dx = dx_pad[:, :, top:top + h, left:left + w_in]              # (N, C_in, H, W)
        return dx.reshape(input.shape), dw, db

    inputs = (input, weight) if bias is None else (input, weight, bias)
    out = y if input.ndim == 4 else y[0]
    # torch's convolution saves x and W whichever wants a gradient: both are watched
    return record("ConvolutionBackward0", out, inputs, derivative, saves=True,
                  reads=(input, weight))


def _conv2d_loops(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                  stride: int | _Pair = 1, padding: int | _Pair | str = 0,
                  dilation: int | _Pair = 1, groups: int = 1) -> Tensor:
    """conv2d by its definition, one output pixel at a time (slow; no gradient recorded).

    For each output pixel y[n, o, i, j]: start from b[o], then add W[o, c, u, v] times the
    input pixel under kernel tap (u, v), for every in-channel c of o's group (equation 2).
    """
    x, (sh, sw), pads, (dh, dw) = parity.check_conv2d(input, weight, bias, stride, padding,
                                                      dilation, groups)
    w = weight.array
    c_out, c_group, kh, kw = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), *pads))                        # (1)
    h_out = (x_pad.shape[2] - dh * (kh - 1) - 1) // sh + 1
    w_out = (x_pad.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], c_out, h_out, w_out), dtype=x.dtype)
    for n, o, i, j in np.ndindex(*y.shape):
        first = o // (c_out // groups) * c_group                      # g C_in/G in (2)
        total = x.dtype.type(0) if bias is None else bias.array[o]
        for c, u, v in np.ndindex(c_group, kh, kw):                  # (2)
            total += w[o, c, u, v] * x_pad[n, first + c, sh * i + dh * u, sw * j + dw * v]
        y[n, o, i, j] = total
    return Tensor(y if input.ndim == 4 else y[0])


class Conv2d(Module):
    """Holds W (out_channels, in_channels/groups, kh, kw) and b (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | _Pair,
                 stride: int | _Pair = 1, padding: int | _Pair | str = 0,
                 dilation: int | _Pair = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        # torch's refusals (ValueError, as its _ConvNd); the sizes as (height, width)
        self.kernel_size, self.stride, self.padding, self.dilation = parity.check_conv2d_module(
            in_channels, out_channels, groups, kernel_size, stride, padding, dilation)
        self.weight = Parameter(empty((out_channels, in_channels // groups, *self.kernel_size)))
        self.register_parameter("bias", Parameter(empty(out_channels)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_layer(self.weight, self.bias)  # manual/init.py (5): W, then b, as torch draws

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)

    def extra_repr(self) -> str:
        return parity.extra_repr(self)
