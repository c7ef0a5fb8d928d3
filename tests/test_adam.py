"""Adam and AdamW: manual/adam.py against torch.optim (torch_native/adam.py).

From the same starting values and the same gradients the twins round alike at every
operation but one: torch's CPU sqrt is faithful (within 1 ULP), NumPy's correctly rounded.
So the comparison with torch runs twice:

* with torch's ``Tensor.sqrt`` replaced by NumPy's (``correctly_rounded_sqrt``): every
  option, every parameter and every state tensor after every step, to the bit ("exact");
* with torch as it is, where the state does not depend on the parameters (no weight decay,
  or AdamW's decoupled decay): the state to the bit, the parameters within piece "adam"
  ("faithful_sqrt": after k steps, (8 + 4k) ULP of |p_0| + the sum of |update|). Adam's
  coupled decay feeds a parameter's last bits back into m and v, where m / sqrt(v) can
  magnify them without bound when g + lambda p nearly cancels: only the first run covers it.
"""

from __future__ import annotations

import inspect
import math
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.adam
import torch_native.adam
from reference.scales import grow_scales
from tests.helpers import (
    KEEP,
    assert_twins_agree,
    make_params,
    param_groups,
    requires_fused_kernels,
    set_grads,
)
from tests.strategies import arrays, dtypes

TWINS = {"Adam": (manual.adam.Adam, torch_native.adam.Adam),
         "AdamW": (manual.adam.AdamW, torch_native.adam.AdamW)}
STATE_KEYS = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")


def _numpy_sqrt(self: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.asarray(np.sqrt(self.detach().numpy())))


def correctly_rounded_sqrt() -> AbstractContextManager:
    """torch's optimizers with NumPy's (correctly rounded) sqrt in place of torch's own."""
    return mock.patch.object(torch.Tensor, "sqrt", _numpy_sqrt)


def test_hand_example_first_step_moves_by_lr():
    # betas (1/2, 3/4), lr 1/4, p = 1, g = +-2 (all exact in binary):
    # m = (1 - 1/2) g = +-1, v = (1 - 3/4) g^2 = 1; c1 = 1/2, c2 = 1/4
    # d = sqrt(1) / sqrt(1/4) + 1e-8 = 2 (1e-8 is below half an ULP of 2 in float32)
    # p = 1 - (1/4) / (1/2) * (+-1) / 2 = 1 -+ 1/4: one lr against the sign of g
    for make, adam in ((manual.tensor, manual.adam.Adam), (torch.tensor, torch_native.adam.Adam)):
        p = make([1.0, 1.0], requires_grad=True)
        p.grad = make([2.0, -2.0])
        opt = adam([p], lr=0.25, betas=(0.5, 0.75))
        opt.step()
        np.testing.assert_array_equal(np.asarray(p.detach()), np.float32([0.75, 1.25]))
        state = opt.state[p]
        assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
        np.testing.assert_array_equal(np.asarray(state["step"]), np.float32(1.0))
        np.testing.assert_array_equal(np.asarray(state["exp_avg"]), np.float32([1.0, -1.0]))
        np.testing.assert_array_equal(np.asarray(state["exp_avg_sq"]), np.float32([1.0, 1.0]))


def test_hand_example_coupled_and_decoupled_weight_decay():
    # p = 1, g = 0, lr 1/4, betas (1/2, 3/4), weight decay 1/2
    # Adam:  g = 0 + (1/2) 1 = 1/2, m = 1/4, v = 1/16, d = (1/4) / (1/2) = 1/2 (+ 1e-8, lost)
    #        p = 1 - (1/2) (1/4) / (1/2) = 3/4: the decay is normalised, a whole lr
    # AdamW: p = 1 (1 - (1/4)(1/2)) = 7/8, then m = v = 0 and the step adds 0 / 1e-8 = 0
    expected = {"Adam": (0.75, 0.25), "AdamW": (0.875, 0.0)}
    for name, twins in TWINS.items():
        for make, adam in zip((manual.tensor, torch.tensor), twins, strict=True):
            p = make([1.0], requires_grad=True)
            p.grad = make([0.0])
            opt = adam([p], lr=0.25, betas=(0.5, 0.75), weight_decay=0.5)
            opt.step()
            value, exp_avg = expected[name]
            np.testing.assert_array_equal(np.asarray(p.detach()), np.float32([value]))
            np.testing.assert_array_equal(np.asarray(opt.state[p]["exp_avg"]), [exp_avg])


