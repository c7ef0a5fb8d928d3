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

Shapes: m, v and v_max are shaped like p; t is a 0-d float32 tensor.

torch's docstring writes the step as p - gamma m_hat / (sqrt(v_hat) + eps) with
m_hat = m / c1 and v_hat = v / c2; its code, and this file, fold c1 into the step size and
sqrt(c2) into the denominator (6-9): the same number, rounded differently.

Quirks torch has and this file keeps:

* The first step moves every element by about gamma: m_hat = g and v_hat = g g, so (9) is
  p - gamma g / (|g| + eps), whatever the size of g.
* (3) Coupled vs decoupled decay: Adam's lambda p goes through m and v and is normalised
  with the gradient, so with g = 0 it still moves p by gamma; AdamW shrinks p by
  gamma lambda p whatever g is, and m and v never see it. AdamW is torch's Adam with
  ``decoupled_weight_decay=True``, and its default lambda is 0.01, not 0.
* (7) amsgrad keeps the maximum of the raw v, and divides it by the current sqrt(c2).
* An element whose gradient has always been 0, with eps = 0: d = 0 and (9) is 0 / 0, NaN.
* A parameter whose ``.grad`` is None is skipped entirely: no step count, no decay, and no
  state until its first gradient.
* t is counted in a float32 tensor (torch: float64 if its default dtype is float64) and
  read back as a Python float; c1, c2, gamma / c1 and sqrt(c2) = c2 ** 0.5 are Python
  floats, rounded to p's dtype only where a kernel takes them.
* Rounding: torch's CPU kernels compute (3, Adam), the second half of (5) and (4) each as one
  fused multiply-add; lerp (4) starts from the nearer end: m + w (g - m) when w < 1/2, else
  g + (w - 1)(g - m), with w = 1 - beta1 (``_lerp``, ``_fma`` below). (9) rounds the
  product, the quotient and the sum. All of this agrees with torch to the bit, except
  sqrt: NumPy's is correctly rounded, torch's CPU sqrt is faithful (within 1 ULP; on the
  machine this was written on 17% of float32 and 1.3% of float64 square roots were 1 ULP
  off). m, v and v_max do not depend on sqrt and agree to the bit, as do the parameters
  whenever the two square roots agree; when they do not, p moves by an update a few ULP
  apart, and after k steps p is within (8 + 4k) ULP of torch's, counted in ULPs of
  |p_0| + sum of |update| (reference/tolerances.py, "faithful_sqrt"). Adam's coupled
  decay then feeds that gap back into m and v.

State: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, if amsgrad, ``max_exp_avg_sq``.

Reference: torch/optim/adam.py (``Adam``, ``_single_tensor_adam``), torch/optim/adamw.py
(``AdamW``), aten/src/ATen/native/cpu/LerpKernel.cpp (``lerp_vec``),
aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp (``addcmul``, ``addcdiv``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._optimizer import Optimizer
from manual._parity.rounding import fma
from manual.no_grad import enable_grad, no_grad
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
        _check_hyperparameters(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            # torch's choice of kernel; kept so that state dicts have torch's keys
            "foreach": None,
            "capturable": False,
            "differentiable": False,
            "fused": None,
            "decoupled_weight_decay": self.decoupled_weight_decay,
        }
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
            _init_state(state, p, group["amsgrad"])
        dtype = p.dtype.type
        g = -p.grad.array if group["maximize"] else p.grad.array                    # (1)
        state["step"].array += 1                                                    # (2)
        lr, weight_decay = group["lr"], group["weight_decay"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.array *= dtype(1 - lr * weight_decay)                             # (3) AdamW
            else:
                g = fma(dtype(weight_decay), p.array, g)                           # (3) Adam
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        m[...] = _lerp(m, g, 1 - beta1)                                             # (4)
        v *= dtype(beta2)                                                           # (5)
        v[...] = fma(dtype(1 - beta2) * g, g, v)                                   # (5)

    def _update_parameter(self, p: Tensor, group: dict[str, Any]) -> None:
        """(6)-(9): bias corrections in Python floats, then the step on p, in place."""
        state, dtype = self.state[p], p.dtype.type
        beta1, beta2 = group["betas"]
        t = state["step"].item()
        bias_correction1 = 1 - beta1**t                                             # (6)
        bias_correction2 = 1 - beta2**t                                             # (6)
        step_size = group["lr"] / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        v = state["exp_avg_sq"].array
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"].array
            np.maximum(v, state["exp_avg_sq"].array, out=v)                         # (7)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # NaN, inf as torch
            denom = np.sqrt(v) / dtype(bias_correction2_sqrt) + dtype(group["eps"])  # (8)
            p.array += (dtype(-step_size) * state["exp_avg"].array) / denom         # (9)
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


def _check_hyperparameters(lr: float, betas: tuple[float, float], eps: float,
                           weight_decay: float) -> None:
    """torch's checks and messages, in torch's order (``not 0 <= x`` refuses NaN too)."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    # torch also takes two 1-element tensors; an int such as betas=(0, 0.999) is refused
    if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
        raise ValueError("betas must be either both floats or both Tensors")


def _init_state(state: dict[str, Any], p: Tensor, amsgrad: bool) -> None:
    """Lazy state, in torch's key order: a 0-d float32 step count and zeroed moments."""
    state["step"] = Tensor(np.array(0.0, dtype=np.float32))
    state["exp_avg"] = Tensor(np.zeros_like(p.array))
    state["exp_avg_sq"] = Tensor(np.zeros_like(p.array))
    if amsgrad:
        state["max_exp_avg_sq"] = Tensor(np.zeros_like(p.array))


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch's ``start.lerp_(end, weight)`` on CPU: one fma, from the nearer end."""
    w = start.dtype.type(weight)
    if abs(w) < 0.5:
        return fma(w, end - start, start)              # start + w (end - start)
    return fma(w - 1, end - start, end)                # end - (1 - w)(end - start)


