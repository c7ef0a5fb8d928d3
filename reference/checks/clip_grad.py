"""The check of gradient clipping: torch's total norm and clipped gradients, to the bit."""

from __future__ import annotations

import math

import numpy as np
import torch

import manual
from reference.checks import check, compare, twin


@check("clip_grad")
def _clip_grad(rng, dtype):
    sizes = [int(n) for n in rng.integers(1, 70, rng.integers(1, 4))]
    grads = [rng.uniform(-4, 4, n).astype(dtype) for n in sizes]
    norm_type = [2.0, 1.0, math.inf][rng.integers(3)]
    max_norm = float(rng.choice([0.1, 1.0, 100.0]))
    results = []
    for side, lib in (("manual", manual), ("native", torch)):
        params = [lib.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g.copy())
        total = twin(side, "clip_grad").clip_grad_norm_(params, max_norm, norm_type)
        results.append([np.asarray(total)] + [np.asarray(p.grad) for p in params])
    for k, (mine, theirs) in enumerate(zip(*results)):
        yield compare("total norm" if k == 0 else f"clipped grad {k}", "exact", mine, theirs)
