"""plateau: ReduceLROnPlateau (manual/plateau.py) against torch.optim.lr_scheduler's
(torch_native/plateau.py), to the bit.

Fed the same metrics (floats with ties, NaN and infinities, or 0-d tensors), the twins must
agree with == after every step: the rates, every group of the optimizer, and the state
dict (best, the counters, the min_lrs; keys in order). So must state dicts loaded across
the twins, the deprecated epoch argument, a group added later, and any arguments at all.
The harness is test_lr_scheduler.py's.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.plateau as mp
import torch_native.plateau as tp
from tests.test_fuzz import assert_same_outcome
from tests.test_lr_scheduler import (
    Build,
    assert_same,
    caught,
    kinds,
    lr_lists,
    optimizers,
    round_trip,
)
from tests.test_nan import assert_same_specials


@st.composite
def plateaus(draw, groups: int) -> dict[str, Any]:
    """ReduceLROnPlateau's keyword arguments, for an optimizer with ``groups`` groups."""
    min_lr = draw(st.sampled_from([0, 1e-4, 0.01]) | st.floats(0, 0.1)
                  | st.lists(st.floats(0, 0.1), min_size=groups, max_size=groups))
    return {"mode": draw(st.sampled_from(["min", "max"])),
            "factor": draw(st.sampled_from([0.1, 0.5, 0.9]) | st.floats(0, 0.99)),
            "patience": draw(st.integers(0, 6)),
            "threshold": draw(st.sampled_from([1e-4, 0.0, 0.1]) | st.floats(0, 0.5)),
            "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
            "cooldown": draw(st.integers(0, 4)), "min_lr": min_lr,
            "eps": draw(st.sampled_from([1e-8, 0.0, 1e-3]))}


# a noisy loss: repeats (ties), small and large moves, negative values, sometimes NaN or inf
metric_values = st.one_of(st.sampled_from([1.0, 1.0, 0.5, 0.9999, -1.0, math.nan, math.inf]),
                          st.floats(-2.0, 2.0))
metric_runs = st.lists(metric_values, min_size=100, max_size=200)


def build_with(**kwargs: Any) -> Build:
    return lambda opt, side: (mp if side == "manual" else tp).ReduceLROnPlateau(opt, **kwargs)


def feed(kind: str, lrs: list[float], kwargs: dict[str, Any], metrics: list[Any],
         tensors: bool = False) -> list[Any]:
    """Both twins fed ``metrics`` (as float32 0-d tensors if ``tensors``), compared after
    construction and after every step."""
    m_opt, t_opt = optimizers(kind, lrs)
    m_sched, t_sched = build_with(**kwargs)(m_opt, "manual"), build_with(**kwargs)(t_opt, "torch")
    assert_same("construction", m_sched, t_sched, m_opt, t_opt)
    for k, a in enumerate(metrics):
        for lib, opt, sched in ((manual, m_opt, m_sched), (torch, t_opt, t_sched)):
            opt.step()
            sched.step(lib.tensor(np.float32(a)) if tensors else a)
        assert_same(f"step {k}, metric {a!r}", m_sched, t_sched, m_opt, t_opt)
    return [m_sched, t_sched, m_opt, t_opt]


def test_hand_example():
    # patience 2, factor 1/2, threshold 1e-4 (rel), cooldown 1, lr 1:
    # metric 1: better than inf: best 1, bad 0 | 1, 1, 1: not below 1 (1 - 1e-4): bad 1, 2, 3;
    # 3 > patience: lr 1/2, cooldown_counter 1, bad 0 | 1: bad 1, in cooldown: counter 0,
    # bad 0 | 1, 1: bad 1, 2 | 1: bad 3 > 2: lr 1/4 | 0.5: better: best 0.5, bad 0
    metrics = [1, 1, 1, 1, 1, 1, 1, 1, 0.5]
    lrs = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    for side in (mp, tp):
        opt = optimizers("sgd", [1.0])[side is tp]
        sched = side.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1)
        assert "initial_lr" not in opt.param_groups[0] and sched.last_epoch == 0
        seen = []
        for a in metrics:
            opt.step()
            sched.step(a)
            seen.append(sched.get_last_lr()[0])
        assert seen == lrs and sched.best == 0.5 and sched.num_bad_epochs == 0


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@settings(max_examples=25)
@given(data=st.data())
def test_every_step_is_torchs(kind, data):
    lrs = data.draw(lr_lists)
    feed(kind, lrs, data.draw(plateaus(len(lrs))), data.draw(metric_runs))


@settings(max_examples=20)
@given(lr_lists.flatmap(lambda lrs: st.tuples(st.just(lrs), plateaus(len(lrs)))),
       st.lists(st.floats(-2.0, 2.0, width=32), min_size=20, max_size=60))
def test_tensor_metrics_are_read_with_float_as_torch(lrs_and_kwargs, metrics):
    feed("sgd", *lrs_and_kwargs, metrics, tensors=True)


@settings(max_examples=20)
@given(data=st.data())
def test_state_dicts_round_trip_with_torchs(data):
    lrs = data.draw(lr_lists)
    kwargs = data.draw(plateaus(len(lrs)))
    metrics = data.draw(metric_runs)
    before = data.draw(st.integers(0, 60))
    round_trip(build_with(**kwargs), data.draw(kinds), lrs, before, len(metrics) - before,
               metric=lambda k: metrics[k])


