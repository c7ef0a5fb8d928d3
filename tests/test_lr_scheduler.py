"""lr_scheduler: manual/lr_scheduler.py against torch.optim.lr_scheduler
(torch_native/lr_scheduler.py), to the bit.

Every learning rate is a Python float, computed with torch's expressions in torch's order,
so the twins must agree with == at every step: ``get_last_lr()``, every group of the
optimizer (lr, initial_lr and all other keys, in order) and the scheduler's ``state_dict()``
(keys in order, values). The runs use the twins' SGD (with momentum) and Adam. The helpers
here (``optimizers``, ``run_both``, ...) serve the tests of the other schedulers too
(test_lr_curves.py, test_one_cycle.py, test_plateau.py).
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.adam
import manual.lr_scheduler as ms
import manual.sgd
import torch_native.adam
import torch_native.lr_scheduler as ts
import torch_native.sgd
from tests.test_fuzz import assert_same_outcome
from tests.test_nan import assert_same_specials

SIDES = (("manual", manual, manual.sgd.SGD, manual.adam.Adam),
         ("torch", torch, torch_native.sgd.SGD, torch_native.adam.Adam))


# -- the harness: one optimizer per side, stepped together, compared with == ----------------

def optimizers(kind: str, lrs: list[float]) -> list[Any]:
    """The same optimizer on each side (manual, torch): one group per lr, one parameter each;
    kind "sgd" (momentum 0.9), "sgd0" (no momentum) or "adam"."""
    made = []
    for _, lib, sgd, adam in SIDES:
        groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
        if kind == "adam":
            made.append(adam(groups))
        else:
            made.append(sgd(groups, momentum=0.9 if kind == "sgd" else 0.0))
    return made


def groups(optimizer: Any) -> list[list[tuple[str, Any]]]:
    """Each group's items but its params, in order."""
    return [[(k, v) for k, v in g.items() if k != "params"] for g in optimizer.param_groups]


def assert_same(label: str, m_sched: Any, t_sched: Any, m_opt: Any, t_opt: Any) -> None:
    """The rates, the optimizer's groups and the scheduler's state dict, == and in order."""
    assert m_sched.get_last_lr() == t_sched.get_last_lr(), label
    assert groups(m_opt) == groups(t_opt), label
    m_sd, t_sd = m_sched.state_dict(), t_sched.state_dict()
    assert list(m_sd) == list(t_sd), f"{label}: keys {list(m_sd)} != {list(t_sd)}"
    assert m_sd == t_sd, f"{label}: {m_sd} != {t_sd}"
    assert [type(v) for v in m_sd.values()] == [type(v) for v in t_sd.values()], label


Build = Callable[[Any, str], Any]  # (optimizer, side "manual" or "torch") -> scheduler


def run_both(build: Build, kind: str, lrs: list[float], steps: int) -> list[Any]:
    """Build a scheduler on each side and take ``steps`` steps (optimizer.step() first),
    comparing after construction and after every step; returns [m_sched, t_sched, m_opt,
    t_opt]."""
    m_opt, t_opt = optimizers(kind, lrs)
    m_sched, t_sched = build(m_opt, "manual"), build(t_opt, "torch")
    assert_same("construction", m_sched, t_sched, m_opt, t_opt)
    for k in range(1, steps + 1):
        m_opt.step()
        t_opt.step()
        m_sched.step()
        t_sched.step()
        assert_same(f"step {k}", m_sched, t_sched, m_opt, t_opt)
    return [m_sched, t_sched, m_opt, t_opt]


