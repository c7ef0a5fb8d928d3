"""The check of batch_norm: BatchNorm1d and BatchNorm2d over a few steps in training and
eval, every output, gradient and buffer to torch's bits. The manual twin is torch on one
thread (torch splits the sums of an (N, C) input between its threads), so torch runs on
one thread here."""

from __future__ import annotations

import numpy as np
import torch

from reference.checks import check, compare, on_device, on_torch, twin
from reference.checks.layer_norm import one_thread
from reference.convert import to_manual


@check("batch_norm")
def _batch_norm(rng, dtype):
    with one_thread():
        comparisons = list(_modules_in_steps(rng, dtype))
    yield from comparisons


def _modules_in_steps(rng, dtype):
    layout = int(rng.integers(3))                       # (N, C), (N, C, L), (N, C, H, W)
    c = int(rng.integers(1, 20))
    spatial = [(), (int(rng.integers(1, 30)),), tuple(int(s) for s in rng.integers(1, 8, 2))]
    options = dict(momentum=None if rng.random() < 0.25 else float(rng.uniform(0.01, 0.5)),
                   affine=bool(rng.random() < 0.8), track_running_stats=bool(rng.random() < 0.8))
    modules = []
    for side, dt in (("manual", dtype), ("native", getattr(torch, dtype.name))):
        pair = twin(side, "batch_norm")
        modules.append(on_device((pair.BatchNorm2d if layout == 2 else pair.BatchNorm1d)(
            c, dtype=dt, **options)))
    for step in range(3):
        shape = (int(rng.integers(2, 40)), c) + spatial[layout]
        x = (rng.standard_normal(shape) * rng.uniform(0.1, 5) + rng.uniform(-5, 5)).astype(dtype)
        dy = rng.standard_normal(shape).astype(dtype)
        training = step < 2 or rng.random() < 0.5
        (m, t), (mx, tx) = modules, (to_manual(x, True), on_torch(x, True))
        my, ty = m.train(training)(mx), t.train(training)(tx)
        my.backward(to_manual(dy))
        ty.backward(on_torch(dy))
        mode = "training" if training else "eval"
        yield compare(f"y, step {step} ({mode}, x {shape})", "exact", my, ty)
        yield compare(f"dx, step {step} ({mode})", "exact", mx.grad, tx.grad)
    for name, t_value in t.state_dict().items():  # num_batches_tracked compared as float64
        yield compare(name, "exact", np.asarray(m.state_dict()[name].array, np.float64),
                      t_value.to(torch.float64))
    for (name, mp), tp in zip(m.named_parameters(), t.parameters()):
        yield compare(f"grad of {name}", "exact", mp.grad, tp.grad)
