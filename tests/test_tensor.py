"""The engine: each operation's forward and derivative against torch, dtype rules, and the
bookkeeping a loop relies on (leaves, .grad, detach, item)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, broadcastable_pair, dtypes


def test_hand_example():
    # y = 100 x, loss = sum(y): dloss/dx = 100 for each element (the seed's example)
    x = manual.tensor([1.0, 2.0], requires_grad=True)
    loss = (100 * x).sum()
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad.array, np.float32([100, 100]))
    # a second graph adds into the same .grad: this is why loops call zero_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.float32([102, 104]))


# Each binary operation, drawn with shapes that broadcast, against torch: forward and the
# gradient of both operands. Values of a divisor are kept away from zero.
BINARY = {
    "add": (lambda a, b: a + b, "exact"),
    "sub": (lambda a, b: a - b, "exact"),
    "mul": (lambda a, b: a * b, "exact"),
    "div": (lambda a, b: a / b, "exact"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=30)
@given(dtypes, broadcastable_pair(), st.data())
def test_binary_ops_match_torch(name, dtype, shapes, data):
    f, kind = BINARY[name]
    a = data.draw(arrays(dtype, shapes[0]))
    b = data.draw(arrays(dtype, shapes[1]))
    if name == "div":
        b = np.where(np.abs(b) < 0.5, 0.5, b).astype(dtype)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    grad = data.draw(arrays(dtype, out_shape))
    # an operand's gradient is elementwise, or, where it was broadcast, summed back over the
    # copies: a sum of as many terms as it had copies
    grad_kinds = [(kind, None) if x.shape == out_shape else
                  ("sums", int(np.prod(out_shape)) // x.size) for x in (a, b)]
    _compare(f, [a, b], grad, kind, grad_kinds=grad_kinds)


UNARY = {
    "neg": (lambda a: -a, "exact", (-8, 8)),
    "pow2": (lambda a: a**2, "exact", (-8, 8)),
    "pow3": (lambda a: a**3, "exact", (-4, 4)),
    "pow1": (lambda a: a**1, "exact", (-8, 8)),
    "pow0": (lambda a: a**0, "exact", (-8, 8)),
    "pow-1": (lambda a: a**-1, "exact", (0.5, 8)),
    "pow0.5": (lambda a: a**0.5, "libm", (0.5, 8)),
    "relu": (lambda a: a.relu(), "exact", (-8, 8)),
    "exp": (lambda a: a.exp(), "libm", (-8, 4)),
    "log": (lambda a: a.log(), "libm", (0.01, 8)),
    "rsub": (lambda a: 1.5 - a, "exact", (-8, 8)),
    "rdiv": (lambda a: 3.0 / a, "exact", (0.5, 8)),  # torch: a.reciprocal() * 3, two roundings
    "reciprocal": (lambda a: a.reciprocal(), "exact", (0.5, 8)),
    "T": (lambda a: a.T, "exact", (-8, 8)),
    "t": (lambda a: a.t(), "exact", (-8, 8)),
    "reshape": (lambda a: a.reshape(-1), "exact", (-8, 8)),
    "index": (lambda a: a[1:, 0], "exact", (-8, 8)),
}


# where a gradient rounds otherwise than its output: exp's is the libm value times g, one
# more rounding on each side; log's is g / a, correctly rounded on both
GRAD_KINDS = {"exp": "libm_product", "log": "exact"}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=20)
@given(dtypes, st.tuples(st.integers(2, 4), st.integers(1, 4)), st.data())
def test_unary_ops_match_torch(name, dtype, shape, data):
    f, kind, (low, high) = UNARY[name]
    a = data.draw(arrays(dtype, shape, bound=8)).clip(low, high).astype(dtype)
    out_shape = f(torch.tensor(a)).shape
    grad = data.draw(arrays(dtype, tuple(out_shape)))
    _compare(f, [a], grad, kind, grad_kinds=[(GRAD_KINDS.get(name, kind), None)])


@given(dtypes, st.tuples(st.integers(1, 4), st.integers(1, 4)), st.data())
def test_reductions_match_torch(dtype, shape, data):
    a = data.draw(arrays(dtype, shape))
    dim = data.draw(st.sampled_from([None, 0, 1, -1, (0, 1)]))
    keepdim = data.draw(st.booleans()) and dim is not None
    for reduce in ("sum", "mean"):
        def f(t, reduce=reduce):
            return getattr(t, reduce)() if dim is None else getattr(t, reduce)(dim, keepdim)
        grad = data.draw(arrays(dtype, tuple(f(torch.tensor(a)).shape)))
        scale = f(torch.tensor(np.abs(a))).numpy()
        # forward: a sum of a.size / out.size terms; backward: the gradient copied back to
        # every term (over their count for mean), elementwise
        _compare(f, [a], grad, "sums", out_scale=scale, out_terms=a.size // max(scale.size, 1),
                 grad_kinds=[("exact", None)])


@given(dtypes, st.sampled_from([(3,), (2, 3), (4, 2, 3)]), st.sampled_from([(3,), (3, 2)]),
       st.data())
def test_matmul_matches_torch(dtype, a_shape, b_shape, data):
    a, b = data.draw(arrays(dtype, a_shape)), data.draw(arrays(dtype, b_shape))
    out_shape = (np.ones(a_shape) @ np.ones(b_shape)).shape
    grad = data.draw(arrays(dtype, out_shape))
    scale = np.abs(a) @ np.abs(b)
    _compare(lambda x, y: x @ y, [a, b], grad, "sums", out_scale=scale)


def _compare(f, arrays_in, grad, kind, out_scale=None, out_terms=None, grad_kinds=None):
    """Run f on both twins; compare the output and every input's gradient, each gradient as
    its (kind, terms) in grad_kinds says (by default the output's kind)."""
    m_in = [manual.tensor(a, requires_grad=True) for a in arrays_in]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays_in]
    m_out, t_out = f(*m_in), f(*t_in)
    assert_twins_agree("forward", kind, m_out, t_out, scale=out_scale, terms=out_terms)
    m_out.backward(manual.tensor(grad))
    t_out.backward(torch.tensor(grad))
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        grad_kind, terms = grad_kinds[i] if grad_kinds else (kind, None)
        scale = _grad_scale(f, arrays_in, grad, i)
        assert_twins_agree(f"backward[{i}]", grad_kind, m.grad, t.grad, scale=scale,
                           terms=terms)


