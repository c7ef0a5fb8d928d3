"""mse_loss at torch's edges: its refusals, its warning, its dtype promotion.

* Reduction: anything but "mean", "sum" or "none" is a ValueError, checked first by the
  twin (torch checks it after the warning and the broadcast, in ``_Reduction.get_enum``).
* Shapes: a target of another shape than the input warns (UserWarning, stacklevel 2: the
  line that called mse_loss) and broadcasts; shapes that do not broadcast are a
  RuntimeError naming the first clashing dim, counted in the broadcast shape, and both
  operands (``broadcast_shape``).
* Dtypes: x and y are promoted as torch promotes them (float64 over float32, any float over
  int64 and bool); with no float among them torch has no kernel: a NotImplementedError
  naming Long, or Bool when both are bool.

Each message ends with the sizes or dtypes of the operands it is about.

Reference: torch/nn/functional.py (``mse_loss``: the warning, then ``broadcast_tensors``),
torch/nn/_reduction.py (``get_enum``), aten/src/ATen/ExpandUtils.cpp (``infer_size_impl``),
aten/src/ATen/native/cpu/BinaryOpsKernel.cpp (``mse_kernel``, dispatched as "mse_cpu" for
floating types only).
"""

from __future__ import annotations

import warnings

import numpy as np

from manual.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    """torch's refusal of a reduction it does not know."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def warn_if_broadcast(input: Tensor, target: Tensor) -> None:
    """torch's UserWarning for shapes that differ, naming the line that called mse_loss."""
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,  # past this function and mse_loss: its caller's line
        )


def shape_and_dtype(input: Tensor, target: Tensor) -> tuple[tuple[int, ...], np.dtype]:
    """The shape x and y broadcast to and the dtype torch computes in, or its refusals, the
    shapes' first."""
    shape = broadcast_shape(input.shape, target.shape, ("input", "target"))
    return shape, _float_dtype(input.dtype, target.dtype)


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...],
                    names: tuple[str, str]) -> tuple[int, ...]:
    """The shape a and b broadcast to; where they cannot, torch's RuntimeError, naming the first
    clashing dim (counted in the broadcast shape) and both operands."""
    ndim = max(len(a), len(b))
    a_full, b_full = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
    for dim in reversed(range(ndim)):
        if a_full[dim] != b_full[dim] and 1 not in (a_full[dim], b_full[dim]):
            raise RuntimeError(
                f"The size of tensor a ({a_full[dim]}) must match the size of tensor b "
                f"({b_full[dim]}) at non-singleton dimension {dim}: {names[0]} of size "
                f"{list(a)}, {names[1]} of size {list(b)}")
    return tuple(max(m, n) if 0 not in (m, n) else 0 for m, n in zip(a_full, b_full))


def _float_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch's promotion of x and y (a float wins over an int or bool); there is no integer
    kernel."""
    if a.kind == "f" and b.kind == "f":
        return np.promote_types(a, b)
    if a.kind == "f" or b.kind == "f":
        return a if a.kind == "f" else b
    name = "Bool" if a == b == np.dtype(bool) else "Long"
    raise NotImplementedError(f'"mse_cpu" not implemented for \'{name}\': input {a}, target {b}')
