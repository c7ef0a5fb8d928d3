"""The check of nn.init: every initialiser, from the same seed, gives torch's bits."""

from __future__ import annotations

import numpy as np
import torch

import manual
from reference.checks import check, compare, twin

INITIALISERS = (("uniform_", {"a": -0.3, "b": 0.7}), ("normal_", {"mean": 0.1, "std": 2.0}),
                ("xavier_uniform_", {"gain": 1.5}), ("xavier_normal_", {}),
                ("kaiming_uniform_", {"a": 0.2}), ("kaiming_normal_", {"mode": "fan_out"}),
                ("kaiming_uniform_", {"nonlinearity": "relu"}), ("constant_", {"val": 0.25}))


@check("init")
def _init(rng, dtype):
    shape = tuple(int(n) for n in rng.integers(1, 6, rng.integers(2, 5)))
    seed = int(rng.integers(2**31))
    name, options = INITIALISERS[rng.integers(len(INITIALISERS))]
    made = []
    for side, lib, dt in (("manual", manual, dtype), ("native", torch, getattr(torch, dtype.name))):
        lib.manual_seed(seed)
        t = lib.zeros(shape, dtype=dt)
        getattr(twin(side, "init"), name)(t, **options)
        made.append(np.asarray(t))
    yield compare(f"{name}{shape}", "init", *made)
