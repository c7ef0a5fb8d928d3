"""softmax: scores turned into probabilities along one dim; log_softmax: their logarithms.

Forward, for x of any shape and a dim d with n entries, each slice along d on its own:

1. m = max_j x_j                                 (..., 1, ...): d kept, of size 1
2. s = sum_j exp(x_j - m)                        (..., 1, ...); every exponent <= 0, so no
                                                 exp overflows (x = 1000 is fine)
3. softmax:     y_i = exp(x_i - m) / s           x's shape; each slice sums to 1
4. log_softmax: y_i = (x_i - m) - log s          x's shape

Backward, given dL/dy (written dy), from the saved output y alone:

5. softmax:     dx_i = y_i (dy_i - sum_j dy_j y_j)
6. log_softmax: dx_i = dy_i - exp(y_i) sum_j dy_j       exp(y) is softmax(x)

Quirks of torch that change the numbers:

* (2), (6) exp is SLEEF's vectorised exp, not libm's or NumPy's (NumPy's differs from it in
  40 % of float32 values); along a dim that is not the last, the positions of the later dims
  left over after the last whole vector of 16 (float32) or 8 (float64) take glibc's exp.
* (1), (2), (5), (6) sum and compare in torch's order: in vectors of 16 or 8 lanes along the
  last dim (the lanes combined pairwise for float32), one entry after another along others.
* (3) along the last dim is exp(x - m) (1/s), a reciprocal then a product: a division
  elsewhere. (6) is one fused multiply-add, rounded once, and along another dim so is each
  term of (5)'s sum.
* dim=None picks a dim for you, with a warning: 0 for 0, 1 or 3 dims, else 1 (for a batch of
  images (N, C, H, W) that is C). Pass dim.

Reference: torch/nn/functional.py (``softmax``, ``log_softmax``), torch/nn/modules/
activation.py (``Softmax``, ``LogSoftmax``), aten/src/ATen/native/cpu/SoftMaxKernel.cpp,
derivatives.yaml (``_softmax``, ``_log_softmax``: the backward reads the result).
"""

from __future__ import annotations

from typing import Any

from manual._parity import softmax as parity
from manual._parity.libm import sleef_log
from manual._parity.rounding import fma
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x - m) / sum exp(x - m) along dim: positive entries summing to 1 in each slice."""
    # torch's refusals in its order; dim=None's choice and warning; dtype= casts first
    input, dim = parity.prepare(input, dim, dtype, "softmax", _stacklevel)
    x = input.array
    e = parity.exp(x - parity.max(x, dim, "softmax"), dim)       # (1), (2) exp(x - m)
    y = parity.divide(e, parity.sum(e, dim), dim)                 # (2), (3) e / s

    def derivative(dy):
        return ((dy - parity.dot(dy, y, dim)) * y,)               # (5) (dy - sum_j dy_j y_j) y

    return record("SoftmaxBackward0", y, (input,), derivative, saves=True, reads_output=True)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """log softmax(x) along dim, without forming softmax(x): (x - m) - log sum exp(x - m)."""
    # torch's refusals in its order; dim=None's choice and warning; dtype= casts first
    input, dim = parity.prepare(input, dim, dtype, "log_softmax", _stacklevel)
    x = input.array
    shifted = x - parity.max(x, dim, "log_softmax")              # (1) x - m
    total = parity.sum(parity.exp(shifted, dim), dim)             # (2) s, torch's exp and order
    y = shifted - sleef_log(total)                                # (4) (x - m) - log s

    def derivative(dy):
        # (6) dy - exp(y) sum_j dy_j, rounded once as torch's fused multiply-add
        return (fma(-parity.exp(y, dim), parity.sum(dy, dim), dy),)

    return record("LogSoftmaxBackward0", y, (input,), derivative, saves=True, reads_output=True)


class Softmax(Module):
    """softmax as a module: ``Softmax(dim=1)`` turns each row of scores into probabilities."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim, _stacklevel=4)  # at Module.__call__, as torch's 5

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log_softmax as a module, the last layer before NLLLoss: ``LogSoftmax(dim=1)``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim, _stacklevel=4)  # at Module.__call__, as torch's 5

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
