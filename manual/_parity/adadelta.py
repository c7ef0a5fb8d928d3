"""Adadelta at torch's edges: its refusals, its group keys and its lazy state.

* Refusals when built, in torch's order: a tensor lr of more than one element, then lr, rho
  (which must also be at most 1), eps and weight_decay, each as ``not 0 <= x``
  (optimizers.py).
* Group keys, in torch's order: the hyperparameters, then ``maximize``, ``capturable``,
  ``foreach`` and ``differentiable``; the twin keeps them, so that its state dicts have
  torch's keys in torch's order.
* Lazy state, made for every parameter of a group that has a gradient before any of them is
  updated, in torch's key order: ``step`` (0-d float32), ``square_avg`` and ``acc_delta``
  (zeros shaped like p). Then torch's refusals at a step (optimizers.py): foreach with
  differentiable, whether or not a parameter has a gradient, then capturable.
* Rounding (aten/src/ATen/native/cpu): ``mul_`` by rho rounds once, ``addcmul_`` rounds
  (1 - rho) g and fuses the rest, ``add(eps)``, ``div_`` and ``mul_`` round once each, and
  ``param.add_(delta, alpha=-lr)`` is one fused multiply-add. All of it agrees with torch to
  the bit, except sqrt: torch's CPU sqrt (MKL's) is faithful, NumPy's correctly rounded,
  1 ULP apart on 17% of float32 square roots. square_avg does not depend on sqrt and agrees
  to the bit; acc_delta feeds each step's square roots into the next and p adds them up,
  so both are bounded instead (reference/checks/adadelta.py derives the bounds).

Reference: torch/optim/adadelta.py (``Adadelta.__init__``, ``_init_group``,
``_single_tensor_adadelta``, ``_multi_tensor_adadelta``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.optimizers import check_lr, check_nonnegative, refuse_at_step, step_count
from manual.tensor import Tensor


def check(lr: Any, rho: float, eps: float, weight_decay: float) -> None:
    """torch's refusals, in torch's order."""
    check_lr(lr)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"Invalid rho value: {rho}")
    check_nonnegative(epsilon=eps, weight_decay=weight_decay)


def prepare(state: dict[Tensor, dict[str, Any]], group: dict[str, Any]) -> list[Tensor]:
    """The group's parameters that have a gradient, each with its state (made on its first
    gradient, in torch's key order); then torch's refusals at a step."""
    with_grad = [p for p in group["params"] if p.grad is not None]
    for p in with_grad:
        if not state[p]:
            state[p]["step"] = step_count()
            state[p]["square_avg"] = Tensor(np.zeros_like(p.array))
            state[p]["acc_delta"] = Tensor(np.zeros_like(p.array))
    refuse_at_step(group, with_grad)
    return with_grad
