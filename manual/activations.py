"""activations: relu, gelu, Tanh and Sigmoid between layers, Flatten, and Sequential to chain.

Elementwise on x of any shape, y of x's shape and dtype; backward is given dy = dL/dy:

1. relu:    y = 0 where x < 0, else x
2.          dx = 0 where y <= 0, else dy                        (from the saved output y)
3. gelu:    y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))            Phi: the standard normal CDF
4.          dx = dy (Phi(x) + x phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
5. "tanh":  y = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + k x^3),  k = 0.044715
6.          dx = dy ((1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3k x^2)),  t = tanh(u)
7. Tanh:    y = tanh(x);  Sigmoid: y = 1 / (1 + e^-x)           the engine's (pointwise.py)

8. Flatten(s, e): (n_0, .., n_s, .., n_e, ..) -> (n_0, .., n_s ... n_e, ..), a view if it can
9. Sequential(m0, m1, m2): y = m2(m1(m0(x))); children named "0", "1", "2" ("0.weight")

Quirks torch has and this file keeps:

* (1) is clamp_min(x, 0): NaN and -0.0 stay. (2) reads y: dx = 0 at x = 0; NaN passes dy.
* (3), (4) float32 on a contiguous x of 2+ elements run oneDNN (erf a piecewise polynomial
  forward, Abramowitz-Stegun backward); other calls take SLEEF's erf, exp and tanh on blocks
  of 32 (float32) or 16 (float64), glibc's on the rest: manual/_parity/gelu.py rounds as both.
* (9) Sequential(OrderedDict(...)) names the children by its keys; a slice keeps the keys.

Reference: torch/nn/functional.py, torch/nn/modules/activation.py, flatten.py, container.py,
aten/src/ATen/native/Activation.cpp and cpu/Activation.cpp, derivatives.yaml (relu, gelu).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from manual import indexing, pointwise
from manual._parity import activations as parity
from manual._parity import gelu as kernels
from manual._parity.engine import zero_where as _zero_where
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def relu(input: Tensor) -> Tensor:
    """max(x, 0) elementwise, with NaN and -0.0 passed through as torch passes them."""
    parity.check(input)  # torch's refusals, in its order
    x = input.array
    y = _zero_where(x < 0, x)                                     # (1) np.where(x < 0, 0, x)

    def derivative(dy):
        return (_zero_where(y <= 0, dy),)                         # (2) np.where(y <= 0, 0, dy)

    return record("ReluBackward0", y, (input,), derivative, saves=True, reads_output=True)


class ReLU(Module):
    """relu as a module, to put between layers: ``Sequential(Linear(...), ReLU(), ...)``."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return relu(input)


class Sequential(Module):
    """Modules called in order; children (and parameters) are named by index: "0", "1", ..."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        # one OrderedDict names the children; otherwise each is named by its position
        named = args[0].items() if len(args) == 1 and isinstance(args[0], OrderedDict) else (
            (str(index), module) for index, module in enumerate(args))
        for name, module in named:
            parity.check_child(name, module)  # torch's refusal of anything but a Module
            setattr(self, name, module)  # Module.__setattr__ registers it as a child

    def forward(self, input: Tensor) -> Tensor:
        for module in self:
            input = module(input)                                 # (9)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Module:
        if isinstance(idx, slice):  # a new Sequential of the same children, keys kept
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        position = parity.check_index(idx, len(self))  # in range, or torch's IndexError
        return list(self._modules.values())[position]


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """x Phi(x): x weighted by the chance that a standard normal value is below it."""
    parity.check_gelu(input, approximate)  # torch's refusals, in its order
    x = input.array
    y = kernels.forward(x, approximate)         # (3) x/2 (1 + erf(x / sqrt 2)), or (5)

    def derivative(dy):
        return (kernels.backward(dy, x, approximate),)  # (4) dy (Phi(x) + x phi(x)), or (6)

    return record("GeluBackward0", y, (input,), derivative, saves=True, reads=(input,))


class GELU(Module):
    """gelu as a module; ``approximate`` ("none" or "tanh") is checked when it is called."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    """tanh as a module (7), the engine's: TanhBackward0 computes dx = dy (1 - y^2)."""

    def forward(self, input: Tensor) -> Tensor:
        parity.check_tensor(input, "tanh")  # torch's refusal of a non-tensor
        return pointwise.tanh(input)


class Sigmoid(Module):
    """sigmoid as a module (7), the engine's: SigmoidBackward0 computes dx = dy (1 - y) y."""

    def forward(self, input: Tensor) -> Tensor:
        parity.check_tensor(input, "sigmoid")  # torch's refusal of a non-tensor
        return pointwise.sigmoid(input)


class Flatten(Module):
    """Dims start_dim..end_dim as one (8): (N, C, H, W) -> (N, C H W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        parity.check_flatten(input, self.start_dim, self.end_dim)  # torch's refusals
        return indexing.flatten(input, self.start_dim, self.end_dim)  # (8) the engine's reshape

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
