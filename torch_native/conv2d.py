"""conv2d: a bank of kernels slid over a batch of images, and the module that holds them.

x is (N, C_in, H, W), the weight W is (C_out, C_in/G, kh, kw) and the bias b is (C_out,).
With G groups, out-channel o sees only the in-channels of its group g = o // (C_out/G).
Per axis: stride s, padding p, dilation d.

1. x_pad = x with p zeros added on each side of H and W
2. y[n, o, i, j] = b[o] + sum over c, u, v of
       W[o, c, u, v] x_pad[n, g C_in/G + c, s_h i + d_h u, s_w j + d_w v]
   H_out = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1, and likewise W_out

On the CPU torch computes (2) with oneDNN for float32, and for float64 as im2col and one
matrix product per group (``slow_conv2d``, ``slow_conv_dilated2d``). Backward (autograd,
``convolution_backward``): dx is the transposed convolution of dy, dW = dy_g^T im2col(x),
db the sum of dy over n, i, j.

Padding "same" (stride 1 only) pads d (k - 1) per axis in total, the odd zero on the
bottom and the right; torch then warns that it copies the input to pad it.

Manual twin: manual/conv2d.py, with the definition as loops, im2col, and the three
gradients written out.

Reference: torch/nn/modules/conv.py (``Conv2d``), torch/nn/functional.py (``conv2d``).
"""

from __future__ import annotations

import torch

_Pair = tuple[int, int]


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | _Pair = 1, padding: int | _Pair | str = 0, dilation: int | _Pair = 1,
           groups: int = 1) -> torch.Tensor:
    """Cross-correlate x (N, C_in, H, W) or (C_in, H, W) with W (C_out, C_in/G, kh, kw)."""
    return torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)


class Conv2d(torch.nn.Conv2d):
    """torch.nn.Conv2d, with the signature the manual twin has."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | _Pair,
                 stride: int | _Pair = 1, padding: int | _Pair | str = 0,
                 dilation: int | _Pair = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)
