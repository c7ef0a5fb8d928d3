"""nll_loss: the negative log-likelihood of the target classes, given log-probabilities.

The common case: log-probabilities x of shape (N, C) (from log_softmax), one class t_i in
[0, C) per sample, class weights w of shape (C,) (all 1 when None):

1. loss_i = -w_t x_it, t = t_i              (N,); 0 where t_i == ignore_index
2. "none": the loss_i                       (N,)
3. "sum":  sum_i loss_i                     ()
4. "mean": sum_i loss_i / D                 (); D = sum of w_t over the kept samples: the
                                            weights, not a count (weight 2 counts twice)

Backward, given the loss's gradient g ((N,) for "none", else ()), with D = 1 unless "mean":

5. dx_it = -w_t g_i ("none"), -w_t g / D (otherwise), t = t_i
                                            (N, C); 0 elsewhere, and for ignored samples

Other shapes: an unbatched (C,) input with a 0-d (or (1,)) target is one sample, and its
"none" is the sum (3), a scalar; an input (N, C, d1, ...) with a target (N, d1, ...) has one
sample per position, and "none" gives the target's shape.

Quirks of torch that change the numbers:

* (3), (4) add in torch's order, serially, in the input's dtype: sixteen samples into a
  partial sum, sixteen of those into the next, and so on (8 levels; the ignored samples are
  counted in the positions), not NumPy's pairwise sum. D is summed the same way.
* (4) with every sample ignored (or weights summing to 0) is 0 / 0 = nan.
* Nothing normalizes x: given raw scores instead of log_softmax's output, the loss only
  pushes the target's score up, without bound. nll_loss(log_softmax(x)) is cross_entropy.

Reference: torch/nn/functional.py (``nll_loss``), torch/nn/modules/loss.py (``NLLLoss``),
aten/src/ATen/native/LossNLL.cpp (``nll_loss_out_frame``, ``nll_loss_backward_out_frame``),
aten/src/ATen/native/LossNLL2d.cpp (``nll_loss2d_forward_out_frame``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import nll_loss as parity
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w_t x_it per sample: averaged over the kept weights ("mean"), summed, or kept."""
    reduction = parity.reduction(size_average, reduce, reduction)  # legacy forms, torch's names
    parity.check(input, target, weight, ignore_index)  # torch's refusals, in its order
    per_sample = reduction == "none" and input.ndim > 1
    x, t = parity.samples(input, target)          # (S, C), (S,): a row per sample, torch's order
    kept = t != ignore_index                                      # the samples that count,
    rows, classes = np.flatnonzero(kept), t[kept]                 # and their classes t_i
    w = np.ones(x.shape[1], x.dtype) if weight is None else weight.array.reshape(-1)  # (C,)
    loss = np.zeros(len(t), x.dtype)                              # (S,): 0 for ignored ones
    loss[rows] = -x[rows, classes] * w[classes]                   # (1) -w_t x_it
    if per_sample:
        out = loss.reshape(parity.output_shape(input, target))    # (2)
    else:
        out = parity.cascade_sum(loss, kept)                      # (3), in torch's order
    denom = x.dtype.type(1)                                       # D = 1 unless "mean"
    if reduction == "mean":
        w_t = np.zeros(len(t), x.dtype)
        w_t[rows] = w[classes]
        # D: the kept samples' weights, summed in the same order, or without weights a count
        denom = x.dtype.type(len(rows)) if weight is None else parity.cascade_sum(w_t, kept)
        with np.errstate(invalid="ignore", divide="ignore"):      # 0 / 0 = nan, as torch
            out = out / denom                                     # (4)

    def derivative(g):
        parity.check_backward(input, target)  # torch's refusal of a (C,) input's (1,) target
        dx = np.zeros(x.shape, x.dtype)                           # (S, C)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if per_sample:
                dx[rows, classes] = -w[classes] * g.reshape(-1)[rows]   # (5) -w_t g_i
            else:
                dx[rows, classes] = w[classes] * -(g / denom)           # (5) -w_t g / D
        return (parity.from_samples(dx, input.shape),)

    y = record(parity.node_name(input), out, (input,), derivative, saves=True,
               reads=(input, target) + (() if weight is None else (weight,)))  # torch saves them
    return parity.view_back(y, target) if per_sample else y


class NLLLoss(Module):
    """The loss as a module, after LogSoftmax: ``criterion = NLLLoss(); criterion(logp, t)``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = parity.legacy_reduction(size_average, reduce, reduction)
        self.register_buffer("weight", weight)  # state, but not trained: a buffer
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)
