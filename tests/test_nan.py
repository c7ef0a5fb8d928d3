"""NaN and infinity: every piece puts NaN, +inf and -inf where torch puts them, in outputs,
gradients, parameters and optimizer state.

Inputs mix finite values (|x| <= 4, so no sum of the sizes drawn here overflows) with NaN,
+inf and -inf. The twins' finite values are compared elsewhere; here only the positions of
NaN and the positions and signs of infinities must be the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import torch_native
from manual import activations as m_act
from manual import adam as m_adam
from manual import conv2d as m_conv
from manual import conv_transpose2d as m_convt
from manual import cross_entropy as m_ce
from manual import linear as m_linear
from manual import mse_loss as m_mse
from manual import sgd as m_sgd
from reference.convert import to_numpy
from tests.strategies import dtypes
from torch_native import activations as t_act
from torch_native import adam as t_adam
from torch_native import conv2d as t_conv
from torch_native import conv_transpose2d as t_convt
from torch_native import cross_entropy as t_ce
from torch_native import linear as t_linear
from torch_native import mse_loss as t_mse
from torch_native import sgd as t_sgd

assert torch_native  # the package the torch twins come from

SPECIALS = (np.nan, np.inf, -np.inf)
NAN = settings(max_examples=30)  # 15 properties: keep the file near 10 s


def with_specials(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Arrays of finite values in [-4, 4], NaN, +inf and -inf, about a third non-finite."""
    finite = st.floats(-4, 4, width=8 * dtype.itemsize, allow_subnormal=False)
    elements = st.one_of(finite, finite, st.sampled_from(SPECIALS))
    return hnp.arrays(dtype, shape, elements=elements)


def assert_same_specials(label: str, manual_value: Any, torch_value: Any) -> None:
    """NaN at the same positions, +inf and -inf at the same positions."""
    m, t = to_numpy(manual_value), to_numpy(torch_value)
    assert m.shape == t.shape, f"{label}: shape {m.shape} != {t.shape}"
    for kind, test in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        differ = np.argwhere(test(m) != test(t))
        assert differ.size == 0, (
            f"{label}: {kind} differs at {list(differ[0])}: manual {m[tuple(differ[0])]!r}, "
            f"torch {t[tuple(differ[0])]!r}")


def output_gradient(shape: tuple[int, ...]) -> np.ndarray:
    """dL/dout for backward: mostly finite, with some NaN, +inf and -inf (the same for a
    given shape on both sides)."""
    rng = np.random.default_rng(int(np.prod(shape)))
    choices = np.array([1.0, -0.5, 2.0, np.nan, np.inf, -np.inf])
    return rng.choice(choices, size=shape, p=[0.4, 0.2, 0.2, 0.1, 0.05, 0.05])


def run_both(build_manual: Callable, build_torch: Callable, arrays: list[np.ndarray],
             label: str, backward: bool = True) -> None:
    """out = build(*tensors) on both sides; compare out and, after out.backward(dout) with
    a dout that holds NaN and infinities too, the gradient of every input."""
    sides = []
    for lib, build in ((manual, build_manual), (torch, build_torch)):
        tensors = [lib.tensor(np.array(a), requires_grad=backward) for a in arrays]
        with np.errstate(all="ignore"):
            out = build(*tensors)
            if backward:
                dout = output_gradient(tuple(out.shape)).astype(arrays[0].dtype)
                out.backward(lib.tensor(dout))
        sides.append((out, [t.grad for t in tensors]))
    (m_out, m_grads), (t_out, t_grads) = sides
    assert_same_specials(f"{label} forward", m_out, t_out)
    for i, (m_grad, t_grad) in enumerate(zip(m_grads, t_grads)):
        assert_same_specials(f"{label} gradient of input {i}", m_grad, t_grad)


@st.composite
def linear_case(draw):
    dtype = draw(dtypes)
    batch, n_in, n_out = (draw(st.integers(1, 3)) for _ in range(3))
    return [draw(with_specials(dtype, (batch, n_in))), draw(with_specials(dtype, (n_out, n_in))),
            draw(with_specials(dtype, (n_out,)))]


@NAN
@given(linear_case())
def test_linear(arrays):
    run_both(m_linear.linear, t_linear.linear, arrays, "linear")


@NAN
@given(dtypes.flatmap(lambda d: st.tuples(with_specials(d, (2, 3)), with_specials(d, (2, 3)))),
       st.sampled_from(["mean", "sum", "none"]))
def test_mse_loss(pair, reduction):
    run_both(lambda x, y: m_mse.mse_loss(x, y, reduction),
             lambda x, y: t_mse.mse_loss(x, y, reduction), list(pair), f"mse_loss {reduction}")


@NAN
@given(dtypes.flatmap(lambda d: with_specials(d, (3, 4))),
       st.lists(st.integers(0, 3), min_size=3, max_size=3),
       st.sampled_from(["mean", "sum", "none"]), st.sampled_from([0.0, 0.2]))
