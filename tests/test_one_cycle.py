"""one_cycle: OneCycleLR (manual/one_cycle.py) against torch.optim.lr_scheduler.OneCycleLR
(torch_native/one_cycle.py), to the bit.

At every step of whole cycles, the rates, every group of the optimizer (lr, initial_lr,
max_lr, min_lr, and SGD's momentum or Adam's betas as they are cycled) and the scheduler's
state dict are == torch's; so are the deprecated epoch argument, a resumed cycle, state
dicts loaded across the twins, the step past the end, NaN and infinities, and any arguments
at all. The harness is test_lr_scheduler.py's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import manual.one_cycle as mo
import torch_native.one_cycle as to
from tests.test_fuzz import assert_same_outcome
from tests.test_lr_scheduler import (
    Build,
    assert_same,
    caught,
    lr_lists,
    optimizers,
    round_trip,
    run_both,
)
from tests.test_nan import assert_same_specials


@st.composite
def cycles(draw, groups: int) -> dict[str, Any]:
    """OneCycleLR's keyword arguments for an optimizer with ``groups`` groups; the phases
    are at least one step long (a phase of length 0 divides by 0, on both twins)."""
    three_phase = draw(st.booleans())
    n = draw(st.integers(30, 250))
    steps = {"total_steps": n} if draw(st.booleans()) else {"epochs": n // 10 + 1,
                                                            "steps_per_epoch": 10}
    per_group = st.lists(st.floats(0.01, 2.0), min_size=groups, max_size=groups)
    momenta = (st.sampled_from([(0.85, 0.95), (0.8, 0.99), (0.9, 0.9)])
               | st.tuples(st.floats(0.5, 0.9), st.floats(0.9, 0.999)))
    base_momentum, max_momentum = draw(momenta)
    return {"max_lr": draw(st.sampled_from([0.1, 1.0]) | st.floats(1e-3, 2.0) | per_group),
            **steps,
            "pct_start": draw(st.sampled_from([0.3, 0.25, 0.1, 0.45])
                              | st.floats(0.05, 0.45 if three_phase else 0.95)),
            "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
            "cycle_momentum": draw(st.booleans()),
            "base_momentum": base_momentum, "max_momentum": max_momentum,
            "div_factor": draw(st.sampled_from([25.0, 10.0, 3.0]) | st.floats(1.5, 100.0)),
            "final_div_factor": draw(st.sampled_from([1e4, 100.0]) | st.floats(1.0, 1e5)),
            "three_phase": three_phase}


def build_with(**kwargs: Any) -> Build:
    return lambda opt, side: (mo if side == "manual" else to).OneCycleLR(opt, **kwargs)


def total(kwargs: dict[str, Any]) -> int:
    return kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]


def test_hand_example():
    # max_lr 0.1, div_factor 25: lr0 = 0.004, min_lr = 0.004 / 1e4 = 4e-7; N = 8 steps,
    # pct_start 1/4: up to step 1/4 * 8 - 1 = 1, down to step 7
    # e = 0: cos(0) + 1 = 2, lr = 0.1 + (0.004 - 0.1) / 2 * 2 = 0.1 - 0.096, which rounds to
    #        0.0040000000000000036 (0.1 and 0.096 are not binary fractions), not 0.004;
    #        momentum 0.95 (max_momentum)
    # e = 1: pct 1, cos(pi) + 1 = 0 exactly: lr = max_lr = 0.1, momentum = 0.85, exactly
    # e = 7: the end of the down phase, pct 1 again: lr = min_lr, momentum = 0.95
    # e = 8: allowed (pct 7/6 > 1, past the end); e = 9: refused
    for side in (mo, to):
        opt = optimizers("sgd", [0.5])[side is to]
        sched = side.OneCycleLR(opt, max_lr=0.1, total_steps=8, pct_start=0.25)
        seen = [(opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"])]
        for _ in range(8):
            opt.step()
            sched.step()
            seen.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
        assert seen[0] == (0.0040000000000000036, 0.95) and seen[1] == (0.1, 0.85)
        assert seen[7] == (0.004 / 1e4, 0.95) == (4e-7, 0.95)
        assert opt.param_groups[0]["initial_lr"] == 0.004
        with pytest.raises(ValueError, match="Tried to step 9 times. The specified number of "
                                             "total steps is 8"):
            sched.step()


@pytest.mark.parametrize("kind", ["sgd", "adam", "sgd0"])
@settings(max_examples=30)
@given(data=st.data())
def test_whole_cycles_are_torchs_at_every_step(kind, data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(cycles(len(lrs)))
    m_sched, t_sched, m_opt, t_opt = run_both(build_with(**kwargs), kind, lrs, total(kwargs))
    # one step more is refused alike, and leaves the same state behind
    for opt, sched in ((m_opt, m_sched), (t_opt, t_sched)):
        opt.step()
        with pytest.raises(ValueError, match=f"Tried to step {total(kwargs) + 1} times"):
            sched.step()
    assert m_sched.state_dict() == t_sched.state_dict()


@settings(max_examples=30)
@given(data=st.data())
def test_the_deprecated_epoch_argument_is_torchs(data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(cycles(len(lrs)))
    epochs = data.draw(st.lists(st.integers(0, total(kwargs)), min_size=1, max_size=20))
    m_sched, t_sched, m_opt, t_opt = run_both(build_with(**kwargs), "adam", lrs, 0)
    for epoch in epochs:
        m_opt.step()
        t_opt.step()
        assert caught(lambda: m_sched.step(epoch)) == caught(  # noqa: B023
            lambda: t_sched.step(epoch))  # noqa: B023
        assert_same(f"epoch {epoch}", m_sched, t_sched, m_opt, t_opt)


@settings(max_examples=20)
@given(data=st.data())
def test_a_cycle_resumed_at_last_epoch_is_torchs(data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(cycles(len(lrs)))
    last_epoch = data.draw(st.integers(0, total(kwargs) // 2), label="last_epoch")

    def build(opt: Any, side: str) -> Any:
        build_with(**kwargs)(opt, side)  # sets initial_lr, max_lr, min_lr and the momenta
        return build_with(**kwargs, last_epoch=last_epoch)(opt, side)

    run_both(build, data.draw(st.sampled_from(["sgd", "adam"])), lrs,
             total(kwargs) - last_epoch - 1)


@settings(max_examples=20)
@given(data=st.data())
def test_state_dicts_round_trip_with_torchs(data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(cycles(len(lrs)))
    before = data.draw(st.integers(0, total(kwargs) // 2))
    round_trip(build_with(**kwargs), data.draw(st.sampled_from(["sgd", "adam"])), lrs, before,
               total(kwargs) - before)


# -- checks that need no torch ------------------------------------------------------------------

@given(lr_lists, st.data())
def test_the_cycle_reaches_its_ends_and_stays_between_them(lrs, data):
    # the cosine hits its ends exactly (cos(pi) + 1 = 0): lr = min_lr at the last step;
    # in between, every lr stays within [min_lr, max_lr] and every momentum within
    # [base_momentum, max_momentum], up to the rounding of one step (4 u)
    kwargs = {**data.draw(cycles(len(lrs))), "anneal_strategy": "cos", "cycle_momentum": True}
    opt = optimizers("adam", lrs)[0]
    sched = mo.OneCycleLR(opt, **kwargs)
    for _ in range(1, total(kwargs)):
        opt.step()
        sched.step()
        for g in opt.param_groups:
            assert g["min_lr"] * (1 - 4 * 2**-53) <= g["lr"] <= g["max_lr"] * (1 + 4 * 2**-53)
            low, high = g["base_momentum"], g["max_momentum"]
            assert low * (1 - 4 * 2**-53) <= g["betas"][0] <= high * (1 + 4 * 2**-53)
    assert [g["lr"] for g in opt.param_groups] == [g["min_lr"] for g in opt.param_groups]
    assert [g["betas"][0] for g in opt.param_groups] == [g["max_momentum"]
                                                        for g in opt.param_groups]


# -- NaN and infinities ------------------------------------------------------------------------

specials = st.sampled_from([math.nan, math.inf, -math.inf])
FINITE = {"max_lr": 0.5, "div_factor": 2.0, "final_div_factor": 4.0, "base_momentum": 0.5,
          "max_momentum": 0.75}


@settings(max_examples=40)
@given(st.dictionaries(st.sampled_from(sorted(FINITE)), specials, min_size=1, max_size=2),
       st.sampled_from(["cos", "linear"]), st.booleans())
def test_nan_and_infinities_where_torchs_are(spoiled, anneal, three):
    # one or two of the arguments NaN or infinite, the others finite
    kwargs = {**FINITE, **spoiled, "total_steps": 12, "anneal_strategy": anneal,
              "three_phase": three}
    m_opt, t_opt = optimizers("sgd", [0.1, 0.2])
    m_sched, t_sched = mo.OneCycleLR(m_opt, **kwargs), to.OneCycleLR(t_opt, **kwargs)
    for e in range(1, 13):
        for opt, sched in ((m_opt, m_sched), (t_opt, t_sched)):
            opt.step()
            sched.step()
        for key in ("lr", "momentum"):
            assert_same_specials(f"{key} at step {e}",
                                 np.array([g[key] for g in m_opt.param_groups]),
                                 np.array([g[key] for g in t_opt.param_groups]))


# -- fuzz: any arguments, the same outcome ------------------------------------------------------

anything = st.one_of(st.integers(-2, 12), st.floats(allow_nan=True), st.none(),
                     st.sampled_from(["cos", "linear", "exp", 0.3]),
                     st.lists(st.floats(0, 1), max_size=3))
# each argument: a valid value, one just past its limits, or anything at all
ARGUMENTS = {
    "max_lr": st.sampled_from([0.1, [0.1], [0.1, 0.2], 0.0]),
    "total_steps": st.sampled_from([None, 10, 10, 0, 10.0, -3]),
    "epochs": st.sampled_from([None, 2, 2.5, 0]),
    "steps_per_epoch": st.sampled_from([None, 5, 0, -1]),
    "pct_start": st.sampled_from([0.3, 0.5, 1, 1.0, 0.0, -0.1, 1.5]),
    "anneal_strategy": st.sampled_from(["cos", "linear", "exp"]),
    "cycle_momentum": st.booleans(),
    "base_momentum": st.sampled_from([0.85, [0.8], [0.8, 0.9]]),
    "max_momentum": st.sampled_from([0.95, [0.9], (0.9, 0.99)]),
    "div_factor": st.sampled_from([25.0, 0.5, 0.0]),
    "final_div_factor": st.sampled_from([1e4, 1.0, 0.0]),
    "three_phase": st.booleans(),
    "last_epoch": st.sampled_from([-1, 0, 2]),
}


@st.composite
def one_cycle_arguments(draw) -> dict[str, Any]:
    kwargs = {}
    for name, values in ARGUMENTS.items():
        if draw(st.booleans()):
            kwargs[name] = draw(st.one_of(values, values, anything))
    return kwargs


def _run(ns: Any, kind: str, kwargs: dict[str, Any], steps: int) -> list[str]:
    params = [ns.t([1.0], requires_grad=True)]
    opt = (ns.adam.Adam(params) if kind == "adam" else ns.sgd.SGD(params) if kind == "sgd"
           else ns.lib.optim.Optimizer(params, {"lr": 0.1}))  # no momentum, no betas
    sched = ns.one_cycle.OneCycleLR(opt, **kwargs)
    for _ in range(steps):
        opt.step() if kind != "bare" else None
        sched.step()
    group = opt.param_groups[0]
    return [repr(v) for v in (group["lr"], group.get("momentum"), group.get("betas"))]


@settings(max_examples=80)
@given(st.sampled_from(["sgd", "adam", "bare"]), one_cycle_arguments(), st.integers(0, 14))
def test_fuzz_both_agree_or_both_refuse(kind, kwargs, steps):
    assert_same_outcome("exact", lambda ns: _run(ns, kind, kwargs, steps))
