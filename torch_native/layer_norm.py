"""layer_norm: each sample scaled to zero mean and unit variance over its last dims, then w, b.

For x of shape (*, S), S = normalized_shape, per row of N = prod(S) values:

1. mean = (1/N) sum of x                      (*,)
2. var = (1/N) sum of (x - mean)^2            (*,), biased
3. rstd = 1 / sqrt(var + eps)
4. y = (x - mean) rstd w + b                  (*, S)

Backward (autograd, ``NativeLayerNormBackward0``): db = sum dy and dw = sum dy xhat over the
rows; dx = rstd (g - mean(g) - xhat mean(g xhat)) per row, g = dy w.

Manual twin: manual/layer_norm.py, where the moments and the three gradients are written out.

Reference: torch/nn/functional.py (``layer_norm``), torch/nn/modules/normalization.py
(``LayerNorm``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def layer_norm(input: torch.Tensor, normalized_shape: Sequence[int],
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
               eps: float = 1e-05) -> torch.Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b over the last dims S of x (*, S)."""
    return torch.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)


class LayerNorm(torch.nn.LayerNorm):
    """torch.nn.LayerNorm, with the signature the manual twin has."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-05,
                 elementwise_affine: bool = True, bias: bool = True, device: object = None,
                 dtype: object = None) -> None:
        super().__init__(normalized_shape, eps, elementwise_affine, bias, device, dtype)
