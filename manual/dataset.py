"""dataset: Dataset, the base of a user's datasets; Subset; and random_split.

A dataset is anything with ``len(ds)`` and ``ds[i]``; ``Dataset`` is the class a user's own
dataset subclasses. A ``Subset`` sees some of another dataset's items:

1. Subset(ds, indices)[k] = ds[indices[k]]         len = len(indices); k may be a list

``random_split(ds, lengths)`` cuts a dataset into non-overlapping random subsets:

2. lengths as fractions (they sum to 1): n_i = floor(len(ds) f_i), and the items left over
   go one each to the splits in turn, from the first
3. order = randperm(len(ds)), drawn from ``generator``   (manual/generator.py)
4. split i = Subset(ds, order[s_i : s_i + n_i]),  s_i = n_0 + ... + n_(i-1)

Quirk that changes the split: (3) draws from the global generator unless given one, so a
validation split made after the model is built depends on how many weights were drawn;
``generator=Generator().manual_seed(n)`` makes it the same split whatever comes before.
Lengths that sum to 1 are taken as fractions, integers included ([1] on 5 items is [5]).

Reference: torch/utils/data/dataset.py (``Dataset``, ``Subset``, ``random_split``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from manual._parity import dataset as parity
from manual.generator import Generator, default_generator, randperm


class Dataset:
    """The base of a map-style dataset: a subclass gives ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class Subset(Dataset):
    """Some of ``dataset``'s items, at ``indices``: (1)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]       # (1) several at once
        return self.dataset[self.indices[idx]]                         # (1)

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = default_generator) -> list[Subset]:
    """Non-overlapping random subsets of the given lengths or fractions: (2)-(4)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:          # (2) fractions
        lengths = [math.floor(len(dataset) * parity.fraction(i, f)) for i, f in
                   enumerate(lengths)]
        for i in range(len(dataset) - sum(lengths)):
            lengths[i % len(lengths)] += 1                             # (2) the rest in turn
        parity.warn_empty(lengths)
    parity.check_total(lengths, len(dataset))
    order = randperm(sum(lengths), generator=generator).tolist()       # (3)
    return [Subset(dataset, order[end - n:end])                        # (4)
            for end, n in zip(itertools.accumulate(lengths), lengths)]