def caught(call: Callable[[], Any]) -> list[tuple[type, str, str]]:
    """The warnings ``call`` gives: category, message and the file they point at (under
    mutmut, whose trampolines add a frame between the caller and the piece, the file is
    left out: the mutants are about the numbers)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    mutating = "MUTANT_UNDER_TEST" in os.environ
    return [(w.category, str(w.message), "" if mutating else w.filename) for w in seen]


def round_trip(build: Build, kind: str, lrs: list[float], before: int, after: int,
               metric: Callable[[int], float] | None = None) -> None:
    """Run ``before`` steps on both sides; each side's optimizer and scheduler state dicts
    (deep copies, as a checkpoint would be) go into a fresh optimizer and scheduler of the
    other side; then both resumed runs and the original torch run go on in step for
    ``after`` steps. ``metric(k)``: the value a ReduceLROnPlateau is stepped with."""
    m_sched, t_sched, m_opt, t_opt = run_both(build, kind, lrs, 0)

    def step_all(pairs: list[tuple[Any, Any]], k: int) -> None:
        for opt, sched in pairs:
            opt.step()
            sched.step() if metric is None else sched.step(metric(k))

    for k in range(before):
        step_all([(m_opt, m_sched), (t_opt, t_sched)], k)
    resumed = []
    for (side, *_), (opt, sched) in zip(SIDES, ((t_opt, t_sched), (m_opt, m_sched))):
        fresh_opt = optimizers(kind, [0.5] * len(lrs))[side == "torch"]
        fresh = build(fresh_opt, side)
        fresh_opt.load_state_dict(_on_side(copy.deepcopy(opt.state_dict()), side))
        fresh.load_state_dict(copy.deepcopy(sched.state_dict()))
        resumed.append((fresh_opt, fresh))
    (m_opt2, m_sched2), (t_opt2, t_sched2) = resumed
    for k in range(before, before + after):
        step_all([(m_opt2, m_sched2), (t_opt2, t_sched2), (t_opt, t_sched)], k)
        assert_same(f"torch's state in manual, step {k}", m_sched2, t_sched, m_opt2, t_opt)
        assert_same(f"manual's state in torch, step {k}", m_sched2, t_sched2, m_opt2, t_opt2)


def _on_side(sd: dict[str, Any], side: str) -> dict[str, Any]:
    """An optimizer state dict with its tensors made on ``side`` (torch's load wants its own)."""
    if side == "manual":
        return sd
    state = {i: {k: torch.tensor(np.asarray(v)) if isinstance(v, manual.Tensor) else v
                 for k, v in values.items()} for i, values in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


# -- strategies -------------------------------------------------------------------------------

kinds = st.sampled_from(["sgd", "adam"])
lr_values = st.one_of(st.sampled_from([0.1, 0.05, 1e-3, 0.3, 3e-4, 1.0, 0.7]),
                      st.floats(1e-5, 1.0))
lr_lists = st.lists(lr_values, min_size=1, max_size=3)
gammas = st.one_of(st.sampled_from([0.1, 0.5, 0.9, 0.33, 0.99]), st.floats(0.01, 1.0))


@st.composite
def schedules(draw, name: str) -> tuple[str, dict[str, Any]]:
    """A scheduler's name and keyword arguments, drawn."""
    if name == "StepLR":
        return name, {"step_size": draw(st.integers(1, 30)), "gamma": draw(gammas)}
    if name == "MultiStepLR":
        milestones = draw(st.lists(st.integers(0, 150), max_size=8))  # repeats count twice
        return name, {"milestones": milestones, "gamma": draw(gammas)}
    return name, {"gamma": draw(st.one_of(st.sampled_from([0.9, 0.99, 0.95, 0.999]),
                                           st.floats(0.9, 1.0)))}


NAMES = ("StepLR", "MultiStepLR", "ExponentialLR")


def build_with(name: str, **kwargs: Any) -> Build:
    return lambda opt, side: getattr(ms if side == "manual" else ts, name)(opt, **kwargs)


# -- a hand-computed example ------------------------------------------------------------------

def test_hand_example():
    # lr 1, gamma 1/2 (powers of two: every product is exact)
    # StepLR(step_size=2):             e = 0..5: 1, 1, 1/2, 1/2, 1/4, 1/4
    # MultiStepLR(milestones=[1, 3, 3]): 1, 1/2, 1/2, 1/8, 1/8, 1/8 (3 listed twice: 1/4)
    # ExponentialLR:                   1, 1/2, 1/4, 1/8, 1/16, 1/32
    expected = {"StepLR": ([1, 1, .5, .5, .25, .25], {"step_size": 2}),
                "MultiStepLR": ([1, .5, .5, .125, .125, .125], {"milestones": [1, 3, 3]}),
                "ExponentialLR": ([1, .5, .25, .125, .0625, .03125], {})}
    for side in (ms, ts):
        for name, (lrs, kwargs) in expected.items():
            opt = optimizers("sgd", [1.0])[side is ts]
            sched = getattr(side, name)(opt, gamma=0.5, **kwargs)
            seen = [sched.get_last_lr()[0]]
            for _ in range(5):
                opt.step()
                sched.step()
                seen.append(opt.param_groups[0]["lr"])
            assert seen == lrs, (side.__name__, name)
            assert opt.param_groups[0]["initial_lr"] == 1.0


# -- every step, == torch's -------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_rates_are_torchs_at_every_step(name, data):
    _, kwargs = data.draw(schedules(name))
    steps = data.draw(st.integers(100, 200), label="steps")
    run_both(build_with(name, **kwargs), data.draw(kinds), data.draw(lr_lists), steps)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_the_deprecated_epoch_argument_takes_the_closed_form_as_torch(name, data):
    _, kwargs = data.draw(schedules(name))
    epochs = data.draw(st.lists(st.integers(0, 200), min_size=1, max_size=40), label="epochs")
    m_sched, t_sched, m_opt, t_opt = run_both(build_with(name, **kwargs), "sgd",
                                              data.draw(lr_lists), 0)
    for epoch in epochs:
        m_opt.step()
        t_opt.step()
        m_warned = caught(lambda: m_sched.step(epoch))  # noqa: B023 (called at once)
        t_warned = caught(lambda: t_sched.step(epoch))  # noqa: B023
        assert m_warned == t_warned and len(t_warned) == 1
        assert_same(f"epoch {epoch}", m_sched, t_sched, m_opt, t_opt)
        m_sched.step()  # and back to the chainable form from there
        t_sched.step()
        assert_same(f"after epoch {epoch}", m_sched, t_sched, m_opt, t_opt)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_a_schedule_resumed_at_last_epoch_is_torchs(name, data):
    _, kwargs = data.draw(schedules(name))
    lrs, last_epoch = data.draw(lr_lists), data.draw(st.integers(0, 40), label="last_epoch")

    def build(opt: Any, side: str) -> Any:
        first = build_with(name, **kwargs)(opt, side)  # sets initial_lr on the groups
        for _ in range(3):
            opt.step()
            first.step()
        return build_with(name, last_epoch=last_epoch, **kwargs)(opt, side)

    run_both(build, data.draw(kinds), lrs, 100)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15)
@given(data=st.data())
def test_state_dicts_round_trip_with_torchs(name, data):
    _, kwargs = data.draw(schedules(name))
    before, after = data.draw(st.integers(0, 60)), data.draw(st.integers(1, 60))
    round_trip(build_with(name, **kwargs), data.draw(kinds), data.draw(lr_lists), before,
               after)


# -- warnings -----------------------------------------------------------------------------------

def _scheduler_first(opt: Any, sched: Any, another: Callable[[], Any]) -> None:
    sched.step()  # before any optimizer.step(): warns
    opt.step()
    sched.step()  # checked only once


def _step_replaced(opt: Any, sched: Any, another: Callable[[], Any]) -> None:
    opt.step = lambda: None  # the scheduler's wrapper is gone
    opt.step()
    sched.step()


def _get_lr_by_hand(opt: Any, sched: Any, another: Callable[[], Any]) -> None:
    opt.step()
    sched.step()
    sched.get_lr()  # from outside step(): points at get_last_lr()


def _right_order(opt: Any, sched: Any, another: Callable[[], Any]) -> None:
    for _ in range(3):
        opt.step()
        sched.step()


def _second_scheduler(opt: Any, sched: Any, another: Callable[[], Any]) -> None:
    opt.step()  # optimizer.step is wrapped once: a second scheduler sees this call too
    another().step()


SCENARIOS = {"scheduler first": _scheduler_first, "optimizer.step replaced": _step_replaced,
             "get_lr by hand": _get_lr_by_hand, "right order": _right_order,
             "second scheduler": _second_scheduler}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("name", ("StepLR", "ExponentialLR"))
def test_warnings_are_torchs_and_name_the_callers_line(scenario, name):
    kwargs = {"step_size": 2, "gamma": 0.5} if name == "StepLR" else {"gamma": 0.5}
    seen = []
    for side, opt in zip((ms, ts), optimizers("sgd", [0.1, 0.2])):
        make = lambda: getattr(side, name)(opt, **kwargs)  # noqa: B023, E731
        sched = make()
        seen.append(caught(lambda: SCENARIOS[scenario](opt, sched, make)))  # noqa: B023
    m_seen, t_seen = seen
    assert [w[:2] for w in m_seen] == [w[:2] for w in t_seen]
    located = "MUTANT_UNDER_TEST" not in os.environ  # see caught()
    if scenario in ("scheduler first", "optimizer.step replaced") and located:
        assert len(m_seen) == 1 and m_seen[0][2] == t_seen[0][2] == __file__
    if scenario == "get_lr by hand" and located:  # at the scheduler's get_lr, in its file
        assert [Path(w[2]).name for w in m_seen + t_seen] == ["lr_scheduler.py"] * 2
    if scenario in ("right order", "second scheduler"):
        assert m_seen == []


def test_the_wrapped_optimizer_step_still_steps_and_returns_the_closure_loss():
    for side, opt in zip((ms, ts), optimizers("sgd", [0.5])):
        side.StepLR(opt, step_size=1)
        p = opt.param_groups[0]["params"][0]
        p.grad = (manual if side is ms else torch).ones(2)
        assert opt.step(lambda: 3.0) == 3.0 and opt._opt_called
        assert np.asarray(p.detach()).tolist() == [-0.5, -0.5]


# -- checks that need no torch ------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_the_chainable_form_stays_within_a_few_eps_of_the_closed_form(name, data):
    # each step multiplies by gamma (one rounding, u = 2^-53 relative), so after k factors
    # the product is within about k u of b gamma^c, itself within a few u
    _, kwargs = data.draw(schedules(name))
    opt = optimizers("sgd", data.draw(lr_lists))[0]
    sched = getattr(ms, name)(opt, **kwargs)
    if 0 not in kwargs.get("milestones", []):  # the first step leaves every lr at b
        assert sched.get_last_lr() == [g["initial_lr"] for g in opt.param_groups]
    for e in range(1, 151):
        opt.step()
        sched.step()
        closed = sched._get_closed_form_lr()
        for lr, exact in zip(sched.get_last_lr(), closed):
            assert math.isclose(lr, exact, rel_tol=(e + 4) * 2.0**-53, abs_tol=1e-300)


# -- NaN and infinities ----------------------------------------------------------------------------

specials = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 0.5, -2.0])


