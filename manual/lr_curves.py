"""lr_curves: the learning rate along a curve of the step count (lambda, line, cosine).

Each scheduler here has a curve of the step count e, from each group's base rate b
(``initial_lr``):

1. LambdaLR:           lr(e) = b lambda(e)                      any function of e
2. LinearLR:           lr(e) = b (s + (f - s) min(T, e) / T)     factor s at e = 0, f from e = T
3. CosineAnnealingLR:  lr(e) = m + (b - m)(1 + cos(pi e / T)) / 2    from b down to m at e = T

LambdaLR computes (1) at every ``step()``. The other two walk their curve from the current
lr, eta, by the ratio of consecutive values (torch's "chainable" form), and use (2) and (3)
only for the deprecated ``step(epoch)``:

4. LinearLR:           eta = s eta                                      at e = 0
                       eta = eta (1 + (f - s) / (T s + (e - 1)(f - s)))  for 0 < e <= T
5. CosineAnnealingLR:  eta = (1 + cos(pi e / T)) / (1 + cos(pi (e - 1) / T)) (eta - m) + m
                       eta = eta + (b - m)(1 - cos(pi / T)) / 2    if (e - 1 - T) % 2T == 0

Quirks that change the numbers:

* (4) and (5) round otherwise than (2) and (3): the cosine's ratios drift from the curve by
  up to 4.5 eps over 200 steps. The twins agree to the bit because each expression is
  torch's, term for term, in its order (on Python floats, with math.cos).
* (3) goes on past T: the lr climbs back to b and falls again, period 2T. The second line
  of (5) stands where the first would divide by 0 (e - 1 = T, 3T, ...).
* An lr changed by hand is carried on by (4) and (5), and forgotten by (1).

Reference: torch/optim/lr_scheduler.py (``LambdaLR``, ``LinearLR``, ``CosineAnnealingLR``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from manual._parity import lr_scheduler as parity
from manual.lr_scheduler import LRScheduler, _lrs
from manual.optimizer import Optimizer


class LambdaLR(LRScheduler):
    """(1) lr = b lambda(e), lambda one function for every group or a list, one per group."""

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = parity.lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """No function is saved: None for each, or a callable object's attributes."""
        return parity.state_with_lambdas(super().state_dict(), self.lr_lambdas)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        parity.load_with_lambdas(self, state_dict)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)  # called from outside step()
        return [base_lr * lmbda(self.last_epoch)                                    # (1)
                for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class LinearLR(LRScheduler):
    """(2) lr from s b to f b along a line over total_iters steps, then f b."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        parity.check_linear(start_factor, end_factor)  # 0 < s <= 1, 0 <= f <= 1
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)
        s, f, e = self.start_factor, self.end_factor, self.last_epoch
        if e == 0:
            return [group["lr"] * s for group in self.optimizer.param_groups]     # (4)
        if self._is_initial or e > self.total_iters:  # a resumed first step; past T
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 + (f - s) / (self.total_iters * s + (e - 1) * (f - s)))
                for group in self.optimizer.param_groups]                        # (4)

    def _get_closed_form_lr(self) -> list[float]:
        s, f, t = self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (s + (f - s) * min(t, self.last_epoch) / t)               # (2)
                for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """(3) lr from b down to eta_min along half a cosine over T_max steps, and back up."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)
        e, t, m = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and e > 0:  # get_lr() by hand, just after resuming at e
            return [m + (b - m) * (1 + math.cos((e) * math.pi / t)) / 2             # (3)
                    for b in self.base_lrs]
        if (e - 1 - t) % (2 * t) == 0:  # e - 1 at the bottom: the ratio's 1 + cos is 0
            return [group["lr"] + (b - m) * (1 - math.cos(math.pi / t)) / 2         # (5)
                    for b, group in zip(self.base_lrs, self.optimizer.param_groups)]
        return [(1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
                * (group["lr"] - m) + m for group in self.optimizer.param_groups]  # (5)

    def _get_closed_form_lr(self) -> list[float]:
        m = self.eta_min
        return [m + (b - m) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2  # (3)
                for b in self.base_lrs]
