"""Fuzzing: every public function and constructor, called with arbitrary shapes (empty dims,
0-d, mismatched), dtypes (float32, float64, int64, bool) and options. Both twins succeed and
agree, or both refuse with the same exception class.

Float values are multiples of 1/4 in [-2, 2]: the products and sums of the sizes drawn here
are then exact in float32, so matrix products, convolutions and mse_loss must agree to the
bit whatever the order of their sums; exp and log (cross_entropy) are compared with the
piece's tolerance, normwise.
Integer and boolean results must be equal.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference.convert import to_numpy
from reference.distance import normwise
from tests.error_cases import MANUAL, TORCH
from tests.helpers import assert_twins_agree

# sums of products of quarters: exact in float32 for the sizes drawn, whatever their order
EXACT_ON_THE_GRID = ("linear", "mse_loss", "conv2d", "conv_transpose2d")
DTYPES = tuple(np.dtype(d) for d in (np.float32, np.float64, np.int64, np.bool_))
FUZZ = settings(max_examples=40)
sizes = st.integers(0, 3)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)


def values(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Arrays of ``dtype``: floats on the grid of quarters in [-2, 2], ints in [-3, 3]."""
    if dtype.kind == "f":
        elements = st.integers(-8, 8).map(lambda i: i / 4)
    elif dtype.kind == "i":
        elements = st.integers(-3, 3)
    else:
        elements = st.booleans()
    return hnp.arrays(dtype, shape, elements=elements)


def any_array(shape: st.SearchStrategy = shapes, dtype: st.SearchStrategy | None = None):
    dtype = st.sampled_from(DTYPES) if dtype is None else dtype
    return st.tuples(dtype, shape).flatmap(lambda ds: values(*ds))


def _outcome(call: Callable[[SimpleNamespace], Any], ns: SimpleNamespace) -> tuple[Any, Any]:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return call(ns), None
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return None, error


def assert_same_outcome(piece: str, call: Callable[[SimpleNamespace], Any],
                        precision: np.dtype | None = None) -> None:
    """Run ``call`` on both twins: the same exception class, or results that agree (compared
    in ``precision`` where a wider result was computed in it)."""
    (m_value, m_error), (t_value, t_error) = _outcome(call, MANUAL), _outcome(call, TORCH)
    if m_error is not None or t_error is not None:
        assert type(m_error) is type(t_error), f"manual: {m_error!r}; torch: {t_error!r}"
        return
    _assert_values_agree(piece, "result", m_value, t_value, precision)


def _assert_values_agree(piece: str, label: str, m_value: Any, t_value: Any,
                         precision: np.dtype | None = None) -> None:
    if isinstance(t_value, (list, tuple)):
        assert len(m_value) == len(t_value), f"{label}: {len(m_value)} != {len(t_value)} items"
        for i, (m, t) in enumerate(zip(m_value, t_value)):
            _assert_values_agree(piece, f"{label}[{i}]", m, t, precision)
        return
    if not hasattr(t_value, "detach"):
        assert m_value == t_value, f"{label}: manual {m_value!r}, torch {t_value!r}"
        return
    m, t = to_numpy(m_value), to_numpy(t_value)
    if t.dtype.kind != "f":
        assert m.dtype == t.dtype and np.array_equal(m, t), f"{label}: {m!r} != {t!r}"
        return
    if precision is not None and t.dtype.itemsize > precision.itemsize:
        m, t = m.astype(precision), t.astype(precision)
    kind = "exact" if piece in EXACT_ON_THE_GRID else piece
    assert_twins_agree(label, kind, m, t, scale=normwise(t))


def _t(ns: SimpleNamespace, array: np.ndarray | None, grad: bool = False) -> Any:
    if array is None:
        return None
    return ns.lib.tensor(np.array(array), requires_grad=grad)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


# -- the functions ----------------------------------------------------------------------------

@st.composite
def linear_args(draw):
    x = draw(any_array())
    n_in = x.shape[-1] if x.ndim and draw(st.booleans()) else draw(sizes)
    n_out = draw(sizes)
    w = draw(any_array(st.just((n_out, n_in)) if draw(st.booleans()) else shapes))
    b = draw(_maybe(any_array(st.sampled_from([(n_out,), (draw(sizes),)]))))
    return x, w, b


@FUZZ
@given(linear_args())
def test_linear(args):
    x, w, b = args
    assert_same_outcome("linear", lambda ns: ns.linear.linear(_t(ns, x), _t(ns, w), _t(ns, b)))


@FUZZ
@given(any_array(), st.data(), st.sampled_from(["mean", "sum", "none"]))
def test_mse_loss(x, data, reduction):
    y_shape = st.one_of(st.just(x.shape), shapes)
    y = data.draw(any_array(y_shape))
    assert_same_outcome("mse_loss", lambda ns: ns.mse_loss.mse_loss(_t(ns, x), _t(ns, y),
                                                                    reduction))


