"""Random initial weights, drawn as torch draws them.

torch's CPU generator is the 32-bit Mersenne Twister seeded the classic way, the same stream
as NumPy's legacy ``RandomState(seed)``. ``uniform_(low, high)`` on a float32 tensor takes
one raw 32-bit draw per element, in order, and computes

1. x = (draw & (2^24 - 1)) * 2^-24          24 random bits: x in [0, 1), exact in float32
2. value = x * (high - low) + low           one fused multiply-add, rounded once to float32

with ``high - low`` rounded to float32 first. Step 2 is emulated by computing in float64
(x * (high - low) is exact there) and rounding to float32 at the end.

``Linear`` and ``Conv2d`` start as torch's ``reset_parameters``: weight from
kaiming_uniform_(a=sqrt(5)), which works out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then
bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)); weight first, so the draws line up.

Reference: torch/nn/init.py (``kaiming_uniform_``, ``calculate_gain``),
ATen/core/TransformationHelper.h (``uniform_real``), ATen/native/cpu/DistributionTemplates.h.
"""

from __future__ import annotations

import math

import numpy as np

from manual.generator import default_generator


def generator() -> np.random.RandomState:
    """The Mersenne Twister of the default generator (manual/generator.py)."""
    return default_generator._twister


def uniform(shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    """float32 values from U(low, high), the same bits as torch's ``uniform_``."""
    return default_generator.uniform(math.prod(shape), low, high, np.float32).reshape(shape)


def fan_in(shape: tuple[int, ...]) -> int:
    """Inputs feeding one output: in_features, or in_channels/groups * kernel area."""
    return shape[1] * math.prod(shape[2:])


def kaiming_uniform(shape: tuple[int, ...], a: float = math.sqrt(5)) -> np.ndarray:
    """torch's kaiming_uniform_ with its leaky-relu gain: bound = gain * sqrt(3 / fan_in)."""
    if min(shape) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    if 0 in shape:  # torch warns that this is a no-op, and draws nothing
        return np.empty(shape, dtype=np.float32)
    gain = math.sqrt(2.0 / (1 + a**2))
    bound = math.sqrt(3.0) * (gain / math.sqrt(fan_in(shape)))
    return uniform(shape, -bound, bound)


def bias_uniform(n: int, weight_shape: tuple[int, ...]) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch's reset_parameters draws the bias."""
    fan = fan_in(weight_shape)
    bound = 1 / math.sqrt(fan) if fan > 0 else 0
    return uniform((n,), -bound, bound)
