"""pooling: the largest or the mean value of each window slid over an image, or of each cell.

x is (N, C, H, W) or (C, H, W), each (H, W) plane pooled alone; y is (N, C, H_out, W_out):

1. H_out = floor((H + 2 p - d (k - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1 (less 1 if the
   last window starts at or past H + p); window (i, j) reads x[s i - p + d u, s j - p + d v]
2. max_pool2d: y[i, j] = the largest tap of window (i, j), idx[i, j] where it is
4. avg_pool2d: y[i, j] = (the sum of its taps inside x) / D, D by count_include_pad or
   divisor_override
6. adaptive_avg_pool2d: cell i spans the rows floor(i H / H_out) to ceil((i + 1) H / H_out)
7. y[i, j] = the mean of cell (i, j)

Backward (autograd, MaxPool2DWithIndicesBackward0, AvgPool2DBackward0,
AdaptiveAvgPool2DBackward0 or MeanBackward1): dy goes back to idx, or is spread evenly over
each window or cell.

Manual twin: manual/pooling.py, where the windows, the divisors and the gradients are
written out.

Reference: torch/nn/modules/pooling.py (``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``),
torch/nn/functional.py (``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``).
"""

from __future__ import annotations

import torch

_Size = int | tuple[int, int]


def max_pool2d(input: torch.Tensor, kernel_size: _Size, stride: _Size | None = None,
               padding: _Size = 0, dilation: _Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """The largest value of each window, and (return_indices) where in its plane it is."""
    return torch.nn.functional.max_pool2d(input, kernel_size, stride, padding, dilation,
                                          ceil_mode=ceil_mode, return_indices=return_indices)


def avg_pool2d(input: torch.Tensor, kernel_size: _Size, stride: _Size | None = None,
               padding: _Size = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> torch.Tensor:
    """The mean of each window."""
    return torch.nn.functional.avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
                                          count_include_pad, divisor_override)


def adaptive_avg_pool2d(input: torch.Tensor, output_size: int | tuple[int | None, int | None]
                        ) -> torch.Tensor:
    """The mean of each cell of an (H_out, W_out) grid laid over each plane."""
    return torch.nn.functional.adaptive_avg_pool2d(input, output_size)


class MaxPool2d(torch.nn.MaxPool2d):
    """torch.nn.MaxPool2d, with the signature the manual twin has."""

    def __init__(self, kernel_size: _Size, stride: _Size | None = None, padding: _Size = 0,
                 dilation: _Size = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)


class AvgPool2d(torch.nn.AvgPool2d):
    """torch.nn.AvgPool2d, with the signature the manual twin has."""

    def __init__(self, kernel_size: _Size, stride: _Size | None = None, padding: _Size = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)


class AdaptiveAvgPool2d(torch.nn.AdaptiveAvgPool2d):
    """torch.nn.AdaptiveAvgPool2d, with the signature the manual twin has."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__(output_size)
