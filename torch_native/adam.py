"""Adam and AdamW: steps normalised by running averages of the gradient and of its square.

For each parameter p with gradient g, at step t (lr gamma, betas beta1 and beta2, eps,
weight decay lambda), with m, v and v_max starting at zero:

1. g = -g                                       if maximize
2. t = t + 1
3. p = p (1 - gamma lambda)                     AdamW, if lambda != 0 (decoupled decay)
   g = g + lambda p                             Adam, if lambda != 0 (L2, coupled to g)
4. m = m + (1 - beta1)(g - m)                   ``exp_avg.lerp_(grad, 1 - beta1)``
5. v = beta2 v + (1 - beta2) g g
6. c1 = 1 - beta1^t,  c2 = 1 - beta2^t          Python floats
7. v_max = max(v_max, v), and v = v_max below   if amsgrad
8. d = sqrt(v) / sqrt(c2) + eps
9. p = p - (gamma / c1) m / d                   ``param.addcdiv_(exp_avg, denom, value=...)``

AdamW is torch's Adam with ``decoupled_weight_decay=True`` and weight decay 0.01 by default.
A parameter whose ``.grad`` is None is skipped. State: ``step`` (a 0-d float32 tensor),
``exp_avg``, ``exp_avg_sq`` and, if amsgrad, ``max_exp_avg_sq``. On CPU, with foreach and
fused left at None, torch runs the plain loop ``_single_tensor_adam``.

Manual twin: manual/adam.py, where each of these lines is a line of code.

Reference: torch/optim/adam.py (``Adam``, ``_single_tensor_adam``), torch/optim/adamw.py
(``AdamW``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Adam(torch.optim.Adam):
    """torch.optim.Adam, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class AdamW(torch.optim.AdamW):
    """torch.optim.AdamW, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