def _grad_scale(f, arrays_in, grad, i):
    """The gradient computed from magnitudes: the scale its summation errors are relative to."""
    t_in = [torch.tensor(np.abs(a), dtype=torch.float64, requires_grad=True) for a in arrays_in]
    out = f(*t_in)
    out.backward(torch.tensor(np.abs(grad), dtype=torch.float64))
    return np.abs(t_in[i].grad.numpy())


def test_dtypes_follow_torch():
    assert manual.tensor([1.0, 2.0]).dtype == np.float32
    assert manual.tensor([1, 2]).dtype == np.int64
    assert manual.tensor(np.zeros(2)).dtype == np.float64
    assert manual.tensor(np.zeros(2, np.float32)).dtype == np.float32
    assert manual.tensor(3.5, dtype=np.float64).dtype == np.float64
    # tensor op Python number keeps the tensor's dtype; an int tensor meets a float as float32
    cases = [
        (lambda t: t * 2.5, np.float32([1, 2])),
        (lambda t: t * 2.5, np.int64([1, 2])),
        (lambda t: t / 2, np.int64([1, 2])),
        (lambda t: t + t.sum(), np.float32([1, 2])),
        (lambda t: t + np.float64(2).item(), np.float32([1, 2])),
        (lambda t: t.sum(), np.int64([1, 2])),
    ]
    for f, a in cases:
        expected = torch.empty(0, dtype=f(torch.tensor(a)).dtype).numpy().dtype
        assert f(manual.tensor(a)).dtype == expected


def test_zero_dim_tensor_does_not_promote_a_tensor_with_dims():
    a, s = np.float32([1.5, 2.5]), np.float64(3.0)
    m = manual.tensor(a) * manual.tensor(s)
    t = torch.tensor(a) * torch.tensor(s)
    assert m.dtype == np.float32 and t.dtype == torch.float32


def test_leaf_bookkeeping():
    w = manual.tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    assert w.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert y.grad is None  # non-leaf: no .grad unless retain_grad()
    d = w.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.array, w.array)
    assert np.asarray(w) is w.array


def test_retain_grad_keeps_a_non_leaf_gradient():
    w = manual.tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.array, np.float32([6, 12]))
    np.testing.assert_array_equal(w.grad.array, np.float32([18, 36]))