@settings(max_examples=30)
@given(st.sampled_from(NAMES), specials, st.lists(specials, min_size=1, max_size=3),
       st.booleans())
def test_nan_and_infinities_where_torchs_are(name, gamma, lrs, by_epoch):
    kwargs = {"step_size": 2} if name == "StepLR" else (
        {"milestones": [1, 2, 2, 5]} if name == "MultiStepLR" else {})
    m_opt, t_opt = optimizers("sgd", lrs)
    m_sched, t_sched = (getattr(side, name)(opt, gamma=gamma, **kwargs)
                        for side, opt in ((ms, m_opt), (ts, t_opt)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation
        for e in range(1, 8):
            for opt, sched in ((m_opt, m_sched), (t_opt, t_sched)):
                opt.step()
                sched.step(e if by_epoch else None)
            assert_same_specials(f"step {e}", np.array(m_sched.get_last_lr()),
                                 np.array(t_sched.get_last_lr()))


# -- fuzz: any arguments, the same outcome --------------------------------------------------------

def _run(ns: Any, name: str, lr: float, kwargs: dict[str, Any], epochs: list[Any]) -> list[str]:
    opt = ns.sgd.SGD([ns.t([1.0], requires_grad=True)], lr=lr)
    sched = getattr(ns.lr_scheduler, name)(opt, **kwargs)
    for epoch in epochs:
        opt.step()
        sched.step(epoch)
    return [repr(lr) for lr in sched.get_last_lr()]  # repr: NaN equals NaN, bits compared


anything = st.one_of(st.integers(-3, 5), st.floats(allow_nan=True), st.none(),
                     st.just("2"), st.lists(st.integers(-2, 4), max_size=3))


@settings(max_examples=60)
@given(st.sampled_from(NAMES), st.floats(0.0, 2.0), anything, anything,
       st.sampled_from([-1, 0, 3]), st.lists(st.one_of(st.none(), st.integers(-2, 9)),
                                             max_size=4))
def test_fuzz_both_agree_or_both_refuse(name, lr, first, gamma, last_epoch, epochs):
    kwargs = {"gamma": gamma, "last_epoch": last_epoch}
    if name != "ExponentialLR":
        kwargs["step_size" if name == "StepLR" else "milestones"] = first
    assert_same_outcome("exact", lambda ns: _run(ns, name, lr, kwargs, epochs))