@st.composite
def cross_entropy_args(draw):
    x = draw(any_array(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
    n_classes = x.shape[0 if x.ndim == 1 else 1] if x.ndim else 1
    kind = draw(st.sampled_from(["classes", "probabilities", "anything"]))
    if kind == "classes":
        shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
        target = draw(hnp.arrays(np.int64, shape, elements=st.integers(-1, n_classes)))
    else:
        target = draw(any_array(st.just(x.shape) if kind == "probabilities" else shapes))
    options = dict(ignore_index=draw(st.sampled_from([-100, -1, 0])),
                   reduction=draw(st.sampled_from(["mean", "sum", "none"])),
                   label_smoothing=draw(st.sampled_from([0.0, 0.1, -0.5])))
    return x, target, options


@FUZZ
@given(cross_entropy_args())
def test_cross_entropy(args):
    x, target, options = args
    # log_softmax runs in x's dtype: with float32 logits and float64 probabilities the loss
    # is float64, but no more accurate than float32
    precision = x.dtype if x.dtype.kind == "f" else None
    assert_same_outcome("cross_entropy", lambda ns: ns.cross_entropy.cross_entropy(
        _t(ns, x), _t(ns, target), **options), precision)


conv_numbers = st.one_of(st.integers(-1, 3), st.tuples(st.integers(-1, 3), st.integers(-1, 3)))


@st.composite
def conv_args(draw, transposed: bool):
    x = draw(any_array(hnp.array_shapes(min_dims=2, max_dims=5, min_side=0, max_side=4)))
    c_in = x.shape[-3] if x.ndim >= 3 and draw(st.booleans()) else draw(sizes)
    groups = draw(st.integers(0, 2))
    c_out, k = draw(sizes), (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    w_shape = (c_in, c_out, *k) if transposed else (c_out, max(groups, 1) and c_in, *k)
    w = draw(any_array(st.one_of(st.just(w_shape), shapes)))
    b = draw(_maybe(any_array(st.sampled_from([(c_out * max(groups, 1),), (draw(sizes),)]))))
    options = dict(stride=draw(conv_numbers), padding=draw(conv_numbers),
                   dilation=draw(conv_numbers), groups=groups)
    if transposed:
        options["output_padding"] = draw(st.integers(-1, 2))
    elif draw(st.booleans()):
        options["padding"] = draw(st.sampled_from(["same", "valid", "full"]))
    return x, w, b, options


@FUZZ
@given(conv_args(transposed=False))
def test_conv2d(args):
    x, w, b, options = args
    assert_same_outcome("conv2d", lambda ns: ns.conv2d.conv2d(_t(ns, x), _t(ns, w), _t(ns, b),
                                                              **options))


@FUZZ
@given(conv_args(transposed=True))
def test_conv_transpose2d(args):
    x, w, b, options = args
    assert_same_outcome("conv_transpose2d", lambda ns: ns.conv_transpose2d.conv_transpose2d(
        _t(ns, x), _t(ns, w), _t(ns, b), **options))


@FUZZ
@given(any_array())
def test_relu(x):
    assert_same_outcome("activations", lambda ns: ns.activations.relu(_t(ns, x)))


# -- the constructors -------------------------------------------------------------------------

layer_sizes = st.integers(-1, 3)


@FUZZ
@given(layer_sizes, layer_sizes, st.booleans())
def test_linear_module(n_in, n_out, bias):
    def build(ns):
        ns.lib.manual_seed(0)
        layer = ns.linear.Linear(n_in, n_out, bias)
        return list(layer.parameters())
    assert_same_outcome("init", build)


@FUZZ
@given(layer_sizes, layer_sizes, st.integers(1, 3), conv_numbers, st.integers(0, 2),
       st.booleans(), st.booleans())
def test_conv_modules(c_in, c_out, k, stride, groups, bias, transposed):
    def build(ns):
        ns.lib.manual_seed(0)
        module = ns.conv_transpose2d.ConvTranspose2d if transposed else ns.conv2d.Conv2d
        layer = module(c_in, c_out, k, stride=stride, groups=groups, bias=bias)
        return list(layer.parameters())
    assert_same_outcome("init", build)


hyper = st.sampled_from([0.0, 0.1, 0.9, 1.0, -0.1, float("nan")])
# a parameter and a gradient of its shape and dtype (torch refuses any other on assignment)
param_and_grad = any_array().flatmap(lambda p: st.tuples(st.just(p), values(p.dtype, p.shape)))


@FUZZ
@given(param_and_grad, hyper, hyper, hyper, hyper, st.booleans(), st.booleans())
def test_sgd(p_and_g, lr, momentum, dampening, weight_decay, nesterov, maximize):
    p, g = p_and_g

    def step(ns):
        param = _t(ns, p, grad=True)
        optimizer = ns.sgd.SGD([param], lr, momentum, dampening, weight_decay, nesterov,
                               maximize=maximize)
        param.grad = _t(ns, g)
        optimizer.step()
        return param.detach()
    assert_same_outcome("sgd", step)


@FUZZ
@given(param_and_grad, hyper, st.tuples(hyper, hyper), hyper, hyper, st.booleans(),
       st.booleans())
def test_adam(p_and_g, lr, betas, eps, weight_decay, amsgrad, decoupled):
    p, g = p_and_g

    def step(ns):
        param = _t(ns, p, grad=True)
        optimizer = (ns.adam.AdamW if decoupled else ns.adam.Adam)(
            [param], lr, betas, eps, weight_decay, amsgrad)
        param.grad = _t(ns, g)
        optimizer.step()
        return param.detach()
    assert_same_outcome("exact" if np.isnan(lr) else "adam", step)


@FUZZ
@given(st.lists(any_array(), min_size=1, max_size=3),
       st.one_of(st.none(), st.integers(-1, 4), st.just(1.5)), st.booleans(), st.booleans())
def test_data_loader(tensors, batch_size, shuffle, drop_last):
    def batches(ns):
        ns.lib.manual_seed(0)
        dataset = ns.data_loader.TensorDataset(*(_t(ns, t) for t in tensors))
        loader = ns.data_loader.DataLoader(dataset, batch_size, shuffle, drop_last=drop_last)
        return [len(dataset), len(loader), *loader]
    assert_same_outcome("data_loader", batches)
