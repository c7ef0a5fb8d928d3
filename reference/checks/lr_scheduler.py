"""The checks of the schedulers: every learning rate (and cycled momentum) of a drawn schedule,
step by step, the same Python float as torch's.

Schedulers compute on Python floats, whatever the dtype of the parameters: the dtype drawn
by ``dealias check`` only picks the parameters' dtype, and the rates are compared as float64,
exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from reference.checks import Comparison, check, compare, on_torch, twin
from reference.convert import to_manual

Rates = Callable[[Any], list[float]]  # what to record of an optimizer after each step


def _optimizer(side: str, rng: np.random.Generator, dtype: np.dtype, lrs: list[float]) -> Any:
    """The twin's Adam or SGD (with momentum), one group per lr (torch's on the check's
    device)."""
    make = to_manual if side == "manual" else on_torch
    groups = [{"params": [make(np.zeros(2, dtype), requires_grad=True)], "lr": lr}
              for lr in lrs]
    if rng.random() < 0.5:
        return twin(side, "adam").Adam(groups)
    return twin(side, "sgd").SGD(groups, momentum=0.9)


def _run(piece: str, name: str, kwargs: dict[str, Any], rng: np.random.Generator,
         dtype: np.dtype, steps: int, metrics: list[float] | None = None
         ) -> Iterator[Comparison]:
    """The same schedule on both twins; the rates and momenta of every step, compared."""
    lrs = [float(x) for x in rng.choice([0.1, 0.05, 1e-3, 0.3, 1.0], rng.integers(1, 4))]
    seed = int(rng.integers(2**32))
    runs = []
    for side in ("manual", "native"):
        opt = _optimizer(side, np.random.default_rng(seed), dtype, lrs)
        sched = getattr(twin(side, piece), name)(opt, **kwargs)
        seen = [[g["lr"] for g in opt.param_groups]]
        moments = [[g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]]
        for k in range(steps):
            opt.step()
            sched.step() if metrics is None else sched.step(metrics[k])
            seen.append([g["lr"] for g in opt.param_groups])
            moments.append([g["betas"][0] if "betas" in g else g["momentum"]
                            for g in opt.param_groups])
        runs.append((np.array(seen), np.array(moments)))
    (m_lrs, m_moments), (t_lrs, t_moments) = runs
    yield compare(f"{name} lr over {steps} steps", "exact", m_lrs, t_lrs)
    yield compare(f"{name} momentum over {steps} steps", "exact", m_moments, t_moments)


@check("lr_scheduler")
def _lr_scheduler(rng, dtype):
    gamma = float(rng.uniform(0.05, 1.0))
    name, kwargs = [("StepLR", {"step_size": int(rng.integers(1, 20)), "gamma": gamma}),
                    ("MultiStepLR", {"milestones": rng.integers(0, 150, 6).tolist(),
                                     "gamma": gamma}),
                    ("ExponentialLR", {"gamma": float(rng.uniform(0.9, 1.0))})][rng.integers(3)]
    yield from _run("lr_scheduler", name, kwargs, rng, dtype, 150)


class _Decay:
    def __init__(self, k: float) -> None:
        self.k = k

    def __call__(self, e: int) -> float:
        return self.k**e


@check("lr_curves")
def _lr_curves(rng, dtype):
    name, kwargs = [
        ("LambdaLR", {"lr_lambda": _Decay(float(rng.uniform(0.9, 1.0)))}),
        ("LinearLR", {"start_factor": float(rng.uniform(0.01, 1.0)),
                      "end_factor": float(rng.uniform(0.0, 1.0)),
                      "total_iters": int(rng.integers(1, 100))}),
        ("CosineAnnealingLR", {"T_max": int(rng.integers(1, 80)),
                               "eta_min": float(rng.choice([0.0, 1e-5, 1e-3]))}),
    ][rng.integers(3)]
    yield from _run("lr_curves", name, kwargs, rng, dtype, 150)


@check("one_cycle")
def _one_cycle(rng, dtype):
    three_phase = bool(rng.random() < 0.5)
    total_steps = int(rng.integers(30, 300))
    kwargs = {"max_lr": float(rng.uniform(1e-3, 2.0)), "total_steps": total_steps,
              "pct_start": float(rng.uniform(0.05, 0.45 if three_phase else 0.95)),
              "anneal_strategy": str(rng.choice(["cos", "linear"])),
              "div_factor": float(rng.choice([25.0, 10.0, 3.0])),
              "final_div_factor": float(rng.choice([1e4, 100.0])),
              "base_momentum": float(rng.uniform(0.5, 0.9)),
              "max_momentum": float(rng.uniform(0.9, 0.999)), "three_phase": three_phase}
    yield from _run("one_cycle", "OneCycleLR", kwargs, rng, dtype, total_steps)


@check("plateau")
def _plateau(rng, dtype):
    kwargs = {"mode": str(rng.choice(["min", "max"])), "factor": float(rng.uniform(0.0, 0.99)),
              "patience": int(rng.integers(0, 6)), "threshold": float(rng.choice([1e-4, 0.1])),
              "threshold_mode": str(rng.choice(["rel", "abs"])),
              "cooldown": int(rng.integers(0, 4)), "min_lr": float(rng.choice([0.0, 1e-4])),
              "eps": float(rng.choice([1e-8, 0.0]))}
    # a noisy loss with ties: 1 repeated, small moves, and a fall now and then
    metrics = np.where(rng.random(200) < 0.3, 1.0, rng.uniform(-1, 2, 200)).tolist()
    yield from _run("plateau", "ReduceLROnPlateau", kwargs, rng, dtype, 200, metrics)
