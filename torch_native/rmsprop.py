"""RMSprop: steps divided by a running root mean square of the gradient.

For each parameter p with gradient g, at step t (lr gamma, alpha, eps, weight decay lambda,
momentum mu), with v, m and b starting at zero:

1. g = -g                                     if maximize
2. t = t + 1
3. g = g + lambda p                           if lambda != 0
4. v = alpha v + (1 - alpha) g g              ``square_avg.mul_(alpha).addcmul_(g, g, ...)``
5. m = m + (1 - alpha)(g - m)                 if centered: ``grad_avg.lerp_(g, 1 - alpha)``
6. d = sqrt(v - m m) + eps if centered, else sqrt(v) + eps
7. b = mu b + g / d, p = p - gamma b          if mu > 0: ``buf.mul_(mu).addcdiv_(g, d)``
   p = p - gamma g / d                        otherwise: ``param.addcdiv_(g, d, value=-lr)``

A parameter whose ``.grad`` is None is skipped. State: ``step`` (a 0-d float32 tensor),
``square_avg`` (v), ``momentum_buffer`` (b, if mu > 0), ``grad_avg`` (m, if centered). On
CPU, with foreach left at None, torch runs the plain loop ``_single_tensor_rmsprop``.

Manual twin: manual/rmsprop.py, where each of these lines is a line of code.

Reference: torch/optim/rmsprop.py (``RMSprop``, ``_single_tensor_rmsprop``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class RMSprop(torch.optim.RMSprop):
    """torch.optim.RMSprop, with the signature the manual twin has."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float | torch.Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, lr, alpha, eps, weight_decay, momentum, centered, capturable,
                         foreach, maximize, differentiable)
