"""linear: an affine map y = x W^T + b, and the module that holds W and b.

Forward, for x of shape (*, in_features):

1. y = x W^T + b                            y: (*, out_features)

Backward (autograd, through ``addmm`` or ``matmul``): dx = dy W, dW = dy^T x, db = sum of dy
over the batch dims.

Manual twin: manual/linear.py, where the three gradients are written out.

Reference: torch/nn/modules/linear.py (``Linear``), torch/nn/functional.py (``linear``).
"""

from __future__ import annotations

import torch


def linear(
    input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """y = x W^T + b for x of shape (*, in_features), W (out, in), b (out,)."""
    return torch.nn.functional.linear(input, weight, bias)


class Linear(torch.nn.Linear):
    """torch.nn.Linear, with the signature the manual twin has."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
