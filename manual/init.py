"""init: the starting values of weights, as torch.nn.init draws them.

For a weight of shape (out, in, k1, k2, ...), with receptive field r = k1 k2 ...:

1. fan_in = in r,  fan_out = out r                  (a 2-d weight: in and out)
2. gain: 1 for linear, conv and sigmoid; 5/3 for tanh; sqrt(2) for relu;
         sqrt(2 / (1 + a^2)) for leaky_relu with negative slope a (0.01 if not given)
3. xavier_uniform_:  U(-b, b),  b = sqrt(3) std,  std = gain sqrt(2 / (fan_in + fan_out))
   xavier_normal_:   N(0, std^2)
4. kaiming_uniform_: U(-b, b),  b = sqrt(3) std,  std = gain / sqrt(fan)
   kaiming_normal_:  N(0, std^2)      fan = fan_in (mode="fan_in") or fan_out
5. Linear and Conv2d start as kaiming_uniform_(W, a=sqrt(5)): gain sqrt(1/3), so
   b = 1/sqrt(fan_in); then their bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))

The draws are the generator's (manual/generator.py: uniform_ and normal_, to torch's bits),
in memory order; each initialiser changes its tensor in place, without recording a graph.

Quirks that change numbers: every bound and std is computed in Python floats with torch's
expression, in its order (b in (5) is not the double 1/sqrt(fan_in), which matters for
float64 weights); calculate_gain("linear") is the integer 1.

Reference: torch/nn/init.py, torch/nn/modules/linear.py and conv.py (``reset_parameters``).
"""

from __future__ import annotations

import math
from typing import Any

from manual._parity import init as parity
from manual.no_grad import no_grad
from manual.tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """(2) the factor that keeps the variance of activations steady through a layer."""
    return parity.gain(nonlinearity, param)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.zero_()


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))                 # (3)
    bound = math.sqrt(3.0) * std                                          # (3)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))                 # (3)
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    if parity.nothing_to_draw(tensor):  # torch warns and draws nothing
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))  # (4)
    bound = math.sqrt(3.0) * std                                          # (4)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    if parity.nothing_to_draw(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))  # (4)
    return normal_(tensor, 0, std, generator)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(1) inputs feeding one output, and outputs fed by one input."""
    parity.check_fan_dims(tensor)
    receptive = math.prod(tensor.shape[2:])                               # 1 for a matrix
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive       # (1)


def _fan(tensor: Tensor, mode: str) -> int:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if parity.check_mode(mode) == "fan_in" else fan_out


def _reset_layer(weight: Tensor, bias: Tensor | None) -> None:
    """(5) Linear's and the convolutions' reset_parameters: W, then b."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