@settings(max_examples=20)
@given(data=st.data())
def test_the_deprecated_epoch_argument_is_torchs(data):
    lrs = data.draw(lr_lists)
    m_sched, t_sched, m_opt, t_opt = feed("sgd", lrs, data.draw(plateaus(len(lrs))), [])
    for a, epoch in data.draw(st.lists(st.tuples(metric_values, st.integers(-5, 50)),
                                       max_size=30)):
        assert caught(lambda: m_sched.step(a, epoch)) == caught(  # noqa: B023
            lambda: t_sched.step(a, epoch))  # noqa: B023
        assert_same(f"epoch {epoch}", m_sched, t_sched, m_opt, t_opt)


@pytest.mark.parametrize("min_lr", [0.01, [0.01]])
def test_a_group_added_later(min_lr):
    # a number as min_lr covers the new group; a list of the old length is refused
    outcomes = []
    for lib, opt in zip((manual, torch), optimizers("sgd", [1.0])):
        sched = (mp if lib is manual else tp).ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5})
        try:
            for a in (1.0, 2.0):
                sched.step(a)
            outcomes.append((sched.get_last_lr(), sched.min_lrs))
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]


# -- checks that need no torch ------------------------------------------------------------------

@settings(max_examples=40)
@given(lr_lists.flatmap(lambda lrs: st.tuples(st.just(lrs), plateaus(len(lrs)))),
       st.lists(metric_values, max_size=80))
def test_the_lr_only_falls_and_not_below_min_lr_or_too_often(lrs_and_kwargs, metrics):
    lrs, kwargs = lrs_and_kwargs
    opt = optimizers("sgd", lrs)[0]
    sched = mp.ReduceLROnPlateau(opt, **kwargs)
    floors = kwargs["min_lr"] if isinstance(kwargs["min_lr"], list) else [kwargs["min_lr"]] * len(
        lrs)
    cuts, last = 0, list(lrs)
    for a in metrics:
        sched.step(a)
        now = sched.get_last_lr()
        for old, new, floor in zip(last, now, floors):
            assert new <= old and new >= min(old, floor)
        cuts += now != last
        last = now
    # a cut needs more than patience bad steps since the last one and its cooldown
    assert cuts <= len(metrics) // (kwargs["patience"] + 1)


@given(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=50), st.integers(0, 3))
def test_a_metric_that_keeps_improving_never_cuts(metrics, patience):
    opt = optimizers("adam", [0.1])[0]
    sched = mp.ReduceLROnPlateau(opt, patience=patience, threshold=0.1, threshold_mode="abs")
    for k, _ in enumerate(metrics):
        sched.step(-float(k))  # each 1 below the last, more than the threshold
    assert sched.get_last_lr() == [0.1] and sched.best == -(len(metrics) - 1)


# -- NaN and infinities ----------------------------------------------------------------------------

specials = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 0.5])


@settings(max_examples=40)
@given(st.sampled_from([math.nan, -math.inf, 0.0, 0.5]), specials, specials, specials,
       st.lists(specials, min_size=1, max_size=2),
       st.lists(specials, min_size=5, max_size=15))
def test_nan_and_infinities_where_torchs_are(factor, threshold, min_lr, eps, lrs, metrics):
    kwargs = {"factor": factor, "threshold": threshold, "min_lr": min_lr, "eps": eps,
              "patience": 1}
    m_opt, t_opt = optimizers("sgd", lrs)
    m_sched, t_sched = mp.ReduceLROnPlateau(m_opt, **kwargs), tp.ReduceLROnPlateau(t_opt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, a in enumerate(metrics):
            m_sched.step(a)
            t_sched.step(a)
            assert_same_specials(f"step {k}", np.array(m_sched.get_last_lr()),
                                 np.array(t_sched.get_last_lr()))
            assert repr(m_sched.best) == repr(t_sched.best)


# -- fuzz: any arguments, the same outcome --------------------------------------------------------

anything = st.one_of(st.integers(-2, 5), st.floats(allow_nan=True), st.none(),
                     st.sampled_from(["min", "max", "rel", "abs", "avg"]),
                     st.lists(st.floats(0, 1), max_size=3))


def _run(ns: Any, kwargs: dict[str, Any], metrics: list[Any]) -> list[str]:
    opt = ns.sgd.SGD([ns.t([1.0], requires_grad=True)], lr=0.5)
    sched = ns.plateau.ReduceLROnPlateau(opt, **kwargs)
    for a in metrics:
        sched.step(a)
    return [repr(v) for v in (*sched.get_last_lr(), sched.best, sched.num_bad_epochs)]


@settings(max_examples=80)
@given(st.dictionaries(st.sampled_from(["mode", "factor", "patience", "threshold",
                                        "threshold_mode", "cooldown", "min_lr", "eps"]),
                       anything, max_size=4),
       st.lists(st.one_of(metric_values, st.just("1.5"), st.none()), max_size=12))
def test_fuzz_both_agree_or_both_refuse(kwargs, metrics):
    assert_same_outcome("exact", lambda ns: _run(ns, kwargs, metrics))