def test_signatures_and_defaults_match_torch():
    # AdamW's weight decay defaults to 0.01, Adam's to 0
    for name, (m_cls, t_cls) in TWINS.items():
        m_sig, t_sig = inspect.signature(m_cls), inspect.signature(t_cls)
        assert [(q.name, q.kind, q.default) for q in m_sig.parameters.values()] == \
               [(q.name, q.kind, q.default) for q in t_sig.parameters.values()], name
        assert m_sig.parameters["weight_decay"].default == (0.01 if name == "AdamW" else 0)
        m_group = m_cls([manual.tensor([1.0], requires_grad=True)]).param_groups[0]
        t_group = t_cls([torch.tensor([1.0], requires_grad=True)]).param_groups[0]
        assert list(m_group) == list(t_group), name  # torch's keys, in torch's order
        assert {k: v for k, v in m_group.items() if k != "params"} == \
               {k: v for k, v in t_group.items() if k != "params"}, name


# -- drawing a run: optimizer, parameters, groups, hyperparameters, gradients of each step ----

@dataclass
class Run:
    """Which optimizer, starting values, groups, and the gradient of each step."""

    name: str                        # "Adam" or "AdamW"
    inits: list[np.ndarray]
    groups: list[list[int]]          # parameter indices of each group
    group_lrs: list[float | None]    # a group's own lr, or None for the default
    hyper: dict[str, Any]            # the optimizer's keyword arguments
    steps: list[list[Any]]           # per step, per parameter: an array, None or KEEP


lrs = st.just(0.0) | st.floats(1e-4, 1.0)
betas = st.sampled_from([0.0, 0.5, 0.9, 0.999]) | st.floats(0.0, 0.9999)
positive_eps = st.just(1e-8) | st.floats(1e-12, 1e-2)
any_eps = st.just(0.0) | positive_eps
weight_decays = st.just(0.0) | st.floats(1e-4, 0.5)