def test_unpacking_and_indexing_carry_gradients():
    params = manual.tensor([2.0, 1.0], requires_grad=True)
    w, b = params
    x = manual.tensor([1.0, 2.0, 3.0])
    ((w * x + b) ** 2).sum().backward()
    tp = torch.tensor([2.0, 1.0], requires_grad=True)
    tw, tb = tp
    ((tw * torch.tensor([1.0, 2.0, 3.0]) + tb) ** 2).sum().backward()
    # small integers throughout: every sum is exact, whatever its order
    assert params.grad.tolist() == tp.grad.tolist() == [68.0, 30.0]


def test_item_and_numpy_refusals():
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        manual.tensor([1.0, 2.0]).item()
    assert manual.tensor([[3.0]]).item() == 3.0
    with pytest.raises(RuntimeError, match="detach"):
        manual.tensor([1.0], requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="floating point"):
        manual.tensor([1, 2], requires_grad=True)


def test_in_place_update_of_a_leaf_needs_no_grad():
    w = manual.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w -= 1.0
    with manual.no_grad():
        w -= 1.0
    np.testing.assert_array_equal(w.array, np.float32([0, 1]))
    assert w.requires_grad and w.is_leaf


@pytest.mark.parametrize("expr", [
    "t([3]) * np.float64(0.5)",      # a NumPy number is a number: int tensor -> float32
    "t([1.5]) * np.float64(2.5)",    # ... and does not widen a float32 tensor
    "t([1]) + np.array([0.5])",      # a NumPy array is a tensor: float64 wins
    "t([1.0]) + np.ones(1)",
    "t([True]) + 1",
    "t([2]) / 4",
    "t([1]).exp()",                  # integers go to the default float first
    "t([4]).log()",
])
def test_numpy_operands_and_integers_promote_as_in_torch(expr):
    m = eval(expr, {"t": manual.tensor, "np": np})
    t = eval(expr, {"t": torch.tensor, "np": np})
    assert m.dtype == torch.empty(0, dtype=t.dtype).numpy().dtype, expr
    if m.dtype.kind != "f":
        assert m.tolist() == t.tolist(), expr
    else:
        assert_twins_agree(expr, "libm" if "exp" in expr or "log" in expr else "exact", m, t)


def test_np_array_of_a_tensor_is_a_copy():
    a = manual.tensor([1.0, 2.0])
    b = np.array(a)
    b[0] = 99.0
    assert a.tolist() == [1.0, 2.0]          # as np.array(torch_tensor) copies
    assert np.asarray(a) is a.array          # asarray shares, as it does for torch on CPU


def test_comparing_with_none_is_false():
    assert (manual.tensor([1.0]) == None) is False  # noqa: E711 (the comparison under test)


def test_repr_shows_the_values_and_how_the_tensor_was_made():
    leaf = manual.tensor([1.0, 2.5], requires_grad=True)
    assert repr(leaf) == "tensor([1.0000, 2.5000], requires_grad=True)"  # torch's digits
    assert repr(leaf * 2) == "tensor([2., 5.], grad_fn=<MulBackward0>)"
    assert repr(manual.tensor([1, 2])) == "tensor([1, 2])"
    with manual.no_grad():
        assert repr(leaf * 2) == "tensor([2., 5.])"


