"""pooling: the largest or the mean value of each window slid over an image, or of each cell.

x is (N, C, H, W) or (C, H, W), each (H, W) plane pooled alone; y is (N, C, H_out, W_out):
1. per axis, for kernel k, stride s (k unless given), padding p, dilation d (max only):
   H_out = floor((H + 2 p - d (k - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1, less 1 if the
   last window starts at or past H + p; window (i, j) taps x[s i - p + d u, s j - p + d v]
2. max: y[i, j] = its largest tap inside x, idx[i, j] = that tap's h W + w (first on a tie)
3. dx = 0, then dx[idx[i, j]] += dy[i, j], (i, j) in raster order           dx: (N, C, H, W)
4. avg: y[i, j] = (the sum of its taps inside x) / D, D = divisor_override, or the count of
   its taps inside x and its padding (count_include_pad), or inside x
5. dx = 0, then dx[tap] += dy[i, j] / D for each tap inside x, (i, j) in raster order
6. adaptive: cell i has the k_h[i] rows floor(i H / H_out) <= r < ceil((i + 1) H / H_out)
7. y[i, j] = ((the sum of cell (i, j)) / k_h[i]) / k_w[j]      (k_w[j] columns, as (6))
8. dx = 0, then dx[cell] += (dy[i, j] / k_h[i]) / k_w[j], (i, j) in raster order

Quirks of torch that change the numbers (manual/_parity/pooling.py):
* (2) a NaN tap always wins (the last NaN gives idx); a window missing x (dilation with
  padding) is refused, where torch returns -inf and an idx outside x.
* (4), (7) sum row-major in x's dtype; (4) is 0 + total / D (C's for int64); (3), (5), (8)
  add into zeros in raster order; (7) to (1, 1) is torch's mean; channels_last divides once.

Reference: torch/nn/modules/pooling.py; aten/src/ATen/native/Pool.h (``pooling_output_shape``),
cpu/MaxPoolKernel.cpp (``cpu_max_pool``), cpu/AvgPoolKernel.cpp, cpu/AdaptiveAvgPoolKernel.cpp.
"""

from __future__ import annotations

import numpy as np

from manual._parity import pooling as parity
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor

_Size = int | tuple[int, int]


def max_pool2d(input: Tensor, kernel_size: _Size, stride: _Size | None = None,
               padding: _Size = 0, dilation: _Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The largest value of each window, and (return_indices) where in its plane it is."""
    geo = parity.check_max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                                  return_indices)  # torch's refusals; sizes as (h, w) pairs
    x, (h, w) = input.array, input.shape[-2:]
    taps, _, first, _ = parity.windows(geo, (h, w))                  # (1) offsets (M, K)
    planes = x.reshape(-1, h, w)                                     # (P, H, W), P = N C
    y, best = parity.max_start(x.dtype, first, geo.out, len(planes))  # (P, H_out, W_out) each
    for k, tap in enumerate(parity.tap_planes(planes, geo)):  # row-major, so a tie keeps the first
        take = (tap > y) | np.isnan(tap)                             # (2) larger, or NaN
        y, best = parity.where(take, tap, y), parity.where(take, k, best)  # (2) y, and its tap
    best = best.reshape(len(planes), len(taps))                      # (P, M)
    idx = np.take(taps, np.arange(len(taps)) * taps.shape[1] + best)  # (2) h W + w: (P, M)

    def derivative(dy: np.ndarray) -> tuple[np.ndarray]:
        return (parity.add_into_zeros(dy.reshape(idx.shape), idx, x.shape),)  # (3) dx[idx] += dy

    out = record(parity.MAX_NODE, y.reshape(x.shape[:-2] + geo.out), (input,), derivative,
                 saves=True, reads=(input,))
    return (out, Tensor(idx.reshape(out.shape))) if return_indices else out


def avg_pool2d(input: Tensor, kernel_size: _Size, stride: _Size | None = None,
               padding: _Size = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window."""
    geo = parity.check_avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
                                  count_include_pad, divisor_override)  # torch's refusals
    x, (h, w) = input.array, input.shape[-2:]
    taps, inside, _, padded = parity.windows(geo, (h, w))  # (1) offsets (M, K); in x + padding
    total = parity.window_sums(x.reshape(-1, h * w), taps, inside)   # (4) sum of taps: (P, M)
    divisor = divisor_override or (padded if count_include_pad else inside.sum(1))  # (4) D: (M,)
    y = parity.divide(total, divisor)                                # (4) 0 + total / D

    def derivative(dy: np.ndarray) -> tuple[np.ndarray]:
        delta = dy.reshape(total.shape) / np.asarray(divisor, dy.dtype)  # (5) dy / D: (P, M)
        return (parity.scatter_windows(delta, taps, inside, x.shape),)  # (5) dx[tap] += delta

    return record(parity.AVG_NODE, y.reshape(x.shape[:-2] + geo.out), (input,), derivative,
                  saves=True, reads=(input,))


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """The mean of each cell of an (H_out, W_out) grid laid over each plane."""
    size = parity.adaptive_output_size(input, output_size)  # torch's refusals; None: x's size
    if size == (1, 1):
        return parity.mean(input)  # torch's path: (7) as the mean over (H, W)
    x, (h, w) = input.array, input.shape[-2:]
    taps, inside, (k_h, k_w) = parity.cells(size, (h, w))  # (6) offsets (M, K); k_h, k_w: (M,)
    total = parity.window_sums(x.reshape(-1, h * w), taps, inside)   # (7) sum of cells: (P, M)
    y = parity.adaptive_divide(total, k_h, k_w, input)               # (7) (total / k_h) / k_w

    def derivative(dy: np.ndarray) -> tuple[np.ndarray]:
        parity.check_adaptive_grad(dy)  # torch's backward refuses an empty grid or channels
        delta = dy.reshape(total.shape) / k_h.astype(dy.dtype) / k_w.astype(dy.dtype)  # (8)
        return (parity.scatter_windows(delta, taps, inside, x.shape),)  # (8) dx[cell] += delta

    return record(parity.ADAPTIVE_NODE, y.reshape(x.shape[:-2] + size), (input,), derivative,
                  saves=True, reads=(input,))


class MaxPool2d(Module):
    """max_pool2d as a module, with no parameters."""

    def __init__(self, kernel_size: _Size, stride: _Size | None = None, padding: _Size = 0,
                 dilation: _Size = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return parity.extra_repr(self, "kernel_size", "stride", "padding", "dilation", "ceil_mode")


class AvgPool2d(Module):
    """avg_pool2d as a module, with no parameters."""

    def __init__(self, kernel_size: _Size, stride: _Size | None = None, padding: _Size = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return parity.extra_repr(self, "kernel_size", "stride", "padding")


class AdaptiveAvgPool2d(Module):
    """adaptive_avg_pool2d as a module, with no parameters."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return parity.extra_repr(self, "output_size")
