"""activations: relu, gelu, Tanh and Sigmoid between layers, Flatten, and Sequential to chain.

Elementwise on x of any shape, y of x's shape and dtype:

1. relu:    y = 0 where x < 0, else x; backward dx = 0 where y <= 0, else dy
3. gelu:    y = x Phi(x) = x/2 (1 + erf(x / sqrt 2)), Phi the standard normal CDF;
            backward dx = dy (Phi(x) + x phi(x))
5. "tanh":  y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
7. Tanh:    y = tanh(x);  Sigmoid: y = 1 / (1 + e^-x)

8. Flatten(s, e) multiplies dims s..e into one: (N, C, H, W) -> (N, C H W) by default.
9. ``Sequential(m0, m1, m2)`` calls its modules in order, y = m2(m1(m0(x))), and names them
   "0", "1", "2", so parameters appear in the state dict as "0.weight", "2.bias", ...

Quirks: relu keeps NaN and -0.0 and passes NaN's gradient through; float32 gelu on a
contiguous tensor runs oneDNN's kernel, everything else ATen's (SLEEF and glibc's libm).

torch's ``F.relu`` and ``nn.ReLU`` also take ``inplace=True`` (overwrite x instead of
allocating y); the twins here have the manual signature, without it.

Manual twin: manual/activations.py, where the derivatives and the container are written out.

Reference: torch/nn/functional.py (``relu``, ``gelu``), torch/nn/modules/activation.py
(``ReLU``, ``GELU``, ``Tanh``, ``Sigmoid``), flatten.py (``Flatten``), container.py
(``Sequential``).
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


def gelu(input: torch.Tensor, *, approximate: str = "none") -> torch.Tensor:
    """x Phi(x), or its tanh approximation; ``approximate`` is keyword-only, as in torch."""
    return torch.nn.functional.gelu(input, approximate=approximate)


class GELU(torch.nn.GELU):
    """torch.nn.GELU."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate)


class Tanh(torch.nn.Tanh):
    """torch.nn.Tanh."""


class Sigmoid(torch.nn.Sigmoid):
    """torch.nn.Sigmoid."""


class Flatten(torch.nn.Flatten):
    """torch.nn.Flatten."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__(start_dim, end_dim)
