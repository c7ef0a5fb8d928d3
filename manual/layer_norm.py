"""layer_norm: each sample scaled to zero mean and unit variance over its last dims, then w, b.

For x of shape (*, S), S = normalized_shape (the last dims, N values in all), seen as (M, N):
each of the M rows is normalised on its own; weight w and bias b have shape S (1 and 0 when
absent):

Forward, per row:

1. mean = (1/N) sum of x                                      (M, N) -> (M,)
2. var = (1/N) sum of (x - mean)^2                            (M,), biased: divided by N
3. rstd = 1 / sqrt(var + eps)                                 (M,)
4. y = (x - mean) rstd w + b                                  (M, N) -> (*, S)

Backward, given dy, with xhat = (x - mean) rstd and g = dy w:

5. db = sum over the rows of dy                               (M, N) -> S
6. dw = sum over the rows of dy xhat                          (M, N) -> S
7. dx = rstd (g - mean(g) - xhat mean(g xhat)), means over the row       (M, N)

torch writes (7) as dx = rstd g + b' x + c', with sums over the row (its ds, db):

8. b' = (sum(g) mean - sum(g x)) rstd^3 / N                   (M,)
9. c' = -b' mean - sum(g) rstd / N                            (M,)

Quirks of torch that change the numbers:

* (1), (2) are Welford's running mean and variance, in the lanes of torch's vector loop and
  in chunks of 16 vectors (manual/_parity/layer_norm.py has the order).
* (3) is computed in x's dtype, eps rounded to it first; (4) is one fused multiply-add, as
  are parts of (6), (8) and (9).
* torch splits the rows of (5) and (6) between its threads: this is torch on one thread.

Reference: torch/nn/functional.py (``layer_norm``), torch/nn/modules/normalization.py
(``LayerNorm``), aten/src/ATen/native/layer_norm.cpp (``layer_norm_cpu``),
aten/src/ATen/native/cpu/layer_norm_kernel.cpp, derivatives.yaml (``native_layer_norm``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from manual._parity import layer_norm as parity
from manual.creation import empty
from manual.graph import record
from manual.init import ones_, zeros_
from manual.module import Module, Parameter
from manual.tensor import Tensor


@np.errstate(all="ignore")  # NaN and infinities pass silently, as in torch
def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b over the last dims S of x (*, S)."""
    shape = parity.check(input, normalized_shape, weight, bias)  # torch's refusals; S
    size = math.prod(shape)                                   # N values per row
    rows = math.prod(input.shape[:input.ndim - len(shape)])   # M rows
    x = np.ascontiguousarray(input.array).reshape(rows, size)  # (*, S) -> (M, N)
    dt = x.dtype
    mean, var = parity.moments(x)                             # (1), (2)
    rstd = 1 / np.sqrt(var + dt.type(eps))                    # (3) in x's dtype
    y = parity.output(x, mean, rstd, weight, bias)            # (4) xhat w + b, fused as torch
    wants = [t is not None and t.requires_grad for t in (input, weight, bias)]

    @np.errstate(all="ignore")
    def derivative(dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        dy = np.ascontiguousarray(dy).reshape(rows, size)     # (*, S) -> (M, N)
        grads = [None, None, None]
        if wants[0]:  # (7)-(9): rstd dy w + b' x + c'
            grads[0] = parity.input_grad(dy, x, mean, rstd, weight).reshape(input.shape)
        if wants[1]:  # (6) sum of dy (rstd x - rstd mean)
            grads[1] = parity.weight_grad(dy, x, mean, rstd).reshape(shape)
        if wants[2]:  # (5) sum of dy
            grads[2] = parity.bias_grad(dy).reshape(shape)
        return tuple(g for g, t in zip(grads, (input, weight, bias)) if t is not None)

    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    return record(parity.NODE, y.reshape(input.shape), inputs, derivative, saves=True,
                  reads=inputs)


class LayerNorm(Module):
    """Holds w and b of shape normalized_shape; calling it is layer_norm()."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-05,
                 elementwise_affine: bool = True, bias: bool = True, device: object = None,
                 dtype: object = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        on = {"dtype": dtype, "device": device}
        affine = elementwise_affine
        self.register_parameter("weight", Parameter(empty(self.normalized_shape, **on))
                                if affine else None)
        self.register_parameter("bias", Parameter(empty(self.normalized_shape, **on))
                                if affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            ones_(self.weight)
            if self.bias is not None:
                zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
