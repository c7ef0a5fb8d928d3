"""Adagrad: each element's step divided by the root of its summed squared gradients.

For each parameter p with gradient g, at step t (lr gamma, lr decay eta, weight decay
lambda, eps), with s starting at the initial accumulator value:

1. t = t + 1
2. g = -g                                     if maximize
3. g = g + lambda p                           if lambda != 0
4. gamma_t = gamma / (1 + (t - 1) eta)        ``clr``, a Python float
5. s = s + g g                                ``state_sum.addcmul_(g, g, value=1)``
6. p = p - gamma_t g / (sqrt(s) + eps)        ``param.addcdiv_(g, std, value=-clr)``

A parameter whose ``.grad`` is None is skipped. State, made by the constructor for every
parameter: ``step`` (a 0-d float32 tensor) and ``sum`` (s). On CPU, with foreach and fused
left at None, torch runs the plain loop ``_single_tensor_adagrad``; ``fused=True`` runs
one C++ kernel with the same arithmetic and a correctly rounded sqrt.

Manual twin: manual/adagrad.py, where each of these lines is a line of code.

Reference: torch/optim/adagrad.py (``Adagrad``, ``_single_tensor_adagrad``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Adagrad(torch.optim.Adagrad):
    """torch.optim.Adagrad, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float | torch.Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps,
                         foreach, maximize=maximize, differentiable=differentiable,
                         fused=fused)
