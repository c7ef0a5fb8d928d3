"""relu, ReLU and Sequential: relu to the bit against torch (piece "activations": 0 ULP, the
sign of zero included), and a Linear-ReLU-Linear stack whose output and every parameter
gradient agree with torch's within the "sums" tolerance. gelu and GELU to the bit on both of
torch's kernels (oneDNN's and ATen's, every layout, float16 to float64, one or two threads);
Tanh and Sigmoid within the "libm" tolerance forward (the engine's tanh and sigmoid) and to
the bit backward given the same output; Flatten exactly, node names included."""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual._parity.gelu
import manual.activations
import manual.linear
import torch_native.activations
import torch_native.linear
from reference.convert import to_numpy
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, batch_shapes, dtypes
from tests.test_fuzz import any_array, assert_same_outcome
from tests.test_nan import assert_same_specials, with_specials


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


# -- gelu and GELU ---------------------------------------------------------------------------

def test_gelu_hand_example():
    # gelu(x) = x Phi(x): gelu(0) = 0, gelu(1) = Phi(1), gelu(-1) = -Phi(-1) = Phi(1) - 1;
    # the derivative Phi(x) + x phi(x) is 1/2 at 0 and Phi(1) + phi(1) at 1
    phi_1, density_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2))), math.exp(-0.5) / math.sqrt(
        2 * math.pi)
    x = manual.tensor([0.0, 1.0, -1.0], dtype=manual.float64, requires_grad=True)
    y = manual.activations.gelu(x)
    assert y.tolist()[0] == 0.0
    assert math.isclose(y.tolist()[1], phi_1, rel_tol=1e-15)
    assert math.isclose(y.tolist()[2], phi_1 - 1, rel_tol=1e-15)
    y.backward(manual.tensor([1.0, 1.0, 1.0], dtype=manual.float64))
    assert x.grad.tolist()[0] == 0.5
    assert math.isclose(x.grad.tolist()[1], phi_1 + density_1, rel_tol=1e-15)


def assert_same_bits(label: str, manual_value, torch_value) -> None:
    """The same dtype, shape and bits; NaN at the same places (its sign and payload aside)."""
    m, t = to_numpy(manual_value), to_numpy(torch_value)
    assert (m.dtype, m.shape) == (t.dtype, t.shape), f"{label}: {m.dtype, m.shape}, torch's " \
        f"{t.dtype, t.shape}"
    same = (m.view(f"u{m.itemsize}") == t.view(f"u{t.itemsize}")) | (np.isnan(m) & np.isnan(t))
    assert same.all(), (f"{label}: {int((~same).sum())} of {m.size} differ; first at "
                        f"{np.argwhere(~same)[0]}: manual {m[~same][0]!r}, torch {t[~same][0]!r}")


LAYOUTS = ("contiguous", "transposed", "every other column")
GELU_DTYPES = st.sampled_from([np.dtype(d) for d in (np.float16, np.float32, np.float64)])


def laid_out(x: np.ndarray, layout: str) -> np.ndarray:
    """A copy of x, seen as itself, as x^T, or as x[:, ::2] (a view with x's strides)."""
    x = np.array(x)
    return {"contiguous": x, "transposed": x.T, "every other column": x[:, ::2]}[layout]


@st.composite
def gelu_cases(draw):
    """x (rows up to 3, up to 80 columns seen: vector blocks, tails, and rows shorter than a
    block), its layout, a gradient of the view's shape, and the approximation."""
    dtype, layout = draw(GELU_DTYPES), draw(st.sampled_from(LAYOUTS))
    columns = draw(st.integers(1, 80)) * (2 if layout == "every other column" else 1)
    x = draw(every_element(dtype, (draw(st.integers(1, 3)), columns)))
    view_shape = laid_out(x, layout).shape
    return x, layout, draw(arrays(dtype, view_shape)), draw(st.sampled_from(["none", "tanh"]))


