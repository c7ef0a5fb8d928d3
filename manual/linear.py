"""linear: an affine map y = x W^T + b, and the module that holds W and b.

Forward, for x of shape (*, in_features), W (out_features, in_features), b (out_features,):

1. y = x W^T + b                            (*, in) @ (in, out) + (out,)  -> (*, out)

Backward, given dL/dy (written dy) and flattening the batch dims * into one of size B:

2. dx = dy W                                (*, out) @ (out, in)  -> (*, in)
3. dW = dy^T x                              (out, B) @ (B, in)    -> (out, in)
4. db = sum of dy over the batch dims       (B, out)              -> (out,)

Quirks of torch that change the result:

* (1) torch adds b inside one addmm where it can (a 2-d x, or a contiguous x and a 1-d b),
  otherwise after the product, in place: y.add_(b). There a b of another dtype is summed in
  the dtype torch promotes to and rounded back to y's.
* (4) a b of another shape that broadcasts to y gets dy summed to its shape.
* A 1-d W, of shape (in_features,), is torch's matmul(x, w): one dot product per row of x and
  no out dim (manual/_parity/linear.py, ``vector_weight``).

``Linear(in_features, out_features)`` starts W and b as torch does: both from
U(-1/sqrt(in_features), 1/sqrt(in_features)), weight drawn first (manual/init.py).

Reference: torch/nn/modules/linear.py (``Linear``), torch/nn/functional.py (``linear``),
aten/src/ATen/native/Linear.cpp (``linear``), derivatives.yaml (``addmm``, ``mm``).
"""

from __future__ import annotations

import math

import numpy as np

from manual._parity import linear as parity
from manual.creation import empty
from manual.graph import needed, record
from manual.init import _reset_layer
from manual.module import Module, Parameter
from manual.tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b for x of shape (*, in_features), W (out, in), b (out,)."""
    if weight.ndim == 1:  # torch's matmul form: y = x w, one dot product per row of x
        return parity.vector_weight(input, weight, bias)
    parity.check(input, weight, bias)  # torch's refusals, in its order
    fused = parity.fused(input, bias)  # torch's path: b inside one addmm, or added after
    x, w = input.array, weight.array
    rows = math.prod(x.shape[:-1])                # B, the batch dims as one
    y = x @ w.T                                   # (1) (*, in) @ (in, out) -> (*, out)
    if bias is not None:
        y = parity.add_bias(y, bias, fused)       # (1) y + b, added as torch's path adds it
    wants_dx = input.requires_grad  # a batch of data does not: torch skips (2) then too

    def derivative(dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        dy_2d = dy.reshape(rows, w.shape[0])      # (B, out)
        x_2d = x.reshape(rows, w.shape[1])        # (B, in)
        dx = dy @ w if wants_dx else None         # (2) (*, out) @ (out, in) -> (*, in)
        dw = dy_2d.T @ x_2d                       # (3) (out, B) @ (B, in) -> (out, in)
        if bias is None:
            return dx, dw
        if bias.shape == w.shape[:1]:
            return dx, dw, dy_2d.sum(axis=0)      # (4) (B, out) -> (out,)
        return dx, dw, dy_2d if fused else dy     # (4) any other b: the engine sums dy to it

    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record(parity.node_name(input, bias), y, inputs, derivative, saves=True,
                  reads=needed((input, weight), (weight, input)))


class Linear(Module):
    """Holds W (out_features, in_features) and b (out_features,); calling it is linear()."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        parity.check_features(in_features, out_features)  # torch's refusal of a negative size
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features)))
        self.register_parameter("bias", Parameter(empty(out_features)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_layer(self.weight, self.bias)  # manual/init.py (5): W, then b, as torch draws

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
