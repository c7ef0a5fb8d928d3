"""Adam and AdamW: steps normalised by running averages of the gradient and of its square.

For each parameter p with gradient g, at step t (lr gamma, betas beta1 and beta2, eps,
weight decay lambda), with m, v and v_max starting at zero:

1. g = -g                                       if maximize
2. t = t + 1
3. p = p (1 - gamma lambda)                     AdamW, if lambda != 0 (decoupled decay)
   g = g + lambda p                             Adam, if lambda != 0 (L2, coupled to g)
4. m = m + (1 - beta1)(g - m)                   first moment: beta1 m + (1 - beta1) g
5. v = beta2 v + (1 - beta2) g g                second moment
6. c1 = 1 - beta1^t,  c2 = 1 - beta2^t          bias corrections
7. v_max = max(v_max, v), and v = v_max below   if amsgrad
8. d = sqrt(v) / sqrt(c2) + eps
9. p = p - (gamma / c1) m / d

State, shaped like p: ``exp_avg`` (m), ``exp_avg_sq`` (v) and, if amsgrad,
``max_exp_avg_sq`` (v_max); ``step`` (t) is a 0-d float32 tensor, read back as a Python float.

torch's docstring writes the step as p - gamma m_hat / (sqrt(v_hat) + eps) with
m_hat = m / c1 and v_hat = v / c2; its code, and this file, fold c1 into the step size and
sqrt(c2) into the denominator (6-9), both Python floats rounded to p's dtype only where a
kernel takes them: the same number, rounded differently.

Quirks torch has and this file keeps:

* (9) The first step moves every element by about gamma: m_hat = g and v_hat = g g, so it
  is p - gamma g / (|g| + eps), whatever the size of g.
* (3) Adam's lambda p goes through m and v and is normalised with the gradient, so with
  g = 0 it still moves p by gamma; AdamW shrinks p by gamma lambda p whatever g is, and m
  and v never see it. AdamW defaults to lambda = 0.01, Adam to 0.
* (7) amsgrad keeps the maximum of the raw v, and divides it by the current sqrt(c2).
* (8) An element whose gradient has always been 0, with eps = 0: d = 0 and (9) is 0 / 0.
* A parameter whose ``.grad`` is None is skipped: no step count, no decay, no state yet.
* (3)-(5) each round once, as torch's fused kernels: the twins agree to the bit but for
  sqrt (8), and p stays within (8 + 4k) ULP after k steps (manual/_parity/adam.py).

Reference: torch/optim/adam.py (``Adam``, ``_single_tensor_adam``), adamw.py (``AdamW``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._parity import adam as parity
from manual._parity.rounding import fma
from manual.no_grad import enable_grad, no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


class Adam(Optimizer):
    """p = p - lr m_hat / (sqrt(v_hat) + eps), with L2 weight decay added to the gradient."""

    decoupled_weight_decay = False  # AdamW: True (the group key torch's Adam reads in step)

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        parity.check(lr, betas, eps, weight_decay)  # torch's refusals, in its order
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, **parity.KERNEL_KEYS,
                    "decoupled_weight_decay": self.decoupled_weight_decay}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:                    # no grad: skipped entirely
                    self._update_moments(p, group)
                    self._update_parameter(p, group)
        return loss

    def _update_moments(self, p: Tensor, group: dict[str, Any]) -> None:
        """(1)-(5): count the step, decay, and fold g into m and v, all in place."""
        state = self.state[p]
        if not state:
            parity.init_state(state, p, group["amsgrad"])  # zeros, in torch's keys and dtypes
        dtype = p.dtype.type
        g = -p.grad.array if group["maximize"] else p.grad.array          # (1)
        state["step"].array += 1                                          # (2)
        lr, weight_decay = group["lr"], group["weight_decay"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.array *= dtype(1 - lr * weight_decay)                   # (3) AdamW
            else:
                g = fma(dtype(weight_decay), p.array, g)  # (3) Adam: g + lambda p, one rounding
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        m[...] = parity.lerp(m, g, 1 - beta1)           # (4) m + (1 - beta1)(g - m), one rounding
        v *= dtype(beta2)                                                 # (5) beta2 v
        v[...] = fma(dtype(1 - beta2) * g, g, v)        # (5) v + (1 - beta2) g g, one rounding

    def _update_parameter(self, p: Tensor, group: dict[str, Any]) -> None:
        """(6)-(9): bias corrections in Python floats, then the step on p, in place."""
        state, dtype = self.state[p], p.dtype.type
        beta1, beta2 = group["betas"]
        t = state["step"].item()
        c1, c2 = 1 - beta1**t, 1 - beta2**t                               # (6)
        step_size = group["lr"] / c1
        v = state["exp_avg_sq"].array
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"].array
            np.maximum(v, state["exp_avg_sq"].array, out=v)               # (7)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # NaN, inf as torch
            denom = np.sqrt(v) / dtype(c2**0.5) + dtype(group["eps"])        # (8)
            p.array += (dtype(-step_size) * state["exp_avg"].array) / denom  # (9)
            p.mark_modified()


class AdamW(Adam):
    """Adam with decoupled weight decay: p shrinks by lr * weight_decay * p at each step."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As any optimizer's, but the decay stays decoupled, even if an Adam saved it."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
