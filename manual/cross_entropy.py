"""cross_entropy: how unlikely the targets are under softmax(input), in nats.

The common case: logits x (N, C), one class t_i in [0, C) per sample, no weight, nothing
ignored, no smoothing. For sample i with max logit m_i:

1. logp_ik = (x_ik - m_i) - log sum_j exp(x_ij - m_i)   (N, C) log-softmax; subtracting the
                                                        max keeps exp finite (1e4 stays finite)
2. loss_i = -logp_it, t = t_i                          (N,) the target's negative log-prob
3. loss = sum_i loss_i / D, D = N                      () "mean"; "sum" has D = 1, "none"
                                                        keeps the loss_i, (N,)

Backward, given the loss's gradient g (() or, for "none", (N,)) and p = exp(logp):

4. dx_ik = (g_i / D) (p_ik - [k == t_i])              (N, C) softmax minus one-hot

The general case, torch's general path (manual/_parity/cross_entropy.py): the classes lie
along dim 1 of (N, C, d1, ...) (dim 0 of an unbatched (C,)), a sample is one position of the
other dims; weight w (C,) (all ones when None), label smoothing eps, ignore_index.

5. class targets t:  loss_i = (1 - eps) (-w_t logp_it) + (eps / C) (-sum_k w_k logp_ik),
   0 where t_i == ignore_index; the eps / C term only when eps > 0
6. "mean" of (5): D = sum of w_t over the kept samples (the target weights, not a count)
7. probability targets y (the input's shape):  loss_i = -sum_k logp_ik q_ik w_k,
   q_ik = (1 - eps) y_ik + eps / C (q = y when eps <= 0)
8. "mean" of (7): D = the number of samples (the weights are not in D)

Backward, with a_ik the factor of -logp_ik in loss_i ((1 - eps) w_t [k == t] + (eps / C) w_k
for class targets, 0 for an ignored sample; q_ik w_k for probabilities), D = 1 unless "mean":

9.  dx_ik = (g_i / D) (p_ik sum_j a_ij - a_ik)        (4) is (9) with a the one-hot
10. dy_ik = -(g_i / D) (1 - eps) w_k logp_ik           probability targets only

Quirks: the target's kind is decided by its shape: the input's shape means probabilities
(7). With "mean" and every target ignored, D = 0 in (6) and the loss is 0/0 = nan (the
gradient stays 0). label_smoothing <= 0 silently means none in (5) and (7). Because
cross_entropy applies (1) itself, softmax outputs given as input squash the logits into
[0, 1]: (2) cannot fall below log(1 + (C - 1)/e) (1.46 for C = 10) and (4) shrinks, so
training stalls; pass raw logits.

Reference: torch/nn/functional.py (``cross_entropy``), torch/nn/modules/loss.py
(``CrossEntropyLoss``), ATen/native/LossNLL.cpp (``cross_entropy_loss_symint``,
``nll_loss_nd``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import cross_entropy as parity
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Log-softmax over the class dim, then the weighted, smoothed negative log-likelihood."""
    # torch's refusals, in its order
    parity.check(input, target, weight, ignore_index, reduction, label_smoothing)
    # weights, ignored targets, smoothing, probabilities, other shapes: (5)-(10) in full
    if not parity.common_case(input, target, weight, ignore_index, label_smoothing):
        return parity.general_path(input, target, weight, ignore_index, reduction, label_smoothing)
    x, t = input.array, target.array                              # (N, C) logits, (N,) classes
    samples = np.arange(x.shape[0])                               # each sample's row
    logp = _log_softmax(x, 1)                                     # (1) (N, C)
    nll = -logp[samples, t]                                       # (2) (N,)
    denom = x.dtype.type(x.shape[0] if reduction == "mean" else 1)  # D = N for the mean, else 1
    loss = nll if reduction == "none" else nll.sum()              # (3) the loss_i, or their sum
    if reduction == "mean":
        loss = loss / denom                                       # (3) the mean

    def derivative(g):
        dx = np.exp(logp)                                         # p, the softmax (N, C)
        dx[samples, t] -= 1                                       # p - one-hot
        scale = (g / denom)[..., None]                            # g / D: (N, 1), or (1,)
        with np.errstate(invalid="ignore"):                       # inf 0 = nan, as in torch
            return (scale * dx,)                                  # (4) (N, C)

    return record("NllLossBackward0", loss, (input,), derivative, saves=True)  # torch's name


class CrossEntropyLoss(Module):
    """The loss as a module: ``criterion = CrossEntropyLoss(); loss = criterion(logits, y)``."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", weight)  # state, but not trained: a buffer
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """(1): x - m - log sum exp(x - m), in torch's order (the max first, log last)."""
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # every exponent <= 0
    with np.errstate(divide="ignore"):                            # no classes: log 0
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

