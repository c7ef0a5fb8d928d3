"""Adagrad: each element's step divided by the root of its summed squared gradients.

For each parameter p with gradient g, at step t (lr gamma, lr decay eta, weight decay
lambda, eps), with s (sum) starting at the initial accumulator value s0, shaped like p:

1. t = t + 1
2. g = -g                                     if maximize
3. g = g + lambda p                           if lambda != 0 (L2, coupled to the gradient)
4. gamma_t = gamma / (1 + (t - 1) eta)        the decayed learning rate, a Python float
5. s = s + g g                                every squared gradient so far, never forgotten
6. p = p - gamma_t g / (sqrt(s) + eps)

Quirks torch has and this file keeps:

* (5) s only grows: the steps shrink like 1 / sqrt(t) even where the gradient does not,
  on top of (4)'s decay. With s0 = 0 the first step is gamma g / (|g| + eps): about gamma
  in size, whatever the size of g.
* The state is made when the optimizer is built, for every parameter, with the
  constructor's s0 (a group's own ``initial_accumulator_value`` is ignored).
* A parameter whose ``.grad`` is None is skipped: its step count and sum stay as they are.
* Rounding: (3) and (5) each round once, as torch's fused kernels; the twins agree to the
  bit but for sqrt (6): torch's default kernel computes it faithfully and NumPy correctly
  rounded, so p stays within a stated bound of torch's; torch's ``fused=True`` kernel
  rounds sqrt correctly too, and agrees to the bit (manual/_parity/adagrad.py).

State: ``step`` (t, a 0-d float32 tensor) and ``sum`` (s).

Reference: torch/optim/adagrad.py (``Adagrad``, ``_single_tensor_adagrad``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._parity import adagrad as parity
from manual._parity.optimizers import addcdiv, refuse_in_place, scalar
from manual._parity.rounding import fma
from manual.no_grad import enable_grad, no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


class Adagrad(Optimizer):
    """p = p - lr_t g / (sqrt(sum of g g so far) + eps), with lr_t decayed by the step."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float | Tensor = 1e-2,
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
        parity.check(lr, lr_decay, weight_decay, initial_accumulator_value, eps)  # in order
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        parity.check_fused(fused, foreach, differentiable)
        for group in self.param_groups:  # the state, now, for every parameter: t = 0, s = s0
            for p in group["params"]:
                parity.init_state(self.state[p], p, initial_accumulator_value)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in parity.prepare(self, group):  # no grad: skipped
                self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        """(1)-(6) for one parameter, with its group's hyperparameters, in place."""
        state, dtype = self.state[p], p.dtype.type
        state["step"].array += 1                                          # (1)
        t = state["step"].item()                                          # (1) a Python float
        g = -p.grad.array if group["maximize"] else p.grad.array          # (2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # NaN, inf as torch
            if group["weight_decay"] != 0:
                g = fma(dtype(group["weight_decay"]), p.array, g)  # (3) g + lambda p, one rounding
            lr = parity.learning_rate(group)      # a tensor lr stays one (not in fused=True)
            lr_t = lr / (1 + (t - 1) * group["lr_decay"])                 # (4)
            s = state["sum"].array
            s[...] = fma(g, g, s)                                # (5) s + g g, one rounding
            std = np.sqrt(s) + dtype(group["eps"])                        # (6) sqrt(s) + eps
            stepped = addcdiv(p.array, g, std, -scalar(lr_t))             # (6) p - lr_t g / std
            refuse_in_place(p, self.defaults["differentiable"])  # torch's grad mode refuses it
            p.array[...] = stepped
        p.mark_modified()
