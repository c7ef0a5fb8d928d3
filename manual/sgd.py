"""SGD: stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

For each parameter p with gradient g, at step t (lr, momentum mu, dampening tau, weight decay
lambda):

1. g = -g                                   if maximize
2. g = g + lambda p                         if lambda != 0 (L2 decay, coupled to the gradient)
3. b = g                                    if mu != 0, at the first step (t = 1)
   b = mu b + (1 - tau) g                   if mu != 0, later steps
4. g = g + mu b                             if nesterov
   g = b                                    otherwise (when mu != 0)
5. p = p - lr g

Quirks torch has and this file keeps:

* (3) at t = 1 the buffer is a copy of g: no dampening on the first step. Many papers
  start the buffer at zero instead.
* torch's momentum is not Sutskever's: lr multiplies the whole buffer in (5), instead of
  each gradient as it enters the buffer. The two agree while lr is constant.
* A parameter whose ``.grad`` is None is skipped entirely: no decay, no momentum, and its
  buffer stays as it was (see zero_grad's ``set_to_none``).
* Rounding: torch computes (2), the second half of (3), (4) and (5) each as one fused
  multiply-add, ``a.add(b, alpha=c)``, rounded once; ``fused_add`` does the same, so the
  twins agree to the bit (manual/_parity/rounding.py).

State: ``state[p]["momentum_buffer"]`` (only when momentum != 0).

Reference: torch/optim/sgd.py (``SGD``, ``_single_tensor_sgd``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from manual._parity.rounding import fused_add
from manual.no_grad import enable_grad, no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


class SGD(Optimizer):
    """p = p - lr * g, with g adjusted by maximize, weight decay and momentum."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            # torch's choice of kernel; kept so that state dicts have torch's keys
            "foreach": None,
            "differentiable": False,
            "fused": None,
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
                    self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        """Equations (1) to (5) for one parameter, with its group's hyperparameters."""
        g = p.grad.array
        if group["maximize"]:
            g = -g                                                        # (1)
        if group["weight_decay"] != 0:
            g = fused_add(g, p.array, alpha=group["weight_decay"])        # (2)
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor(np.array(g))      # (3) t = 1: copy of g
            else:
                buf.array *= momentum                                     # (3) t > 1, in place
                buf.array[...] = fused_add(buf.array, g, alpha=1 - group["dampening"])
            if group["nesterov"]:
                g = fused_add(g, buf.array, alpha=momentum)               # (4)
            else:
                g = buf.array                                             # (4)
        p.array[...] = fused_add(p.array, g, alpha=-group["lr"])          # (5) in place
        p.mark_modified()
