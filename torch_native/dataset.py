"""dataset: torch.utils.data's Dataset, Subset and random_split.

1. Subset(ds, indices)[k] = ds[indices[k]]
2. fractions: n_i = floor(len(ds) f_i), the rest one each to the splits in turn
3. order = randperm(len(ds)) from ``generator``
4. split i = Subset(ds, order[s_i : s_i + n_i])

Manual twin: manual/dataset.py, where each of these lines is a line of code.

Reference: torch/utils/data/dataset.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.utils.data


class Dataset(torch.utils.data.Dataset):
    """torch.utils.data.Dataset."""


class Subset(torch.utils.data.Subset):
    """torch.utils.data.Subset, with the signature the manual twin has."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        super().__init__(dataset, indices)


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: torch.Generator | None = torch.default_generator
                 ) -> list[torch.utils.data.Subset]:
    return torch.utils.data.random_split(dataset, lengths, generator)
