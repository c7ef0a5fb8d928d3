"""linear and Linear: outputs and all three gradients against torch; initial weights to the bit;
a 1-d weight (torch's matmul, then b added in place) with its nodes and refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.linear
import torch_native.linear
from tests.helpers import assert_twins_agree, magnitudes, requires_fused_kernels
from tests.strategies import arrays, batch_shapes, dtypes


def test_hand_example():
    # y = x W^T + b with x = [1, 2], W = [[1, 0], [2, 3]], b = [1, -1]: y = [2, 7]
    x = manual.tensor([[1.0, 2.0]], requires_grad=True)
    w = manual.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    b = manual.tensor([1.0, -1.0], requires_grad=True)
    y = manual.linear.linear(x, w, b)
    assert y.tolist() == [[2.0, 7.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0]]               # dy W: column sums of W
    assert w.grad.tolist() == [[1.0, 2.0], [1.0, 2.0]]   # dy^T x: x in each row
    assert b.grad.tolist() == [1.0, 1.0]


@st.composite
def linear_cases(draw):
    dtype = draw(dtypes)
    batch = draw(batch_shapes)                       # any number of leading batch dims
    n_in, n_out = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    x = draw(arrays(dtype, batch + (n_in,)))
    w = draw(arrays(dtype, (n_out, n_in)))
    b = draw(arrays(dtype, (n_out,))) if draw(st.booleans()) else None
    grad = draw(arrays(dtype, batch + (n_out,)))
    return x, w, b, grad


@given(linear_cases())
def test_linear_matches_torch(case):
    x, w, b, grad = case
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    m_y, t_y = manual.linear.linear(*m), torch_native.linear.linear(*t)
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    # each result is a sum of products; the scale is the same sum over magnitudes
    ax, aw, ag = np.abs(x), np.abs(w), np.abs(grad)
    ag_2d, ax_2d = ag.reshape(-1, ag.shape[-1]), ax.reshape(-1, ax.shape[-1])
    scales = [ax @ aw.T + (0 if b is None else np.abs(b)), ag @ aw, ag_2d.T @ ax_2d,
              ag_2d.sum(axis=0)]
    assert_twins_agree("forward", "linear", m_y, t_y, scale=scales[0])
    for name, m_p, t_p, scale in zip(("dx", "dW", "db"), m, t, scales[1:]):
        assert_twins_agree(name, "linear", m_p.grad, t_p.grad, scale=scale)


def test_linear_without_batch_dims():
    x, w = np.float32([1, 2]), np.float32([[3, 4]])
    m = manual.linear.linear(manual.tensor(x), manual.tensor(w))
    assert m.shape == (1,) and m.tolist() == [11.0]


def test_hand_example_1d_weight():
    # a 1-d w is one dot product per row of x, and no out dim: x = [[1, 2], [3, 4]] (in one
    # batch), w = [1, -1], a 0-d b = 0.5 added after: y = [[1 - 2 + 0.5, 3 - 4 + 0.5]]
    x = manual.tensor([[[1.0, 2.0], [3.0, 4.0]]], requires_grad=True)
    w = manual.tensor([1.0, -1.0], requires_grad=True)
    b = manual.tensor(0.5, requires_grad=True)
    y = manual.linear.linear(x, w, b)
    assert y.tolist() == [[-0.5, -0.5]] and y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[[1.0, -1.0], [1.0, -1.0]]]   # dy w: w in each row
    assert w.grad.tolist() == [4.0, 6.0]                     # dy^T x: the column sums of x
    assert b.grad.tolist() == 2.0                            # dy summed to b's shape: 2 terms
    assert manual.linear.linear(x[0, 0], w).tolist() == -1.0  # a 1-d x: a 0-d y, one dot
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        manual.linear.linear(x[0], w, b)                     # a 2-d x takes b into addmm


@st.composite
def bias_shapes_like(draw, y_shape: tuple[int, ...]) -> tuple[int, ...]:
    """y's trailing dims, each kept or set to 1, maybe under a leading 1 (which grows y)."""
    dims = y_shape[len(y_shape) - draw(st.integers(0, len(y_shape))):]
    return (1,) * draw(st.integers(0, 1)) + tuple(1 if draw(st.booleans()) else n for n in dims)


