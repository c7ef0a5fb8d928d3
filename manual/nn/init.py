"""manual.nn.init: torch.nn.init's names, from manual/init.py.

A namespace: it re-exports, and holds no logic.
"""

from manual.init import (
    _calculate_fan_in_and_fan_out,
    calculate_gain,
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
