"""RMSprop: steps divided by a running root mean square of the gradient.

For each parameter p with gradient g, at step t (lr gamma, smoothing alpha, eps, weight
decay lambda, momentum mu), with v (square_avg), m (grad_avg) and b (momentum_buffer)
starting at zero, all shaped like p:

1. g = -g                                     if maximize
2. t = t + 1
3. g = g + lambda p                           if lambda != 0 (L2, coupled to the gradient)
4. v = alpha v + (1 - alpha) g g              running mean of squared gradients
5. m = m + (1 - alpha)(g - m)                 if centered: running mean of gradients
6. d = sqrt(v - m m) + eps                    if centered (a running standard deviation)
   d = sqrt(v) + eps                          otherwise
7. b = mu b + g / d,  p = p - gamma b         if mu > 0
   p = p - gamma g / d                        otherwise

Quirks torch has and this file keeps:

* (6) eps is added after the square root (Adadelta adds it inside), and (4) starts v at
  zero with no bias correction: the first step is gamma g / (sqrt(1 - alpha) |g| + eps),
  about 10 gamma in size for the default alpha = 0.99, whatever the size of g.
* (7) the buffer collects g / d, not g: lr multiplies it whole, as in torch's SGD.
* (2) t is counted but never used.
* A parameter whose ``.grad`` is None is skipped: no step count, no state yet.
* Rounding: (3), the second half of (4), (5), v - m m in (6) and p - gamma b in (7) each
  round once, as torch's fused kernels; the twins agree to the bit but for sqrt (6),
  which torch computes faithfully and NumPy correctly rounded: b and p stay within a
  stated bound of torch's (manual/_parity/rmsprop.py).

State: ``step`` (t, a 0-d float32 tensor), ``square_avg`` (v), then ``momentum_buffer``
(b) if mu > 0 and ``grad_avg`` (m) if centered.

Reference: torch/optim/rmsprop.py (``RMSprop``, ``_single_tensor_rmsprop``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._parity import rmsprop as parity
from manual._parity.adam import lerp
from manual._parity.optimizers import addcdiv, refuse_in_place, scalar
from manual._parity.rounding import fma
from manual.no_grad import enable_grad, no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


class RMSprop(Optimizer):
    """p = p - lr g / (sqrt(square_avg) + eps), with momentum and centering optional."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        parity.check(lr, alpha, eps, weight_decay, momentum)  # torch's refusals, in its order
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
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
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # as torch
                    g, d = self._update_averages(p, group)
                    self._update_parameter(p, group, g, d)
        return loss

    def _update_averages(self, p: Tensor, group: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """(1)-(6): count the step, decay, fold g into v (and m); return g and d."""
        state, dtype = self.state[p], p.dtype.type
        alpha = group["alpha"]
        g = -p.grad.array if group["maximize"] else p.grad.array          # (1)
        state["step"].array += 1                                          # (2)
        if group["weight_decay"] != 0:
            g = fma(dtype(group["weight_decay"]), p.array, g)  # (3) g + lambda p, one rounding
        v = state["square_avg"].array
        v *= dtype(alpha)                                                 # (4) alpha v
        v[...] = fma(dtype(1 - alpha) * g, g, v)  # (4) v + (1 - alpha) g g, one rounding
        if group["centered"]:
            m = state["grad_avg"].array
            m[...] = lerp(m, g, 1 - alpha)     # (5) m + (1 - alpha)(g - m), one rounding
            v = fma(-m, m, v)                  # (6) v - m m, one rounding
        return g, np.sqrt(v) + dtype(group["eps"])                       # (6)

    def _update_parameter(self, p: Tensor, group: dict[str, Any], g: np.ndarray,
                          d: np.ndarray) -> None:
        """(7): the step on p, through the momentum buffer if mu > 0, in place."""
        dtype, lr, momentum = p.dtype.type, scalar(group["lr"]), group["momentum"]
        if momentum > 0:
            b = self.state[p]["momentum_buffer"].array
            b *= dtype(momentum)                                          # (7) mu b
            b[...] = addcdiv(b, g, d, 1)                                  # (7) mu b + g / d
            stepped = fma(dtype(-lr), b, p.array)         # (7) p - lr b, one rounding
        else:
            stepped = addcdiv(p.array, g, d, -lr)                         # (7) p - lr g / d
        refuse_in_place(p, self.defaults["differentiable"])  # torch's grad mode refuses it
        p.array[...] = stepped
        p.mark_modified()
