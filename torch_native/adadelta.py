"""Adadelta: steps sized by a running RMS of past steps over a running RMS of gradients.

For each parameter p with gradient g, at step t (lr gamma, rho, eps, weight decay lambda),
with v and u starting at zero:

1. t = t + 1
2. g = -g                                     if maximize
3. g = g + lambda p                           if lambda != 0
4. v = rho v + (1 - rho) g g                  ``square_avg.mul_(rho).addcmul_(g, g, ...)``
5. d = sqrt(u + eps) / sqrt(v + eps) g
6. u = rho u + (1 - rho) d d                  ``acc_delta.mul_(rho).addcmul_(d, d, ...)``
7. p = p - gamma d                            ``param.add_(delta, alpha=-lr)``

A parameter whose ``.grad`` is None is skipped. State: ``step`` (a 0-d float32 tensor),
``square_avg`` (v), ``acc_delta`` (u). On CPU, with foreach left at None, torch runs the
plain loop ``_single_tensor_adadelta``.

Manual twin: manual/adadelta.py, where each of these lines is a line of code.

Reference: torch/optim/adadelta.py (``Adadelta``, ``_single_tensor_adadelta``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Adadelta(torch.optim.Adadelta):
    """torch.optim.Adadelta, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float | torch.Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, lr, rho, eps, weight_decay, foreach, capturable=capturable,
                         maximize=maximize, differentiable=differentiable)
