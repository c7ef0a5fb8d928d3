"""Adagrad at torch's edges: its refusals, its group keys, its eager state, its learning rate
as a tensor, and its fused kernel.

* Refusals when built, in torch's order: a tensor lr of more than one element, then lr,
  lr_decay, weight_decay, initial_accumulator_value and eps, each as ``not 0 <= x``
  (optimizers.py); then, once the groups are built, ``fused=True`` with
  ``differentiable=True`` or with ``foreach=True`` (RuntimeErrors).
* Group keys, in torch's order: the hyperparameters, then ``foreach``, ``maximize``,
  ``differentiable`` and ``fused``; the twin keeps them, so that its state dicts have
  torch's keys in torch's order.
* Eager state: the constructor makes ``step`` (0-d float32) and ``sum`` (p's shape and
  dtype, filled with the constructor's initial_accumulator_value: a group's own value is
  ignored) for every parameter, so a state dict holds them before any step. A parameter
  without state at a step (added by ``add_param_group``, or left out of a loaded state
  dict) gets it then, from the optimizer's default. Then torch's refusal at a step:
  foreach with differentiable, whether or not a parameter has a gradient (and no other:
  Adagrad has no ``capturable``, so a group's own ``capturable`` key is ignored).
* A tensor lr makes the decayed rate a tensor too: lr / (1 + (t - 1) lr_decay) is then
  divided in lr's dtype, both operands rounded to it first (the engine's division does
  the same); the fused kernel reads a tensor lr as a double and divides in doubles.
* Rounding: ``addcmul_(g, g, value=1)`` is fma(g, g, s), ``sqrt().add_(eps)`` rounds the
  sum once, and ``addcdiv_`` rounds -clr g, the quotient and the sum (optimizers.py). All
  of it agrees with torch to the bit except torch's CPU sqrt (MKL's), which is faithful,
  NumPy's correctly rounded: 1 ULP apart on 17% of float32 square roots. The sum does not
  depend on sqrt and agrees to the bit; p is bounded (reference/checks/adagrad.py).
* ``fused=True`` runs another kernel (aten/src/ATen/native/cpu/FusedAdagradKernel.cpp,
  ``adagrad_math``): the compiler contracts g + lambda p and s + g g into fused
  multiply-adds, the square root is the CPU's own (correctly rounded, as NumPy's), and
  p - (clr g) / std rounds as the default's p + (-clr g) / std does. The twin's arithmetic
  is that kernel's: with fused=True it agrees with torch to the bit, p included.

Reference: torch/optim/adagrad.py (``Adagrad.__init__``, ``_init_group``,
``_single_tensor_adagrad``, ``_multi_tensor_adagrad``, ``_fused_adagrad``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.optimizers import (
    check_lr,
    check_nonnegative,
    scalar,
    step_count,
)
from manual.tensor import Tensor


def check(lr: Any, lr_decay: float, weight_decay: float, initial_accumulator_value: float,
          eps: float) -> None:
    """torch's refusals of the hyperparameters, in torch's order."""
    check_lr(lr)
    check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, epsilon=eps)


def check_fused(fused: bool | None, foreach: bool | None, differentiable: bool) -> None:
    """What fused=True cannot be combined with (checked after the groups are built)."""
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def init_state(state: dict[str, Any], p: Tensor, initial_accumulator_value: float) -> None:
    """A zero step count and the sum filled with the initial value, in torch's key order."""
    state["step"] = step_count()
    state["sum"] = Tensor(np.full_like(p.array, initial_accumulator_value))


def prepare(optimizer: Any, group: dict[str, Any]) -> list[Tensor]:
    """The group's parameters that have a gradient, each with its state (made now where it
    is missing, with the optimizer's default initial value); then torch's refusal."""
    with_grad = [p for p in group["params"] if p.grad is not None]
    for p in with_grad:
        if not optimizer.state[p]:
            init_state(optimizer.state[p], p, optimizer.defaults["initial_accumulator_value"])
    if group["foreach"] and group["differentiable"]:  # torch's foreach kernel refuses it
        raise AssertionError("_foreach ops don't support autograd")
    return with_grad


def learning_rate(group: dict[str, Any]) -> Any:
    """The group's lr, as the kernel reads it: a tensor lr stays a tensor (so the decayed
    rate is divided in its dtype), but the fused kernel takes its value as a double."""
    return scalar(group["lr"]) if group["fused"] else group["lr"]
