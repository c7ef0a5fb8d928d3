"""cross_entropy: how unlikely the targets are under softmax(input), in nats.

The common case: logits x (N, C), one class t_i per sample, no weight, nothing ignored, no
smoothing. For sample i with max logit m_i:

1. logp_ik = (x_ik - m_i) - log sum_j exp(x_ij - m_i)   log-softmax, stable for huge logits
2. loss_i = -logp_it, t = t_i                          the target's negative log-prob
3. loss = sum_i loss_i / D, D = N                      "mean"; "sum" has D = 1
4. dx_ik = (g_i / D) (p_ik - [k == t_i])              softmax minus one-hot

The general case, with weight w (all ones when None), label smoothing eps, ignore_index:

5. class targets t:  loss_i = (1 - eps) (-w_t logp_it) + (eps / C) (-sum_k w_k logp_ik),
   0 where t_i == ignore_index
6. "mean" of (5): D = sum of w_t over the kept samples
7. probability targets y:  loss_i = -sum_k logp_ik q_ik w_k with q = (1 - eps) y + eps / C
8. "mean" of (7): D = the number of samples
9. dx_ik = (g_i / D) (p_ik sum_j a_ij - a_ik), a the weighted, smoothed one-hot
10. dy_ik = -(g_i / D) (1 - eps) w_k logp_ik           probability targets only

Backward is autograd's, through ``nll_loss_backward`` and ``_log_softmax_backward_data``.

Quirks: the target's kind is decided by its shape; all targets ignored with "mean" gives nan;
label_smoothing <= 0 means none; an out-of-range class is an IndexError ("Target 5 is out of
bounds."). cross_entropy applies log-softmax itself: given softmax outputs, the loss cannot
fall below log(1 + (C - 1)/e) and training stalls; pass raw logits.

Manual twin: manual/cross_entropy.py, with the same numbers: (1)-(4) written out in the
piece, (5)-(10) in manual/_parity/cross_entropy.py.

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
