"""Adam at torch's edges: its refusals, its group keys, its lazy state, and its lerp.

* Refusals: torch checks lr, eps, betas[0], betas[1] and weight_decay, in that order, each
  as ``not 0 <= x`` (so NaN is refused too; a beta must also be below 1), then refuses
  betas that are not both floats: an int such as betas=(0, 0.999) (torch also takes two
  1-element tensors, which the twin does not).
* Group keys: after the hyperparameters, torch's groups carry its choice of kernel
  (``foreach``, ``capturable``, ``differentiable``, ``fused``) and, last,
  ``decoupled_weight_decay``; the twin keeps them, so that its state dicts have torch's keys
  in torch's order.
* Lazy state, made at a parameter's first gradient, in torch's key order: ``step``, a 0-d
  float32 tensor (torch: float64 if its default dtype is float64), then ``exp_avg``,
  ``exp_avg_sq`` and, if amsgrad, ``max_exp_avg_sq``, zeros shaped like p.
* Rounding: torch's CPU kernels compute Adam's coupled decay g + lambda p (``grad.add``),
  the second half of v = beta2 v + (1 - beta2) g g (``addcmul_``) and the first moment
  m + (1 - beta1)(g - m) (``lerp_``) each as one fused multiply-add (``fma`` in
  rounding.py). lerp starts from the nearer end, with w = 1 - beta1:

  1. m + w (g - m)              if |w| < 1/2
  2. g + (w - 1)(g - m)         otherwise

  The two round differently at w = 1/2 (beta1 = 0.5). The step p - (gamma / c1) m / d
  rounds the product, the quotient and the sum, as NumPy's plain expression does. All of
  this agrees with torch to the bit, except sqrt: NumPy's is correctly rounded, torch's CPU
  sqrt is faithful (within 1 ULP; on the machine this was written on 17% of float32 and
  1.3% of float64 square roots were 1 ULP off). m, v and v_max do not depend on sqrt and
  agree to the bit, as do the parameters whenever the two square roots agree; when they do
  not, p moves by an update a few ULP apart, and after k steps p is within (8 + 4k) ULP of
  torch's, counted in ULPs of |p_0| + sum of |update| (reference/tolerances.py,
  "faithful_sqrt"). Adam's coupled decay then feeds that gap back into m and v.

Reference: torch/optim/adam.py (``Adam.__init__``, ``_init_group``, ``_single_tensor_adam``),
aten/src/ATen/native/cpu/LerpKernel.cpp (``lerp_vec``),
aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp (``addcmul``, ``addcdiv``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.rounding import fma
from manual.tensor import Tensor

# torch's choice of kernel, in its group keys; kept so that state dicts have torch's keys
KERNEL_KEYS = {"foreach": None, "capturable": False, "differentiable": False, "fused": None}


def check(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
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


def init_state(state: dict[str, Any], p: Tensor, amsgrad: bool) -> None:
    """Lazy state, in torch's key order: a 0-d float32 step count and zeroed moments."""
    state["step"] = Tensor(np.array(0.0, dtype=np.float32))
    state["exp_avg"] = Tensor(np.zeros_like(p.array))
    state["exp_avg_sq"] = Tensor(np.zeros_like(p.array))
    if amsgrad:
        state["max_exp_avg_sq"] = Tensor(np.zeros_like(p.array))


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch's ``start.lerp_(end, weight)`` on CPU: one fma, from the nearer end."""
    w = start.dtype.type(weight)
    if abs(w) < 0.5:
        return fma(w, end - start, start)              # (1) start + w (end - start)
    return fma(w - 1, end - start, end)                # (2) end - (1 - w)(end - start)
