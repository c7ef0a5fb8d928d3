"""The check of the generator: the same seed gives torch's draws and leaves torch's state."""

from __future__ import annotations

import numpy as np
import torch

from reference.checks import check, compare, twin
from reference.convert import to_numpy


@check("generator")
def _generator(rng, dtype):
    seed, n = int(rng.integers(2**63)), int(rng.integers(0, 70))
    high = int(rng.choice([10, 2**28, 2**40]))  # randint's one-word and two-word draws
    draws = []
    for side, dt in (("manual", dtype), ("native", getattr(torch, dtype.name))):
        pair = twin(side, "generator")
        pair.manual_seed(seed)
        draws.append([pair.rand(n, dtype=dt), pair.randn(n, dtype=dt), pair.randn(1, dtype=dt),
                      pair.randint(high, (n,)), pair.randperm(n), pair.get_rng_state()])
    labels = ("rand", "randn", "randn (one value)", "randint", "randperm", "state bytes")
    for label, mine, theirs in zip(labels, *draws):
        # integers and the state's bytes compared as float64, exactly
        kind = dtype if label.startswith(("rand ", "randn")) or label == "rand" else np.float64
        yield compare(label, "generator", to_numpy(mine).astype(kind),
                      to_numpy(theirs).astype(kind))