@st.composite
def hyperparameters(draw, eps: st.SearchStrategy = any_eps,
                    weight_decay: st.SearchStrategy = weight_decays) -> dict[str, Any]:
    return {
        "lr": draw(lrs),
        "betas": (draw(betas), draw(betas)),
        "eps": draw(eps),
        "weight_decay": draw(weight_decay),
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def runs(draw, coupled_decay: bool = True, **hyper: st.SearchStrategy) -> Run:
    """coupled_decay=False: Adam without weight decay or AdamW, whose m and v ignore p."""
    name = draw(st.sampled_from(sorted(TWINS)))
    if name == "Adam" and not coupled_decay:
        hyper["weight_decay"] = st.just(0.0)
    dtype = draw(dtypes)
    shapes = draw(st.lists(st.lists(st.integers(1, 3), max_size=2).map(tuple),
                           min_size=1, max_size=3))
    inits = [draw(arrays(dtype, shape, bound=4.0)) for shape in shapes]
    n = len(inits)
    split = draw(st.integers(1, n)) if n > 1 else n  # two groups when split < n
    groups = [list(range(split)), list(range(split, n))] if split < n else [list(range(n))]
    group_lrs = [draw(st.none() | lrs) for _ in groups]
    grads = [st.none() | st.just(KEEP) | arrays(dtype, shape) for shape in shapes]
    steps = draw(st.lists(st.tuples(*grads).map(list), min_size=2, max_size=5))
    return Run(name, inits, groups, group_lrs, draw(hyperparameters(**hyper)), steps)


# -- running a run on either twin -----------------------------------------------------------

def make_optimizer(run: Run, params: list[Any], twin: int, **hyper: Any) -> Any:
    """The run's optimizer on twin 0 (manual) or 1 (torch), or with ``hyper`` instead."""
    groups = param_groups(params, run.groups, run.group_lrs)
    return TWINS[run.name][twin](groups, **(hyper if hyper else run.hyper))


@dataclass
class Twins:
    """One run on both twins: optimizers and parameters."""

    m_opt: manual.adam.Adam
    t_opt: torch.optim.Adam
    m_params: list[manual.Tensor]
    t_params: list[torch.Tensor]


def start(run: Run) -> Twins:
    m_params, t_params = make_params(run.inits, manual.tensor), make_params(run.inits, torch.tensor)
    return Twins(make_optimizer(run, m_params, 0), make_optimizer(run, t_params, 1),
                 m_params, t_params)


def assert_same_state(label: str, twins: Twins, scales: list[np.ndarray] | None = None) -> None:
    """Every parameter (piece "adam" with ``scales``, else exact) and every state tensor."""
    for i, (m, t) in enumerate(zip(twins.m_params, twins.t_params, strict=True)):
        kind = "exact" if scales is None else "adam"
        scale = None if scales is None else scales[i]
        assert_twins_agree(f"{label}: param {i}", kind, m.array, t, scale=scale)
        m_state, t_state = twins.m_opt.state.get(m, {}), twins.t_opt.state.get(t, {})
        assert list(m_state) == list(t_state), f"{label}: param {i} state keys"
        for key in t_state:
            assert_twins_agree(f"{label}: {key} {i}", "exact", m_state[key].array, t_state[key])


def step_both(label: str, grads: list[Any], twins: Twins,
              scales: list[np.ndarray] | None = None) -> None:
    set_grads(twins.m_params, grads, manual.tensor)
    set_grads(twins.t_params, grads, torch.tensor)
    twins.m_opt.step()
    twins.t_opt.step()
    if scales is not None:
        grow_scales(scales, twins.t_opt, twins.t_params)
    assert_same_state(label, twins, scales)


@requires_fused_kernels
@given(runs())
def test_steps_match_torch_to_the_bit_given_a_correctly_rounded_sqrt(run):
    twins = start(run)
    with correctly_rounded_sqrt():
        for k, grads in enumerate(run.steps, 1):
            step_both(f"step {k}", grads, twins)


@requires_fused_kernels
def test_float64_squares_below_the_normal_range_match_torch():
    # g ~ 1e-160: (1 - beta2) g g is subnormal, where an fma emulated by splitting x * y
    # exactly (Dekker) loses bits; the CPU's fma rounds it once, and so must the twin
    rng = np.random.default_rng(0)
    grads = rng.choice([-1.0, 1.0], (2, 256)) * 10.0 ** rng.uniform(-170, -154, (2, 256))
    run = Run("Adam", [np.ones(256)], [[0]], [None], {"betas": (0.9, 0.999), "eps": 0.0},
              [[g] for g in grads])
    twins = start(run)
    with correctly_rounded_sqrt():
        for k, g in enumerate(run.steps, 1):
            step_both(f"step {k}", g, twins)


# -- with torch's own sqrt: the state exact, the parameters within "faithful_sqrt" ----------

@given(runs(coupled_decay=False))
def test_steps_match_torch(run):
    twins = start(run)
    scales = [np.abs(init.astype(np.float64)) for init in run.inits]  # |p_0| + sum |update|
    for k, grads in enumerate(run.steps, 1):
        step_both(f"step {k}", grads, twins, scales)


# -- state dict -----------------------------------------------------------------------------

def assert_same_state_dict(m_sd: dict[str, Any], t_sd: dict[str, Any]) -> None:
    """torch's layout: the same group keys in the same order, indices, and state values."""
    assert list(m_sd) == list(t_sd) == ["state", "param_groups"]
    assert len(m_sd["param_groups"]) == len(t_sd["param_groups"])
    for m_group, t_group in zip(m_sd["param_groups"], t_sd["param_groups"], strict=True):
        assert list(m_group) == list(t_group)
        assert m_group == t_group  # hyperparameters and the "params" index lists
    assert sorted(m_sd["state"]) == sorted(t_sd["state"])
    for index, t_values in t_sd["state"].items():
        m_values = m_sd["state"][index]
        assert list(m_values) == list(t_values)
        assert list(t_values) == [key for key in STATE_KEYS if key in t_values]
        for name, value in t_values.items():
            assert_twins_agree(f"state[{index}][{name!r}]", "exact", np.asarray(m_values[name]),
                               value)


def to_torch_state_dict(sd: dict[str, Any]) -> dict[str, Any]:
    """A manual state dict with its manual tensors turned into torch tensors."""
    state = {index: {name: torch.tensor(np.asarray(v)) for name, v in values.items()}
             for index, values in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


def resume(run: Run, params: list[Any], make: Any, twin: int, sd: dict[str, Any]
           ) -> tuple[Any, list[Any]]:
    """Copies of ``params`` (values and grads) under a fresh optimizer that loads ``sd``."""
    copies = [make(np.array(np.asarray(p.detach())), requires_grad=True) for p in params]
    for p, c in zip(params, copies, strict=True):
        c.grad = None if p.grad is None else make(np.array(np.asarray(p.grad)))
    # other hyperparameters, and no state yet: all must come from ``sd``
    opt = make_optimizer(run, copies, twin, lr=0.5, betas=(0.5, 0.5), amsgrad=False)
    opt.load_state_dict(sd)
    return opt, copies


@requires_fused_kernels
@given(runs(), st.data())
def test_state_dict_matches_torch_and_round_trips(run, data):
    twins = start(run)
    k = data.draw(st.integers(0, len(run.steps) - 1), label="steps before saving")
    with correctly_rounded_sqrt():
        for j, grads in enumerate(run.steps[:k], 1):
            step_both(f"step {j}", grads, twins)
        assert_same_state_dict(twins.m_opt.state_dict(), twins.t_opt.state_dict())
        # torch's state dict into a fresh manual optimizer, manual's into a fresh torch one
        m_opt, m_copies = resume(run, twins.t_params, manual.tensor, 0,
                                 twins.t_opt.state_dict())
        t_opt, t_copies = resume(run, twins.m_params, torch.tensor, 1,
                                 to_torch_state_dict(twins.m_opt.state_dict()))
        assert_same_state_dict(m_opt.state_dict(), twins.t_opt.state_dict())
        from_torch = Twins(m_opt, twins.t_opt, m_copies, twins.t_params)
        from_manual = Twins(twins.m_opt, t_opt, twins.m_params, t_copies)
        for j, grads in enumerate(run.steps[k:], k + 1):
            step_both(f"resumed from torch, step {j}", grads, from_torch)
            step_both(f"resumed from manual, step {j}", grads, from_manual)


def test_adamw_stays_decoupled_after_loading_an_adam_state_dict():
    for twin, make in enumerate((manual.tensor, torch.tensor)):
        adam = TWINS["Adam"][twin]([make([1.0], requires_grad=True)], weight_decay=0.5)
        adamw = TWINS["AdamW"][twin]([make([1.0], requires_grad=True)])
        adamw.load_state_dict(adam.state_dict())
        assert adamw.param_groups[0]["weight_decay"] == 0.5
        assert adamw.param_groups[0]["decoupled_weight_decay"] is True


# -- validation -----------------------------------------------------------------------------

def raised(build: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        build()
    return info.type, str(info.value)


BAD_HYPERPARAMETERS = {
    "negative lr": {"lr": -1e-3},
    "NaN lr": {"lr": math.nan},
    "negative eps": {"eps": -1e-8},
    "negative beta1": {"betas": (-0.1, 0.999)},
    "beta1 of 1": {"betas": (1.0, 0.999)},
    "beta2 of 1": {"betas": (0.9, 1.0)},
    "negative beta2": {"betas": (0.9, -0.5)},
    "negative weight_decay": {"weight_decay": -1e-2},
    "an integer beta": {"betas": (0, 0.999)},
}


@pytest.mark.parametrize("name", sorted(TWINS))
@pytest.mark.parametrize("bad", sorted(BAD_HYPERPARAMETERS))
def test_bad_hyperparameters_raise_as_torch(name, bad):
    kwargs = BAD_HYPERPARAMETERS[bad]
    m, t = manual.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    m_cls, t_cls = TWINS[name]
    assert raised(lambda: m_cls([m], **kwargs)) == raised(lambda: t_cls([t], **kwargs))


# -- checks that need no torch --------------------------------------------------------------

def run_manual(run: Run, **hyper: Any) -> tuple[Any, list[manual.Tensor]]:
    """All the run's steps on the manual twin (with ``hyper`` over the run's own)."""
    params = make_params(run.inits, manual.tensor)
    opt = make_optimizer(run, params, 0, **{**run.hyper, **hyper})
    for grads in run.steps:
        set_grads(params, grads, manual.tensor)
        opt.step()
    return opt, params


@given(runs(eps=positive_eps))
def test_lr_zero_leaves_parameters_unchanged(run):
    # (with eps = 0, an element whose gradient is 0 would become 0 / 0 = NaN even so)
    run = replace(run, group_lrs=[None] * len(run.groups))
    _, params = run_manual(run, lr=0.0)
    for p, init in zip(params, run.inits, strict=True):
        np.testing.assert_array_equal(p.array, init)


@given(dtypes, st.integers(1, 4), hyperparameters(eps=positive_eps, weight_decay=st.just(0.0)),
       st.data())
def test_first_step_moves_each_element_by_about_lr_against_the_gradient(dtype, n, hyper, data):
    # the bias corrections make m_hat = g and v_hat = g^2: p - lr g / (|g| + eps)
    p0, g = data.draw(arrays(dtype, (n,), bound=4.0)), data.draw(arrays(dtype, (n,)))
    p = manual.tensor(np.array(p0), requires_grad=True)
    p.grad = manual.tensor(np.array(g))
    manual.adam.Adam([p], **hyper).step()
    lr, sign = hyper["lr"], -1.0 if hyper["maximize"] else 1.0
    g64 = g.astype(np.float64)
    expected = p0 - sign * lr * g64 / (np.abs(g64) + hyper["eps"])
    # about ten roundings of the update (each u of it, |update| <= lr) and one of p
    bound = 16 * np.finfo(dtype).eps / 2 * (np.abs(p0.astype(np.float64)) + lr)
    assert np.all(np.abs(p.array - expected) <= bound), (p.array, expected)


@given(runs())
def test_maximize_is_minimize_of_the_negated_gradient(run):
    negated = [[-g if isinstance(g, np.ndarray) else g for g in grads] for grads in run.steps]
    up_opt, up = run_manual(run, maximize=True)
    down_opt, down = run_manual(replace(run, steps=negated), maximize=False)
    for p, q in zip(up, down, strict=True):
        np.testing.assert_array_equal(p.array, q.array)
        for key in up_opt.state.get(p, {}):
            np.testing.assert_array_equal(up_opt.state[p][key].array, down_opt.state[q][key].array)


@settings(max_examples=30)
@given(runs(), st.data())
def test_adamw_is_decay_then_adam_without_decay(run, data):
    # AdamW's p (1 - lr lambda) comes before, and apart from, an Adam step without decay;
    # a parameter without a gradient is not decayed either
    run = replace(run, name="AdamW")
    weight_decay = data.draw(st.floats(1e-4, 0.5), label="weight_decay")
    adamw_opt, adamw_params = run_manual(run, weight_decay=weight_decay)
    params = make_params(run.inits, manual.tensor)
    adam = make_optimizer(replace(run, name="Adam"), params, 0, **{**run.hyper,
                                                                    "weight_decay": 0.0})
    for grads in run.steps:
        set_grads(params, grads, manual.tensor)
        for group in adam.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.array *= p.dtype.type(1 - group["lr"] * weight_decay)
        adam.step()
    for p, q in zip(adamw_params, params, strict=True):
        np.testing.assert_array_equal(p.array, q.array)
