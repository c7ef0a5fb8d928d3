"""nn.init at torch's edges: the gains table, its refusals, and zero-element tensors.

torch's calculate_gain returns the integer 1 for the linear family and sigmoid, refuses an
unknown nonlinearity and a negative slope that is not a number; fans need a tensor of at
least 2 dims; the mode is lower-cased and must be fan_in or fan_out; kaiming on a tensor
with no elements warns and draws nothing.

Reference: torch/nn/init.py (``calculate_gain``, ``_calculate_fan_in_and_fan_out``,
``_calculate_correct_fan``, ``kaiming_uniform_``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def gain(nonlinearity: str, param: Any) -> float:
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def check_fan_dims(tensor: Any) -> None:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")


def check_mode(mode: str) -> str:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    return mode


def nothing_to_draw(tensor: Any) -> bool:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False
