"""relu, ReLU and Sequential: relu to the bit against torch (piece "activations": 0 ULP, the
sign of zero included), and a Linear-ReLU-Linear stack whose output and every parameter
gradient agree with torch's within the "sums" tolerance."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.activations
import manual.linear
import torch_native.activations
import torch_native.linear
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, batch_shapes, dtypes


def test_hand_example():
    # relu([-1, 0, 2]) = [0, 0, 2]; its derivative is 1 only where the output is > 0
    x = manual.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = manual.activations.relu(x)
    assert y.tolist() == [0.0, 0.0, 2.0]
    y.backward(manual.tensor([10.0, 20.0, 30.0]))
    assert x.grad.tolist() == [0.0, 0.0, 30.0]


@st.composite
def arrays_with_zeros(draw, dtype, shape):
    """Bounded values, some of them replaced by +0.0 or -0.0 (the kink of relu)."""
    values = draw(arrays(dtype, shape))
    zeros = draw(hnp.arrays(bool, shape))
    signs = draw(st.sampled_from([1.0, -1.0]))
    return np.where(zeros, dtype.type(signs * 0.0), values)


@st.composite
def relu_cases(draw):
    dtype = draw(dtypes)
    shape = draw(batch_shapes) + (draw(st.integers(1, 6)),)
    return draw(arrays_with_zeros(dtype, shape)), draw(arrays(dtype, shape))


def _relu_both(x, grad):
    """relu forward and backward on both twins; returns (manual y, x), (torch y, x)."""
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m_y, t_y = manual.activations.relu(m_x), torch_native.activations.relu(t_x)
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    return (m_y, m_x), (t_y, t_x)


@given(relu_cases())
def test_relu_matches_torch_to_the_bit(case):
    x, grad = case
    (m_y, m_x), (t_y, t_x) = _relu_both(x, grad)
    assert_twins_agree("forward", "activations", m_y, t_y)
    assert_twins_agree("dx", "activations", m_x.grad, t_x.grad)
    # the distance counts -0.0 and +0.0 as equal: the sign of zero is checked on its own
    assert np.array_equal(np.signbit(m_y.array), np.signbit(t_y.detach().numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_infinities_as_torch(dtype):
    # NaN stays NaN and lets its gradient through (NaN <= 0 is false); a NaN gradient is
    # dropped where the output is <= 0
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 3.0, -3.0], dtype)
    for grad in (np.full(7, 5, dtype), np.full(7, np.nan, dtype)):
        (m_y, m_x), (t_y, t_x) = _relu_both(x, grad)
        assert_twins_agree("forward", "activations", m_y, t_y)
        assert_twins_agree("dx", "activations", m_x.grad, t_x.grad)


@given(relu_cases())
def test_agrees_with_the_engine_relu(case):
    # torch-free: the piece and Tensor.relu give equal values and gradients (finite inputs)
    x, grad = case
    a, b = manual.tensor(x, requires_grad=True), manual.tensor(x, requires_grad=True)
    y_piece, y_engine = manual.activations.relu(a), b.relu()
    np.testing.assert_array_equal(y_piece.array, y_engine.array)
    y_piece.backward(manual.tensor(grad))
    y_engine.backward(manual.tensor(grad))
    np.testing.assert_array_equal(a.grad.array, b.grad.array)


def test_relu_keeps_integer_dtype():
    for lib in (manual, torch):
        twin = manual.activations if lib is manual else torch_native.activations
        y = twin.relu(lib.tensor([-3, 0, 4]))
        assert np.asarray(y).tolist() == [0, 0, 4] and np.asarray(y).dtype == np.int64


def test_relu_module_is_the_function():
    x = manual.tensor([-2.0, 0.5])
    assert manual.activations.ReLU()(x).tolist() == [0.0, 0.5]
    assert torch_native.activations.ReLU()(torch.tensor([-2.0, 0.5])).tolist() == [0.0, 0.5]
    assert repr(manual.activations.ReLU()) == repr(torch_native.activations.ReLU()) == "ReLU()"


def _mlp(lib, seed: int, n_in: int, n_hidden: int, n_out: int):
    """Linear-ReLU-Linear, its weights drawn from ``seed`` (the same bits in both twins)."""
    act, lin = ((manual.activations, manual.linear) if lib is manual else
                (torch_native.activations, torch_native.linear))
    lib.manual_seed(seed)
    return act.Sequential(lin.Linear(n_in, n_hidden), act.ReLU(), lin.Linear(n_hidden, n_out))


@st.composite
def mlp_cases(draw):
    dtype, seed = draw(dtypes), draw(st.integers(0, 2**32 - 1))
    sizes = [draw(st.integers(1, 6)) for _ in range(4)]     # batch, in, hidden, out
    x = draw(arrays(dtype, (sizes[0], sizes[1])))
    return dtype, seed, sizes, x, draw(arrays(dtype, (sizes[0], sizes[3])))


@given(mlp_cases())
def test_mlp_matches_torch(case):
    dtype, seed, (_, n_in, n_hidden, n_out), x, grad = case
    m_model, t_model = _mlp(manual, seed, n_in, n_hidden, n_out), _mlp(torch, seed, n_in,
                                                                        n_hidden, n_out)
    for m_p, t_p in zip(m_model.parameters(), t_model.parameters()):
        m_p.data, t_p.data = m_p.array.astype(dtype), t_p.data.to(torch.from_numpy(x).dtype)
    # the kink: a pre-activation that the twins' summation orders put on both sides of 0
    m_h, t_h = m_model[0](manual.tensor(x)), t_model[0](torch.tensor(x))
    assume(np.array_equal(m_h.array > 0, t_h.detach().numpy() > 0))
    m_y, t_y = m_model(manual.tensor(x)), t_model(torch.tensor(x))
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    scales = _mlp_scales(x, grad, [p.detach().numpy() for p in t_model.parameters()])
    assert_twins_agree("forward", "sums", m_y, t_y, scale=scales[0])
    for (name, t_p), m_p, scale in zip(t_model.named_parameters(), m_model.parameters(),
                                       scales[1:]):
        assert_twins_agree(f"d{name}", "sums", m_p.grad, t_p.grad, scale=scale)


def _mlp_scales(x, grad, params):
    """Each result computed again on magnitudes, relu taken as the identity (its bound)."""
    ax, ag = np.abs(x), np.abs(grad)
    aw1, ab1, aw2, ab2 = (np.abs(p) for p in params)
    hidden = ax @ aw1.T + ab1                               # (B, hidden)
    dhidden = ag @ aw2                                      # (B, hidden)
    return [hidden @ aw2.T + ab2, dhidden.T @ ax, dhidden.sum(axis=0), ag.T @ hidden,
            ag.sum(axis=0)]


def test_state_dict_keys_as_torch():
    m_model, t_model = _mlp(manual, 0, 3, 4, 2), _mlp(torch, 0, 3, 4, 2)
    assert list(m_model.state_dict()) == list(t_model.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    # torch's weights load into the manual stack, which then computes torch's outputs
    t_model = _mlp(torch, 1, 3, 4, 2)
    m_model.load_state_dict(t_model.state_dict())
    x = np.float32([[1, -2, 3], [0.5, 0, -1]])
    m_y, t_y = m_model(manual.tensor(x)), t_model(torch.tensor(x))
    # two layers of sums (relu only shrinks magnitudes): |W2| (|W1| |x| + |b1|) + |b2|
    w1, b1, w2, b2 = (np.abs(p.detach().numpy()) for p in t_model.parameters())
    scale = (np.abs(x) @ w1.T + b1) @ w2.T + b2
    assert_twins_agree("forward", "sums", m_y, t_y, scale=scale, terms=5)
    with pytest.raises(RuntimeError, match="Missing key"):
        m_model.load_state_dict({"0.weight": np.zeros((4, 3))})


@pytest.mark.parametrize("lib", [manual, torch], ids=["manual", "torch"])
def test_sequential_container(lib):
    model = _mlp(lib, 0, 3, 4, 2)
    act = manual.activations if lib is manual else torch_native.activations
    assert len(model) == 3
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert model[-1] is model[2] and model[-3] is model[0] and model[0].out_features == 4
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]  # a slice keeps the keys
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]
    named = act.Sequential(OrderedDict([("fc", model[0]), ("act", act.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="is not a Module subclass"):
        act.Sequential(lambda x: x)


def test_sequential_repr_as_torch():
    m_model, t_model = _mlp(manual, 0, 3, 4, 2), _mlp(torch, 0, 3, 4, 2)
    assert repr(m_model) == repr(t_model)
    nested = (manual.activations.Sequential(m_model), torch_native.activations.Sequential(t_model))
    assert repr(nested[0]) == repr(nested[1])
    assert repr(manual.activations.Sequential()) == repr(torch_native.activations.Sequential())


def test_relu_zeroes_exactly_the_negative_half():
    # torch-free: outputs are >= 0 (or NaN), equal x where x > 0, and relu is idempotent
    x = manual.tensor(np.linspace(-3, 3, 13, dtype=np.float32))
    y = manual.activations.relu(x)
    assert (y.array >= 0).all()
    np.testing.assert_array_equal(y.array[x.array > 0], x.array[x.array > 0])
    np.testing.assert_array_equal(manual.activations.relu(y).array, y.array)


_EDGES = [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -1e-40, 5e-324, 3.0, -3.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_where_fast_path_gives_np_where_bits(dtype):
    # torch-free: relu's fast path (an AND on the bits) against the readable np.where, bit
    # for bit, on random values, the edge values, a strided view and a broadcast gradient
    from manual._parity.engine import zero_where as _zero_where
    from manual._parity.engine import zero_where_bits as _zero_where_bits

    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(989), np.array(_EDGES * 4)[:35]])
    a = rng.permutation(values).astype(dtype).reshape(32, 32)
    for x in (a, a[::2, 1::3], a.T, np.broadcast_to(a[0], a.shape)):
        for mask in (x < 0, x <= 0, rng.random(x.shape) < 0.5):
            expected = np.where(mask, dtype(0), x)
            for got in (_zero_where_bits(mask, x), _zero_where(mask, x)):
                assert got.dtype == expected.dtype and got.shape == expected.shape
                assert got.tobytes() == expected.tobytes()


def test_zero_where_other_dtypes_and_shapes_take_np_where():
    from manual._parity.engine import zero_where as _zero_where

    ints = np.array([-3, 0, 4])
    assert _zero_where(ints < 0, ints).tolist() == [0, 0, 4]
    zero_d = np.float32(-2.0)
    assert _zero_where(np.asarray(zero_d) < 0, np.asarray(zero_d)) == 0
    row = np.float32([[-1.0, 2.0]])
    np.testing.assert_array_equal(_zero_where(np.array([[True], [False]]), row),
                                  [[0.0, 0.0], [-1.0, 2.0]])
