"""activations: relu, the ReLU module, and Sequential, the container that chains modules.

Forward, elementwise on x of any shape:

1. y = 0 where x < 0, else x                    y: same shape and dtype as x

Backward, given dL/dy (written dy), computed from the saved output y:

2. dx = 0 where y <= 0, else dy

``Sequential(m0, m1, m2, ...)`` calls its modules in order:

3. y = m2(m1(m0(x)))

and registers each under its index as a string, so the parameters of a Linear-ReLU-Linear
stack are named "0.weight", "0.bias", "2.weight", "2.bias", as in torch's state dict.

Quirks torch has and this file keeps:

* (1) is torch's ``clamp_min(x, 0)``: a NaN stays NaN and -0.0 stays -0.0 (NumPy's
  ``maximum(x, 0)`` would give +0.0).
* (2) is ``threshold_backward(dy, y, 0)``: the mask reads the output, not the input, and
  tests ``y <= 0``, so at x = 0 the derivative is 0, and where y is NaN (NaN <= 0 is false)
  dy passes through. A NaN in dy where y <= 0 is dropped (replaced by 0, not multiplied).
* ``Sequential(OrderedDict(...))`` names the children by the dict's keys instead, and a
  slice ``seq[1:]`` keeps the original keys ("1", "2"), so its state dict keys do too.

Reference: torch/nn/functional.py (``relu``), torch/nn/modules/activation.py (``ReLU``),
torch/nn/modules/container.py (``Sequential``), derivatives.yaml (``relu``:
``threshold_backward(grad, result, 0)``).
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from manual._parity import activations as parity
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
            if not isinstance(module, Module):
                name_of = getattr(module, "__qualname__", type(module).__qualname__)
                raise TypeError(f"{name_of} is not a Module subclass (child {name}: {module!r})")
            setattr(self, name, module)  # Module.__setattr__ registers it as a child

    def forward(self, input: Tensor) -> Tensor:
        for module in self:
            input = module(input)                                 # (3)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Module:
        if isinstance(idx, slice):  # a new Sequential of the same children, keys kept
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        size, idx = len(self), operator.index(idx)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        return list(self._modules.values())[idx % size]

    def __repr__(self) -> str:
        # one line per child, its own lines indented under it, as torch prints it
        lines = [f"  ({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in self._modules.items()]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"
