"""linear: an affine map y = x W^T + b, and the module that holds W and b.

Forward, for x of shape (*, in_features):

1. y = x W^T + b                            y: (*, out_features)

Backward, given dL/dy (written dy) and flattening the batch dims * into one of size B:

2. dx = dy W                                (*, out) @ (out, in)  -> (*, in)
3. dW = dy^T x                              (out, B) @ (B, in)    -> (out, in)
4. db = sum of dy over the batch dims       (B, out)              -> (out,)

``Linear(in_features, out_features)`` starts W and b as torch does: both from
U(-1/sqrt(in_features), 1/sqrt(in_features)), weight drawn first (manual/_init.py).

Reference: torch/nn/modules/linear.py (``Linear``), torch/nn/functional.py (``linear``),
derivatives.yaml (``addmm``, ``mm``).
"""

from __future__ import annotations

import numpy as np

from manual import _init
from manual._module import Module
from manual.tensor import Tensor, needed, record


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b for x of shape (*, in_features), W (out, in), b (out,)."""
    _check(input, weight, bias)
    x, w = input.array, weight.array
    y = x @ w.T                                                   # (1) (*, out)
    if bias is not None:
        y = y + bias.array                                        # (1)
    wants_dx = input.requires_grad  # a batch of data does not: torch skips (2) then too

    def derivative(dy):
        dy_2d = dy.reshape(-1, dy.shape[-1])                      # (B, out)
        x_2d = x.reshape(-1, x.shape[-1])                         # (B, in)
        dx = dy @ w if wants_dx else None                         # (2) (*, in)
        dw = dy_2d.T @ x_2d                                       # (3) (out, in)
        db = dy_2d.sum(axis=0)                                    # (4) (out,)
        return dx, dw, db

    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record(_node_name(input.ndim, bias), y, inputs, derivative, saves=True,
                  reads=needed((input, weight), (weight, input)))


def _node_name(ndim: int, bias: Tensor | None) -> str:
    """The node torch leaves on top: a 2-d x is one addmm (or mm without b); for other ranks
    x is flattened to 2-d and viewed back (torch's matmul: an unsafe view, or a squeeze for a
    1-d x), and a 0-d b is added after, an add. An x torch sees as non-contiguous, with b,
    would end in an add too."""
    if ndim == 2:
        return "AddmmBackward0" if bias is not None else "MmBackward0"
    if bias is not None:
        return "ViewBackward0" if bias.ndim else "AddBackward0"
    return "SqueezeBackward4" if ndim == 1 else "UnsafeViewBackward0"


class Linear(Module):
    """Holds W (out_features, in_features) and b (out_features,); calling it is linear()."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        if min(in_features, out_features) < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension "
                f"{min(in_features, out_features)}: [{out_features}, {in_features}] "
                f"(in_features={in_features}, out_features={out_features})")
        self.in_features = in_features
        self.out_features = out_features
        shape = (out_features, in_features)
        self.register_parameter("weight", Tensor(_init.kaiming_uniform(shape), requires_grad=True))
        b = Tensor(_init.bias_uniform(out_features, shape), requires_grad=True) if bias else None
        self.register_parameter("bias", b)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _check(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """torch's refusals: operands of one dtype, and x's last dim equal to W's second."""
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(
                f"linear(): input and {name} must have the same dtype, but got input "
                f"{input.dtype} and {name} {t.dtype}"
            )
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
            f"{weight.ndim}D: input of size {list(input.shape)}, weight of size "
            f"{list(weight.shape)}")
    if weight.ndim != 2 or input.shape[-1] != weight.shape[-1]:
        rows, cols = int(np.prod(input.shape[:-1])), input.shape[-1]
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{'x'.join(map(str, weight.shape[::-1]))}): input of size {list(input.shape)}, "
            f"weight of size {list(weight.shape)}"
        )
    out_shape = input.shape[:-1] + weight.shape[:1]
    if bias is not None and not _fits(bias.shape, out_shape):
        raise RuntimeError(
            f"The expanded size of the tensor ({out_shape[-1]}) must match the existing size "
            f"({bias.shape[-1]}) at non-singleton dimension {len(out_shape) - 1}: bias of size "
            f"{list(bias.shape)}, output of size {list(out_shape)}"
        )


def _fits(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Does an array of ``shape`` broadcast to ``target`` without growing it (torch's expand)?"""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False