@pytest.mark.parametrize("update", ["*=", "/="])
def test_in_place_multiply_and_divide_as_torch(update):
    results = []
    for lib in (manual, torch):
        a = lib.tensor([3.0, -1.5], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            exec(f"a {update} 3.0", {"a": a})
        with lib.no_grad():
            exec(f"a {update} 3.0", {"a": a})
        results.append(np.asarray(a.detach() if lib is torch else a))
    np.testing.assert_array_equal(results[0], results[1])


def test_comparisons_and_truth_as_torch():
    values = ([1.0, 2.0, 3.0], 2.0)
    got = [(np.asarray(lib.tensor(values[0]) < values[1]), np.asarray(lib.tensor(values[0]) >
           values[1]), bool(lib.tensor([0.5])), bool(lib.tensor([0.0]))) for lib in (manual, torch)]
    for m, t in zip(*got):
        np.testing.assert_array_equal(m, t)
    for lib in (manual, torch):
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            bool(lib.tensor([1.0, 2.0]))


def test_an_array_or_list_at_a_tensor_is_refused_as_torch():
    # torch's Tensor has no reflected @ for them: Python's TypeError
    for lib in (manual, torch):
        b = lib.tensor(np.float32([[1], [-1]]), requires_grad=True)
        for other in (np.float32([[1, 2], [3, 4]]), [[1.0, 2.0], [3.0, 4.0]]):
            with pytest.raises(TypeError, match="unsupported operand"):
                other @ b


_IN_PLACE_A = np.random.default_rng(11).uniform(-4, 4, 1000).astype(np.float32)
_IN_PLACE_B = {
    "number": 0.1,
    "numpy-float64": np.float64(0.1),  # a number, as torch takes it: rounded to float32 first
    "tensor": np.random.default_rng(12).uniform(0.5, 4, 1000).astype(np.float32),
}


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
@pytest.mark.parametrize("operand", sorted(_IN_PLACE_B))
def test_in_place_arithmetic_as_torch_to_the_bit(op, operand):
    results = []
    for lib in (manual, torch):
        a = lib.tensor(_IN_PLACE_A.copy())
        b = _IN_PLACE_B[operand]
        b = lib.tensor(b) if isinstance(b, np.ndarray) else b
        exec(f"a {op} b", {"a": a, "b": b})
        results.append(np.asarray(a))
    np.testing.assert_array_equal(results[0], results[1])


def test_zero_and_copy_in_place_as_torch():
    results = []
    for lib in (manual, torch):
        a, n = lib.tensor([1.5, -2.0]), lib.tensor([7, 8])
        n.copy_(lib.tensor(np.array([2.7, -3.9])))   # floats into integers: truncated
        a.copy_(lib.tensor(np.array([0.1, 0.2])))    # float64 into float32: rounded
        results.append((np.asarray(n).tolist(), np.asarray(a).tolist(),
                        np.asarray(a.zero_()).tolist()))
    assert results[0] == results[1]


def test_conversions_comparisons_and_argmax_as_torch():
    x = np.float32([[0.5, 2.0, -1.0], [3.0, 3.0, 0.0]])
    got = []
    for lib in (manual, torch):
        a = lib.tensor(x)
        ints = lib.tensor([1, 4])
        got.append([
            np.asarray(a == 3.0), np.asarray(a == lib.tensor(x)), a.float() is a,
            np.asarray(a.double()).dtype.name, np.asarray(ints.float()).dtype.name,
            np.asarray(a.double().float()).tolist(), np.asarray(ints.reciprocal()).tolist(),
            np.asarray(a.argmax()).tolist(), np.asarray(a.argmax(dim=1)).tolist(),
            np.asarray(a.argmax(dim=0, keepdim=True)).tolist(),
            np.asarray(a.mean()).tolist(), np.asarray(a.mean(dim=1)).tolist(),
        ])
    for m, t in zip(*got):
        np.testing.assert_array_equal(m, t)


def test_an_in_place_change_inside_a_recorded_graph_is_recorded_as_torch_records_it():
    # out += residual, x.relu_(), x *= w: the tensor takes on the new node (torch rebases its
    # history); the gradient is the out-of-place form's, and a value saved before the change
    # is refused in backward
    got = []
    for lib in (manual, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
        y = x * 2
        y += w
        y *= w
        y.relu_()
        y.sum().backward()
        got.append((y.grad_fn.name(), y.detach().numpy().tolist(), x.grad.numpy().tolist(),
                    w.grad.numpy().tolist()))
        z = x * 1
        saved = z.exp()  # exp saves its result: changing it in place breaks the gradient
        saved += 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            saved.sum().backward()
    assert got[0] == got[1]


def test_size_array_and_requires_grad_flags_as_torch():
    got = []
    for lib in (manual, torch):
        a = lib.tensor(np.float32([[1, 2, 3], [4, 5, 6]]))
        b = lib.tensor([1.0]).requires_grad_()
        c = lib.tensor([1.0], requires_grad=True).requires_grad_(False)
        got.append((tuple(a.size()), a.size(1), a.size(-2), np.asarray(a, dtype=np.float64).dtype,
                    np.asarray(a, dtype=np.float64).tolist(), b.requires_grad, c.requires_grad))
    assert got[0] == got[1]
    for lib in (manual, torch):
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
            (lib.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)
        with pytest.raises(RuntimeError, match="floating point"):
            lib.tensor([1, 2]).requires_grad_()


def test_a_second_in_place_change_after_a_save_is_refused_as_torch():
    # the version a node saw is compared with the version at backward: two changes, the
    # node made between them, still differ
    for lib in (manual, torch):
        w = lib.tensor([2.0], requires_grad=True)
        with lib.no_grad():
            w += 1.0
        y = (w * w).sum()
        with lib.no_grad():
            w += 1.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_sums_of_booleans_and_integers_are_int64_as_torch():
    for values, dtype in (([True, False, True], "bool"), ([1, 2, 3], "int32"), ([1, 2], "uint8")):
        m, t = (lib.tensor(np.array(values, dtype)).sum() for lib in (manual, torch))
        assert np.asarray(m).dtype == t.numpy().dtype and np.asarray(m).item() == t.item()


@pytest.mark.parametrize("data", [[True, False], [1, 2], [1.5, 2], [[1, 2], [3.5, 4]], 3, True,
                                  2.5, []])
def test_python_data_makes_torchs_default_dtypes(data):
    assert np.asarray(manual.tensor(data)).dtype == torch.tensor(data).numpy().dtype


_DTYPE_PAIRS = [("int64", 2, "float32", 2), ("float32", 2, "int64", 2), ("bool", 2, "int64", 2),
                ("int64", 2, "bool", 2), ("float64", 0, "float32", 2),
                ("float32", 2, "float64", 0), ("int64", 2, "float32", 0),
                ("float32", 0, "int64", 2), ("int32", 2, "int64", 0), ("bool", 0, "bool", 2),
                ("uint8", 2, "int64", 0), ("float64", 2, "float32", 2)]


@pytest.mark.parametrize("a_dtype, a_n, b_dtype, b_n", _DTYPE_PAIRS)
def test_operand_dtypes_promote_as_torch(a_dtype, a_n, b_dtype, b_n):
    def operand(lib, dtype, n):
        return lib.tensor(np.ones((n,) if n else (), dtype))
    m = operand(manual, a_dtype, a_n) + operand(manual, b_dtype, b_n)
    t = operand(torch, a_dtype, a_n) + operand(torch, b_dtype, b_n)
    assert np.asarray(m).dtype == t.numpy().dtype


@pytest.mark.parametrize("exponent", [-2, -0.5, 1.5, 2.5])
def test_other_exponents_forward_as_torch(exponent):
    # one pow (or 1 / (a a), or 1 / sqrt) per element on both sides; their gradients chain a
    # second pow with two more roundings, beyond a single libm call's bound, and are not
    # compared here
    a = np.random.default_rng(3).uniform(0.5, 8, 1000).astype(np.float32)
    assert_twins_agree("forward", "libm", manual.tensor(a) ** exponent,
                       torch.tensor(a) ** exponent)


@settings(max_examples=200)
@given(st.data())
def test_matmul_refuses_mismatched_sizes_in_torchs_words(data):
    """A product whose inner sizes differ, of any dims from 1 to 4, batches broadcast or of
    one, either operand wanting a gradient: the same exception and message as torch's, worded
    by the path torch takes (dot, mv, mm after folding or squeezing a batch of one, bmm)."""
    da, db = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    batch = data.draw(st.lists(st.integers(0, 3), min_size=2, max_size=2))
    k = data.draw(st.integers(1, 4))
    k2 = data.draw(st.integers(1, 4).filter(lambda v: v != k))
    n, m = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))

    def shape(ndim: int, matrix: tuple[int, int], inner: int) -> tuple[int, ...]:
        if ndim == 1:
            return (inner,)
        return (*(data.draw(st.sampled_from([batch[i], 1])) for i in range(ndim - 2)),
                *matrix)

    sa, sb = shape(da, (n, k), k), shape(db, (k2, m), k2)
    assert_same_refusal(sa, sb, (data.draw(st.booleans()), data.draw(st.booleans())))


@pytest.mark.parametrize(("sa", "sb", "grads"), [
    ((2, 3, 1), (1, 2, 0), (False, True)),  # b's batch of one squeezed: mm of a folded
    ((1, 3, 2), (2, 4, 5), (True, False)),  # a's batch of one squeezed: b.mT folded
    ((2, 3, 1), (1, 2, 4), (False, False)),  # nothing wants a gradient: bmm, broadcast
    ((3,), (2, 4, 5), (False, False)),  # a vector times a batch
])
def test_matmul_refuses_a_batch_of_one_by_the_path_torch_takes(sa, sb, grads):
    assert_same_refusal(sa, sb, grads)


def assert_same_refusal(sa: tuple, sb: tuple, grads: tuple[bool, bool]) -> None:
    def refusal(lib):
        a, b = (lib.zeros(s, requires_grad=g) for s, g in zip((sa, sb), grads))
        with pytest.raises(Exception) as raised:
            lib.matmul(a, b)
        return type(raised.value).__name__, str(raised.value)

    assert refusal(manual) == refusal(torch), (sa, sb, grads)
