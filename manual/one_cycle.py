"""one_cycle: OneCycleLR, a warm-up to max_lr, then a long descent far below the start.

With N steps in all (``total_steps``, or epochs x steps_per_epoch), p = pct_start, each
group's rates lr0 = max_lr / div_factor (``initial_lr``) and lr_min = lr0 / final_div_factor
(``min_lr``), and its momenta M = max_momentum and m = base_momentum:

1. the phases, each up to its last step:      lr                momentum
   two-phase:    up     to p N - 1            lr0 -> max_lr      M -> m
                 down   to N - 1              max_lr -> lr_min   m -> M
   three-phase:  up     to p N - 1            lr0 -> max_lr      M -> m
                 back   to 2 p N - 2          max_lr -> lr0      m -> M
                 down   to N - 1              lr0 -> lr_min      M -> M
2. at step e, the first phase that ends at or after e (or the last), from start (the end of
   the phase before, 0 for the first) to its end:   pct = (e - start) / (end - start)
3. anneal(a, z, pct) = z + (a - z) / 2 (cos(pi pct) + 1)     anneal_strategy="cos"
   anneal(a, z, pct) = (z - a) pct + a                       anneal_strategy="linear"
4. lr = anneal(lr from, lr to, pct), and with cycle_momentum SGD's momentum (or Adam's
   betas[0]) = anneal(momentum from, momentum to, pct): the momentum is low when lr is high

Quirks that change the numbers:

* (3) is computed at pct = 0 too: the first lr of max_lr = 0.1 is 0.0040000000000000036, not
  0.004. Each expression is torch's, term for term, so the twins agree to the bit.
* (1) p N - 1 is a float: a phase may end between two steps.
* Construction overwrites ``initial_lr`` (other schedulers keep one already there) and sets
  the momentum to M; a step past N is refused.

Reference: torch/optim/lr_scheduler.py (``OneCycleLR``); L. N. Smith and N. Topin,
"Super-Convergence" (2017).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from manual._parity import lr_scheduler as parity
from manual.lr_scheduler import LRScheduler
from manual.optimizer import Optimizer


class OneCycleLR(LRScheduler):
    """(1)-(4): lr from max_lr / div_factor up to max_lr, then down far below the start."""

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        parity.check_optimizer(optimizer)  # anything else: TypeError
        self.optimizer = optimizer
        self.total_steps = parity.total_steps(total_steps, epochs, steps_per_epoch)  # N
        self._schedule_phases = _phases(pct_start, self.total_steps, three_phase)    # (1)
        parity.check_one_cycle(pct_start, anneal_strategy)  # a float in [0, 1]; cos or linear
        self._anneal_func_type = anneal_strategy
        max_lrs = parity.per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor                              # lr0
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor            # lr_min
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = parity.uses_beta1(optimizer)  # Adam's betas[0], or momentum
            tops = parity.per_group("max_momentum", optimizer, max_momentum)
            bottoms = parity.per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, top, bottom in zip(optimizer.param_groups, tops, bottoms):
                    self._set_momentum(group, top)                                  # M
                    group["max_momentum"], group["base_momentum"] = top, bottom
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        parity.warn_get_lr(self)  # called from outside step()
        parity.check_step_count(self.last_epoch, self.total_steps)  # e > N: ValueError
        phase, pct = self._phase(self.last_epoch)                                   # (2)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:                                                 # (4)
                self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                       group[phase["end_momentum"]], pct))
        return lrs

    def _phase(self, e: int) -> tuple[dict[str, Any], float]:
        """(2) the phase of step e, and how far into it e is (0 at its start, 1 at its end)."""
        start = 0.0
        for phase in self._schedule_phases[:-1]:
            if e <= phase["end_step"]:
                break
            start = phase["end_step"]
        else:
            phase = self._schedule_phases[-1]  # the last phase takes every later step
        return phase, (e - start) / (phase["end_step"] - start)                     # (2)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            cos_out = math.cos(math.pi * pct) + 1                                   # (3)
            return end + (start - end) / 2.0 * cos_out                              # (3)
        return (end - start) * pct + start                                          # (3)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


def _phase_keys(end_step: float, lr: tuple[str, str], momentum: tuple[str, str]
                ) -> dict[str, Any]:
    """A phase: its last step, and the group keys its lr and momentum go from and to."""
    return {"end_step": end_step, "start_lr": lr[0], "end_lr": lr[1],
            "start_momentum": momentum[0], "end_momentum": momentum[1]}


def _phases(pct_start: float, total_steps: int, three_phase: bool) -> list[dict[str, Any]]:
    """(1) two phases (up, down) or three (up, back, down)."""
    p, n = pct_start, total_steps
    up = _phase_keys(float(p * n) - 1, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum"))
    if not three_phase:
        return [up, _phase_keys(n - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum"))]
    return [up,
            _phase_keys(float(2 * p * n) - 2, ("max_lr", "initial_lr"),
                        ("base_momentum", "max_momentum")),
            _phase_keys(n - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum"))]
