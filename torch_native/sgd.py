"""SGD: stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

For each parameter p with gradient g, at step t (lr, momentum mu, dampening tau, weight decay
lambda):

1. g = -g                                   if maximize
2. g = g + lambda p                         if lambda != 0
3. b = g                                    if mu != 0, at the first step (t = 1)
   b = mu b + (1 - tau) g                   if mu != 0, later steps
4. g = g + mu b if nesterov, else g = b     (when mu != 0)
5. p = p - lr g

A parameter whose ``.grad`` is None is skipped. State: ``state[p]["momentum_buffer"]``.

Manual twin: manual/sgd.py, where each of these lines is a line of code.

Reference: torch/optim/sgd.py (``SGD``, ``_single_tensor_sgd``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class SGD(torch.optim.SGD):
    """torch.optim.SGD, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, momentum, dampening, weight_decay, nesterov,
                         maximize=maximize)
