"""The check of RMSprop, and the bounds its twins are held to where torch's sqrt differs.

Both twins round every operation alike but sqrt: torch's CPU sqrt is faithful, NumPy's
correctly rounded, so two square roots of one value are at most 1 ULP apart (2u relative,
u = half an ULP). square_avg and grad_avg never meet a square root and agree to the bit;
the momentum buffer and the parameters carry each step's square root on. The bounds are
worked out to first order, operation by operation: rounding two values that differ by e
adds at most u of each, so the gap grows by 2u relative at every operation where the
inputs differ.

* d = sqrt(v) + eps (or sqrt(v - m m) + eps, centered): the root's argument is the same on
  both sides, so the roots are 2u apart, and d 4u once eps is added and rounded; the
  quotient g / d (or (-lr g) / d) is 6u apart once rounded.
* momentum buffer b = mu b + g / d: with B = mu B + |g / d| its magnitude (B_0 = 0), b is
  6u of B apart after the first step; mu b adds 2u of the old gap's scale and the sum 2u of
  B, so the gap grows by 4u of B a step: (4k + 2)u of B after k steps.
* p = p - lr b (one fma), or p + (-lr g) / d (rounded once): each step adds the update's
  gap and 2u of the scale S = |p_0| + the sum of lr B for rounding p: after k steps
  (6k + 2)u of S with momentum, (2k + 6)u without (B is then |g / d|).

u S is at most 1 ULP of S, so the bounds in ULP are those numbers, for the at most 5 steps
the tests and this check take. RMSprop's weight decay feeds p back into v and m, where the
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

# its kinds, defined with their reasons in reference/tolerances.py
TOLERANCES = {kind: tolerance(kind, np.float32) for kind in ('rmsprop', 'rmsprop_momentum_buffer')}


def within(label: str, kind: str, actual: Any, expected: Any, scale: Any = None) -> Comparison:
    """A comparison held to one of the kinds above."""
    tol = TOLERANCES[kind]
    return Comparison(label, distance(to_numpy(actual), to_numpy(expected),
                                      scale if tol.of_scale else None), tol)


def step_scales(optimizer: Any, params: list[Any]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each torch parameter of a torch RMSprop, the scales of p (|p_0| + the sum of lr B)
    and of its momentum buffer (B = mu B + |g / d|), kept up to date by a step hook from now
    on. For runs without weight decay."""
    scales = [np.abs(_float64(p)) for p in params]
    buffers = [np.zeros(p.shape) for p in params]

    def add_the_steps(*_: Any) -> None:
        group_of = {p: group for group in optimizer.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            group, state = group_of[p], optimizer.state[p]
            v = _float64(state["square_avg"])
            if group["centered"]:
                v = v - _float64(state["grad_avg"]) ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                quotient = np.abs(_float64(p.grad)) / (np.sqrt(v) + group["eps"])
            buffers[i] = group["momentum"] * buffers[i] + quotient
            scales[i] += float(group["lr"]) * buffers[i]

    optimizer.register_step_post_hook(add_the_steps)
    return scales, buffers


def _float64(t: Any) -> np.ndarray:
    return to_numpy(t).astype(np.float64)


@check("rmsprop")
def _rmsprop(rng, dtype):
    options = dict(lr=float(rng.uniform(1e-3, 0.1)), alpha=float(rng.uniform(0.5, 0.99)),
                   momentum=float(rng.choice([0.0, 0.9])), centered=bool(rng.integers(2)),
                   maximize=bool(rng.integers(2)))
    start = [values(rng, dtype, *rng.integers(1, 5, 2)) for _ in range(2)]
    m_params, t_params = both(*start)
    m_opt = twin("manual", "rmsprop").RMSprop(m_params, **options)
    t_opt = twin("native", "rmsprop").RMSprop(t_params, **options)
    scales, buffer_scales = step_scales(t_opt, t_params)
    for step in range(1, 4):
        for mp, tp in zip(m_params, t_params):
            grad = values(rng, dtype, *mp.shape)
            mp.grad, tp.grad = to_manual(grad), on_torch(grad)
        m_opt.step()
        t_opt.step()
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield within(f"param {i}, step {step}", "rmsprop", mp, tp, scales[i])
            m_state, t_state = m_opt.state[mp], t_opt.state[tp]
            for key, value in t_state.items():
                label = f"{key} {i}, step {step}"
                if key == "momentum_buffer":
                    yield within(label, "rmsprop_momentum_buffer", m_state[key], value,
                                 buffer_scales[i])
                else:
                    yield compare(label, "exact", m_state[key], value)
