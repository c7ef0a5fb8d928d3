"""conv_transpose2d: every input pixel stamps a scaled copy of the kernel onto the output.

x is (N, C_in, H, W), the weight W is (C_in, C_out/G, kh, kw) (in-channels first: conv2d's
layout read the other way) and the bias b is (C_out,). With G groups, in-channel c writes
only to the out-channels of its group g = c // (C_in/G). Per axis: stride s, padding p,
output_padding a, dilation d.

1. canvas = zeros of shape (N, C_out, H_c, W_c), H_c = (H - 1) s_h + d_h (kh - 1) + 1 + a_h
2. for every input pixel x[n, c, i, j] and kernel tap (u, v):
       canvas[n, g C_out/G + o, s_h i + d_h u, s_w j + d_w v] += x[n, c, i, j] W[c, o, u, v]
3. y = canvas[:, :, p_h : p_h + H_out, p_w : p_w + W_out] + b     p cropped on every side
   H_out = (H - 1) s_h - 2 p_h + d_h (kh - 1) + a_h + 1, and likewise W_out

It is the gradient of conv2d with respect to its input. torch requires a < s or a < d on
each axis. On the CPU it runs oneDNN (float32, depending on sizes) or
``slow_conv_transpose2d`` (a matrix product, then col2im). Backward (autograd,
``convolution_backward``): dx is conv2d(dy, W), dW pairs x with im2col(dy), db sums dy
over n, i, j.

Quirk: a bias of another dtype than x is accepted here (conv2d refuses it), rounded to x's.

Manual twin: manual/conv_transpose2d.py, with the scatter as loops, its vectorised form
(a matrix product and col2im) and the three gradients written out.

Reference: torch/nn/modules/conv.py (``ConvTranspose2d``), torch/nn/functional.py
(``conv_transpose2d``).
"""

from __future__ import annotations

import torch

_Pair = tuple[int, int]


def conv_transpose2d(input: torch.Tensor, weight: torch.Tensor,
                     bias: torch.Tensor | None = None, stride: int | _Pair = 1,
                     padding: int | _Pair = 0, output_padding: int | _Pair = 0, groups: int = 1,
                     dilation: int | _Pair = 1) -> torch.Tensor:
    """Scatter x (N, C_in, H, W) or (C_in, H, W) through W (C_in, C_out/G, kh, kw)."""
    return torch.nn.functional.conv_transpose2d(input, weight, bias, stride, padding,
                                                output_padding, groups, dilation)


class ConvTranspose2d(torch.nn.ConvTranspose2d):
    """torch.nn.ConvTranspose2d, with the signature the manual twin has."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | _Pair,
                 stride: int | _Pair = 1, padding: int | _Pair = 0,
                 output_padding: int | _Pair = 0, groups: int = 1, bias: bool = True,
                 dilation: int | _Pair = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation)
