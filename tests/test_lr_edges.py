"""Learning rate schedulers at torch's edges: manual against torch.optim.lr_scheduler.

Default arguments (each scheduler built as a script would build it, with nothing but what
it needs), OneCycleLR's refusals of its step counts and pct_start in torch's words and
where its bounds lie, thresholds met exactly by ReduceLROnPlateau's metric, parameter groups
that no longer match the schedule's, LambdaLR's state dict left as the caller gave it, and
the mark torch puts on the optimizer's wrapped step.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

import manual
import manual.lr_curves as mc
import manual.lr_scheduler as ms
import manual.one_cycle as mo
import manual.plateau as mp
import torch_native.lr_curves as tc
import torch_native.lr_scheduler as ts
import torch_native.one_cycle as to
import torch_native.plateau as tp
from tests.helpers import raised
from tests.test_lr_scheduler import assert_same, caught, groups, optimizers, run_both

# -- defaults, as a script leaves them --------------------------------------------------------

@pytest.mark.parametrize(("name", "kwargs"), [
    ("StepLR", {"step_size": 2}), ("MultiStepLR", {"milestones": [1, 3, 3]}),
    ("LinearLR", {}), ("OneCycleLR", {"max_lr": 0.9, "total_steps": 9}),
    ("OneCycleLR", {"max_lr": 0.9, "epochs": 3, "steps_per_epoch": 3})], ids=str)
def test_the_default_arguments_are_torchs(name, kwargs):
    """gamma 0.1, LinearLR's 5 iterations, OneCycleLR's two phases: every step as torch's."""
    module = {"StepLR": (ms, ts), "MultiStepLR": (ms, ts), "LinearLR": (mc, tc),
              "OneCycleLR": (mo, to)}[name]
    run_both(lambda opt, side: getattr(module[side == "torch"], name)(opt, **kwargs),
             "sgd", [0.1, 0.3], 8)


def test_reduce_lr_on_plateau_defaults_are_torchs():
    """patience 10, cooldown 0, threshold 1e-4 (rel), factor 0.1: a flat metric cuts at
    every 11th bad step."""
    m_opt, t_opt = optimizers("sgd", [0.1, 0.3])
    m_sched, t_sched = mp.ReduceLROnPlateau(m_opt), tp.ReduceLROnPlateau(t_opt)
    lrs = []
    for k in range(34):
        for sched in (m_sched, t_sched):
            sched.step(1.0 if k else 2.0)
        assert_same(f"step {k}", m_sched, t_sched, m_opt, t_opt)
        lrs.append(m_sched.get_last_lr()[0])
    assert [k for k in range(1, 34) if lrs[k] < lrs[k - 1]] == [12, 23]  # best at 1


# -- ReduceLROnPlateau's thresholds, met exactly --------------------------------------------

@pytest.mark.parametrize(("mode", "threshold_mode", "threshold", "metrics"), [
    ("min", "abs", 0.5, [1.0, 0.5, 0.25, -0.25, -0.75, -0.75]),   # a = best - t: not better
    ("min", "rel", 0.5, [1.0, 0.5, 0.25, 0.125, 0.0625]),          # a = best (1 - t)
    ("max", "abs", 0.5, [1.0, 1.5, 1.75, 2.25, 2.75]),             # a = best + t
    ("max", "rel", 0.5, [1.0, 1.5, 1.75, 2.25, 2.5, 3.375, 3.5]),  # a = best (1 + t), 1.2 best
    ("max", "rel", 0.1, [10.0, 10.5, 10.5, 11.0, 11.5, 12.0, 12.5]),
    ("max", "abs", 0.1, [10.0, 10.5, 10.5, 11.0, 11.5, 12.0, 12.5])])
def test_a_metric_that_meets_the_threshold_exactly_is_not_better_as_torch(
        mode, threshold_mode, threshold, metrics):
    m_opt, t_opt = optimizers("sgd", [0.1])
    kwargs = {"mode": mode, "threshold_mode": threshold_mode, "threshold": threshold,
              "patience": 0, "factor": 0.5}
    m_sched, t_sched = mp.ReduceLROnPlateau(m_opt, **kwargs), tp.ReduceLROnPlateau(t_opt, **kwargs)
    for k, metric in enumerate(metrics):
        m_sched.step(metric)
        t_sched.step(metric)
        assert_same(f"step {k}", m_sched, t_sched, m_opt, t_opt)
        assert (m_sched.best, m_sched.num_bad_epochs) == (t_sched.best, t_sched.num_bad_epochs)
    assert m_sched.get_last_lr() != [0.1]  # some step was not better, and cut


# -- OneCycleLR's step counts and pct_start ---------------------------------------------------

def _one_cycle_outcome(lib: Any, side: Any, kind: str, **kwargs: Any) -> Any:
    """Build, then step until torch's refusal or four steps: what is seen, or raised."""
    opt = optimizers(kind, [0.1, 0.3])[lib is torch]
    seen = []

    def run():
        sched = side.OneCycleLR(opt, 1.0, **kwargs)
        for _ in range(4):
            seen.append(sched.get_last_lr())
            opt.step()
            sched.step()

    return raised(run), seen, groups(opt)


