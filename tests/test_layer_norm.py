"""layer_norm and LayerNorm: outputs and the three gradients against torch, to the bit (torch
on one thread, tests/conftest.py), for normalized shapes of one or two dims, rows long
enough for torch's chunked Welford, every affine combination; the module's state; NaN and
infinities; arbitrary calls refused alike; and checks that need no torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.layer_norm
import torch_native.layer_norm
from tests.strategies import dtypes
from tests.test_batch_norm import LIB_DTYPES, assert_same_bits, values
from tests.test_fuzz import FUZZ, _t, any_array, assert_same_outcome
from tests.test_nan import assert_same_specials, output_gradient, with_specials

TWINS = {manual: manual.layer_norm, torch: torch_native.layer_norm}


def test_hand_example():
    # one row x = 1, 3: mean 2, var 1; with eps = 3, rstd = 1/2, xhat = -0.5, 0.5;
    # w = 2, 4 and b = 1, 0: y = 0, 2
    x = manual.tensor([[1.0, 3.0]], requires_grad=True)
    w = manual.tensor([2.0, 4.0], requires_grad=True)
    b = manual.tensor([1.0, 0.0], requires_grad=True)
    y = manual.layer_norm.layer_norm(x, (2,), w, b, eps=3.0)
    assert y.tolist() == [[0.0, 2.0]] and y.grad_fn.name() == "NativeLayerNormBackward0"
    y.backward(manual.tensor([[1.0, 0.0]]))
    # g = dy w = 2, 0: dx = rstd (g - mean(g) - xhat mean(g xhat)) = 0.5 (1, -1) - 0.5 xhat
    # mean(-1, 0) = 0.375, -0.375; dw = dy xhat = -0.5, 0; db = dy = 1, 0
    assert x.grad.tolist() == [[0.375, -0.375]]
    assert w.grad.tolist() == [-0.5, 0.0] and b.grad.tolist() == [1.0, 0.0]


# -- the function against torch -------------------------------------------------------------

@st.composite
def layer_norm_cases(draw):
    """x (*, S), S of one or two dims, optional w and b (or w alone, or b alone), eps."""
    dtype = draw(dtypes)
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=2)))
    if draw(st.booleans()):
        shape = (draw(st.sampled_from([7, 8, 17, 33, 130])),)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    x = values(draw, dtype, lead + shape) + dtype.type(draw(st.sampled_from([0, 3, -40])))
    w = values(draw, dtype, shape) if draw(st.booleans()) else None
    b = values(draw, dtype, shape) if draw(st.booleans()) else None
    eps = draw(st.sampled_from([1e-5, 1e-12, 0.5]))
    return x, shape, w, b, eps, values(draw, dtype, x.shape)


def run_function(lib: Any, case: tuple) -> dict[str, Any]:
    """layer_norm and its backward on one side: every result, by name."""
    x, shape, w, b, eps, dy = case
    leaves = [None if a is None else lib.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = TWINS[lib].layer_norm(leaves[0], shape, *leaves[1:], eps)
    y.backward(lib.tensor(dy))
    node = y.grad_fn.name() if lib is manual else type(y.grad_fn).__name__
    grads = {k: t.grad for k, t in zip(("dx", "dw", "db"), leaves) if t is not None}
    return {"y": y, "node": node, **grads}


@given(layer_norm_cases())
def test_layer_norm_matches_torch(case):
    m, t = run_function(manual, case), run_function(torch, case)
    assert m.keys() == t.keys() and m.pop("node") == t.pop("node")
    for label in t:
        assert_same_bits(label, m[label], t[label])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [255, 256, 300, 777, 1025, 2100, 4500])
def test_long_rows_match_torch(size, dtype):
    # rows of more than 16 vectors: Welford in chunks merged by torch's cascade (3, 4, 5
    # or more chunks: carries through the cascade's levels), and a scalar tail
    rng = np.random.default_rng(size)
    rows = rng.uniform(0.1, 5, (8, 1)), rng.uniform(-50, 50, (8, 1))     # scale, offset
    x = (rng.standard_normal((8, size)) * rows[0] + rows[1]).astype(dtype)
    w, b = rng.standard_normal(size).astype(dtype), rng.standard_normal(size).astype(dtype)
    case = (x, (size,), w, b, 1e-5, rng.standard_normal(x.shape).astype(dtype))
    m, t = run_function(manual, case), run_function(torch, case)
    for label in ("y", "dx", "dw", "db"):
        assert_same_bits(label, m[label], t[label])


# -- the module ---------------------------------------------------------------------------------

@st.composite
def module_cases(draw):
    dtype = draw(dtypes)
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=2)))
    normalized = shape[0] if len(shape) == 1 and draw(st.booleans()) else shape  # an int too
    options = dict(eps=draw(st.sampled_from([1e-5, 0.1])),
                   elementwise_affine=draw(st.booleans()), bias=draw(st.booleans()))
    x = values(draw, dtype, (draw(st.integers(1, 3)),) + shape)
    return dtype, normalized, options, x, values(draw, dtype, x.shape)


@settings(max_examples=40)
@given(module_cases())
def test_module_matches_torch(case):
    dtype, normalized, options, x, dy = case
    results = []
    for lib in TWINS:
        module = TWINS[lib].LayerNorm(normalized, dtype=LIB_DTYPES[lib][dtype], **options)
        xt = lib.tensor(x, requires_grad=True)
        y = module(xt)
        y.backward(lib.tensor(dy))
        state = module.state_dict()
        results.append({"repr": repr(module), "keys": list(state), "y": y, "dx": xt.grad,
                        **{f"state {k}": v for k, v in state.items()},
                        **{f"grad {k}": p.grad for k, p in module.named_parameters()}})
    m, t = results
    assert m.keys() == t.keys()
    for label in ("repr", "keys"):
        assert m.pop(label) == t.pop(label)
    for label in t:
        assert_same_bits(label, m[label], t[label])


def test_module_as_torch():
    for lib in TWINS:
        ln = TWINS[lib].LayerNorm(4)
        assert ln.normalized_shape == (4,) and list(ln.state_dict()) == ["weight", "bias"]
        assert list(TWINS[lib].LayerNorm([2, 3], bias=False).state_dict()) == ["weight"]
        assert list(TWINS[lib].LayerNorm(3, elementwise_affine=False).parameters()) == []
    manual.manual_seed(3)
    torch.manual_seed(3)
    manual.layer_norm.LayerNorm((5, 2))
    torch_native.layer_norm.LayerNorm((5, 2))  # w = 1, b = 0: no draws
    assert_same_bits("generator state", manual.get_rng_state().array,
                     torch.get_rng_state().numpy())


def test_empty_inputs_as_torch():
    # no rows, or rows of no values: empty outputs, zero gradients for w and b
    for shape, normalized in (((0, 4), (4,)), ((2, 0), (0,))):
        results = []
        for lib in TWINS:
            x = lib.tensor(np.zeros(shape, np.float32), requires_grad=True)
            w = lib.tensor(np.ones(normalized, np.float32), requires_grad=True)
            b = lib.tensor(np.ones(normalized, np.float32), requires_grad=True)
            y = TWINS[lib].layer_norm(x, normalized, w, b)
            y.backward(lib.tensor(np.ones(shape, np.float32)))
            results.append([y, x.grad, w.grad, b.grad])
        for label, m, t in zip(("y", "dx", "dw", "db"), *results):
            assert_same_bits(label, m, t)


# -- checks that need no torch ------------------------------------------------------------------

@pytest.mark.parametrize("shape, normalized", [((3, 4), (4,)), ((2, 2, 3), (2, 3)),
                                               ((2, 21), (21,))])
def test_gradients_by_central_differences(shape, normalized):
    # d/dp of sum(y dy), by (f(p + h) - f(p - h)) / 2h in float64, for x, w and b
    rng = np.random.default_rng(len(shape))
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)

    def loss(x_, w_, b_):
        y = manual.layer_norm.layer_norm(manual.tensor(x_), normalized, manual.tensor(w_),
                                         manual.tensor(b_))
        return float((y.array * dy).sum())

    leaves = [manual.tensor(a, requires_grad=True) for a in (x, w, b)]
    manual.layer_norm.layer_norm(leaves[0], normalized, *leaves[1:]).backward(manual.tensor(dy))
    arrays_ = [x, w, b]
    for i, leaf in enumerate(leaves):
        numeric = np.zeros_like(arrays_[i])
        for index in np.ndindex(arrays_[i].shape):
            plus, minus = ([a.copy() for a in arrays_] for _ in range(2))
            plus[i][index] += 1e-6
            minus[i][index] -= 1e-6
            numeric[index] = (loss(*plus) - loss(*minus)) / 2e-6
        np.testing.assert_allclose(leaf.grad.array, numeric, rtol=1e-5, atol=1e-6)


def test_rows_come_out_normalised():
    # each row of y has mean b and variance w^2 var / (var + eps) (w, b the same per row)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 40)) * 3 - 1
    y = manual.layer_norm.layer_norm(manual.tensor(x), (40,), manual.tensor(np.full(40, 2.0)),
                                     manual.tensor(np.full(40, 0.5))).array
    var = x.var(axis=1)
    np.testing.assert_allclose(y.mean(axis=1), 0.5, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 4 * var / (var + 1e-5), rtol=1e-12)


# -- NaN and infinities ---------------------------------------------------------------------------

@st.composite
def special_cases(draw):
    dtype = draw(dtypes)
    shape = (draw(st.sampled_from([1, 3, 9, 20])),)
    x = draw(with_specials(dtype, (draw(st.integers(1, 3)),) + shape))
    w = draw(with_specials(dtype, shape)) if draw(st.booleans()) else None
    b = draw(with_specials(dtype, shape)) if draw(st.booleans()) else None
    return x, shape, w, b, 1e-5, output_gradient(x.shape).astype(dtype)


@settings(max_examples=40)
@given(special_cases())
def test_nan_and_infinities_where_torch_puts_them(case):
    m, t = run_function(manual, case), run_function(torch, case)
    assert m.pop("node") == t.pop("node")
    for label in t:
        assert_same_specials(label, m[label], t[label])


# -- anything else: refused alike, or the same results ------------------------------------------

@st.composite
def fuzz_args(draw):
    """Half the time a call torch takes (float x, S a suffix of its shape, w and b of shape S
    and x's dtype, or absent, any eps); otherwise anything."""
    if draw(st.booleans()):
        floats = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])
        x = draw(any_array(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3),
                           floats))
        shape = x.shape[x.ndim - draw(st.integers(1, x.ndim)):]
        w, b = (draw(st.one_of(st.none(), any_array(st.just(shape), st.just(x.dtype))))
                for _ in range(2))
        return x, shape, w, b, draw(st.sampled_from([1e-5, 0.0, -1.0]))
    x = draw(any_array(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    normalized = draw(st.sampled_from([shape, list(shape), shape[0] if shape else 2]))
    w, b = (draw(st.one_of(st.none(), any_array(st.sampled_from([shape, (2,)]))))
            for _ in range(2))
    return x, normalized, w, b, draw(st.sampled_from([1e-5, 0.0, -1.0]))


@FUZZ
@given(fuzz_args())
def test_arbitrary_calls_refused_or_agree(args):
    x, normalized, w, b, eps = args
    assert_same_outcome("exact", lambda ns: ns.layer_norm.layer_norm(
        _t(ns, x), normalized, _t(ns, w), _t(ns, b), eps))


@FUZZ
@given(any_array(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)),
       st.booleans(), st.integers(0, 3), st.booleans())
def test_module_on_any_input(x, fits, size, affine):
    size = x.shape[-1] if fits and x.ndim else size                 # mostly x's last dim
    assert_same_outcome("exact", lambda ns: ns.layer_norm.LayerNorm(
        size, elementwise_affine=affine)(_t(ns, x)))
