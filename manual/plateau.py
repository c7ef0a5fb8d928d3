"""plateau: ReduceLROnPlateau, the learning rate cut when a watched metric stops improving.

``step(metrics)`` takes the number to watch (a validation loss, say), once an epoch. With
best the best value so far (``best``), threshold t and a count of bad steps (``num_bad_epochs``):

1. a is better:  a < best (1 - t)   mode "min", threshold_mode "rel"
                 a < best - t       mode "min", threshold_mode "abs"
                 a > best (t + 1)   mode "max", threshold_mode "rel"
                 a > best + t       mode "max", threshold_mode "abs"
2. if better: best = a and bad = 0;  else bad = bad + 1
3. in a cooldown (``cooldown_counter`` > 0): cooldown_counter - 1, and bad = 0
4. if bad > patience: every group's lr = max(factor lr, min_lr), unless that moves it by
   eps or less; then cooldown_counter = cooldown and bad = 0

Quirks that change the numbers:

* (1) best starts at inf (mode "max": -inf): the first metric is better, unless it is NaN,
  which is never better than anything, so each NaN counts as a bad step.
* (1) "rel" scales best: with mode "min" and a negative best, best (1 - t) lies above best,
  so a metric a little worse than the best still counts as better.
* (4) the metric goes through float(): a float32 0-d tensor gives its float32 value.
* No initial step: unlike the other schedulers, construction leaves the lrs, sets no
  ``initial_lr`` and does not wrap ``optimizer.step`` (so there is no order warning);
  ``last_epoch`` starts at 0.

Reference: torch/optim/lr_scheduler.py (``ReduceLROnPlateau``).
"""

from __future__ import annotations

import math
from typing import Any, Literal, SupportsFloat

from manual._parity import lr_scheduler as parity
from manual.lr_scheduler import LRScheduler, _lrs
from manual.optimizer import Optimizer


class ReduceLROnPlateau(LRScheduler):
    """(1)-(4): lr times factor after more than patience steps without a better metric."""

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: Literal["rel", "abs"] = "rel", cooldown: int = 0,
                 min_lr: list[float] | float = 0, eps: float = 1e-8) -> None:
        parity.check_factor(factor)  # factor < 1
        self.factor = factor
        parity.check_optimizer(optimizer)  # anything else: TypeError
        self.optimizer = optimizer
        self.default_min_lr, self.min_lrs = parity.min_lrs(optimizer, min_lr)  # one per group
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse                    # inf, or -inf for mode "max"
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:
        """One epoch's metric: (1)-(4)."""
        current = float(metrics)  # a 0-d tensor too
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            parity.warn_epoch()  # deprecated
        self.last_epoch = epoch
        if self._is_better(current, self.best):                                  # (1)
            self.best, self.num_bad_epochs = current, 0                          # (2)
        else:
            self.num_bad_epochs += 1                                             # (2)
        if self.in_cooldown:
            self.cooldown_counter -= 1                                           # (3)
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)                                               # (4)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self, epoch: int) -> None:
        min_lrs = parity.current_min_lrs(self)  # a single min_lr covers groups added since
        for group, min_lr in zip(self.optimizer.param_groups, min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)                           # (4)
            if old_lr - new_lr > self.eps:  # a smaller change is skipped
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)                             # (1)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold                                     # (1)
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)                             # (1)
        return a > best + self.threshold                                         # (1)

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        parity.check_modes(mode, threshold_mode)  # min or max; rel or abs
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