def every_element(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Values in [-8, 8], each drawn on its own (no fill value shared by most of them)."""
    elements = st.floats(-8, 8, width=8 * dtype.itemsize, allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=elements, fill=st.nothing())


def _gelu_both(x, layout, grad, approximate, module=False):
    """gelu on both twins, forward and backward, x a leaf laid out as ``layout`` says:
    [(y, x.grad) of manual, of torch]."""
    results = []
    for lib, twin in ((manual, manual.activations), (torch, torch_native.activations)):
        leaf = lib.from_numpy(laid_out(x, layout)).requires_grad_()
        call = twin.GELU(approximate) if module else partial(twin.gelu, approximate=approximate)
        y = call(leaf)
        y.backward(lib.tensor(grad))
        results.append((y, leaf.grad))
    return results


@given(gelu_cases(), st.booleans())
def test_gelu_matches_torch_to_the_bit(case, module):
    (m_y, m_dx), (t_y, t_dx) = _gelu_both(*case, module=module)
    assert_same_bits("forward", m_y, t_y)
    assert_same_bits("dx", m_dx, t_dx)
    assert m_y.grad_fn.name() == t_y.grad_fn.name() == "GeluBackward0"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_vector_blocks_and_scalar_tails(dtype, approximate):
    # n elements, n about the block sizes (2 vectors of 32 float16, 16 float32, 8 float64
    # lanes): contiguous (oneDNN's kernel for float32 "none"), or every other element of 2n
    rng = np.random.default_rng(7)
    for n in (1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 97):
        for layout, stride in (("contiguous", 1), ("every other column", 2)):
            x = (rng.standard_normal((1, stride * n)) * 3).astype(dtype)
            grad = rng.standard_normal((1, n)).astype(dtype)
            (m_y, m_dx), (t_y, t_dx) = _gelu_both(x, layout, grad, approximate)
            assert_same_bits(f"forward of {n} {layout}", m_y, t_y)
            assert_same_bits(f"dx of {n} {layout}", m_dx, t_dx)


@pytest.mark.parametrize("threads", [1, pytest.param(2, marks=pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ, reason="make mutation forks a process per mutant, and "
    "torch's OpenMP threads never start in a forked process: its gelu would wait forever"))])
def test_gelu_large_tensors_split_among_threads(threads, monkeypatch):
    # each thread's share of ATen's loop ends in its own scalar tail: the forward shares out
    # more than 16384 elements, the backward more than 32768 (24606: only the forward)
    rng = np.random.default_rng(threads)
    monkeypatch.setattr(manual._parity.gelu, "THREADS", threads)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for dtype, approximate, shape in (
                (np.float64, "none", (1, 24606)), (np.float32, "tanh", (1, 24606)),
                (np.float64, "none", (2, 16411)), (np.float16, "tanh", (2, 16411))):
            x = (rng.standard_normal(shape) * 3).astype(dtype)
            grad = rng.standard_normal(shape).astype(dtype)
            (m_y, m_dx), (t_y, t_dx) = _gelu_both(x, "contiguous", grad, approximate)
            assert_same_bits(f"forward {dtype.__name__} {approximate} {shape}", m_y, t_y)
            assert_same_bits(f"dx {dtype.__name__} {approximate} {shape}", m_dx, t_dx)
    finally:
        torch.set_num_threads(before)


@settings(max_examples=30)
@given(st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)]).flatmap(
    lambda d: with_specials(d, (2, 40))), st.sampled_from(["none", "tanh"]),
    st.sampled_from(LAYOUTS))
def test_gelu_nan_and_infinities_as_torch(x, approximate, layout):
    # oneDNN's float32 polynomial gives NaN at +-inf where ATen's kernel gives +inf and 0
    grad = np.random.default_rng(0).choice([1.0, -0.5, np.nan, np.inf], laid_out(x, layout).shape)
    with np.errstate(all="ignore"):
        (m_y, m_dx), (t_y, t_dx) = _gelu_both(x, layout, grad.astype(x.dtype), approximate)
    assert_same_specials("forward", m_y, t_y)
    assert_same_specials("dx", m_dx, t_dx)
    assert_same_bits("forward", m_y, t_y)
    assert_same_bits("dx", m_dx, t_dx)


@settings(max_examples=40)
@given(any_array(), st.sampled_from(["none", "tanh", "Tanh", None]), st.booleans())
def test_gelu_fuzz(x, approximate, module):
    def call(ns):
        t = ns.lib.tensor(np.array(x), requires_grad=x.dtype.kind == "f")
        if module:
            y = ns.activations.GELU(approximate)(t)
        else:
            y = ns.activations.gelu(t, approximate=approximate)
        y.backward(ns.lib.ones_like(y))
        return [y, t.grad]

    assert_same_outcome("exact", call)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradient_is_the_central_difference(approximate):
    # torch-free: (gelu(x + h) - gelu(x - h)) / 2h within h^2 |gelu'''| / 6 + 2 eps / h
    # (1e-10 + 1e-11 for h = 1e-5) of the backward's dy = 1
    x = np.linspace(-6, 6, 97)
    leaf = manual.tensor(x, requires_grad=True)
    manual.activations.gelu(leaf, approximate=approximate).sum().backward()
    h = 1e-5
    ahead, behind = (manual.activations.gelu(manual.tensor(x + d), approximate=approximate).array
                     for d in (h, -h))
    np.testing.assert_allclose(leaf.grad.array, (ahead - behind) / (2 * h), rtol=0, atol=1e-9)


def test_gelu_module_as_torch():
    for approximate in ("none", "tanh"):
        m_gelu, t_gelu = (manual.activations.GELU(approximate),
                          torch_native.activations.GELU(approximate))
        assert repr(m_gelu) == repr(t_gelu) == f"GELU(approximate='{approximate}')"
        assert list(m_gelu.state_dict()) == list(t_gelu.state_dict()) == []
    # an unknown approximation is kept, and refused when the module is called
    assert repr(manual.activations.GELU("exact")) == "GELU(approximate='exact')"
    with pytest.raises(RuntimeError, match="either none or tanh"):
        manual.activations.GELU("exact")(manual.tensor([1.0]))


# -- Tanh and Sigmoid --------------------------------------------------------------------------

def test_tanh_and_sigmoid_hand_example_and_reprs():
    # tanh(0) = 0 with slope 1 - 0^2 = 1; sigmoid(0) = 1/2 with slope (1 - 1/2) 1/2 = 1/4
    x = manual.tensor([0.0, 0.0], requires_grad=True)
    y = manual.activations.Tanh()(x[:1]) + manual.activations.Sigmoid()(x[1:])
    assert y.tolist() == [0.5]
    y.backward()
    assert x.grad.tolist() == [1.0, 0.25]
    for name in ("Tanh", "Sigmoid"):
        m, t = getattr(manual.activations, name)(), getattr(torch_native.activations, name)()
        assert repr(m) == repr(t) == f"{name}()"
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        manual.activations.Tanh()([0.5])


@st.composite
def squashing_cases(draw):
    dtype = draw(dtypes)
    shape = draw(batch_shapes) + (draw(st.integers(1, 40)),)
    return draw(st.sampled_from(["Tanh", "Sigmoid"])), draw(arrays(dtype, shape)), draw(
        arrays(dtype, shape))


@given(squashing_cases())
def test_tanh_and_sigmoid_modules_match_torch(case):
    # forward: the engine's tanh and sigmoid, within the libm tolerance of torch's; backward:
    # torch's own tanh_backward and sigmoid_backward kernels, given the manual output, to the bit
    name, x, grad = case
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m_y = getattr(manual.activations, name)()(m_x)
    t_y = getattr(torch_native.activations, name)()(t_x)
    assert_twins_agree("forward", "libm", m_y, t_y)
    m_y.backward(manual.tensor(grad))
    kernel = torch.ops.aten.tanh_backward if name == "Tanh" else torch.ops.aten.sigmoid_backward
    assert_same_bits("dx", m_x.grad, kernel(torch.tensor(grad), torch.tensor(m_y.array)))
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__ == f"{name}Backward0"


@given(squashing_cases())
def test_tanh_and_sigmoid_modules_are_the_engine_functions(case):
    # torch-free: the modules' outputs and gradients are the engine's tanh and sigmoid
    name, x, grad = case
    a, b = manual.tensor(x, requires_grad=True), manual.tensor(x, requires_grad=True)
    y_module, y_engine = getattr(manual.activations, name)()(a), getattr(manual, name.lower())(b)
    np.testing.assert_array_equal(y_module.array, y_engine.array)
    y_module.backward(manual.tensor(grad))
    y_engine.backward(manual.tensor(grad))
    np.testing.assert_array_equal(a.grad.array, b.grad.array)


@settings(max_examples=30)
@given(dtypes.flatmap(lambda d: with_specials(d, (3, 7))), st.sampled_from(["Tanh", "Sigmoid"]))
def test_tanh_and_sigmoid_nan_and_infinities_as_torch(x, name):
    grad = np.random.default_rng(1).choice([1.0, np.nan, np.inf, -np.inf], x.shape).astype(x.dtype)
    sides = []
    for lib, twin in ((manual, manual.activations), (torch, torch_native.activations)):
        leaf = lib.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):
            y = getattr(twin, name)()(leaf)
            y.backward(lib.tensor(grad))
        sides.append((y, leaf.grad))
    assert_same_specials("forward", sides[0][0], sides[1][0])
    assert_same_specials("dx", sides[0][1], sides[1][1])


@settings(max_examples=40)
@given(any_array(), st.sampled_from(["Tanh", "Sigmoid"]))
def test_tanh_and_sigmoid_fuzz(x, name):
    assert_same_outcome("libm", lambda ns: getattr(ns.activations, name)()(
        ns.lib.tensor(np.array(x))))


# -- Flatten -----------------------------------------------------------------------------------

def test_flatten_hand_example_and_repr():
    # a batch of 2 images of 3 x 2 x 2 becomes 2 rows of 12; the gradient takes the image shape
    x = manual.tensor(np.arange(24.0).reshape(2, 3, 2, 2), requires_grad=True)
    y = manual.activations.Flatten()(x)
    assert y.shape == (2, 12) and y.tolist()[1][:3] == [12.0, 13.0, 14.0]
    y.backward(manual.ones_like(y))
    assert x.grad.shape == (2, 3, 2, 2)
    for args in ((), (0, 2)):
        m, t = manual.activations.Flatten(*args), torch_native.activations.Flatten(*args)
        assert repr(m) == repr(t)
    assert repr(manual.activations.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


@st.composite
def flatten_cases(draw):
    """x of 0 to 4 dims (sizes 0 to 3), maybe transposed, and dims in range, in order."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    x = draw(arrays(draw(dtypes), shape))
    ndim = max(x.ndim, 1)
    start = draw(st.integers(-ndim, ndim - 1))
    end = draw(st.integers(start % ndim, ndim - 1)) - ndim * draw(st.booleans())  # or from the end
    return x, draw(st.booleans()) and x.ndim >= 2, start, end


@given(flatten_cases())
def test_flatten_matches_torch(case):
    x, transposed, start, end = case
    sides = []
    for lib, twin in ((manual, manual.activations), (torch, torch_native.activations)):
        leaf = lib.tensor(x, requires_grad=True)
        view = leaf.transpose(0, 1) if transposed else leaf
        y = twin.Flatten(start, end)(view)
        y.backward(lib.ones_like(y))
        name = None if y.grad_fn is None else (
            y.grad_fn.name() if lib is manual else type(y.grad_fn).__name__)
        sides.append((y, leaf.grad, name, y is view))
    (m_y, m_dx, m_name, m_same), (t_y, t_dx, t_name, t_same) = sides
    assert_same_bits("forward", m_y, t_y)
    assert_same_bits("dx", m_dx, t_dx)
    assert (m_name, m_same) == (t_name, t_same)  # a view, a copy, or the input itself


@settings(max_examples=40)
@given(any_array(), st.one_of(st.integers(-5, 4), st.sampled_from([0.0, True, "1"])),
       st.integers(-5, 4))
def test_flatten_fuzz(x, start, end):
    assert_same_outcome("exact", lambda ns: ns.activations.Flatten(start, end)(
        ns.lib.tensor(np.array(x))))


def test_image_classifier_stack_as_torch():
    # Flatten, Linear, GELU, Linear, Sigmoid in one Sequential: names, reprs and state dicts
    models = []
    for lib in (manual, torch):
        act, lin = ((manual.activations, manual.linear) if lib is manual else
                    (torch_native.activations, torch_native.linear))
        lib.manual_seed(0)
        models.append(act.Sequential(act.Flatten(), lin.Linear(12, 5), act.GELU("tanh"),
                                     lin.Linear(5, 1), act.Sigmoid()))
    assert repr(models[0]) == repr(models[1])
    assert list(models[0].state_dict()) == list(models[1].state_dict()) == [
        "1.weight", "1.bias", "3.weight", "3.bias"]
