"""The check of dropout: from the same seed, torch's mask, output, gradient and generator."""

from __future__ import annotations

import numpy as np
import torch

import manual
from reference.checks import both, check, compare, on_torch, twin, values
from reference.convert import to_numpy


@check("dropout")
def _dropout(rng, dtype):
    shape = tuple(int(n) for n in rng.integers(0, 7, rng.integers(0, 4)))
    p = float(rng.choice([0.0, 0.15, 0.47, 1.0, rng.uniform()]))
    seed = int(rng.integers(2**63))
    x, grad = values(rng, dtype, *shape), values(rng, dtype, *shape)
    (m_x,), (t_x,) = both(x)
    results = []
    for side, lib, x_, make in (("manual", manual, m_x, manual.tensor), ("native", torch, t_x,
                                                                           on_torch)):
        lib.manual_seed(seed)
        y = twin(side, "dropout").dropout(x_, p)
        y.backward(make(grad))
        results.append((y, x_.grad, lib.get_rng_state()))
    for label, mine, theirs in zip(("y", "dx", "state bytes"), *results):
        kind = np.float64 if label == "state bytes" else dtype  # the bytes compared exactly
        yield compare(f"{label} p={p:.3g} {shape}", "exact", to_numpy(mine).astype(kind),
                      to_numpy(theirs).astype(kind))
