"""The check of random_split: the same split as torch's from the same generator."""

from __future__ import annotations

import warnings

import numpy as np
import torch

import manual
from reference.checks import check, compare, twin


@check("dataset")
def _dataset(rng, dtype):
    n, parts = int(rng.integers(1, 50)), int(rng.integers(1, 5))
    weights = rng.integers(1, 5, parts)
    lengths = list(np.diff(np.round(np.cumsum([0, *weights]) * n / weights.sum()).astype(int)))
    seed = int(rng.integers(2**31))
    made = []
    for side, lib in (("manual", manual), ("native", torch)):
        with warnings.catch_warnings():  # an empty split warns, on both sides alike
            warnings.simplefilter("ignore")
            splits = twin(side, "dataset").random_split(
                range(n), [int(k) for k in lengths], generator=lib.Generator().manual_seed(seed))
        made.append(np.array([i for s in splits for i in s], dtype=dtype))
    yield compare(f"random_split of {n} into {lengths}", "exact", *made)
