"""batch_norm: each channel scaled to zero mean and unit variance over the batch, then w, b.

For x of shape (N, C, *), per channel over its M = N * prod(*) values:

1. mean = (1/M) sum of x                      (C,)
2. var = (1/M) sum of (x - mean)^2            (C,), biased
3. y = (x - mean) / sqrt(var + eps) * w + b   (N, C, *)
4. running_mean = (1 - m) running_mean + m mean, running_var = (1 - m) running_var +
   m var M / (M - 1), in place (training, m = momentum; None: the cumulative average)

In eval, (3) uses the running statistics. Backward (autograd, ``NativeBatchNormBackward0``):
db = sum dy, dw = sum dy xhat, dx = w invstd (dy - db / M - xhat dw / M) in training, and
w invstd dy in eval.

Manual twin: manual/batch_norm.py, where the statistics and the three gradients are written
out.

Reference: torch/nn/functional.py (``batch_norm``), torch/nn/modules/batchnorm.py
(``BatchNorm1d``, ``BatchNorm2d``).
"""

from __future__ import annotations

import torch


def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None,
               running_var: torch.Tensor | None, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-05) -> torch.Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b per channel of x (N, C, *)."""
    return torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias,
                                          training, momentum, eps)


class BatchNorm1d(torch.nn.BatchNorm1d):
    """torch.nn.BatchNorm1d, with the signature the manual twin has."""

    def __init__(self, num_features: int, eps: float = 1e-05, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: object = None,
                 dtype: object = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)


class BatchNorm2d(torch.nn.BatchNorm2d):
    """torch.nn.BatchNorm2d, with the signature the manual twin has."""

    def __init__(self, num_features: int, eps: float = 1e-05, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: object = None,
                 dtype: object = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
