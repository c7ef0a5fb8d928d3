"""RMSprop at torch's edges: its refusals, its group keys, its lazy state, and its lerp.

* Refusals when built, in torch's order: a tensor lr of more than one element, then lr, eps,
  momentum, weight_decay and alpha, each as ``not 0 <= x`` (optimizers.py). alpha has no
  upper bound: alpha > 1 is taken, and drives v negative and the steps to NaN.
* Group keys, in torch's order: ``lr``, ``momentum``, ``alpha``, ``eps``, ``centered``,
  ``weight_decay``, ``capturable``, ``foreach``, ``maximize``, ``differentiable``; the
  twin keeps them, so that its state dicts have torch's keys in torch's order.
* Lazy state, made for every parameter of a group that has a gradient before any of them is
  updated, in torch's key order: ``step`` (0-d float32), ``square_avg``, then
  ``momentum_buffer`` if momentum > 0 and ``grad_avg`` if centered (zeros shaped like p),
  as the group is when the parameter first has a gradient. The step count is never used in
  the arithmetic. Then torch's refusals at a step (optimizers.py): with foreach, none
  without a parameter to update, then differentiable; capturable, whose list of devices
  here includes ``xla``.
* Rounding (aten/src/ATen/native/cpu): ``mul_`` by alpha or momentum rounds once;
  ``addcmul_`` rounds (1 - alpha) g and fuses the rest, and with value -1 (centered) is
  fma(-m, m, v); ``lerp_`` is one fma from the nearer end (manual/_parity/adam.py);
  ``add_(eps)`` rounds once; ``addcdiv_`` rounds three times (optimizers.py);
  ``param.add_(buf, alpha=-lr)`` is one fma. All of it agrees with torch to the bit, except
  sqrt: torch's CPU sqrt (MKL's) is faithful, NumPy's correctly rounded, 1 ULP apart on 17%
  of float32 square roots. square_avg and grad_avg do not depend on sqrt and agree to the
  bit; the momentum buffer adds up each step's quotient and p each step's update, so both
  are bounded instead (reference/checks/rmsprop.py derives the bounds).

Reference: torch/optim/rmsprop.py (``RMSprop.__init__``, ``_init_group``,
``_single_tensor_rmsprop``, ``_multi_tensor_rmsprop``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.optimizers import (
    CAPTURABLE_DEVICES,
    check_lr,
    check_nonnegative,
    refuse_at_step,
    step_count,
)
from manual.tensor import Tensor


def check(lr: Any, alpha: float, eps: float, weight_decay: float, momentum: float) -> None:
    """torch's refusals, in torch's order."""
    check_lr(lr)
    check_nonnegative(epsilon=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)


def prepare(state: dict[Tensor, dict[str, Any]], group: dict[str, Any]) -> list[Tensor]:
    """The group's parameters that have a gradient, each with its state (made on its first
    gradient, in torch's key order); then torch's refusals at a step."""
    with_grad = [p for p in group["params"] if p.grad is not None]
    for p in with_grad:
        if not state[p]:
            state[p]["step"] = step_count()
            state[p]["square_avg"] = Tensor(np.zeros_like(p.array))
            if group["momentum"] > 0:
                state[p]["momentum_buffer"] = Tensor(np.zeros_like(p.array))
            if group["centered"]:
                state[p]["grad_avg"] = Tensor(np.zeros_like(p.array))
    if with_grad or not group["foreach"]:  # the foreach kernels return first when idle
        refuse_at_step(group, with_grad, CAPTURABLE_DEVICES + ["xla"])
    return with_grad
