"""random_split at torch's edges: its refusals and its warning, in torch's words.

Reference: torch/utils/data/dataset.py (``random_split``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence


def fraction(i: int, f: float) -> float:
    if f < 0 or f > 1:
        raise ValueError(f"Fraction at index {i} is not between 0 and 1")
    return f


def warn_empty(lengths: Sequence[int]) -> None:
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                          "dataset.", stacklevel=3)


def check_total(lengths: Sequence[int], size: int) -> None:
    if sum(lengths) != size:
        raise ValueError("Sum of input lengths does not equal the length of the input "
                         "dataset!")
