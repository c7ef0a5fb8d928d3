"""What Adadelta, RMSprop and Adagrad share at torch's edges: refusals, the step count, the
learning rate as a tensor, and how torch's ``addcdiv_`` rounds.

* Refusals when built: each optimizer first refuses a tensor lr of more than one element,
  then checks each hyperparameter as ``not 0 <= x`` (so NaN is refused too), in its own
  order, with torch's words: ``Invalid learning rate: {lr}``, ``Invalid {name} value: {x}``
  (``check_nonnegative``).
* Refusals at a step (torch/optim/adadelta.py, rmsprop.py, adagrad.py, the functional
  ``_single_tensor_*`` and ``_multi_tensor_*``): ``capturable=True`` needs CUDA-like
  devices and is refused on CPU parameters, but only when some parameter has a gradient;
  ``foreach=True`` with ``differentiable=True`` is refused by the foreach kernels, which do
  not record autograd. Both refusals are AssertionErrors. ``differentiable=True`` runs the
  step in grad mode: its in-place update of a leaf parameter that requires grad is then
  the engine's refusal, raised after the state of that parameter has been updated. (torch
  records the step of a non-leaf parameter in the graph; the twin updates it in place,
  unrecorded.)
* ``foreach=True`` on CPU runs torch's per-tensor kernels one tensor at a time: the same
  numbers as the default (``foreach=None``, which on CPU is the single-tensor loop).
* The step count is a 0-d float32 tensor (float64 if torch's default dtype is float64).
* A 1-element tensor lr is read as its value, in its dtype (``_to_scalar``).
* ``x.addcdiv_(y, z, value=v)`` on CPU rounds v y, then the quotient, then the sum: three
  roundings, no fused multiply-add (a division cannot fuse); NumPy's x + (v y) / z does the
  same (``addcdiv``). ``addcmul_`` fuses: fma(v y, z, x) with v y rounded first.

Reference: torch/optim/optimizer.py (``_get_scalar_dtype``, ``_to_scalar``,
``_get_capturable_supported_devices``, ``_use_grad_for_differentiable``),
aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp (``addcmul_cpu_kernel``,
``addcdiv_cpu_kernel``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity.engine import LEAF_IN_PLACE
from manual.tensor import Tensor

CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone"]


def check_lr(lr: Any) -> None:
    """torch's first two refusals, shared by the three optimizers."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(**values: float) -> None:
    """``not 0 <= x`` for each hyperparameter in the order given (NaN refused too)."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value}")


def refuse_at_step(group: dict[str, Any], with_grad: list[Tensor],
                   devices: list[str] = CAPTURABLE_DEVICES) -> None:
    """The foreach kernels' refusal of differentiable, then capturable on CPU parameters."""
    if group["foreach"] and group["differentiable"]:
        raise AssertionError("_foreach ops don't support autograd")
    if group.get("capturable") and with_grad:
        raise AssertionError(
            f"If capturable=True, params and state_steps must be on supported devices: "
            f"{devices}.")


def refuse_in_place(p: Tensor, differentiable: bool) -> None:
    """In grad mode (differentiable=True) torch's in-place update of a leaf that requires
    grad is refused, as any in-place change of such a leaf."""
    if differentiable and p.requires_grad and p.is_leaf:
        raise RuntimeError(LEAF_IN_PLACE)


def step_count() -> Tensor:
    """A new step count: 0-d, float32, zero."""
    return Tensor(np.array(0.0, dtype=np.float32))


def scalar(lr: Any) -> float:
    """A learning rate as a Python float (a 1-element tensor lr: its value)."""
    return float(lr.array.reshape(())) if isinstance(lr, Tensor) else lr


def addcdiv(x: np.ndarray, y: np.ndarray, z: np.ndarray, value: float) -> np.ndarray:
    """torch's ``x.addcdiv(y, z, value=v)`` on CPU: x + (v y) / z, each step rounded."""
    v = x.dtype.type(value)
    return x + (v * y) / z  # its callers let a NaN or an infinity through silently, as torch
