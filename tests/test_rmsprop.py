"""RMSprop: manual/rmsprop.py against torch.optim.RMSprop (torch_native/rmsprop.py).

From the same starting values and the same gradients the twins round alike at every
operation but one: torch's CPU sqrt is faithful (within 1 ULP), NumPy's correctly rounded.
So the comparison with torch runs twice:

* with torch's sqrt replaced by NumPy's (``correctly_rounded_sqrt``): every option,
  every parameter and every state tensor after every step, to the bit ("exact");
* with torch as it is, without weight decay (which feeds p back into v and m): step,
  square_avg and grad_avg to the bit, the momentum buffer within "rmsprop_momentum_buffer"
  of its magnitude B = mu B + |g / d| and the parameters within "rmsprop" of |p_0| + the
  sum of lr B (reference/checks/rmsprop.py derives both).
"""

from __future__ import annotations

import inspect
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.rmsprop
import torch_native.linear
import torch_native.mse_loss
import torch_native.rmsprop
from reference.checks.rmsprop import TOLERANCES, step_scales
from reference.distance import distance
from tests.helpers import (
    KEEP,
    assert_twins_agree,
    make_params,
    param_groups,
    requires_fused_kernels,
    set_grads,
)
from tests.strategies import arrays, dtypes
from tests.test_fuzz import any_array, assert_same_outcome, values
from tests.test_nan import assert_same_specials, with_specials

TWINS = (manual.rmsprop.RMSprop, torch_native.rmsprop.RMSprop)
STATE_KEYS = ("step", "square_avg", "momentum_buffer", "grad_avg")


def _numpy_sqrt(self: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.asarray(np.sqrt(self.detach().numpy())))


def _numpy_sqrt_(self: torch.Tensor) -> torch.Tensor:
    return self.copy_(_numpy_sqrt(self))


def _numpy_foreach_sqrt_(tensors: list[torch.Tensor]) -> None:
    for t in tensors:
        _numpy_sqrt_(t)


