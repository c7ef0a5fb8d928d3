"""The check of nll_loss: random ranks, targets (some ignored), weights and reductions, both
twins, forward and backward to the bit."""

from __future__ import annotations

import numpy as np

from reference.checks import both, check, compare, on_torch, twin, values
from reference.convert import to_manual


@check("nll_loss")
def _nll_loss(rng, dtype):
    n_classes, n = int(rng.integers(1, 8)), int(rng.integers(1, 300))
    spatial = tuple(int(s) for s in rng.integers(1, 6, rng.integers(0, 3)))
    x_shape = (n if not spatial else n % 4 + 1, n_classes) + spatial  # (N, C, d1, ...)
    t_shape = x_shape[:1] + spatial
    x = values(rng, dtype, *x_shape)
    t = np.where(rng.random(t_shape) < 0.1, -100, rng.integers(0, n_classes, t_shape))
    weight = values(rng, dtype, n_classes, bound=2.0) if rng.random() < 0.5 else None
    reduction = str(rng.choice(["none", "mean", "sum"]))
    (m_x,), (t_x,) = both(x)
    losses = []
    for side, lib_x, make in (("manual", m_x, to_manual), ("native", t_x, on_torch)):
        w = None if weight is None else make(weight)
        losses.append(twin(side, "nll_loss").nll_loss(lib_x, make(t), w, reduction=reduction))
    m_loss, t_loss = losses
    g = values(rng, dtype, *t_loss.shape)
    m_loss.backward(to_manual(g))
    t_loss.backward(on_torch(g))
    label = f"nll_loss{x_shape} {reduction}{' weighted' if weight is not None else ''}"
    yield compare(label, "exact", m_loss, t_loss)
    yield compare(f"{label}: dx", "exact", m_x.grad, t_x.grad)
