"""bce: binary cross-entropy, of probabilities (binary_cross_entropy, BCELoss) or of logits
(binary_cross_entropy_with_logits, BCEWithLogitsLoss).

For probabilities x and targets y in [0, 1] of one shape (N elements), weight w (1 if None):

1. l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))
2. "none": l;  "sum": the sum of l;  "mean": that sum / N

For logits z, with pos_weight p (1 if None) and s = sigmoid(z):

5. l = w ((1 - y) z - (1 + (p - 1) y) log s),  log s = min(z, 0) - log(1 + exp(-|z|))

Backward (autograd, ``binary_cross_entropy_backward`` and ``..._with_logits_backward``):
dx = g w (x - y) / max(x (1 - x), 1e-12) / D, dy = -g w logit(x) / D; dz = g w ((p y + 1 -
y) s - p y) / D, dy = g w (log sigmoid(-z) - p log s) / D; D = N for "mean", else 1.

Quirk: binary_cross_entropy_with_logits applies the sigmoid itself; given sigmoid(out) it
computes sigmoid(sigmoid(out)), and no prediction can fall below 0.5.

Manual twin: manual/bce.py, where the derivatives are written out.

Reference: torch/nn/functional.py (``binary_cross_entropy``,
``binary_cross_entropy_with_logits``), torch/nn/modules/loss.py (``BCELoss``,
``BCEWithLogitsLoss``).
"""

from __future__ import annotations

import torch


def binary_cross_entropy(input: torch.Tensor, target: torch.Tensor,
                         weight: torch.Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> torch.Tensor:
    """-w (y log x + (1 - y) log(1 - x)) per element: averaged, summed or kept."""
    return torch.nn.functional.binary_cross_entropy(input, target, weight, size_average,
                                                    reduce, reduction)


def binary_cross_entropy_with_logits(
        input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
        size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
        pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits without overflow."""
    return torch.nn.functional.binary_cross_entropy_with_logits(
        input, target, weight, size_average, reduce, reduction, pos_weight)


class BCELoss(torch.nn.BCELoss):
    """torch.nn.BCELoss, with the signature the manual twin has."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)


class BCEWithLogitsLoss(torch.nn.BCEWithLogitsLoss):
    """torch.nn.BCEWithLogitsLoss, with the signature the manual twin has."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: torch.Tensor | None = None) -> None:
        super().__init__(weight, size_average, reduce, reduction, pos_weight)
