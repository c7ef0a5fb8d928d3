"""The check of Adagrad, and the bound its twins are held to where torch's sqrt differs.

Both twins round every operation alike but sqrt: torch's default CPU kernel computes a
faithful sqrt, NumPy a correctly rounded one, so two square roots of one value are at
most 1 ULP apart (2u relative, u = half an ULP). The sum never meets a square root and
agrees to the bit; the parameters add up each step's quotient. To first order, operation
by operation (rounding two values that differ by e adds at most u of each):

* std = sqrt(s) + eps: s is the same on both sides, so the roots are 2u apart, std 4u once
  eps is added and rounded, and the update (-lr_t g) / std 6u once the quotient is rounded;
* p + update, rounded: each step adds the update's gap, 6u of |update|, and 2u of the
  scale S = |p_0| + the sum of |update| for rounding p: after k steps (2k + 6)u of S.

u S is at most 1 ULP of S, so the bound is 16 ULP for the at most 5 steps the tests and
this check take. torch's fused=True kernel rounds its sqrt correctly, as NumPy does: there
the twins agree to the bit. Adagrad's weight decay feeds p back into the sum, where the
gap can grow without bound when g + lambda p nearly cancels: the check leaves it out (the
tests compare it to the bit, with NumPy's sqrt put into torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.checks import Comparison, both, check, compare, on_torch, twin, values
from reference.convert import to_manual, to_numpy
from reference.distance import distance
from reference.tolerances import tolerance

# Proposed kind for reference/tolerances.py, defined here until it is there
# its kinds, defined with their reasons in reference/tolerances.py
TOLERANCES = {kind: tolerance(kind, np.float32) for kind in ('adagrad',)}


def within(label: str, kind: str, actual: Any, expected: Any, scale: Any = None) -> Comparison:
    """A comparison held to the kind above."""
    tol = TOLERANCES[kind]
    return Comparison(label, distance(to_numpy(actual), to_numpy(expected),
                                      scale if tol.of_scale else None), tol)


def step_scales(optimizer: Any, params: list[Any]) -> list[np.ndarray]:
    """For each torch parameter of a torch Adagrad: |p_0| + the sum of |update| = lr_t |g| /
    (sqrt(s) + eps) over its steps, kept up to date by a step hook from now on. For runs
    without weight decay."""
    scales = [np.abs(_float64(p)) for p in params]

    def add_the_steps(*_: Any) -> None:
        group_of = {p: group for group in optimizer.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if p.grad is not None:
                group, state = group_of[p], optimizer.state[p]
                lr_t = float(group["lr"]) / (1 + (state["step"].item() - 1) * group["lr_decay"])
                with np.errstate(divide="ignore", invalid="ignore"):
                    std = np.sqrt(_float64(state["sum"])) + group["eps"]
                    scales[i] += lr_t * np.abs(_float64(p.grad)) / std

    optimizer.register_step_post_hook(add_the_steps)
    return scales


def _float64(t: Any) -> np.ndarray:
    return to_numpy(t).astype(np.float64)


@check("adagrad")
def _adagrad(rng, dtype):
    options = dict(lr=float(rng.uniform(1e-3, 0.5)), lr_decay=float(rng.choice([0.0, 0.1])),
                   initial_accumulator_value=float(rng.choice([0.0, 0.1])),
                   maximize=bool(rng.integers(2)), fused=bool(rng.integers(2)) or None)
    start = [values(rng, dtype, *rng.integers(1, 5, 2)) for _ in range(2)]
    m_params, t_params = both(*start)
    m_opt = twin("manual", "adagrad").Adagrad(m_params, **options)
    t_opt = twin("native", "adagrad").Adagrad(t_params, **options)
    scales = step_scales(t_opt, t_params)
    for step in range(1, 4):
        for mp, tp in zip(m_params, t_params):
            grad = values(rng, dtype, *mp.shape)
            mp.grad, tp.grad = to_manual(grad), on_torch(grad)
        m_opt.step()
        t_opt.step()
        fused = " (fused)" if options["fused"] else ""
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            if options["fused"]:
                yield compare(f"param {i}, step {step}{fused}", "exact", mp, tp)
            else:
                yield within(f"param {i}, step {step}", "adagrad", mp, tp, scales[i])
            for key, value in t_opt.state[tp].items():
                yield compare(f"{key} {i}, step {step}{fused}", "exact",
                              m_opt.state[mp][key], value)
