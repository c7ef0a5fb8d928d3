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

x and y of different dtypes are promoted as torch promotes them (float64 over float32, any
float over int64 and bool); with no float among them torch has no kernel
(NotImplementedError). Shapes that do not broadcast are a RuntimeError naming both.

Reference: torch/nn/functional.py (``mse_loss``), torch/nn/modules/loss.py (``MSELoss``),
ATen/native/Loss.cpp (``mse_loss``, ``mse_loss_backward_out``).
"""

from __future__ import annotations

import warnings

import numpy as np

from manual._module import Module
from manual.graph import record
from manual.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(x - y)^2, averaged ("mean"), summed ("sum") or kept per element ("none")."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    shape = _broadcast_shape(input.shape, target.shape, ("input", "target"))
    dtype = _float_dtype(input.dtype, target.dtype)
    x = np.broadcast_to(input.array.astype(dtype, copy=False), shape)
    y = np.broadcast_to(target.array.astype(dtype, copy=False), shape)
    d = x - y                                                     # (1)
    loss = d * d                                                  # (2)
    if reduction == "mean" and d.size == 0:
        loss = np.asarray(np.nan, dtype=loss.dtype)               # (3) 0 / 0, as in torch
    elif reduction == "mean":
        loss = np.asarray(loss.mean(), dtype=loss.dtype)          # (3)
    elif reduction == "sum":
        loss = np.asarray(loss.sum(), dtype=loss.dtype)
    norm = loss.dtype.type(2 / d.size if reduction == "mean" and d.size else 2)

    def derivative(g):
        dx = norm * d * g                                         # (4)
        return dx, -dx                                            # (5)

    return record("MseLossBackward0", loss, (input, target), derivative, saves=True,
                  reads=(input, target))  # torch saves both, whichever wants a gradient


def _float_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch's promotion of x and y (a float wins over an int or bool); there is no integer
    kernel."""
    if a.kind == "f" and b.kind == "f":
        return np.promote_types(a, b)
    if a.kind == "f" or b.kind == "f":
        return a if a.kind == "f" else b
    name = "Bool" if a == b == np.dtype(bool) else "Long"
    raise NotImplementedError(f'"mse_cpu" not implemented for \'{name}\': input {a}, target {b}')


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...],
                    names: tuple[str, str]) -> tuple[int, ...]:
    """The shape a and b broadcast to; where they cannot, torch's RuntimeError, naming the first
    clashing dim (counted in the broadcast shape) and both operands."""
    ndim = max(len(a), len(b))
    a_full, b_full = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
    for dim in reversed(range(ndim)):
        if a_full[dim] != b_full[dim] and 1 not in (a_full[dim], b_full[dim]):
            raise RuntimeError(
                f"The size of tensor a ({a_full[dim]}) must match the size of tensor b "
                f"({b_full[dim]}) at non-singleton dimension {dim}: {names[0]} of size "
                f"{list(a)}, {names[1]} of size {list(b)}")
    return tuple(max(m, n) if 0 not in (m, n) else 0 for m, n in zip(a_full, b_full))


class MSELoss(Module):
    """The loss as a module: ``criterion = MSELoss(); loss = criterion(output, target)``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)