def test_cross_entropy(x, target, reduction, smoothing):
    def build(ns, lib):
        return lambda logits: ns.cross_entropy(logits, lib.tensor(target), reduction=reduction,
                                               label_smoothing=smoothing)
    run_both(build(m_ce, manual), build(t_ce, torch), [x], f"cross_entropy {reduction}")


@NAN
@given(dtypes.flatmap(lambda d: st.tuples(with_specials(d, (3, 4)), with_specials(d, (3, 4)))))
def test_cross_entropy_probabilities(pair):
    run_both(m_ce.cross_entropy, t_ce.cross_entropy, list(pair), "cross_entropy probabilities")


@st.composite
def conv_case(draw, transposed: bool):
    dtype = draw(dtypes)
    c_in, c_out, k = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    w_shape = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
    return ([draw(with_specials(dtype, (1, c_in, 3, 3))), draw(with_specials(dtype, w_shape)),
             draw(with_specials(dtype, (c_out,)))],
            dict(stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1))))


@NAN
@given(conv_case(transposed=False))
def test_conv2d(case):
    arrays, options = case
    run_both(lambda *a: m_conv.conv2d(*a, **options), lambda *a: t_conv.conv2d(*a, **options),
             arrays, f"conv2d {options}")


@NAN
@given(conv_case(transposed=True))
def test_conv_transpose2d(case):
    arrays, options = case
    run_both(lambda *a: m_convt.conv_transpose2d(*a, **options),
             lambda *a: t_convt.conv_transpose2d(*a, **options), arrays,
             f"conv_transpose2d {options}")


@NAN
@given(dtypes.flatmap(lambda d: with_specials(d, (2, 5))))
def test_relu(x):
    run_both(m_act.relu, t_act.relu, [x], "relu")


ENGINE_OPS: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "matmul": lambda a, b: a @ b.T,
    "exp": lambda a, b: a.exp() * b,
    "log": lambda a, b: a.log() + b,
    "square": lambda a, b: a ** 2 + b,
    "sqrt": lambda a, b: a ** 0.5 + b,
    "rsqrt": lambda a, b: a ** -0.5 + b,
    "cube": lambda a, b: a ** 3 + b,
    "reciprocal": lambda a, b: a ** -1 + b,
    "sum": lambda a, b: a.sum(dim=0) * b,
    "mean": lambda a, b: a.mean(dim=1, keepdim=True) * b,
    "relu": lambda a, b: a.relu() * b,
}


# (torch computes x ** -0.5 as rsqrt, 1 / sqrt(x): NaN at -inf where libm's pow gives 0, and
# x ** 0.5's gradient reads x ** -0.5; manual/tensor.py's _power does as torch does)


@pytest.mark.parametrize("op", ENGINE_OPS)
@NAN
@given(dtypes.flatmap(lambda d: st.tuples(with_specials(d, (2, 3)), with_specials(d, (2, 3)))))
def test_engine_op(op, pair):
    run_both(ENGINE_OPS[op], ENGINE_OPS[op], list(pair), f"engine {op}")


@st.composite
def step_case(draw):
    dtype = draw(dtypes)
    return dtype, [draw(with_specials(dtype, (2, 3))) for _ in range(3)]


def _steps(lib: Any, optimizer_class: type, options: dict, arrays: list[np.ndarray]) -> Any:
    """Two steps from p with gradients g1 then g2; returns p and the optimizer."""
    p = lib.tensor(np.array(arrays[0]), requires_grad=True)
    optimizer = optimizer_class([p], **options)
    for g in arrays[1:]:
        p.grad = lib.tensor(np.array(g))
        with np.errstate(all="ignore"):
            optimizer.step()
    return p, optimizer


def _compare_steps(manual_class: type, torch_class: type, options: dict, arrays) -> None:
    m_p, m_opt = _steps(manual, manual_class, options, arrays)
    t_p, t_opt = _steps(torch, torch_class, options, arrays)
    assert_same_specials(f"{options} parameter", m_p.detach(), t_p)
    for key, value in t_opt.state[t_p].items():
        assert_same_specials(f"{options} state {key}", m_opt.state[m_p][key], value)


@NAN
@given(step_case(), st.sampled_from([0.0, 0.9]), st.sampled_from([0.0, 0.1]),
       st.booleans())
def test_sgd_step(case, momentum, weight_decay, maximize):
    _, arrays = case
    options = dict(lr=0.1, momentum=momentum, weight_decay=weight_decay, maximize=maximize)
    _compare_steps(m_sgd.SGD, t_sgd.SGD, options, arrays)


@NAN
@given(step_case(), st.sampled_from([0.0, 0.1]), st.booleans(), st.booleans(),
       st.sampled_from([1e-8, 0.0]))
def test_adam_step(case, weight_decay, amsgrad, decoupled, eps):
    _, arrays = case
    options = dict(lr=0.1, weight_decay=weight_decay, amsgrad=amsgrad, eps=eps)
    classes = (m_adam.AdamW, t_adam.AdamW) if decoupled else (m_adam.Adam, t_adam.Adam)
    _compare_steps(*classes, options, arrays)