@pytest.mark.parametrize("kwargs", [
    {"total_steps": 1}, {"total_steps": 2}, {"total_steps": 0}, {"total_steps": -3},
    {"total_steps": 2.0}, {"epochs": 2}, {"steps_per_epoch": 2}, {},
    {"epochs": 0, "steps_per_epoch": 2}, {"epochs": 1, "steps_per_epoch": 1},
    {"epochs": 2, "steps_per_epoch": 0}, {"epochs": 1, "steps_per_epoch": 2},
    {"epochs": 2, "steps_per_epoch": 1}, {"epochs": -1, "steps_per_epoch": 2},
    {"total_steps": 10, "pct_start": 0.0}, {"total_steps": 10, "pct_start": 1.0},
    {"total_steps": 10, "pct_start": 1}, {"total_steps": 10, "pct_start": -0.1},
    {"total_steps": 10, "pct_start": 1.1},
    # a one-step cycle all of whose steps go up: 0 / 0 in the first step, after the groups'
    # momentum was set (torch's order)
    {"total_steps": 1, "pct_start": 1.0},
    {"total_steps": 5, "base_momentum": [0.8, 0.7]},
    {"total_steps": 5, "base_momentum": [0.8, 0.7, 0.6]},
    {"total_steps": 5, "max_momentum": [0.99]}], ids=str)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_step_counts_and_bounds_are_torchs(kwargs, kind):
    got = [_one_cycle_outcome(lib, side, kind, **kwargs) for lib, side in ((manual, mo),
                                                                           (torch, to))]
    assert repr(got[0]) == repr(got[1])


# -- groups that no longer match the schedule -------------------------------------------------

def test_a_group_added_after_a_lambda_lr_is_refused_at_the_step_as_torch():
    """LambdaLR has a rate for each group it was built with: one more group, and the step's
    zip of groups and rates is refused (strict), in Python's words."""
    got = []
    for lib, side in ((manual, mc), (torch, tc)):
        opt = optimizers("sgd", [0.1])[lib is torch]
        sched = side.LambdaLR(opt, lambda e: 0.5**e)
        opt.add_param_group({"params": [lib.zeros(2, requires_grad=True)], "lr": 0.7})
        opt.step()
        got.append((raised(sched.step), groups(opt), sched.last_epoch))
    assert got[0] == got[1]
    assert got[0][0] == ("ValueError", "zip() argument 2 is shorter than argument 1")


@pytest.mark.parametrize(("saved_groups", "loaded_groups"), [(2, 1), (1, 2)])
def test_a_lambda_lr_state_of_another_number_of_groups_is_refused_as_torch(saved_groups,
                                                                            loaded_groups):
    got = []
    for lib, side in ((manual, mc), (torch, tc)):
        saved = side.LambdaLR(optimizers("sgd", [0.1, 0.2][:saved_groups])[lib is torch],
                              lambda e: 0.5**e)
        opt = optimizers("sgd", [0.3, 0.4][:loaded_groups])[lib is torch]
        sched = side.LambdaLR(opt, [lambda e: 0.9**e] * loaded_groups)
        sched.load_state_dict(saved.state_dict())
        opt.step()
        stepped = (raised(sched.step), groups(opt))
        by_hand = []
        warned = caught(lambda: by_hand.append(raised(sched.get_lr)))  # noqa: B023
        got.append((stepped, by_hand, [w[:2] for w in warned]))
    assert got[0] == got[1]
    assert got[0][0][0][0] == got[0][1][0][0] == "ValueError"


def test_loading_a_lambda_lr_state_leaves_the_callers_dict_as_torch():
    class Decay:
        def __init__(self, k: float) -> None:
            self.k = k

        def __call__(self, e: int) -> float:
            return self.k**e

    got = []
    for lib, side in ((manual, mc), (torch, tc)):
        saved_opt, fresh_opt = optimizers("sgd", [0.1, 0.2]), optimizers("sgd", [0.1, 0.2])
        saved = side.LambdaLR(saved_opt[lib is torch], [Decay(0.9), lambda e: 1.0])
        state = saved.state_dict()
        before = copy.deepcopy(state)
        fresh = side.LambdaLR(fresh_opt[lib is torch], [Decay(0.2), lambda e: 2.0])
        fresh.load_state_dict(state)
        assert state == before
        got.append((list(state), state["lr_lambdas"], fresh.lr_lambdas[0].k))
    assert got[0] == got[1]
    assert got[0][1:] == ([{"k": 0.9}, None], 0.9)


# -- the wrapped optimizer.step ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR"])
def test_the_wrapped_step_carries_torchs_mark(name):
    marks = []
    for opt, side in zip(optimizers("sgd", [0.1]), (ms, ts)):
        kwargs = {"step_size": 2} if name == "StepLR" else {"gamma": 0.5}
        getattr(side, name)(opt, **kwargs)
        getattr(side, name)(opt, **kwargs)  # a second scheduler wraps nothing more
        marks.append((opt.step._wrapped_by_lr_sched, opt.step.__name__))
    assert marks[0] == marks[1] == (True, "step")


# -- CosineAnnealingLR's get_lr() by hand, just after resuming -------------------------------

@pytest.mark.parametrize("last_epoch", [0, 1, 3])
def test_cosine_get_lr_by_hand_after_resuming_is_torchs(last_epoch):
    seen = []
    for side, opt in zip((mc, tc), optimizers("sgd", [0.1, 0.3])):
        for group in opt.param_groups:
            group["initial_lr"] = 2 * group["lr"]
        sched = side.CosineAnnealingLR(opt, T_max=4, eta_min=0.01, last_epoch=last_epoch)
        rates = []
        seen.append(([w[:2] for w in caught(lambda: rates.append(sched.get_lr()))], rates,  # noqa: B023
                     sched.get_last_lr()))
    assert seen[0] == seen[1] and len(seen[0][0]) == 1
