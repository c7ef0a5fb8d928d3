"""The check of Adadelta, and the bounds its twins are held to where torch's sqrt differs.

Both twins round every operation alike but sqrt: torch's CPU sqrt is faithful, NumPy's
correctly rounded, so two square roots of one value are at most 1 ULP apart (2u relative,
u = half an ULP). square_avg never meets a square root and agrees to the bit; acc_delta
and the parameters carry each step's square roots on. The bounds below are worked out to
first order, operation by operation: rounding two values that differ by e adds at most
u of each, so the gap grows by 2u relative at every operation where the inputs differ.

* d = sqrt(u + eps) / sqrt(v + eps) g. v is the same on both sides, so sqrt(v + eps) is
  1 ULP apart (2u). With u a relative a apart, u + eps is a + 2u apart once rounded, its
  square root a / 2 + u before rounding and a / 2 + 4u after (torch's faithful 2u and
  NumPy's u); the quotient and the product add 2u + 2u + 2u: d is a / 2 + 10u apart (8u at
  the first step, where both u are 0 and the roots are of one value).
* acc_delta: rho u and (1 - rho) d, both rounded, then times d and the sum rounded once
  (one fma): all terms are at least 0, so the sum is as far apart as its furthest term,
  2(a / 2 + 10u) + 2u, plus 2u: a grows by 24u a step, from 20u after the first, so after
  k steps u is within (24k - 4)u of itself.
* p = p - lr d (one fma): each step adds d's gap, (12k - 4)u of lr |d|, and 2u of the
  scale S = |p_0| + the sum of lr |d| for rounding p: after k steps (14k - 4)u of S.

u S and u |x| are at most 1 ULP of S and of x, so the bounds in ULP are those numbers, for
the at most 5 steps the tests and this check take. Adadelta's weight decay feeds p back
into v, where the gap can grow without bound when g + lambda p nearly cancels: the check
leaves it out (the tests compare it to the bit, with NumPy's sqrt put into torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.checks import Comparison, both, check, compare, on_torch, twin, values
from reference.convert import to_manual, to_numpy
from reference.distance import distance
from reference.tolerances import tolerance

# its kinds, defined with their reasons in reference/tolerances.py
TOLERANCES = {kind: tolerance(kind, np.float32) for kind in ('adadelta', 'adadelta_acc_delta')}


def within(label: str, kind: str, actual: Any, expected: Any, scale: Any = None) -> Comparison:
    """A comparison held to one of the kinds above."""
    tol = TOLERANCES[kind]
    return Comparison(label, distance(to_numpy(actual), to_numpy(expected),
                                      scale if tol.of_scale else None), tol)


def step_scales(optimizer: Any, params: list[Any]) -> list[np.ndarray]:
    """For each torch parameter of a torch Adadelta: |p_0| + the sum of lr |d| over its
    steps, d = sqrt(u + eps) / sqrt(v + eps) g (u before the step, v after it), kept up to
    date by step hooks from now on. For runs without weight decay."""
    scales = [np.abs(_float64(p)) for p in params]
    before: list[np.ndarray | None] = []

    def remember(*_: Any) -> None:
        before[:] = [_float64(optimizer.state[p]["acc_delta"]) if optimizer.state.get(p)
                     else np.zeros(p.shape) for p in params]

    def add_the_steps(*_: Any) -> None:
        group_of = {p: group for group in optimizer.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if p.grad is not None:
                group, v = group_of[p], _float64(optimizer.state[p]["square_avg"])
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = np.sqrt(before[i] + group["eps"]) / np.sqrt(v + group["eps"])
                    scales[i] += float(group["lr"]) * d * np.abs(_float64(p.grad))

    optimizer.register_step_pre_hook(remember)
    optimizer.register_step_post_hook(add_the_steps)
    return scales


def _float64(t: Any) -> np.ndarray:
    return to_numpy(t).astype(np.float64)


@check("adadelta")
def _adadelta(rng, dtype):
    options = dict(lr=float(rng.choice([1.0, rng.uniform(0.1, 2.0)])),
                   rho=float(rng.uniform(0.5, 0.99)), eps=float(rng.choice([1e-6, 1e-3])),
                   maximize=bool(rng.integers(2)))
    start = [values(rng, dtype, *rng.integers(1, 5, 2)) for _ in range(2)]
    m_params, t_params = both(*start)
    m_opt = twin("manual", "adadelta").Adadelta(m_params, **options)
    t_opt = twin("native", "adadelta").Adadelta(t_params, **options)
    scales = step_scales(t_opt, t_params)
    for step in range(1, 4):
        for mp, tp in zip(m_params, t_params):
            grad = values(rng, dtype, *mp.shape)
            mp.grad, tp.grad = to_manual(grad), on_torch(grad)
        m_opt.step()
        t_opt.step()
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield within(f"param {i}, step {step}", "adadelta", mp, tp, scales[i])
            m_state, t_state = m_opt.state[mp], t_opt.state[tp]
            yield within(f"acc_delta {i}, step {step}", "adadelta_acc_delta",
                         m_state["acc_delta"], t_state["acc_delta"])
            for key in ("step", "square_avg"):
                yield compare(f"{key} {i}, step {step}", "exact", m_state[key], t_state[key])