def _numpy_foreach_sqrt(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    return [_numpy_sqrt(t) for t in tensors]


def correctly_rounded_sqrt() -> AbstractContextManager:
    """torch's optimizers with NumPy's (correctly rounded) sqrt in place of torch's own."""
    stack = ExitStack()
    stack.enter_context(mock.patch.object(torch.Tensor, "sqrt", _numpy_sqrt))
    stack.enter_context(mock.patch.object(torch.Tensor, "sqrt_", _numpy_sqrt_))
    stack.enter_context(mock.patch.object(torch, "_foreach_sqrt_", _numpy_foreach_sqrt_))
    stack.enter_context(mock.patch.object(torch, "_foreach_sqrt", _numpy_foreach_sqrt))
    return stack


def assert_within(label: str, kind: str, manual_value: Any, torch_value: Any,
                  scale: Any = None) -> None:
    """Held to one of reference/checks/rmsprop.py's kinds (proposed for tolerances.py)."""
    tol = TOLERANCES[kind]
    gap = distance(np.asarray(manual_value), torch_value, scale if tol.of_scale else None)
    assert gap.max_ulp <= tol.ulp, f"{label} ({kind}): {gap}; allowed {tol}"


def test_hand_example_with_and_without_momentum():
    # alpha 3/4, eps 1, lr 1/4, p = 1 (all exact in binary); eps is added after the root
    # step 1, g = 2: v = (1/4) 4 = 1, d = sqrt(1) + 1 = 2, g / d = 1
    # step 2, g = 1: v = (3/4) 1 + (1/4) 1 = 1, d = 2, g / d = 1/2
    # no momentum: p = 1 - 1/4 = 3/4, then 3/4 - (1/4)(1/2) = 5/8
    # momentum 1/2: b = 1, p = 3/4; then b = (1/2) 1 + 1/2 = 1, p = 3/4 - 1/4 = 1/2
    for momentum, expected in ((0.0, [0.75, 0.625]), (0.5, [0.75, 0.5])):
        for make, rmsprop in zip((manual.tensor, torch.tensor), TWINS, strict=True):
            p = make([1.0], requires_grad=True)
            opt = rmsprop([p], lr=0.25, alpha=0.75, eps=1.0, momentum=momentum)
            for g, value in zip((2.0, 1.0), expected, strict=True):
                p.grad = make([g])
                opt.step()
                np.testing.assert_array_equal(np.asarray(p.detach()), np.float32([value]))
            keys = ["step", "square_avg"] + (["momentum_buffer"] if momentum else [])
            assert list(opt.state[p]) == keys
            np.testing.assert_array_equal(np.asarray(opt.state[p]["square_avg"]), [1.0])


def test_hand_example_centered():
    # alpha 1/2, eps 1, lr 1/4, p = 1, g = 2: v = (1/2) 4 = 2, m = (1/2) 2 = 1,
    # d = sqrt(v - m m) + 1 = sqrt(1) + 1 = 2, p = 1 - (1/4) 2 / 2 = 3/4
    for make, rmsprop in zip((manual.tensor, torch.tensor), TWINS, strict=True):
        p = make([1.0], requires_grad=True)
        p.grad = make([2.0])
        opt = rmsprop([p], lr=0.25, alpha=0.5, eps=1.0, centered=True)
        opt.step()
        np.testing.assert_array_equal(np.asarray(p.detach()), np.float32([0.75]))
        assert list(opt.state[p]) == ["step", "square_avg", "grad_avg"]
        np.testing.assert_array_equal(np.asarray(opt.state[p]["grad_avg"]), [1.0])


def test_signature_defaults_and_group_keys_match_torch():
    # torch.optim.RMSprop itself: every argument positional, as torch's
    expected = [(q.name, q.kind, q.default)
                for q in inspect.signature(torch.optim.RMSprop).parameters.values()]
    for cls in TWINS:
        assert [(q.name, q.kind, q.default)
                for q in inspect.signature(cls).parameters.values()] == expected
    m_group = TWINS[0]([manual.tensor([1.0], requires_grad=True)]).param_groups[0]
    t_group = TWINS[1]([torch.tensor([1.0], requires_grad=True)]).param_groups[0]
    assert list(m_group) == list(t_group)  # torch's keys, in torch's order
    assert {k: v for k, v in m_group.items() if k != "params"} == \
           {k: v for k, v in t_group.items() if k != "params"}


# -- drawing a run: parameters, groups, hyperparameters, the gradients of each step ---------

@dataclass
class Run:
    """Starting values, how they split into groups, and the gradient of each step."""

    inits: list[np.ndarray]
    groups: list[list[int]]          # parameter indices of each group
    group_lrs: list[float | None]    # a group's own lr, or None for the default
    hyper: dict[str, Any]            # RMSprop's keyword arguments
    steps: list[list[Any]]           # per step, per parameter: an array, None or KEEP


lrs = st.just(1e-2) | st.just(0.0) | st.floats(1e-4, 1.0)
alphas = st.sampled_from([0.0, 0.5, 0.99, 1.0]) | st.floats(0.0, 1.0)
momenta = st.just(0.0) | st.sampled_from([0.5, 0.9]) | st.floats(0.0, 0.99)
positive_eps = st.just(1e-8) | st.floats(1e-12, 1e-2)
any_eps = st.just(0.0) | positive_eps
weight_decays = st.just(0.0) | st.floats(1e-4, 0.5)
any_alpha = alphas | st.just(1.5)
booleans = st.booleans()


def far_from_underflow(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Gradients in [-8, 8], each 0 or at least 2^-20 in size: the products and squares of
    a first step then stay normal numbers, where bounds relative to them hold."""
    elements = st.floats(-8, 8, width=8 * dtype.itemsize).filter(
        lambda x: x == 0 or abs(x) >= 2.0**-20)
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def hyperparameters(draw, eps: st.SearchStrategy = any_eps,
                    weight_decay: st.SearchStrategy = weight_decays,
                    alpha: st.SearchStrategy = any_alpha,
                    centered: st.SearchStrategy = booleans) -> dict[str, Any]:
    """alpha > 1 is taken: v turns negative, and the steps NaN, on both twins."""
    return {"lr": draw(lrs), "alpha": draw(alpha), "eps": draw(eps),
            "weight_decay": draw(weight_decay), "momentum": draw(momenta),
            "centered": draw(centered), "maximize": draw(st.booleans()),
            "foreach": draw(st.sampled_from([None, False, True]))}


@st.composite
def runs(draw, **hyper: st.SearchStrategy) -> Run:
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
    return Run(inits, groups, group_lrs, draw(hyperparameters(**hyper)), steps)


# -- running a run on both twins ------------------------------------------------------------

@dataclass
class Twins:
    """One run on both twins: optimizers and parameters."""

    m_opt: manual.rmsprop.RMSprop
    t_opt: torch.optim.RMSprop
    m_params: list[manual.Tensor]
    t_params: list[torch.Tensor]


Scales = tuple[list[np.ndarray], list[np.ndarray]]  # of the parameters, of the buffers


def make_optimizer(run: Run, params: list[Any], twin: int, **hyper: Any) -> Any:
    """The run's optimizer on twin 0 (manual) or 1 (torch), or with ``hyper`` instead."""
    groups = param_groups(params, run.groups, run.group_lrs)
    return TWINS[twin](groups, **(hyper if hyper else run.hyper))


def start(run: Run) -> Twins:
    m_params, t_params = make_params(run.inits, manual.tensor), make_params(run.inits, torch.tensor)
    return Twins(make_optimizer(run, m_params, 0), make_optimizer(run, t_params, 1),
                 m_params, t_params)


def assert_same_state(label: str, twins: Twins, scales: Scales | None = None) -> None:
    """Every parameter and state tensor: exact, or (with ``scales``) p and b bounded."""
    for i, (m, t) in enumerate(zip(twins.m_params, twins.t_params, strict=True)):
        if scales is None:
            assert_twins_agree(f"{label}: param {i}", "exact", m.array, t)
        else:
            assert_within(f"{label}: param {i}", "rmsprop", m.array, t, scales[0][i])
        m_state, t_state = twins.m_opt.state.get(m, {}), twins.t_opt.state.get(t, {})
        assert list(m_state) == list(t_state), f"{label}: param {i} state keys"
        for key in t_state:
            if key == "momentum_buffer" and scales is not None:
                assert_within(f"{label}: {key} {i}", "rmsprop_momentum_buffer",
                              m_state[key].array, t_state[key], scales[1][i])
            else:
                assert_twins_agree(f"{label}: {key} {i}", "exact", m_state[key].array,
                                   t_state[key])


def step_both(label: str, grads: list[Any], twins: Twins, scales: Scales | None = None) -> None:
    set_grads(twins.m_params, grads, manual.tensor)
    set_grads(twins.t_params, grads, torch.tensor)
    twins.m_opt.step()
    twins.t_opt.step()
    assert_same_state(label, twins, scales)


@requires_fused_kernels
@given(runs())
def test_steps_match_torch_to_the_bit_given_a_correctly_rounded_sqrt(run):
    twins = start(run)
    with correctly_rounded_sqrt(), np.errstate(all="ignore"):  # alpha > 1: NaN, silently
        for k, grads in enumerate(run.steps, 1):
            step_both(f"step {k}", grads, twins)


@requires_fused_kernels
@given(runs(eps=positive_eps, weight_decay=st.just(0.0), alpha=alphas))
def test_steps_match_torch_within_the_bound_of_its_faithful_sqrt(run):
    twins = start(run)
    scales = step_scales(twins.t_opt, twins.t_params)  # |p_0| + the sum of lr B, and B
    for k, grads in enumerate(run.steps, 1):
        step_both(f"step {k}", grads, twins, scales)


# -- many elements at once ------------------------------------------------------------------

BULK = [{}, {"momentum": 0.9}, {"centered": True},
        {"centered": True, "momentum": 0.5, "alpha": 0.9, "maximize": True},
        {"weight_decay": 0.1, "momentum": 0.9, "foreach": True}]


def bulk_run(dtype: type, options: dict[str, Any], rng: np.random.Generator) -> Run:
    """One parameter of 1000 elements and 5 steps of gradients N(0, 1) x 10^U(-3, 2)."""
    p0 = rng.uniform(-4, 4, 1000).astype(dtype)
    steps = [[(rng.standard_normal(1000) * 10.0 ** rng.uniform(-3, 2, 1000)).astype(dtype)]
             for _ in range(5)]
    return Run([p0], [[0]], [None], options, steps)


@requires_fused_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_random_elements_agree_as_the_small_runs_do(dtype):
    # hypothesis favours simple numbers, whose products and sums are often exact: random
    # ones make every rounding case occur (a step rounded otherwise than torch's differs
    # on a few elements in a hundred). To the bit with NumPy's sqrt in torch; within the
    # bounds with torch's own, where there is no weight decay
    rng = np.random.default_rng(0)
    for options in BULK:
        run = bulk_run(dtype, options, rng)
        twins = start(run)
        with correctly_rounded_sqrt():
            for k, grads in enumerate(run.steps, 1):
                step_both(f"{options} step {k}", grads, twins)
        if options.get("weight_decay", 0) == 0:
            twins = start(run)
            scales = step_scales(twins.t_opt, twins.t_params)
            for k, grads in enumerate(run.steps, 1):
                step_both(f"{options} step {k}, torch's sqrt", grads, twins, scales)


# -- state dict -----------------------------------------------------------------------------

def assert_same_state_dict(m_sd: dict[str, Any], t_sd: dict[str, Any]) -> None:
    """torch's layout: the same group keys in the same order, indices, and state values."""
    assert list(m_sd) == list(t_sd) == ["state", "param_groups"]
    assert len(m_sd["param_groups"]) == len(t_sd["param_groups"])
    for m_group, t_group in zip(m_sd["param_groups"], t_sd["param_groups"], strict=True):
        assert list(m_group) == list(t_group)
        assert m_group == t_group  # hyperparameters and the "params" index lists
    assert list(m_sd["state"]) == list(t_sd["state"])  # first stepped, first listed
    for index, t_values in t_sd["state"].items():
        assert list(m_sd["state"][index]) == list(t_values)
        assert list(t_values) == [key for key in STATE_KEYS if key in t_values]
        for name, value in t_values.items():
            assert_twins_agree(f"state[{index}][{name!r}]", "exact",
                               np.asarray(m_sd["state"][index][name]), value)


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
    opt = make_optimizer(run, copies, twin, lr=0.5, alpha=0.5, momentum=0.0, centered=False)
    opt.load_state_dict(sd)
    return opt, copies


@requires_fused_kernels
@settings(max_examples=40)
@given(runs(), st.data())
def test_state_dict_matches_torch_and_round_trips(run, data):
    twins = start(run)
    k = data.draw(st.integers(0, len(run.steps) - 1), label="steps before saving")
    with correctly_rounded_sqrt(), np.errstate(all="ignore"):
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


# -- torch's refusals at a step, and a tensor lr ------------------------------------------

def outcome(lib: Any, opt_class: type, **options: Any) -> tuple[Any, ...]:
    """Two parameters with gradients, two steps: what is raised, and p and the state after."""
    params = [lib.tensor([1.0, -2.0], requires_grad=True), lib.tensor([0.5], requires_grad=True)]
    opt = opt_class(params, **options)
    error = None
    for g in ([0.5, 4.0], [-1.0]), ([2.0, 1.0], [3.0]):
        for p, grad in zip(params, g, strict=True):
            p.grad = lib.tensor(grad)
        try:
            opt.step()
        except (AssertionError, RuntimeError) as raised:
            error = (type(raised), str(raised))
            break
    values = [np.asarray(p.detach()).tolist() for p in params]
    state = [{k: np.asarray(v).tolist() for k, v in opt.state[p].items()} for p in params]
    return error, values, state


@requires_fused_kernels
@pytest.mark.parametrize("options", [{"capturable": True}, {"differentiable": True},
                                     {"differentiable": True, "momentum": 0.5},
                                     {"foreach": True, "differentiable": True},
                                     {"foreach": True, "centered": True, "momentum": 0.5},
                                     {"lr": "tensor"}, {"lr": "tensor", "momentum": 0.5}],
                         ids=str)
def test_refusals_at_a_step_and_a_tensor_lr_as_torch(options):
    # capturable needs a GPU; differentiable steps in grad mode, where updating a leaf that
    # requires grad in place is refused once its state is updated; a tensor lr is its value
    sides = []
    for lib, cls in zip((manual, torch), TWINS, strict=True):
        lr = {"lr": lib.tensor(0.25)} if options.get("lr") == "tensor" else {}
        with correctly_rounded_sqrt():
            sides.append(outcome(lib, cls, **{**options, **lr}))
    assert sides[0] == sides[1]


# -- checks that need no torch --------------------------------------------------------------

def run_manual(run: Run, **hyper: Any) -> tuple[Any, list[manual.Tensor]]:
    """All the run's steps on the manual twin (with ``hyper`` over the run's own)."""
    params = make_params(run.inits, manual.tensor)
    opt = make_optimizer(run, params, 0, **{**run.hyper, **hyper})
    with np.errstate(all="ignore"):
        for grads in run.steps:
            set_grads(params, grads, manual.tensor)
            opt.step()
    return opt, params


@given(runs(eps=positive_eps, alpha=alphas, centered=st.just(False)))
def test_lr_zero_leaves_parameters_unchanged(run):
    # (centered, v - m m can round below zero, and its root is NaN, even with lr = 0)
    run = replace(run, group_lrs=[None] * len(run.groups))
    _, params = run_manual(run, lr=0.0)
    for p, init in zip(params, run.inits, strict=True):
        np.testing.assert_array_equal(p.array, init)


@given(runs(weight_decay=st.just(0.0)), st.floats(1e-3, 2.0))
def test_lr_only_scales_the_step_the_state_is_the_same(run, lr):
    # without weight decay, v, m and b never see p: any lr leaves them the same, to the bit
    run = replace(run, group_lrs=[None] * len(run.groups))
    (opt_a, params_a), (opt_b, params_b) = run_manual(run), run_manual(run, lr=lr)
    for p, q in zip(params_a, params_b, strict=True):
        for key in opt_a.state.get(p, {}):
            np.testing.assert_array_equal(opt_a.state[p][key].array, opt_b.state[q][key].array)


@given(runs())
def test_maximize_is_minimize_of_the_negated_gradient(run):
    negated = [[-g if isinstance(g, np.ndarray) else g for g in grads] for grads in run.steps]
    up_opt, up = run_manual(run, maximize=True)
    down_opt, down = run_manual(replace(run, steps=negated), maximize=False)
    for p, q in zip(up, down, strict=True):
        np.testing.assert_array_equal(p.array, q.array)
        for key in up_opt.state.get(p, {}):
            np.testing.assert_array_equal(up_opt.state[p][key].array, down_opt.state[q][key].array)


@given(dtypes, st.integers(1, 4),
       hyperparameters(eps=positive_eps, weight_decay=st.just(0.0), alpha=st.floats(0.01, 0.99)),
       st.data())
def test_first_step_is_g_over_its_root_mean_square_plus_eps(dtype, n, hyper, data):
    # v = (1 - alpha) g g, m = (1 - alpha) g: p - lr g / (sqrt(v - m m) + eps), with
    # momentum too (b = g / d)
    p0, g = data.draw(arrays(dtype, (n,), bound=4.0)), data.draw(far_from_underflow(dtype, (n,)))
    p = manual.tensor(np.array(p0), requires_grad=True)
    p.grad = manual.tensor(np.array(g))
    manual.rmsprop.RMSprop([p], **hyper).step()
    lr, alpha, eps = hyper["lr"], hyper["alpha"], hyper["eps"]
    g64 = -g.astype(np.float64) if hyper["maximize"] else g.astype(np.float64)
    m = (1 - alpha) * g64 if hyper["centered"] else 0.0
    update = lr * g64 / (np.sqrt((1 - alpha) * g64 * g64 - m * m) + eps)
    # v (1 - alpha rounded, (1 - alpha) g, the fma) is within 3u, m (the lerp) 2u, so
    # v - m m = alpha v cancels to within (3 + 4) / alpha u, plus u for the fma; the root
    # halves it and adds u, eps u, lr, -lr g and the quotient 3u: under (6.5 + 3.5 / alpha)u
    # of the update (5.5u uncentered); p's rounding: u of |p_0| + |update|
    relative = 8 + (4 / alpha if hyper["centered"] else 0)
    bound = relative * np.finfo(dtype).eps / 2 * (np.abs(p0.astype(np.float64)) + np.abs(update))
    assert np.all(np.abs(p.array - (p0 - update)) <= bound), (p.array, p0 - update)


# -- a training loop ------------------------------------------------------------------------

@requires_fused_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_linear_model_trained_on_synthetic_data_moves_as_torchs(dtype):
    # y = x W^T + b on 32 noisy points, mse_loss, 5 steps. torch's loop makes the gradients
    # and both optimizers are given them, so that only the optimizers differ: the weights
    # stay within "rmsprop" of torch's, the buffer within its bound, the averages exact
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (32, 3)).astype(dtype)
    y = (x @ np.array([[0.5, -1.0, 2.0]]).T + 0.25 + rng.normal(0, 0.1, (32, 1))).astype(dtype)
    torch.manual_seed(0)
    model = torch_native.linear.Linear(3, 1).to(getattr(torch, dtype.__name__))
    t_params = list(model.parameters())
    m_params = [manual.tensor(p.detach().numpy().copy(), requires_grad=True) for p in t_params]
    options = {"lr": 0.01, "momentum": 0.9, "centered": True}
    twins = Twins(TWINS[0](m_params, **options), TWINS[1](t_params, **options), m_params,
                  t_params)
    scales = step_scales(twins.t_opt, t_params)
    losses = []
    for k in range(1, 6):
        twins.t_opt.zero_grad()
        loss = torch_native.mse_loss.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        losses.append(loss.item())
        step_both(f"step {k}", [p.grad.numpy() for p in t_params], twins, scales)
    assert losses[-1] < losses[0]


# -- NaN and infinities; arbitrary arguments ------------------------------------------------

@settings(max_examples=30)
@given(dtypes.flatmap(lambda d: st.lists(with_specials(d, (2, 3)), min_size=3, max_size=3)),
       st.sampled_from([0.0, 0.1]), st.sampled_from([0.0, 0.9]), st.booleans(),
       st.sampled_from([1e-8, 0.0]))
def test_nan_and_infinities_land_where_torchs_do(arrays3, weight_decay, momentum, centered,
                                                 eps):
    sides = []
    for lib, cls in zip((manual, torch), TWINS, strict=True):
        p = lib.tensor(np.array(arrays3[0]), requires_grad=True)
        opt = cls([p], weight_decay=weight_decay, momentum=momentum, centered=centered,
                  eps=eps)
        for g in arrays3[1:]:
            p.grad = lib.tensor(np.array(g))
            with np.errstate(all="ignore"):
                opt.step()
        sides.append((p, opt))
    (m_p, m_opt), (t_p, t_opt) = sides
    assert_same_specials("parameter", m_p.detach(), t_p)
    for key, value in t_opt.state[t_p].items():
        assert_same_specials(f"state {key}", m_opt.state[m_p][key], value)


any_value = st.sampled_from([0.0, 0.1, 0.9, 1.0, -0.1, float("nan")])


def arbitrary(default: float) -> st.SearchStrategy:
    """A hyperparameter: its default half the time, else any value, bad ones included."""
    return st.just(default) | any_value


param_and_grad = any_array().flatmap(lambda p: st.tuples(st.just(p), values(p.dtype, p.shape)))


@requires_fused_kernels
@settings(max_examples=150)  # many draws are refused early: an int dtype or a bad value
@given(param_and_grad, arbitrary(1e-2), arbitrary(0.99) | st.just(1.5), arbitrary(1e-8),
       arbitrary(0.0), arbitrary(0.0), st.booleans(), st.booleans())
def test_arbitrary_arguments_agree_or_are_refused_alike(p_and_g, lr, alpha, eps, weight_decay,
                                                       momentum, centered, maximize):
    p, g = p_and_g

    def step(ns):
        param = ns.lib.tensor(np.array(p), requires_grad=True)
        optimizer = ns.rmsprop.RMSprop([param], lr, alpha, eps, weight_decay, momentum,
                                       centered, maximize=maximize)
        param.grad = ns.lib.tensor(np.array(g))
        optimizer.step()
        return [param.detach(), *optimizer.state[param].values()]
    with correctly_rounded_sqrt():
        assert_same_outcome("exact", step)
