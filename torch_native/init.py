"""init: the starting values of weights, torch.nn.init's functions.

1. fan_in = in r, fan_out = out r, r the receptive field (k1 k2 ...)
2. gain: 1 (linear, conv, sigmoid), 5/3 (tanh), sqrt(2) (relu), sqrt(2 / (1 + a^2)) (leaky_relu)
3. xavier: std = gain sqrt(2 / (fan_in + fan_out)); uniform U(-sqrt(3) std, sqrt(3) std)
4. kaiming: std = gain / sqrt(fan); uniform U(-sqrt(3) std, sqrt(3) std)
5. Linear and Conv2d: kaiming_uniform_(W, a=sqrt(5)), then b from U(-1/sqrt(fan_in), ...)

Manual twin: manual/init.py, where each of these lines is a line of code.

Reference: torch/nn/init.py.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import init


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    return init.calculate_gain(nonlinearity, param)


def uniform_(tensor: torch.Tensor, a: float = 0.0, b: float = 1.0,
             generator: Any = None) -> torch.Tensor:
    return init.uniform_(tensor, a, b, generator)


def normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Any = None) -> torch.Tensor:
    return init.normal_(tensor, mean, std, generator)


def constant_(tensor: torch.Tensor, val: float) -> torch.Tensor:
    return init.constant_(tensor, val)


def ones_(tensor: torch.Tensor) -> torch.Tensor:
    return init.ones_(tensor)


def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    return init.zeros_(tensor)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0, generator: Any = None
                    ) -> torch.Tensor:
    return init.xavier_uniform_(tensor, gain, generator)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0, generator: Any = None
                   ) -> torch.Tensor:
    return init.xavier_normal_(tensor, gain, generator)


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> torch.Tensor:
    return init.kaiming_uniform_(tensor, a, mode, nonlinearity, generator)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> torch.Tensor:
    return init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)
