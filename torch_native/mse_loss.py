"""mse_loss: the mean squared error between a prediction x and a target y.

Forward, after broadcasting x and y to one shape with N elements:

1. d = x - y
2. loss_i = d_i^2                           reduction="none": loss has that shape
3. loss = (1/N) sum_i loss_i                "mean";  "sum" drops the 1/N

Backward (autograd, ``mse_loss_backward``): dx = (2/N) d g, dy = -dx.

Quirk: if x and y differ in shape they broadcast, and torch warns (UserWarning) and goes on.

Manual twin: manual/mse_loss.py, where the derivative is written out.

Reference: torch/nn/functional.py (``mse_loss``), torch/nn/modules/loss.py (``MSELoss``).
"""

from __future__ import annotations

import torch


def mse_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """(x - y)^2, averaged ("mean"), summed ("sum") or kept per element ("none")."""
    return torch.nn.functional.mse_loss(input, target, reduction=reduction)


class MSELoss(torch.nn.MSELoss):
    """torch.nn.MSELoss, with the signature the manual twin has."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
