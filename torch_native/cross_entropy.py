"""cross_entropy: how unlikely the targets are under softmax(input), in nats.

The input holds one logit per class along dim 1 (dim 0 when unbatched). For sample i with
max logit m_i, over C classes, weight w (all ones when None) and label smoothing eps:

1. logp_ik = (x_ik - m_i) - log sum_j exp(x_ij - m_i)   log-softmax, stable for huge logits
2. class targets t:  loss_i = (1 - eps) (-w_t logp_it) + (eps / C) (-sum_k w_k logp_ik),
   0 where t_i == ignore_index; "mean" divides the sum by D = sum of w_t over the kept samples
3. probability targets y:  loss_i = -sum_k logp_ik q_ik w_k with q = (1 - eps) y + eps / C;
   "mean" divides the sum by D = the number of samples

Backward (autograd, through ``nll_loss_backward`` and ``_log_softmax_backward_data``):
dx = (g / D) (p sum_j a_j - a), softmax minus the weighted, smoothed one-hot.

Quirks: the target's kind is decided by its shape; all targets ignored with "mean" gives nan;
label_smoothing <= 0 means none; an out-of-range class is an IndexError ("Target 5 is out of
bounds."). cross_entropy applies log-softmax itself: given softmax outputs, the loss cannot
fall below log(1 + (C - 1)/e) and training stalls; pass raw logits.

Manual twin: manual/cross_entropy.py, where the log-softmax and the one backward formula are
written out.

Reference: torch/nn/functional.py (``cross_entropy``), torch/nn/modules/loss.py
(``CrossEntropyLoss``), ATen/native/LossNLL.cpp (``cross_entropy_loss_symint``).
"""

from __future__ import annotations

import torch


def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> torch.Tensor:
    """Log-softmax over the class dim, then the weighted, smoothed negative log-likelihood."""
    return torch.nn.functional.cross_entropy(input, target, weight=weight,
                                             ignore_index=ignore_index, reduction=reduction,
                                             label_smoothing=label_smoothing)


class CrossEntropyLoss(torch.nn.CrossEntropyLoss):
    """torch.nn.CrossEntropyLoss, with the signature the manual twin has."""

    def __init__(self, weight: torch.Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction,
                         label_smoothing=label_smoothing)
