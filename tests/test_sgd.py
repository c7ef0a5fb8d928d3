"""SGD: the hand-written step (manual/sgd.py) against torch.optim.SGD (torch_native/sgd.py).

From the same starting values and the same gradients, every parameter and every momentum
buffer must agree to the bit after every step (piece "sgd": 0 ULP), as must the state dict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.sgd
import torch_native.sgd
from tests.helpers import (
    KEEP,
    assert_twins_agree,
    make_params,
    param_groups,
    requires_fused_kernels,
    set_grads,
)
from tests.strategies import arrays, dtypes


def test_hand_example():
    # p = p - lr g: 1 - 0.001 * 100 = 0.9 and 2 - 0.001 * 100 = 1.9 (the seed's example)
    for make, sgd in ((manual.tensor, manual.sgd.SGD), (torch.tensor, torch_native.sgd.SGD)):
        x = make([1.0, 2.0], requires_grad=True)
        x.grad = make([100.0, 100.0])
        sgd([x], lr=0.001).step()
        np.testing.assert_array_equal(np.asarray(x.detach()), np.float32([0.9, 1.9]))


def test_hand_example_momentum_buffer_starts_at_first_gradient():
    # lr = momentum = dampening = 1/2, p = 1, g1 = 2, g2 = 4 (all exact in binary)
    # step 1: b = g1 = 2 (a copy: no dampening)        p = 1 - 0.5 * 2 = 0
    # step 2: b = 0.5 * 2 + (1 - 0.5) * 4 = 3          p = 0 - 0.5 * 3 = -1.5
    # (dampening on step 1 too would give b = 1, p = 0.5, then b = 2.5, p = -0.75)
    expected = [(2.0, 0.0), (3.0, -1.5)]
    for make, sgd in ((manual.tensor, manual.sgd.SGD), (torch.tensor, torch_native.sgd.SGD)):
        p = make([1.0], requires_grad=True)
        opt = sgd([p], lr=0.5, momentum=0.5, dampening=0.5)
        for g, (buf, value) in zip((2.0, 4.0), expected, strict=True):
            p.grad = make([g])
            opt.step()
            np.testing.assert_array_equal(np.asarray(opt.state[p]["momentum_buffer"]), [buf])
            np.testing.assert_array_equal(np.asarray(p.detach()), [value])


# -- drawing a run: parameters, groups, hyperparameters, and the gradients of each step ------

@dataclass
class Run:
    """Starting values, how they split into groups, and the gradient of each step."""

    inits: list[np.ndarray]
    groups: list[list[int]]          # parameter indices of each group
    group_lrs: list[float | None]    # a group's own lr, or None for the default
    hyper: dict[str, Any]            # SGD's keyword arguments
    steps: list[list[Any]]           # per step, per parameter: an array, None or KEEP


lrs = st.floats(1e-4, 1.0)  # lr = 0 has a test of its own
MOMENTUM_KINDS = ("none", "momentum", "dampened", "nesterov")


@st.composite
def hyperparameters(draw, kind: str | None = None) -> dict[str, Any]:
    """Valid combinations only: nesterov needs momentum and no dampening."""
    kind = kind or draw(st.sampled_from(MOMENTUM_KINDS))
    return {
        "lr": draw(lrs),
        "momentum": 0.0 if kind == "none" else draw(st.floats(0.01, 0.99)),
        "dampening": draw(st.floats(0.01, 1.0)) if kind == "dampened" else 0.0,
        "weight_decay": draw(st.just(0.0) | st.floats(1e-4, 0.5)),
        "nesterov": kind == "nesterov",
        "maximize": draw(st.booleans()),
    }


@st.composite
def runs(draw, kind: str | None = None) -> Run:
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
    return Run(inits, groups, group_lrs, draw(hyperparameters(kind)), steps)


# -- running a run on either twin -----------------------------------------------------------

def make_sgd(run: Run, params: list[Any], sgd: type, **hyper: Any) -> Any:
    """The optimizer of ``run`` (or with ``hyper`` instead of the run's hyperparameters)."""
    groups = param_groups(params, run.groups, run.group_lrs)
    return sgd(groups, **(hyper if hyper else run.hyper))


def assert_same_state(label: str, m_opt: manual.sgd.SGD, t_opt: torch.optim.SGD,
                      m_params: list[manual.Tensor], t_params: list[torch.Tensor]) -> None:
    """Every parameter and every momentum buffer (present on both sides or on neither)."""
    for i, (m, t) in enumerate(zip(m_params, t_params, strict=True)):
        assert_twins_agree(f"{label}: param {i}", "sgd", m.array, t)
        m_state, t_state = m_opt.state.get(m, {}), t_opt.state.get(t, {})
        assert m_state.keys() == t_state.keys(), f"{label}: param {i} state keys"
        if "momentum_buffer" in t_state:
            assert_twins_agree(f"{label}: momentum_buffer {i}", "sgd",
                               m_state["momentum_buffer"].array, t_state["momentum_buffer"])


def step_both(label: str, grads: list[Any], m_opt: manual.sgd.SGD, t_opt: torch.optim.SGD,
              m_params: list[manual.Tensor], t_params: list[torch.Tensor]) -> None:
    set_grads(m_params, grads, manual.tensor)
    set_grads(t_params, grads, torch.tensor)
    m_opt.step()
    t_opt.step()
    assert_same_state(label, m_opt, t_opt, m_params, t_params)


# hypothesis favours the first of sampled values: each kind of momentum gets its own run
@requires_fused_kernels
@pytest.mark.parametrize("kind", MOMENTUM_KINDS)
@given(data=st.data())
def test_steps_match_torch(kind, data):
    run = data.draw(runs(kind))
    m_params, t_params = make_params(run.inits, manual.tensor), make_params(run.inits, torch.tensor)
    m_opt = make_sgd(run, m_params, manual.sgd.SGD)
    t_opt = make_sgd(run, t_params, torch_native.sgd.SGD)
    for k, grads in enumerate(run.steps, 1):
        step_both(f"step {k}", grads, m_opt, t_opt, m_params, t_params)


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
        assert m_values.keys() == t_values.keys()
        for name, value in t_values.items():
            assert_twins_agree(f"state[{index}][{name!r}]", "sgd", np.asarray(m_values[name]),
                               value)


def to_torch_state_dict(sd: dict[str, Any]) -> dict[str, Any]:
    """A manual state dict with its manual tensors turned into torch tensors."""
    state = {index: {name: torch.tensor(np.asarray(v)) if isinstance(v, manual.Tensor) else v
                     for name, v in values.items()}
             for index, values in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


def resume(run: Run, params: list[Any], make: Any, sgd: type, sd: dict[str, Any]
           ) -> tuple[Any, list[Any]]:
    """Copies of ``params`` (values and grads) under a fresh optimizer that loads ``sd``."""
    copies = [make(np.array(np.asarray(p.detach())), requires_grad=True) for p in params]
    for p, c in zip(params, copies, strict=True):
        c.grad = None if p.grad is None else make(np.array(np.asarray(p.grad)))
    opt = make_sgd(run, copies, sgd, lr=0.5)  # hyperparameters must come from ``sd``
    opt.load_state_dict(sd)
    return opt, copies


@requires_fused_kernels
@pytest.mark.parametrize("kind", MOMENTUM_KINDS)
@settings(max_examples=30)  # per kind; the steps themselves are test_steps_match_torch's
@given(data=st.data())
def test_state_dict_matches_torch_and_round_trips(kind, data):
    run = data.draw(runs(kind))
    m_params, t_params = make_params(run.inits, manual.tensor), make_params(run.inits, torch.tensor)
    m_opt = make_sgd(run, m_params, manual.sgd.SGD)
    t_opt = make_sgd(run, t_params, torch_native.sgd.SGD)
    k = data.draw(st.integers(0, len(run.steps) - 1), label="steps before saving")
    for j, grads in enumerate(run.steps[:k], 1):
        step_both(f"step {j}", grads, m_opt, t_opt, m_params, t_params)
    assert_same_state_dict(m_opt.state_dict(), t_opt.state_dict())
    # torch's state dict into a fresh manual SGD, manual's into a fresh torch SGD
    m_resumed, m_copies = resume(run, t_params, manual.tensor, manual.sgd.SGD, t_opt.state_dict())
    t_resumed, t_copies = resume(run, m_params, torch.tensor, torch_native.sgd.SGD,
                                 to_torch_state_dict(m_opt.state_dict()))
    assert_same_state_dict(m_resumed.state_dict(), t_opt.state_dict())
    for j, grads in enumerate(run.steps[k:], k + 1):
        step_both(f"resumed from torch, step {j}", grads, m_resumed, t_opt, m_copies, t_params)
        step_both(f"resumed from manual, step {j}", grads, m_opt, t_resumed, m_params, t_copies)


# -- validation -----------------------------------------------------------------------------

def raised(build: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        build()
    return info.type, str(info.value)


BAD_HYPERPARAMETERS = {
    "negative lr": {"lr": -0.1},
    "negative momentum": {"momentum": -0.5},
    "negative weight_decay": {"weight_decay": -1e-4},
    "nesterov without momentum": {"nesterov": True},
    "nesterov with dampening": {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
}


@pytest.mark.parametrize("name", sorted(BAD_HYPERPARAMETERS))
def test_bad_hyperparameters_raise_as_torch(name):
    kwargs = BAD_HYPERPARAMETERS[name]
    m, t = manual.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    m_raised = raised(lambda: manual.sgd.SGD([m], **kwargs))
    assert m_raised == raised(lambda: torch_native.sgd.SGD([t], **kwargs))


def bad_params(make: Any) -> dict[str, Any]:
    """Each params argument torch refuses, built with ``make`` (manual.tensor or torch.tensor)."""
    p = make([1.0, 2.0], requires_grad=True)
    return {
        "non-leaf tensor": [p * 2],
        "empty list": [],
        "parameter in two groups": [{"params": [p]}, {"params": [p], "lr": 0.1}],
    }


@pytest.mark.parametrize("name", ["non-leaf tensor", "empty list", "parameter in two groups"])
def test_bad_params_raise_as_torch(name):
    m_params, t_params = bad_params(manual.tensor)[name], bad_params(torch.tensor)[name]
    m_raised = raised(lambda: manual.sgd.SGD(m_params))
    assert m_raised == raised(lambda: torch_native.sgd.SGD(t_params))


def test_bare_tensor_raises_type_error_as_torch():
    # the same message, but for the name of the tensor's type
    m, t = manual.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    m_type, m_message = raised(lambda: manual.sgd.SGD(m))
    t_type, t_message = raised(lambda: torch_native.sgd.SGD(t))
    assert m_type is t_type is TypeError
    assert m_message == t_message.replace(torch.typename(t), "manual.Tensor")


# -- checks that need no torch --------------------------------------------------------------

@given(runs())
def test_lr_zero_leaves_parameters_unchanged(run):
    run = replace(run, hyper={**run.hyper, "lr": 0.0}, group_lrs=[None] * len(run.groups))
    params = make_params(run.inits, manual.tensor)
    opt = make_sgd(run, params, manual.sgd.SGD)
    for grads in run.steps:
        set_grads(params, grads, manual.tensor)
        opt.step()
    for p, init in zip(params, run.inits, strict=True):
        np.testing.assert_array_equal(p.array, init)


@given(runs())
def test_maximize_is_minimize_of_the_negated_gradient(run):
    negated = [[-g if isinstance(g, np.ndarray) else g for g in grads] for grads in run.steps]
    finished = []
    for maximize, steps in ((True, run.steps), (False, negated)):
        params = make_params(run.inits, manual.tensor)
        opt = make_sgd(run, params, manual.sgd.SGD, **{**run.hyper, "maximize": maximize})
        for grads in steps:
            set_grads(params, grads, manual.tensor)
            opt.step()
        finished.append((params, opt))
    (up, up_opt), (down, down_opt) = finished
    for p, q in zip(up, down, strict=True):
        np.testing.assert_array_equal(p.array, q.array)
        if "momentum_buffer" in up_opt.state.get(p, {}):
            np.testing.assert_array_equal(up_opt.state[p]["momentum_buffer"].array,
                                          down_opt.state[q]["momentum_buffer"].array)


# -- parameter groups -----------------------------------------------------------------------

# powers of two: lr * g is exact, so p - lr * g rounds once, as torch's fused add does
powers_of_two = st.integers(0, 12).map(lambda k: 2.0**-k)


@given(dtypes, st.data())
def test_each_group_moves_by_its_own_lr(dtype, data):
    lr_a, lr_b = data.draw(powers_of_two, label="lr a"), data.draw(powers_of_two, label="lr b")
    a0, b0 = data.draw(arrays(dtype, (3,))), data.draw(arrays(dtype, (2,)))
    ga, gb = data.draw(arrays(dtype, (3,))), data.draw(arrays(dtype, (2,)))
    for make, sgd in ((manual.tensor, manual.sgd.SGD), (torch.tensor, torch_native.sgd.SGD)):
        a, b = make(np.array(a0), requires_grad=True), make(np.array(b0), requires_grad=True)
        opt = sgd([{"params": [a]}, {"params": [b], "lr": lr_b}], lr=lr_a)
        a.grad, b.grad = make(np.array(ga)), make(np.array(gb))
        opt.step()
        for p, p0, lr, g in ((a, a0, lr_a, ga), (b, b0, lr_b, gb)):
            np.testing.assert_array_equal(np.asarray(p.detach()), p0 - dtype.type(lr) * g,
                                          err_msg=f"{sgd.__module__}, lr={lr}")
