"""nll_loss: the negative log-likelihood of the target classes, given log-probabilities.

For log-probabilities x (N, C), a class t_i per sample, class weights w (C,) (1 when None):

1. loss_i = -w_t x_it, t = t_i              0 where t_i == ignore_index
2. "none": the loss_i; 3. "sum": sum_i loss_i; 4. "mean": sum_i loss_i / sum of the kept w_t

Backward (autograd, ``nll_loss_backward``): dx_it = -w_t g_i ("none"), -w_t g / D
("mean"), -w_t g ("sum"); 0 elsewhere.

An unbatched (C,) input is one sample; (N, C, d1, ...) has one sample per position.

Manual twin: manual/nll_loss.py, where the sum's order and the gradient are written out.

Reference: torch/nn/functional.py (``nll_loss``), torch/nn/modules/loss.py (``NLLLoss``).
"""

from __future__ import annotations

import torch


def nll_loss(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> torch.Tensor:
    """-w_t x_it per sample: averaged over the kept weights ("mean"), summed, or kept."""
    return torch.nn.functional.nll_loss(input, target, weight, size_average, ignore_index,
                                        reduce, reduction)


class NLLLoss(torch.nn.NLLLoss):
    """torch.nn.NLLLoss, with the signature the manual twin has."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
