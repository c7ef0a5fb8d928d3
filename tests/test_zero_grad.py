"""zero_grad: the hand-written reset (manual/zero_grad.py) against torch's
(torch_native/zero_grad.py), and what each mode does to the SGD step that follows.

set_to_none=True leaves .grad None; set_to_none=False keeps the same gradient tensor, filled
with zeros and detached. Values must agree to the bit (piece "zero_grad": 0 ULP).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.linear
import manual.sgd
import manual.zero_grad
import torch_native.linear
import torch_native.sgd
import torch_native.zero_grad
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, dtypes


def test_hand_example():
    twins = ((manual.tensor, manual.zero_grad.zero_grad),
             (torch.tensor, torch_native.zero_grad.zero_grad))
    for make, zero_grad in twins:
        x = make([1.0, 2.0], requires_grad=True)
        (100 * x).sum().backward()                     # x.grad = [100, 100]
        zero_grad([x])                                 # default set_to_none=True
        assert x.grad is None
        (100 * x).sum().backward()
        grad, values = x.grad, np.asarray(x.grad)
        zero_grad([x], set_to_none=False)              # the same tensor, the same memory
        assert x.grad is grad
        assert np.shares_memory(np.asarray(x.grad), values)
        np.testing.assert_array_equal(np.asarray(x.grad), np.float32([0, 0]))


# -- drawing parameters and their gradients -------------------------------------------------

PLAIN, IN_GRAPH = "plain", "in a graph"  # how a drawn gradient is made


@st.composite
def params_and_grads(draw) -> tuple[list[np.ndarray], list[tuple[str, np.ndarray] | None]]:
    """1-3 parameters; each gradient None, a plain tensor, or one with a grad_fn."""
    dtype = draw(dtypes)
    shapes = draw(st.lists(st.lists(st.integers(1, 3), max_size=2).map(tuple),
                           min_size=1, max_size=3))
    values = [draw(arrays(dtype, shape)) for shape in shapes]
    grads: list[tuple[str, np.ndarray] | None] = []
    for shape in shapes:
        kind = draw(st.none() | st.sampled_from([PLAIN, IN_GRAPH]))
        grads.append(None if kind is None else (kind, draw(arrays(dtype, shape))))
    return values, grads


def make_params(values: list[np.ndarray], grads: list[Any], make: Any) -> list[Any]:
    """Leaf tensors with copies of ``values``; a gradient IN_GRAPH is g * 1 with g requiring
    grad, so it has a grad_fn that zero_grad(set_to_none=False) must detach."""
    params = [make(np.array(v), requires_grad=True) for v in values]
    for p, grad in zip(params, grads, strict=True):
        if grad is not None:
            kind, g = grad
            source = make(np.array(g), requires_grad=kind == IN_GRAPH)
            p.grad = source * 1 if kind == IN_GRAPH else source
    return params


def assert_zeroed(label: str, params: list[Any], before: list[Any], set_to_none: bool) -> None:
    """None where a gradient was, or the same tensor, detached and filled with zeros."""
    for i, (p, grad) in enumerate(zip(params, before, strict=True)):
        if grad is None or set_to_none:
            assert p.grad is None, f"{label}: param {i} grad should be None"
            continue
        assert p.grad is grad, f"{label}: param {i} grad should be the same tensor"
        assert not p.grad.requires_grad and p.grad.grad_fn is None, f"{label}: not detached"
        zeros = np.zeros(p.shape, dtype=np.asarray(p.detach()).dtype)
        np.testing.assert_array_equal(np.asarray(p.grad), zeros, err_msg=label)


@given(params_and_grads(), st.booleans())
def test_zero_grad_matches_torch(drawn, set_to_none):
    values, grads = drawn
    m_params = make_params(values, grads, manual.tensor)
    t_params = make_params(values, grads, torch.tensor)
    m_before, t_before = [p.grad for p in m_params], [p.grad for p in t_params]
    manual.zero_grad.zero_grad(m_params, set_to_none=set_to_none)
    torch_native.zero_grad.zero_grad(t_params, set_to_none=set_to_none)
    assert_zeroed("manual", m_params, m_before, set_to_none)
    assert_zeroed("torch", t_params, t_before, set_to_none)
    for i, (m, t, v) in enumerate(zip(m_params, t_params, values, strict=True)):
        np.testing.assert_array_equal(m.array, v)     # the parameters themselves are untouched
        assert_twins_agree(f"param {i}", "zero_grad", m.array, t)
        assert (m.grad is None) == (t.grad is None), f"param {i}: grad None on one side only"
        if m.grad is not None:
            assert_twins_agree(f"grad {i}", "zero_grad", m.grad.array, t.grad)


# -- the step that follows: skipped after None, a zero-gradient step after zeros ------------

def step_after_zero_grad(values: list[np.ndarray], grads: list[np.ndarray], make: Any,
                         sgd: type, set_to_none: bool) -> tuple[list[Any], list[Any], Any]:
    """One momentum step with ``grads``, zero_grad(set_to_none), a second step.
    Returns the params after the first step, the params now, and the optimizer."""
    params = [make(np.array(v), requires_grad=True) for v in values]
    opt = sgd(params, lr=0.1, momentum=0.9, weight_decay=0.1)
    for p, g in zip(params, grads, strict=True):
        p.grad = make(np.array(g))
    opt.step()
    after_first = [np.array(np.asarray(p.detach())) for p in params]
    opt.zero_grad(set_to_none=set_to_none)
    opt.step()
    return after_first, params, opt


def test_hand_example_momentum_step_after_each_mode():
    # lr 0.1, momentum 0.9, weight decay 0.1; p = 1, g = 1
    # step 1: g = 1 + 0.1 * 1 = 1.1, b = 1.1, p = 1 - 0.1 * 1.1 = 0.89
    # after set_to_none=True: skipped, p stays 0.89
    # after set_to_none=False: g = 0 + 0.1 * 0.89 = 0.089, b = 0.9 * 1.1 + 0.089 = 1.079,
    #                          p = 0.89 - 0.1 * 1.079 = 0.7821
    for make, sgd in ((manual.tensor, manual.sgd.SGD), (torch.tensor, torch_native.sgd.SGD)):
        values, grads = [np.float64([1.0])], [np.float64([1.0])]
        _, params, _ = step_after_zero_grad(values, grads, make, sgd, set_to_none=True)
        np.testing.assert_allclose(np.asarray(params[0].detach()), [0.89], rtol=1e-15)
        _, params, _ = step_after_zero_grad(values, grads, make, sgd, set_to_none=False)
        np.testing.assert_allclose(np.asarray(params[0].detach()), [0.7821], rtol=1e-15)


@given(params_and_grads(), st.booleans())
def test_step_after_zero_grad_matches_torch(drawn, set_to_none):
    values, drawn_grads = drawn
    grads = [np.ones_like(v) if g is None else g[1]
             for v, g in zip(values, drawn_grads, strict=True)]
    m_first, m_params, m_opt = step_after_zero_grad(values, grads, manual.tensor,
                                                    manual.sgd.SGD, set_to_none)
    t_first, t_params, t_opt = step_after_zero_grad(values, grads, torch.tensor,
                                                    torch_native.sgd.SGD, set_to_none)
    for i, (m, t) in enumerate(zip(m_params, t_params, strict=True)):
        if set_to_none:  # skipped: not moved at all
            np.testing.assert_array_equal(m.array, m_first[i])
            np.testing.assert_array_equal(t.detach().numpy(), t_first[i])
        assert_twins_agree(f"param {i}", "sgd", m.array, t)
        assert_twins_agree(f"momentum_buffer {i}", "sgd", m_opt.state[m]["momentum_buffer"].array,
                           t_opt.state[t]["momentum_buffer"])


# -- the same reset through an optimizer and through a module -------------------------------

def reset(way: str, twin: str, module: Any, set_to_none: bool) -> None:
    """zero_grad on ``module``'s parameters: the function, an optimizer's, or the module's."""
    zero_grad, sgd = ((manual.zero_grad.zero_grad, manual.sgd.SGD) if twin == "manual"
                      else (torch_native.zero_grad.zero_grad, torch_native.sgd.SGD))
    if way == "function":
        zero_grad(module.parameters(), set_to_none=set_to_none)
    elif way == "optimizer":
        sgd(module.parameters()).zero_grad(set_to_none=set_to_none)
    else:
        module.zero_grad(set_to_none=set_to_none)


@pytest.mark.parametrize("way", ["function", "optimizer", "module"])
@given(st.integers(1, 3), st.integers(1, 3), st.booleans(), st.booleans(), st.data())
def test_optimizer_and_module_zero_grad_match_the_function(way, n_in, n_out, bias,
                                                           set_to_none, data):
    manual_module = manual.linear.Linear(n_in, n_out, bias=bias)
    torch_module = torch_native.linear.Linear(n_in, n_out, bias=bias)
    # the same gradient (or None) on both twins' weight and bias, float32 as the layers are
    grads = [data.draw(st.none() | arrays(np.dtype(np.float32), tuple(p.shape)))
             for p in manual_module.parameters()]
    for module, make in ((manual_module, manual.tensor), (torch_module, torch.tensor)):
        for p, g in zip(module.parameters(), grads, strict=True):
            p.grad = None if g is None else make(np.array(g))
    for twin, module in (("manual", manual_module), ("torch", torch_module)):
        before = [p.grad for p in module.parameters()]
        reset(way, twin, module, set_to_none)
        assert_zeroed(f"{twin} {way}", list(module.parameters()), before, set_to_none)
