"""lr_curves: LambdaLR, LinearLR and CosineAnnealingLR (manual/lr_curves.py) against
torch.optim.lr_scheduler's (torch_native/lr_curves.py), to the bit.

As in test_lr_scheduler.py (whose harness this file uses): at every step the rates, every
group of the optimizer and the scheduler's state dict are == torch's, with the twins' SGD
and Adam; so are the deprecated epoch argument, a resumed schedule, state dicts loaded
across the twins, the warnings, NaN and infinities, and any arguments at all.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import manual.lr_curves as mc
import torch_native.lr_curves as tc
from tests.test_fuzz import assert_same_outcome
from tests.test_lr_scheduler import (
    Build,
    assert_same,
    caught,
    kinds,
    lr_lists,
    optimizers,
    round_trip,
    run_both,
)
from tests.test_nan import assert_same_specials

NAMES = ("LambdaLR", "LinearLR", "CosineAnnealingLR")
U = 2.0**-53  # half an ULP of 1.0: the relative error of one rounding


class Decay:
    """A callable object: LambdaLR's state dict saves its attributes (a lambda: None)."""

    def __init__(self, k: float) -> None:
        self.k = k

    def __call__(self, e: int) -> float:
        return self.k**e


def wavy(e: int) -> float:
    return 1.0 / (1 + 0.1 * e) if e % 3 else 0.95**e


