"""mse_loss: the mean squared error between a prediction x and a target y.

Forward, after broadcasting x and y to one shape with N elements:

1. d = x - y
2. loss_i = d_i^2                           reduction="none": loss has that shape
3. loss = (1/N) sum_i loss_i                "mean";  "sum" drops the 1/N

Backward, given the loss's gradient g (a scalar, or per element for "none"):

4. dx = (2/N) d g                           (2 for "sum" and "none"), 2/N rounded to x's dtype
5. dy = -dx

Quirk: if x and y differ in shape they broadcast, torch warns (UserWarning) and goes on. The
classic case is x of shape (N, 1) and y of shape (N,): d becomes (N, N), every prediction is
compared with every target, and training fits the mean. The gradient is then summed back to
each operand's shape by the engine.

x and y of different dtypes are computed in the dtype torch promotes them to; the refusals
(an unknown reduction, shapes that do not broadcast, no float among x and y) are torch's
(manual/_parity/mse_loss.py).

Reference: torch/nn/functional.py (``mse_loss``), torch/nn/modules/loss.py (``MSELoss``),
ATen/native/Loss.cpp (``mse_loss``, ``mse_loss_backward_out``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import mse_loss as parity
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(x - y)^2, averaged ("mean"), summed ("sum") or kept per element ("none")."""
    parity.check_reduction(reduction)  # torch's refusal of an unknown reduction, first
    parity.warn_if_broadcast(input, target)  # the quirk: shapes that differ warn, then broadcast
    shape, dtype = parity.shape_and_dtype(input, target)  # torch's broadcast and promotion
    x = np.broadcast_to(input.array.astype(dtype), shape)   # both of one shape, N elements
    y = np.broadcast_to(target.array.astype(dtype), shape)
    d = x - y                                                     # (1)
    loss = d * d                                                  # (2)
    if reduction == "mean" and d.size == 0:
        loss = np.asarray(np.nan, dtype=loss.dtype)               # (3) 0 / 0, as in torch
    elif reduction == "mean":
        loss = np.asarray(loss.mean())                            # (3)
    elif reduction == "sum":
        loss = np.asarray(loss.sum())                             # (3) without the 1/N
    norm = loss.dtype.type(2 / d.size if reduction == "mean" and d.size else 2)  # (4) 2/N

    def derivative(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx = norm * d * g                                         # (4)
        return dx, -dx                                            # (5)

    return record("MseLossBackward0", loss, (input, target), derivative, saves=True,
                  reads=(input, target))  # torch saves both, whichever wants a gradient


class MSELoss(Module):
    """The loss as a module: ``criterion = MSELoss(); loss = criterion(output, target)``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)
