"""Adadelta: steps sized by a running RMS of past steps over a running RMS of gradients.

For each parameter p with gradient g, at step t (lr gamma, decay rho, eps, weight decay
lambda), with v (square_avg) and u (acc_delta) starting at zero, all shaped like p:

1. t = t + 1
2. g = -g                                     if maximize
3. g = g + lambda p                           if lambda != 0 (L2, coupled to the gradient)
4. v = rho v + (1 - rho) g g                  running mean of squared gradients
5. d = sqrt(u + eps) / sqrt(v + eps) g        the step: RMS of steps / RMS of gradients
6. u = rho u + (1 - rho) d d                  running mean of squared steps
7. p = p - gamma d

Quirks torch has and this file keeps:

* (7) gamma defaults to 1.0: Zeiler's Adadelta has no learning rate, and torch's only
  scales d by it.
* (5) eps sits inside both square roots, and u starts at zero: the first step is
  sqrt(eps / ((1 - rho) g g + eps)) g, about sqrt(eps / (1 - rho)) = 0.003 in size for the
  defaults, whatever the size of g. With eps = 0, u stays 0 and p never moves.
* A parameter whose ``.grad`` is None is skipped: no step count, no state yet.
* Rounding: (3), the second half of (4) and (6), and (7) each round once, as torch's fused
  kernels; the twins agree to the bit but for sqrt (5), which torch computes faithfully and
  NumPy correctly rounded: u and p stay within a stated bound of torch's
  (manual/_parity/adadelta.py).

State: ``step`` (t, a 0-d float32 tensor), ``square_avg`` (v), ``acc_delta`` (u).

Reference: torch/optim/adadelta.py (``Adadelta``, ``_single_tensor_adadelta``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._parity import adadelta as parity
from manual._parity.optimizers import refuse_in_place, scalar
from manual._parity.rounding import fma
from manual.no_grad import enable_grad, no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


class Adadelta(Optimizer):
    """p = p - lr d, d = sqrt(acc_delta + eps) / sqrt(square_avg + eps) g."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        parity.check(lr, rho, eps, weight_decay)  # torch's refusals, in its order
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in parity.prepare(self.state, group):  # no grad: skipped; state made lazily
                self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        """(1)-(7) for one parameter, with its group's hyperparameters, in place."""
        state, dtype = self.state[p], p.dtype.type
        lr, rho = scalar(group["lr"]), group["rho"]
        v, u = state["square_avg"].array, state["acc_delta"].array
        state["step"].array += 1                                          # (1)
        g = -p.grad.array if group["maximize"] else p.grad.array          # (2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # NaN, inf as torch
            eps = dtype(group["eps"])  # an eps past float32's range is inf, silently
            if group["weight_decay"] != 0:
                g = fma(dtype(group["weight_decay"]), p.array, g)  # (3) g + lambda p, one rounding
            v *= dtype(rho)                                               # (4) rho v
            v[...] = fma(dtype(1 - rho) * g, g, v)   # (4) v + (1 - rho) g g, one rounding
            d = np.sqrt(u + eps) / np.sqrt(v + eps) * g                   # (5)
            u *= dtype(rho)                                               # (6) rho u
            u[...] = fma(dtype(1 - rho) * d, d, u)   # (6) u + (1 - rho) d d, one rounding
            refuse_in_place(p, self.defaults["differentiable"])  # torch's grad mode refuses it
            p.array[...] = fma(dtype(-lr), d, p.array)   # (7) p - lr d, one rounding
        p.mark_modified()
