"""bce: binary cross-entropy, of probabilities (binary_cross_entropy, BCELoss) or of logits
(binary_cross_entropy_with_logits, BCEWithLogitsLoss).

binary_cross_entropy, for probabilities x and targets y in [0, 1] of one shape with N
elements, and a weight w broadcast to that shape (1 when None):

1. l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))     x's shape
2. "none": l;  "sum": the sum of l;  "mean": that sum / N          ()

Backward, given g = dL/dl (x's shape, or () when reduced), D = N for "mean", else 1:

3. dx = g w (x - y) / max(x (1 - x), 1e-12) / D
4. dy = -g w log(x / (1 - x)) / D                                   the logit of x

binary_cross_entropy_with_logits, for logits z, targets y, w and pos_weight p broadcast
against y (1 when None), s = sigmoid(z):

5. l = w ((1 - y) z - (1 + (p - 1) y) log s)                        z's shape
6. log s = min(z, 0) - log(1 + exp(-|z|))                           no exp of a large z
7. the reductions of (2); backward:
8. dz = g w ((p y + 1 - y) s - p y) / D                             g w (s - y) / D for p = 1
9. dy = g w (log sigmoid(-z) - p log s) / D                         -g w z / D without p

Quirks of torch that change the numbers:

* (5) applies the sigmoid itself. Given probabilities sigmoid(out) instead of the logits out,
  it computes sigmoid(sigmoid(out)), in [0.5, sigmoid(1) = 0.73]: no prediction falls below
  0.5, a target 0 keeps a loss of at least log 2, and (8) is squeezed by both sigmoids.
  Give it the raw outputs (or give the probabilities to binary_cross_entropy).
* (1) clamps the logs at -100: x = 0 or 1 costs at most 100 an element, and (3) divides by
  at least 1e-12. Values outside [0, 1], NaN included, are refused, not clamped.
* (4)'s log is MKL's in torch, not public: dy agrees to a few ULP, not to the bit.
* (5) is computed in place from 1 - y: the loss has the target's dtype.
* (2), (7) add in torch's cascade order (manual/_parity/bce.py), not NumPy's pairwise order.

Reference: torch/nn/functional.py, torch/nn/modules/loss.py (``BCELoss``,
``BCEWithLogitsLoss``), aten/src/ATen/native/Loss.cpp (``binary_cross_entropy_out_cpu``, its
backward, ``binary_cross_entropy_with_logits``), torch/csrc/autograd/FunctionsManual.cpp
(``binary_cross_entropy_target_backward``, ``binary_cross_entropy_with_logits_backward``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import bce as parity
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) per element: averaged, summed or kept."""
    reduction = parity.reduction(size_average, reduce, reduction)  # legacy forms, torch's rules
    w = parity.check_probabilities(input, target, weight)  # refusals; w broadcast to y's shape
    x, y = input.array, target.array
    log_x = np.maximum(parity.log(x), -100)                       # (1) max(log x, -100)
    log_1mx = np.maximum(parity.log1p(-x), -100)                  # (1) max(log(1 - x), -100)
    loss = (y - 1) * log_1mx - y * log_x                          # (1) in torch's order
    loss = loss if w is None else parity.mul_(loss, w)            # (1) times w

    @np.errstate(all="ignore")
    def derivative(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        dx = g * (x - y) / np.maximum((1 - x) * x, parity.EPSILON)  # (3)
        dy = -parity.logit(x) * g if target.requires_grad else None  # (4)
        return _weighted(dx, w, reduction), _weighted(dy, w, reduction)

    out = parity.reduce(loss, reduction, x)                       # (2)
    return record(parity.NODE, out, (input, target), derivative, saves=True,
                  reads=parity.saved(input, target, weight))


def binary_cross_entropy_with_logits(
        input: Tensor, target: Tensor, weight: Tensor | None = None,
        size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
        pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits without overflow."""
    reduction = parity.reduction(size_average, reduce, reduction)  # legacy forms, torch's rules
    parity.check_logits(input, target, weight, pos_weight)  # torch's refusals, in its order
    z, y = input.array, target.array
    w, p = (None if t is None else t.array for t in (weight, pos_weight))
    log_s = parity.log_sigmoid(z)                                 # (6)
    if p is not None:
        log_s = parity.mul_(log_s, parity.mul(p - 1, y) + 1)     # (5) (1 + (p - 1) y) log s
    loss = parity.sub_(parity.mul_(1 - y, z), log_s)              # (5) in y's dtype, as torch
    loss = loss if w is None else parity.mul_(loss, w)            # (5) times w

    def derivative(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        dz = parity.mul_(_logits_dz(z, y, p), g)                  # (8)
        dy = _logits_dy(z, p, g) if target.requires_grad else None  # (9)
        return _weighted(dz, w, reduction), _weighted(dy, w, reduction)

    out = parity.reduce(loss, reduction, y)                       # (7)
    return record(parity.LOGITS_NODE, out, (input, target), derivative, saves=True,
                  reads=parity.saved(input, target, weight, pos_weight))


def _logits_dz(z: np.ndarray, y: np.ndarray, p: np.ndarray | None) -> np.ndarray:
    """(8) before g: s - y, or (p y + 1 - y) s - p y."""
    s = parity.sigmoid(z)
    if p is None:
        return parity.sub_(s, y)
    py = parity.mul(p, y)
    return parity.sub_(parity.mul_(parity.sub_(py + 1, y), s), py)


def _logits_dy(z: np.ndarray, p: np.ndarray | None, g: np.ndarray) -> np.ndarray:
    """(9) before w: -z g, or (log sigmoid(-z) - p log sigmoid(z)) g."""
    if p is None:
        return parity.mul(-z, g)
    log_s = parity.mul_(parity.log_sigmoid(z), p)
    return parity.mul_(parity.sub_(parity.log_sigmoid(-z), log_s), g)


def _weighted(d: np.ndarray | None, w: np.ndarray | None, reduction: str) -> np.ndarray | None:
    """A gradient times w, then / D (D = N, its size, for "mean"), in torch's order."""
    if d is not None and w is not None:
        d = parity.mul_(d, w)
    return d / d.dtype.type(d.size) if d is not None and reduction == "mean" else d


class BCELoss(Module):
    """binary_cross_entropy as a module, after a sigmoid: ``criterion(sigmoid(out), y)``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = parity.legacy_reduction(size_average, reduce, reduction)
        self.register_buffer("weight", weight)  # state, but not trained: a buffer

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    """binary_cross_entropy_with_logits as a module, on the raw outputs: ``criterion(out, y)``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__()
        self.reduction = parity.legacy_reduction(size_average, reduce, reduction)
        self.register_buffer("weight", weight)  # both state, neither trained: buffers
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        options = dict(reduction=self.reduction, pos_weight=self.pos_weight)
        return binary_cross_entropy_with_logits(input, target, self.weight, **options)
