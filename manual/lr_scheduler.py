"""lr_scheduler: the learning rate as a function of the step count, written into the optimizer.

A scheduler counts steps in e (``last_epoch``) and keeps each group's starting rate b
(``initial_lr``). Each ``step()`` does e = e + 1, then gives each group a new lr from its
current one, eta (torch's "chainable" form):

1. StepLR:         eta = gamma eta          if e > 0 and e % step_size == 0
2. MultiStepLR:    eta = gamma^c eta        if e is a milestone listed c times
3. ExponentialLR:  eta = gamma eta

The deprecated ``step(epoch)`` sets e = epoch and uses the closed form instead:

4. b gamma^(e // step_size),   b gamma^(number of milestones <= e),   b gamma^e

Construction sets ``initial_lr`` = lr in each group that lacks it and takes the first step,
e = -1 -> 0, which leaves each lr at b (unless 0 is a milestone).

Quirks that change the numbers:

* (1)-(3) round otherwise than (4), a few eps apart (3.9 after 200 steps of (3)); the twins
  agree to the bit because each expression is torch's, term for term, in its order.
* ``step()`` before ``optimizer.step()`` skips the schedule's first rate, with a warning
  (torch wraps ``optimizer.step`` to see the order: manual/_parity/lr_scheduler.py).

Along a curve: manual/lr_curves.py (LambdaLR, LinearLR, CosineAnnealingLR) and
manual/one_cycle.py (OneCycleLR); on a metric: manual/plateau.py (ReduceLROnPlateau).

Reference: torch/optim/lr_scheduler.py (``LRScheduler``, ``StepLR``, ``MultiStepLR``,
``ExponentialLR``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

from manual._parity import lr_scheduler as parity
from manual.optimizer import Optimizer


class LRScheduler:
    """Base class: the count e, the base rates b, the first step, step() and the state."""

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        parity.check_optimizer(optimizer)  # anything else: TypeError
        self.optimizer = optimizer
        if last_epoch != -1:
            parity.check_resume(optimizer)  # a resumed schedule needs each group's b
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])          # b
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        parity.wrap_step(optimizer)  # notes each optimizer.step(), for the order warning
        self._step_count = 0
        self._is_initial = True  # the first step: e = -1 -> 0
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:  # the new lr of every group: each scheduler's rule
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """e = e + 1, and every group's lr from get_lr()."""
        parity.warn_if_early(self)  # the first step() came before any optimizer.step()
        self._step_count += 1
        with parity.inside_step(self):  # get_lr() does not warn when step() calls it
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()                                    # (1)-(3)
            else:
                parity.warn_epoch()  # deprecated
                self.last_epoch = epoch
                values = getattr(self, "_get_closed_form_lr", self.get_lr)()  # (4)
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, in the order they were made: torch's keys."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


def _lrs(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class StepLR(LRScheduler):
    """(1) lr times gamma every step_size steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)
        if (self.last_epoch == 0) or (self.last_epoch % self.step_size != 0):
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (1)

    def _get_closed_form_lr(self) -> list[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]  # (4)


class MultiStepLR(LRScheduler):
    """(2) lr times gamma at each milestone (gamma^c at a milestone listed c times)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]  # (2)
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]  # (4)


class ExponentialLR(LRScheduler):
    """(3) lr times gamma at every step."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)
        if self._is_initial:  # the first step, also when resuming: no factor
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (3)

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]  # (4)
