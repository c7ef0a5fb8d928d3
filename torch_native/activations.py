"""activations: relu, the ReLU module, and Sequential, the container that chains modules.

Forward, elementwise on x of any shape:

1. y = 0 where x < 0, else x                    y: same shape and dtype as x

Backward (autograd, ``threshold_backward(dy, y, 0)``): dx = 0 where y <= 0, else dy.

``Sequential(m0, m1, m2, ...)`` calls its modules in order, y = m2(m1(m0(x))), and names
them "0", "1", "2", so parameters appear in the state dict as "0.weight", "2.bias", ...

Quirks: a NaN stays NaN and passes its gradient through; -0.0 stays -0.0.

torch's ``F.relu`` and ``nn.ReLU`` also take ``inplace=True`` (overwrite x instead of
allocating y); the twins here have the manual signature, without it.

Manual twin: manual/activations.py, where the derivative and the container are written out.

Reference: torch/nn/functional.py (``relu``), torch/nn/modules/activation.py (``ReLU``),
torch/nn/modules/container.py (``Sequential``).
"""

from __future__ import annotations

from typing import Any

import torch


def relu(input: torch.Tensor) -> torch.Tensor:
    """max(x, 0) elementwise, with NaN and -0.0 passed through."""
    return torch.nn.functional.relu(input)


class ReLU(torch.nn.ReLU):
    """torch.nn.ReLU, with the signature the manual twin has."""

    def __init__(self) -> None:
        super().__init__()


class Sequential(torch.nn.Sequential):
    """torch.nn.Sequential, with the signature the manual twin has."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