@st.composite
def schedules(draw, name: str, groups: int) -> dict[str, Any]:
    """Keyword arguments of scheduler ``name`` for an optimizer with ``groups`` groups."""
    if name == "LambdaLR":
        one = st.one_of(st.just(wavy), st.floats(0.5, 1.0).map(Decay),
                        st.just(lambda e: 0.5 ** (e // 7)))
        lr_lambda = draw(one | st.lists(one, min_size=groups, max_size=groups))
        return {"lr_lambda": lr_lambda}
    if name == "LinearLR":
        return {"start_factor": draw(st.sampled_from([1 / 3, 0.1, 0.5, 1.0]) | st.floats(1e-3, 1)),
                "end_factor": draw(st.sampled_from([1.0, 0.5, 0.0, 0.2]) | st.floats(0, 1)),
                "total_iters": draw(st.integers(1, 60))}
    return {"T_max": draw(st.integers(1, 60)),
            "eta_min": draw(st.sampled_from([0.0, 1e-5, 1e-3]) | st.floats(0, 1e-2))}


def build_with(name: str, **kwargs: Any) -> Build:
    return lambda opt, side: getattr(mc if side == "manual" else tc, name)(opt, **kwargs)


def test_hand_example():
    # lr 1 (b = 1), with exact binary fractions:
    # LambdaLR(lambda e: 1 / 2^e):                      1, 1/2, 1/4, 1/8
    # LinearLR(start 1/2, end 1, 2 iters): 1/2, then 1/2 (1 + 1/2 / (2 (1/2) + 0)) = 3/4,
    #   then 3/4 (1 + 1/2 / (1 + 1/2)) = 3/4 (4/3) = 1 (rounded), then 1 (past total_iters)
    # CosineAnnealingLR(T_max 2, eta_min 0): 1, (1 + cos(pi/2)) / 2 = 1/2 (cos(pi/2) is
    #   6.1e-17, not 0: 1 + it rounds to 1), 0 (1 + cos(pi) = 0), then at e = T + 1 the
    #   ratio's line gives way to 0 + (1 - cos(pi/2)) / 2, and 1 - 6.1e-17 rounds to
    #   1 - 2^-53 (6.1e-17 is over half an ULP below 1): 1/2 - 2^-54, not the curve's 1/2
    cases = {"LambdaLR": ({"lr_lambda": lambda e: 0.5**e}, [1, .5, .25, .125]),
             "LinearLR": ({"start_factor": .5, "total_iters": 2}, [.5, .75, 1, 1]),
             "CosineAnnealingLR": ({"T_max": 2}, [1, .5, 0, .5 - 2**-54])}
    for side in (mc, tc):
        for name, (kwargs, lrs) in cases.items():
            opt = optimizers("sgd", [1.0])[side is tc]
            sched = getattr(side, name)(opt, **kwargs)
            seen = [sched.get_last_lr()[0]]
            for _ in range(3):
                opt.step()
                sched.step()
                seen.append(sched.get_last_lr()[0])
            assert seen == lrs, (side.__name__, name, seen)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@settings(max_examples=20)
@given(data=st.data())
def test_rates_are_torchs_at_every_step(name, kind, data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(schedules(name, len(lrs)))
    run_both(build_with(name, **kwargs), kind, lrs, data.draw(st.integers(100, 200)))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_the_deprecated_epoch_argument_is_torchs(name, data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(schedules(name, len(lrs)))
    epochs = data.draw(st.lists(st.integers(0, 150), min_size=1, max_size=30), label="epochs")
    m_sched, t_sched, m_opt, t_opt = run_both(build_with(name, **kwargs), "sgd", lrs, 0)
    for epoch in epochs:
        m_opt.step()
        t_opt.step()
        m_warned, t_warned = caught(lambda: m_sched.step(epoch)), caught(  # noqa: B023
            lambda: t_sched.step(epoch))  # noqa: B023
        assert m_warned == t_warned
        m_sched.step()
        t_sched.step()
        assert_same(f"epoch {epoch}, and one step on", m_sched, t_sched, m_opt, t_opt)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_a_schedule_resumed_at_last_epoch_is_torchs(name, data):
    # CosineAnnealingLR's first step after resuming is its closed form
    lrs = data.draw(lr_lists)
    kwargs = data.draw(schedules(name, len(lrs)))
    last_epoch = data.draw(st.integers(0, 40), label="last_epoch")

    def build(opt: Any, side: str) -> Any:
        first = build_with(name, **kwargs)(opt, side)  # sets initial_lr on the groups
        opt.step()
        first.step()
        return build_with(name, last_epoch=last_epoch, **kwargs)(opt, side)

    run_both(build, data.draw(kinds), lrs, 100)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15)
@given(data=st.data())
def test_state_dicts_round_trip_with_torchs(name, data):
    # LambdaLR's functions stay with the scheduler; a callable object gets its saved k back
    lrs = data.draw(lr_lists)
    kwargs = data.draw(schedules(name, len(lrs)))
    before, after = data.draw(st.integers(0, 60)), data.draw(st.integers(1, 60))
    round_trip(build_with(name, **kwargs), data.draw(kinds), lrs, before, after)


def test_a_callable_objects_state_is_loaded_into_it():
    for side in (mc, tc):
        saved_opt, fresh_opt = optimizers("sgd", [0.1])[side is tc], \
            optimizers("sgd", [0.1])[side is tc]
        saved, fresh = side.LambdaLR(saved_opt, Decay(0.9)), side.LambdaLR(fresh_opt, Decay(0.2))
        state = saved.state_dict()
        assert state["lr_lambdas"] == [{"k": 0.9}] and list(state)[-1] == "lr_lambdas"
        fresh.load_state_dict(state)
        assert fresh.lr_lambdas[0].k == 0.9 and "lr_lambdas" in state
        assert side.LambdaLR(saved_opt, wavy).state_dict()["lr_lambdas"] == [None]


@pytest.mark.parametrize("last_epoch", [-1, 7])
def test_get_lr_by_hand_warns_and_answers_as_torch(last_epoch):
    # called by hand right after resuming at e = 8, CosineAnnealingLR answers from (3)
    seen = []
    for side, opt in zip((mc, tc), optimizers("sgd", [0.1, 0.3])):
        for group in opt.param_groups:
            group["initial_lr"] = 2 * group["lr"]
        sched = side.CosineAnnealingLR(opt, T_max=5, eta_min=0.01, last_epoch=last_epoch)
        rates = []
        seen.append(([w[:2] for w in caught(lambda: rates.append(sched.get_lr()))], rates))  # noqa: B023
    assert seen[0] == seen[1] and len(seen[0][0]) == 1


# -- checks that need no torch ----------------------------------------------------------------

@given(lr_lists, st.sampled_from(NAMES[1:]), st.data())
def test_the_chainable_form_follows_the_curve(lrs, name, data):
    # each step's ratio rounds a few times, so step e is within a few e u of the curve while
    # it moves one way (LinearLR: always; CosineAnnealingLR: down to eta_min at e = T_max);
    # past T_max the cosine climbs back within its band [eta_min, b]
    kwargs = data.draw(schedules(name, len(lrs)))
    opt = optimizers("sgd", lrs)[0]
    sched = getattr(mc, name)(opt, **kwargs)
    period = kwargs.get("T_max", math.inf)
    for e in range(1, 150):
        opt.step()
        sched.step()
        for lr, curve, b in zip(sched.get_last_lr(), sched._get_closed_form_lr(), lrs):
            scale = max(b, kwargs.get("eta_min", 0.0))
            if e <= period:
                assert abs(lr - curve) <= 4 * e * U * scale, (e, lr, curve)
            else:
                assert min(b, kwargs["eta_min"]) - 1e-9 * scale <= lr <= scale * (1 + 1e-9)


@given(lr_lists, st.floats(0.5, 1.0))
def test_lambda_lr_is_b_times_lambda_exactly(lrs, k):
    opt = optimizers("adam", lrs)[0]
    sched = mc.LambdaLR(opt, Decay(k))
    for e in range(1, 50):
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [b * k**e for b in lrs]


# -- NaN and infinities ----------------------------------------------------------------------------

specials = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 0.5, 1.0])


@settings(max_examples=40)
@given(st.sampled_from(NAMES), specials, specials, st.lists(specials, min_size=1, max_size=3),
       st.booleans())
def test_nan_and_infinities_where_torchs_are(name, a, c, lrs, by_epoch):
    kwargs = {"LambdaLR": {"lr_lambda": lambda e: a * e + c},
              "LinearLR": {"start_factor": min(max(a, 0.1), 1.0), "end_factor": c % 1 if
                           math.isfinite(c) else 0.5, "total_iters": 3},
              "CosineAnnealingLR": {"T_max": 3, "eta_min": a}}[name]
    m_opt, t_opt = optimizers("sgd", lrs)
    m_sched, t_sched = mc.__dict__[name](m_opt, **kwargs), tc.__dict__[name](t_opt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation
        for e in range(1, 9):
            for opt, sched in ((m_opt, m_sched), (t_opt, t_sched)):
                opt.step()
                sched.step(e if by_epoch else None)
            assert_same_specials(f"step {e}", np.array(m_sched.get_last_lr()),
                                 np.array(t_sched.get_last_lr()))


# -- fuzz: any arguments, the same outcome --------------------------------------------------------

anything = st.one_of(st.integers(-3, 5), st.floats(allow_nan=True), st.none(), st.just("2"),
                     st.lists(st.integers(-2, 4), max_size=3))
# a factor near LinearLR's limits, or anything
factors = st.sampled_from([-0.5, 0.0, 1 / 3, 1, 1.5, math.nan, math.inf, -math.inf]) | anything


def _run(ns: Any, name: str, lrs: list[float], kwargs: dict[str, Any], epochs: list[Any]
         ) -> list[str]:
    opt = ns.sgd.SGD([{"params": [ns.t([1.0], requires_grad=True)], "lr": lr} for lr in lrs])
    sched = getattr(ns.lr_curves, name)(opt, **kwargs)
    for epoch in epochs:
        opt.step()
        sched.step(epoch)
    return [repr(lr) for lr in sched.get_last_lr()]  # repr: NaN equals NaN, bits compared


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40)
@given(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=2),
       factors, factors, st.sampled_from([0, 1, 5, -2]) | anything, st.sampled_from([-1, 0, 3]),
       st.lists(st.one_of(st.none(), st.integers(-2, 9)), max_size=4))
def test_fuzz_both_agree_or_both_refuse(name, lrs, a, b, c, last_epoch, epochs):
    kwargs: dict[str, Any] = {"last_epoch": last_epoch}
    if name == "LambdaLR":
        kwargs["lr_lambda"] = [lambda e: a * e] * len(lrs) if c is None else lambda e: b ** e
    elif name == "LinearLR":
        kwargs.update(start_factor=a, end_factor=b, total_iters=c)
    else:
        kwargs.update(T_max=a, eta_min=b)
    assert_same_outcome("exact", lambda ns: _run(ns, name, lrs, kwargs, epochs))
