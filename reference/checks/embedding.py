"""The check of embedding: lookups, their gradient (repeats, padding, scale_grad_by_freq),
max_norm's rescaled rows and Embedding's initial weights, all torch's bits."""

from __future__ import annotations

import math

import torch

import manual
from reference.checks import check, compare, on_torch, twin, values
from reference.convert import to_manual, to_numpy

NORMS = (2.0, 1.0, math.inf)  # computed without pow: torch's bits in float32 too


@check("embedding")
def _embedding(rng, dtype):
    rows, cols = int(rng.integers(1, 8)), int(rng.integers(1, 9))
    shape = tuple(int(n) for n in rng.integers(0, 5, rng.integers(0, 3)))
    indices = rng.integers(0, rows, shape)
    options = {"padding_idx": [None, 0, -1][rng.integers(3)],
               "scale_grad_by_freq": bool(rng.integers(2)),
               "max_norm": [None, float(rng.uniform(0.5, 4))][rng.integers(2)],
               "norm_type": NORMS[rng.integers(len(NORMS))]}
    w, grad = values(rng, dtype, rows, cols), values(rng, dtype, *shape, cols)
    seed = int(rng.integers(2**63))
    results = []
    for side, lib, make in (("manual", manual, to_manual), ("native", torch, on_torch)):
        weight = make(w, requires_grad=True)
        y = twin(side, "embedding").embedding(make(indices), weight, **options)
        y.backward(make(grad))
        lib.manual_seed(seed)
        module = twin(side, "embedding").Embedding(rows, cols, options["padding_idx"],
                                                   dtype=getattr(lib, dtype.name))
        results.append((y, weight, weight.grad, module.weight))
    for label, mine, theirs in zip(("y", "W after max_norm", "dW", "Embedding's W"), *results):
        yield compare(f"{label} {options}", "exact", to_numpy(mine), to_numpy(theirs))