@st.composite
def vector_weight_cases(draw):
    """x of rank 1 to 4, a 1-d w of x's width (or not), and any b: none, 0-d, shaped like y,
    or a shape of its own. x and b may be strided (every other element of their last dim),
    which sends a b torch would fuse to the add instead."""
    dtype = draw(dtypes)
    batch = draw(st.lists(st.integers(0, 3), max_size=3).map(tuple))  # y's shape
    n_in = draw(st.integers(0, 8))
    n_w = n_in if draw(st.booleans()) or draw(st.booleans()) else n_in + 1  # mostly x's width
    strided = (draw(st.booleans()), draw(st.booleans()))             # (x, b)
    x = draw(arrays(dtype, batch + (n_in * (1 + strided[0]),)))
    w = draw(arrays(dtype, (n_w,)))
    b_shape = draw(st.one_of(st.none(), st.just(()), bias_shapes_like(batch),
                             hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
    if b_shape:
        b_shape = b_shape[:-1] + (b_shape[-1] * (1 + strided[1]),)
    b = None if b_shape is None else draw(arrays(dtype, b_shape))
    grad = draw(arrays(dtype, batch))
    return x, w, b, strided, grad


def _linear_args(leaves: list, strided: tuple[bool, bool]) -> list:
    """x, w (and b) as linear gets them: a strided one is every other element of its leaf."""
    x, w, *b = leaves
    return [x[..., ::2] if strided[0] else x, w,
            *(t[..., ::2] if strided[1] and t.ndim else t for t in b)]


def _outcome(linear, args: list) -> tuple:
    try:
        return linear(*args), None
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return None, error


def _assert_refused_alike(m_error: Exception | None, t_error: Exception | None) -> None:
    """torch's class, and torch's message (which manual extends with the arguments)."""
    assert type(m_error) is type(t_error), f"manual: {m_error!r}; torch: {t_error!r}"
    assert str(m_error).startswith(str(t_error).split("\n")[0]), f"{m_error}; {t_error}"


def _ones(*shape: int) -> np.ndarray:
    return np.ones(shape, np.float32)


@given(vector_weight_cases())
# two quirks, always tried: a strided x sends a 1-d b to the add (torch takes it there), and
# a b that would grow a 0-d y is refused
@example((_ones(2, 1, 6), _ones(3), _ones(1), (True, False), _ones(2, 1)))
@example((_ones(3), _ones(3), _ones(1, 1), (False, False), _ones()))
def test_1d_weight_matches_torch(case):
    x, w, b, strided, grad = case
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    m_args, t_args = _linear_args(m, strided), _linear_args(t, strided)
    m_y, m_error = _outcome(manual.linear.linear, m_args)
    t_y, t_error = _outcome(torch_native.linear.linear, t_args)
    if m_error is not None or t_error is not None:
        _assert_refused_alike(m_error, t_error)
        return
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    scales = magnitudes(lambda *ts: torch_native.linear.linear(*_linear_args(list(ts), strided)),
                        x, w, b, grad=grad)
    # terms per element: a dot of w.size products (and b); one product (dx, so exact); one
    # per row of x (dw); the elements of dy that broadcasting folds into each of b's (db)
    b_size = 1 if b is None else m_args[2].numel()
    terms = [w.size + (b is not None), 1, grad.size, grad.size // max(b_size, 1)]
    assert_twins_agree("forward", "linear", m_y, t_y, scale=scales[0], terms=terms[0])
    for name, m_p, t_p, scale, n in zip(("dx", "dw", "db"), m, t, scales[1:], terms[1:]):
        assert_twins_agree(name, "linear", m_p.grad, t_p.grad, scale=scale, terms=n)


# 1 + (2^-24 + 2^-50) is 1 + 2^-23 rounded to float32 from float64, but 1 in float32 alone
# (b rounds to 2^-24 first, and 1 + 2^-24 is a tie, to even): a float64 b with dims (or a 0-d
# one on a 0-d y) is added in float64; a 0-d b ranks below a y with dims and is rounded first
@pytest.mark.parametrize(("x_shape", "b_shape", "expected"), [
    ((1,), (), 1 + 2**-23), ((1, 1, 1), (), 1.0), ((1, 1, 1), (1, 1), 1 + 2**-23)])
def test_1d_weight_adds_b_in_torchs_dtype(x_shape, b_shape, expected):
    x, w = np.ones(x_shape, np.float32), np.ones(1, np.float32)
    b = np.full(b_shape, 2**-24 + 2**-50)                   # float64
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b)]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    m_y, t_y = manual.linear.linear(*m), torch_native.linear.linear(*t)
    assert m_y.array.dtype == np.float32 and m_y.array.ravel()[0] == expected
    assert_twins_agree("forward", "exact", m_y, t_y)
    m_y.sum().backward()
    t_y.sum().backward()
    assert_twins_agree("db", "exact", m[2].grad, t[2].grad)  # in b's dtype, float64


# integers and bools, which the property tests do not draw: torch casts no float into an
# integer y, and has no bool kernel for dot, mv or addmm, which it skips when x is empty (mv)
# or the product has no terms (addmm, whose fused path then refuses b: it scales b by an int)
@pytest.mark.parametrize(("x", "w", "b"), [
    (np.ones((2, 1, 3), np.int64), np.ones(3, np.int64), np.float32(0.5)),
    (np.ones((2, 1, 3), np.int64), np.ones(3, np.int64), np.ones((1, 1), bool)),
    (np.ones(3, bool), np.ones(3, bool), None),
    (np.ones(0, bool), np.ones(0, bool), None),
    (np.ones((2, 3), bool), np.ones(3, bool), None),
    (np.ones((0, 3), bool), np.ones(3, bool), None),
    (np.ones((2, 3, 0), bool), np.ones(0, bool), np.ones((), bool)),
    (np.ones((2, 3, 0), bool), np.ones(0, bool), np.ones((), np.int64)),
    (np.ones(3, bool), np.ones((4, 3), bool), None),
    (np.ones((0, 3), bool), np.ones((4, 3), bool), np.ones(4, bool)),
    (np.ones((2, 0), bool), np.ones((4, 0), bool), None),
    (np.ones((2, 0), bool), np.ones((4, 0), bool), np.ones(4, bool)),
    (np.ones((2, 5, 0), bool), np.ones((4, 0), bool), np.ones((), bool)),
], ids=["float-b-int-y", "bool-b-int-y", "bool-dot", "empty-bool-dot", "bool-mv",
        "empty-bool-mv", "empty-bool-mv-bool-b", "empty-bool-mv-int-b", "bool-mm",
        "empty-bool-addmm", "termless-bool-mm", "termless-bool-addmm", "termless-bool-mm-add"])
def test_integers_and_bools_as_torch(x, w, b):
    m_y, m_error = _outcome(manual.linear.linear,
                            [None if a is None else manual.tensor(a) for a in (x, w, b)])
    t_y, t_error = _outcome(torch_native.linear.linear,
                            [None if a is None else torch.tensor(a) for a in (x, w, b)])
    if m_error is not None or t_error is not None:
        _assert_refused_alike(m_error, t_error)
        return
    assert m_y.dtype == t_y.numpy().dtype and m_y.tolist() == t_y.tolist()


@requires_fused_kernels
@pytest.mark.parametrize("shape", [(3, 2), (1, 1), (10, 7), (128, 784)])
@pytest.mark.parametrize("bias", [True, False])
def test_initial_weights_match_torch_to_the_bit(shape, bias):
    n_out, n_in = shape
    manual.manual_seed(7)
    torch.manual_seed(7)
    m, t = manual.linear.Linear(n_in, n_out, bias), torch_native.linear.Linear(n_in, n_out, bias)
    assert_twins_agree("weight", "init", m.weight, t.weight)
    assert (m.bias is None) == (t.bias is None)
    if bias:
        assert_twins_agree("bias", "init", m.bias, t.bias)


def test_initial_weights_within_kaiming_bound():
    # torch-free: U(-1/sqrt(in), 1/sqrt(in)), and a different seed gives different weights
    manual.manual_seed(0)
    layer = manual.linear.Linear(50, 20)
    bound = 1 / np.sqrt(50)
    assert np.abs(layer.weight.array).max() <= bound and np.abs(layer.bias.array).max() <= bound
    assert layer.weight.array.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    manual.manual_seed(1)
    assert not np.array_equal(manual.linear.Linear(50, 20).weight.array, layer.weight.array)


def test_module_interface():
    manual.manual_seed(0)
    layer = manual.linear.Linear(3, 2)
    assert [p.shape for p in layer.parameters()] == [(2, 3), (2,)]
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = manual.tensor(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(layer(x).array, manual.linear.linear(x, layer.weight,
                                                                        layer.bias).array)
    torch_layer = torch_native.linear.Linear(3, 2)
    layer.load_state_dict(torch_layer.state_dict())
    np.testing.assert_array_equal(layer.weight.array, torch_layer.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="Missing key"):
        layer.load_state_dict({"weight": np.zeros((2, 3))})
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        layer.load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_refusals(twin):
    lib = manual.linear if twin is manual else torch_native.linear
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        lib.linear(twin.tensor(np.zeros((4, 3), np.float32)), twin.tensor(np.zeros((2, 5),
                                                                                    np.float32)))
    with pytest.raises(RuntimeError, match="dtype"):
        lib.linear(twin.tensor(np.zeros((4, 3), np.float32)), twin.tensor(np.zeros((2, 3))))


def test_load_state_dict_takes_tensors_that_require_grad():
    # torch accepts dict(model.named_parameters()); so does the manual twin
    torch_layer = torch_native.linear.Linear(3, 2)
    layer = manual.linear.Linear(3, 2)
    layer.load_state_dict(dict(torch_layer.named_parameters()))
    np.testing.assert_array_equal(layer.weight.array, torch_layer.weight.detach().numpy())
    other = manual.linear.Linear(3, 2)
    other.load_state_dict(dict(layer.named_parameters()))
    np.testing.assert_array_equal(other.bias.array, layer.bias.array)


# A 2-d W with a b of any shape: torch hands b to addmm (x flattened to (B, in), b expanded
# to (B, out), the result viewed back) for a 2-d x, or for a contiguous x when b is 1-d once
# squeezed; otherwise it adds b to x W^T in place, where b may not grow y. Either way db is
# dy summed to b's shape. Every pair below, x contiguous or strided: the same refusal, or
# the same node, output and gradients.
BIAS_X_SHAPES = [(3,), (2, 3), (5, 2, 3), (2, 2, 2, 3)]
BIAS_SHAPES = [(), (4,), (1, 4), (2, 4), (5, 4), (1, 1), (1, 1, 4), (5, 1, 4), (2, 1, 4),
               (5, 2, 4), (4, 1)]


@pytest.mark.parametrize("b_dtype", [np.float32, np.float64])  # off addmm, b may differ
@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("b_shape", BIAS_SHAPES, ids=str)
@pytest.mark.parametrize("x_shape", BIAS_X_SHAPES, ids=str)
def test_a_bias_of_any_shape_as_torch(x_shape, b_shape, strided, b_dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape[:-1] + (2 * x_shape[-1],)).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(b_dtype)
    leaves = {lib: [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
              for lib in (manual, torch)}
    args = {lib: [t[..., ::2] if strided else t[..., :3], w_, b_]  # x: strided or a prefix
            for lib, (t, w_, b_) in leaves.items()}
    m_y, m_error = _outcome(manual.linear.linear, args[manual])
    t_y, t_error = _outcome(torch_native.linear.linear, args[torch])
    if m_error is not None or t_error is not None:
        _assert_refused_alike(m_error, t_error)
        return
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
    grad = rng.standard_normal(tuple(t_y.shape)).astype(np.float32)
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    def used(a):  # the part of x's leaf (or of its gradient) that linear was given
        return a[..., ::2] if strided else a[..., :3]

    scales = magnitudes(lambda x_, w_, b_: torch_native.linear.linear(used(x_), w_, b_),
                        x, w, b, grad=grad)
    assert_twins_agree("y", "linear", m_y, t_y, scale=scales[0])
    for name, m, t, scale in zip(("dx", "dw", "db"), leaves[manual], leaves[torch], scales[1:]):
        m_grad, t_grad = np.asarray(m.grad), t.grad.numpy()
        if name == "db":  # summed in y's dtype (float32), then cast to b's: compared in y's
            m_grad, t_grad, scale = (a.astype(np.float32) for a in (m_grad, t_grad, scale))
        assert_twins_agree(name, "linear", m_grad, t_grad, scale=scale)
