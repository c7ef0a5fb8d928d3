"""The tensor API of DESIGN.md ("The torch-shaped namespaces": the ``manual`` row and what
tensors have) against torch: creation, views and shapes, joining, comparisons, reductions,
pointwise operations, matrix products, indexing, in-place updates and conversions.

Every property runs one expression on both libraries with the same drawn inputs and
compares what a loop sees: values, dtypes, shapes, node names (``grad_fn.name()``) and the
gradient of every input after backward with a drawn gradient. Values are compared to the
bit where the manual engine rounds where torch's kernels round, and with
reference/tolerances.py's kinds elsewhere: "libm" for exp, log, sqrt, tanh, sin, cos and
general powers (torch calls MKL's and SLEEF's vectorised functions), "libm_product" for a
gradient that multiplies such a value, "sums" for sums and matrix products. Where the
forward is a libm value, the derivative is also checked to the bit given the manual
forward: torch's own backward formula (``tanh_backward``, ...) run on the manual engine's
values.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
from reference.convert import to_numpy
from tests.helpers import _fused_kernels, assert_exact, assert_twins_agree
from tests.strategies import arrays, broadcastable_pair, dtypes
from tests.test_fuzz import any_array, assert_same_outcome, values
from tests.test_nan import assert_same_specials, with_specials

LIBS = (manual, torch)
FAST = settings(max_examples=25)


def test_hand_example():
    # the "What is torch.nn really?" tutorial's loss and accuracy, by hand: two samples'
    # log-probabilities over three classes, targets 2 and 0
    logp = manual.tensor([[-1.0, -2.0, -0.5], [-0.25, -3.0, -1.5]], requires_grad=True)
    target = manual.tensor([2, 0])
    loss = -logp[range(2), target].mean()            # -(-0.5 + -0.25) / 2 = 0.375
    assert loss.item() == 0.375 and f"{loss:.4f}" == "0.3750"
    assert loss.grad_fn.name() == "NegBackward0"
    loss.backward()
    # d loss / d logp: -1/2 at each picked entry, 0 elsewhere
    assert logp.grad.tolist() == [[0.0, 0.0, -0.5], [-0.5, 0.0, 0.0]]
    values, indices = logp.max(dim=1)                # [-0.5, -0.25] at [2, 0]
    assert values.tolist() == [-0.5, -0.25] and indices.tolist() == [2, 0]
    accuracy = (logp.argmax(dim=1) == target).float().mean()
    assert accuracy.item() == 1.0 and (logp != 0).sum().item() == 6


# -- comparing the twins ------------------------------------------------------------------------

def assert_agree(label: str, kind: str, m: Any, t: Any, **options: Any) -> None:
    if kind == "exact":
        assert_exact(label, m, t)
    else:
        assert_twins_agree(label, kind, to_numpy(m), to_numpy(t), **options)


def node(t: Any) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name()


def run(f: Any, inputs: list[np.ndarray], grad: np.ndarray | None = None) -> list[tuple]:
    """out = f(lib, *leaves) on both libraries (float leaves require grad), then backward
    with ``grad`` (the same values in out's dtype); (out, leaves) for manual, then torch."""
    sides = []
    for lib in LIBS:
        leaves = [lib.tensor(np.array(a), requires_grad=a.dtype.kind == "f") for a in inputs]
        out = f(lib, *leaves)
        if grad is not None and out.requires_grad:
            out.backward(lib.tensor(np.asarray(grad).astype(to_numpy(out).dtype)))
        sides.append((out, leaves))
    return sides


def assert_twins(label: str, sides: list[tuple], kind: str = "exact",
                 grad_kind: str | None = None, **options: Any) -> None:
    """Output (kind), node name and, where both have one, each input's gradient (a wider
    input's gradient, computed in the output's dtype and cast, compared in that dtype)."""
    (m_out, m_in), (t_out, t_in) = sides
    assert_agree(f"{label} forward", kind, m_out, t_out, **options)
    assert node(m_out) == node(t_out), f"{label}: node {node(m_out)} != {node(t_out)}"
    assert m_out.requires_grad == t_out.requires_grad, f"{label}: requires_grad"
    computed_in = to_numpy(t_out).dtype
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        assert (m.grad is None) == (t.grad is None), f"{label}: gradient {i} missing"
        if t.grad is None or grad_kind == "given the forward":
            continue
        m_grad, t_grad = to_numpy(m.grad), to_numpy(t.grad)
        assert m_grad.dtype == t_grad.dtype, f"{label}: gradient {i} dtype"
        if computed_in.kind == "f" and m_grad.itemsize > computed_in.itemsize:
            m_grad, t_grad = m_grad.astype(computed_in), t_grad.astype(computed_in)
        assert_agree(f"{label} gradient {i}", grad_kind or kind, m_grad, t_grad)


def dtype_of(lib: Any, name: str | None) -> Any:
    return None if name is None else getattr(lib, name)


# -- creation -------------------------------------------------------------------------------

SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)
DTYPE_NAMES = st.sampled_from([None, "float32", "float64", "int64", "int32", "bool", "float",
                               "double", "long"])


@st.composite
def shape_arguments(draw) -> tuple[tuple, tuple[int, ...]]:
    """A shape as separate ints, one tuple or one list (``()`` included)."""
    shape = draw(SHAPES)
    form = draw(st.sampled_from(["ints", "tuple", "list"] if shape else ["tuple", "list"]))
    return ({"ints": shape, "tuple": (shape,), "list": (list(shape),)}[form], shape)


@FAST
@given(st.sampled_from(["zeros", "ones", "empty", "full", "zeros_like", "ones_like",
                        "full_like"]), shape_arguments(), DTYPE_NAMES, st.booleans(),
       st.sampled_from([2, -1.5, True, 0.25]))
def test_creation_matches_torch(name, shape_args, dtype, requires_grad, value):
    args, shape = shape_args
    floating = dtype in ("float32", "float64", "float", "double") or dtype is None and (
        name != "full" or isinstance(value, float))  # full's dtype is its value's
    results = []
    for lib in LIBS:
        options = dict(dtype=dtype_of(lib, dtype), device="cpu",
                       requires_grad=requires_grad and floating)
        if name in ("zeros", "ones", "empty"):
            t = getattr(lib, name)(*args, **options)
        elif name == "full":
            t = lib.full(tuple(shape), value, **options)
        else:
            like = lib.tensor(np.full(shape, 3, np.int64))  # an int64 original
            extra = (value,) if name == "full_like" else ()
            options["requires_grad"] = options["requires_grad"] and dtype is not None
            t = getattr(lib, name)(like, *extra, **options)
        results.append(t)
    m, t = results
    assert tuple(m.shape) == tuple(t.shape) == shape
    assert (m.requires_grad, m.is_leaf, m.grad_fn) == (t.requires_grad, t.is_leaf, None)
    if name == "empty":
        assert to_numpy(m).dtype == to_numpy(t).dtype
    else:
        assert_exact(name, m, t)


PYTHON_DATA = st.recursive(
    st.one_of(st.integers(-5, 5), st.floats(-4, 4, width=32), st.booleans()),
    lambda children: st.lists(children, min_size=1, max_size=3), max_leaves=8)


@FAST
@given(PYTHON_DATA, st.sampled_from([None, "float32", "float64", "int64", "bool"]))
def test_tensor_of_python_data_matches_torch(data, dtype):
    outcomes = []
    for lib in LIBS:
        try:
            outcomes.append(lib.tensor(data, dtype=dtype_of(lib, dtype)))
        except (ValueError, TypeError) as error:  # ragged lists: torch's ValueError
            outcomes.append(type(error))
    if isinstance(outcomes[1], type):
        assert outcomes[0] is outcomes[1]
        return
    assert_exact("tensor", *outcomes)


BOUNDS = st.one_of(st.integers(-20, 20), st.floats(-20, 20, width=32).filter(
    lambda x: abs(x) >= 0.05))  # a step of at least 0.05: at most 800 values


@FAST
@given(BOUNDS, BOUNDS, BOUNDS, st.sampled_from([None, "float32", "float64", "int64"]))
def test_arange_and_linspace_match_torch_to_the_bit(start, end, step, dtype):
    """arange's double-precision vectors and linspace's two halves: every bit as torch's."""
    def arange(lib):
        return lib.arange(start, end, step, dtype=dtype_of(lib, dtype))

    assert_same_outcome("exact", lambda ns: arange(ns.lib))
    assert_same_outcome("exact", lambda ns: ns.lib.arange(end, dtype=dtype_of(ns.lib, dtype)))
    steps = int(abs(step)) % 40
    assert_same_outcome("exact", lambda ns: ns.lib.linspace(
        start, end, steps, dtype=dtype_of(ns.lib, dtype)))


def test_arange_of_many_fractional_steps_to_the_bit():
    # long enough for the vector blocks and the scalar tail, in both dtypes
    for dtype in ("float32", "float64"):
        for start, end, step in ((0.0, 100.0, 0.7), (-1.3, 2.2, 0.037), (3, -40.5, -0.3)):
            m, t = (lib.arange(start, end, step, dtype=getattr(lib, dtype)) for lib in LIBS)
            assert_exact(f"arange {dtype}", m, t)


def test_devices_dtypes_and_numpy_arrays_as_torch():
    for lib in LIBS:
        assert str(lib.zeros(1).device) == "cpu" and lib.zeros(1).device == lib.device("cpu")
        assert lib.device("cuda:1").index == 1 and lib.cuda.is_available() is False
        assert repr(lib.device("cuda", 0)) == "device(type='cuda', index=0)"
        array = np.zeros(2, np.float32)
        shared = lib.from_numpy(array)
        shared.add_(1)                                # from_numpy shares the array's memory
        assert array.tolist() == [1.0, 1.0] and to_numpy(lib.tensor(array)) is not array
    names = ["float32", "float64", "int64", "float", "double", "long", "bool", "int"]
    assert [np.dtype(getattr(manual, n)) for n in names] == [
        torch.empty(0, dtype=getattr(torch, n)).numpy().dtype for n in names]
    assert manual.equal(manual.ones(2), manual.ones(2)) == torch.equal(torch.ones(2),
                                                                        torch.ones(2))
    assert not manual.equal(manual.ones(2), manual.ones(1, 2))


# -- views and shapes -------------------------------------------------------------------------

VIEWS = ["view", "view tuple", "view_as", "reshape", "reshape tuple", "transposed reshape",
         "unsqueeze", "squeeze", "squeeze dim", "squeeze dims", "permute", "permute tuple",
         "transpose", "t", "T", "flatten", "flatten all", "contiguous", "clone", "expand",
         "expand -1", "expand_as", "torch.flatten", "torch.reshape", "torch.squeeze",
         "torch.unsqueeze", "torch.permute", "torch.transpose", "torch.clone"]


@st.composite
def view_cases(draw, name: str):
    """An array and a view, reshape or rearrangement of it that fits its shape."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    x = draw(arrays(draw(dtypes), shape))
    n, ndim = x.size, x.ndim
    dim = draw(st.integers(-ndim, ndim - 1))
    new_dim = draw(st.integers(-ndim - 1, ndim))
    perm = draw(st.permutations(range(ndim)))
    rows = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    start = draw(st.integers(0, ndim - 1))
    end = draw(st.integers(start, ndim - 1))
    cases = {
        "view": lambda t: t.view(rows, -1), "view tuple": lambda t: t.view((n,)),
        "view_as": lambda t, lib: t.view_as(lib.zeros(n, 1)),
        "reshape": lambda t: t.reshape(-1, rows), "reshape tuple": lambda t: t.reshape((n,)),
        "transposed reshape": lambda t: t.transpose(0, -1).reshape(-1),
        "unsqueeze": lambda t: t.unsqueeze(new_dim),
        "squeeze": lambda t: t.unsqueeze(0).squeeze(), "squeeze dim": lambda t: t.squeeze(dim),
        "squeeze dims": lambda t: t.squeeze(tuple({0, dim % ndim})),
        "permute": lambda t: t.permute(*perm), "permute tuple": lambda t: t.permute(perm),
        "transpose": lambda t: t.transpose(dim, 0),
        "t": lambda t: t.t() if t.ndim <= 2 else t.flatten(1).t(),
        "T": lambda t: t.T, "flatten": lambda t: t.flatten(start, end),
        "flatten all": lambda t: t.flatten(), "contiguous": lambda t: t.T.contiguous(),
        "clone": lambda t: t.clone(), "expand": lambda t: t.unsqueeze(0).expand(3, *shape),
        "expand -1": lambda t: t[..., :1].expand(*shape[:-1], 2),
        "expand_as": lambda t, lib: t.expand_as(lib.zeros(2, *shape)),
        "torch.flatten": lambda t, lib: lib.flatten(t, start),
        "torch.reshape": lambda t, lib: lib.reshape(t, (-1,)),
        "torch.squeeze": lambda t, lib: lib.squeeze(t.unsqueeze(1), 1),
        "torch.unsqueeze": lambda t, lib: lib.unsqueeze(t, 0),
        "torch.permute": lambda t, lib: lib.permute(t, perm),
        "torch.transpose": lambda t, lib: lib.transpose(t, 0, dim),
        "torch.clone": lambda t, lib: lib.clone(t),
    }
    if name == "t" and ndim > 2:
        name = "T"
    return name, cases[name], x


def _call(f: Any, t: Any, lib: Any) -> Any:
    return f(t, lib) if f.__code__.co_argcount == 2 else f(t)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.filterwarnings("ignore:The use of `x.T`")  # torch deprecates T beyond 2-d
@settings(max_examples=4)
@given(st.data())
def test_views_and_shapes_match_torch(view, data):
    name, f, x = data.draw(view_cases(view))
    out_shape = _call(f, torch.tensor(x), torch).shape
    grad = data.draw(arrays(x.dtype, tuple(out_shape)))
    sides = run(lambda lib, t: _call(f, t, lib), [x], grad)
    assert_twins(name, sides)
    (m_out, m_in), (t_out, t_in) = sides
    # a view shares its tensor's memory: a change to the input shows in the output
    with manual.no_grad(), torch.no_grad():
        m_in[0].add_(1.0)
        t_in[0].add_(1.0)
    assert_exact(f"{name} after the input changed", m_out, t_out)


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), st.data())
def test_cat_and_stack_match_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    kinds = data.draw(st.lists(st.sampled_from(["float32", "float64", "int64", "bool"]),
                               min_size=1, max_size=3))
    pieces = []
    for kind in kinds:
        grown = tuple(data.draw(st.integers(0, 3)) if i == dim % len(shape) else n
                      for i, n in enumerate(shape))
        pieces.append(data.draw(values(np.dtype(kind), grown)))
    out_dtype = torch.cat([torch.tensor(p) for p in pieces], dim).numpy().dtype
    for name, join, sizes in (("cat", "cat", [p.shape for p in pieces]),
                              ("stack", "stack", [shape] * len(pieces))):
        arrays_in = pieces if name == "cat" else [np.resize(p, shape) for p in pieces]
        out_shape = getattr(torch, join)([torch.tensor(a) for a in arrays_in], dim).shape
        grad = data.draw(values(out_dtype, tuple(out_shape)))
        sides = run(lambda lib, *ts, join=join: getattr(lib, join)(list(ts), dim=dim),
                    arrays_in, grad)
        assert_twins(f"{name} {sizes} dim {dim}", sides)


# -- comparisons ----------------------------------------------------------------------------

OPERAND_DTYPES = st.sampled_from(["float32", "float64", "int64", "bool"])


@st.composite
def operands(draw, numbers: bool = True):
    """Two operands that broadcast: arrays of any dtype among torch's four, 0-d tensors or
    Python numbers (ints, floats, bools) on the right."""
    a_shape, b_shape = draw(broadcastable_pair())
    a = draw(values(np.dtype(draw(OPERAND_DTYPES)), a_shape))
    kind = draw(st.sampled_from(["array", "0-d", "number"] if numbers else ["array"]))
    if kind == "number":
        return a, draw(st.sampled_from([2, -1, 0, 2.5, 0.1, True, False]))
    shape = () if kind == "0-d" else b_shape
    return a, draw(values(np.dtype(draw(OPERAND_DTYPES)), shape))


COMPARISONS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "eq": lambda a, b: a.eq(b), "ne": lambda a, b: a.ne(b), "lt": lambda a, b: a.lt(b),
    "le": lambda a, b: a.le(b), "gt": lambda a, b: a.gt(b), "ge": lambda a, b: a.ge(b),
}


@FAST
@given(operands(), st.sampled_from(sorted(COMPARISONS)), st.booleans())
@example((np.float32([0.1, 0.3, 2.5]), 0.1), "==", False)  # 0.1 rounded to float32: equal
@example((np.float32([0.1, 0.3]), np.float64(0.1)), "<", False)  # a 0-d float64: float32 too
@example((np.int64([2, 3]), 2.5), ">=", False)  # an integer against 2.5: in float32
def test_comparisons_match_torch(pair, op, scaled):
    a, b = pair
    if scaled and a.dtype.kind == "f":
        a = a * a.dtype.type(0.1)  # compared in torch's promoted dtype: 0.3 against 0.1 * 3
    f = COMPARISONS[op]
    sides = [[lib.tensor(a), b if not isinstance(b, np.ndarray) else lib.tensor(b)]
             for lib in LIBS]
    m, t = (f(*s) for s in sides)
    assert_exact(f"a {op} b", m, t)
    assert not m.requires_grad and m.dtype == np.bool_
    if not op.isalpha():  # the operators, reflected: 2 < x is x > 2
        assert_exact(f"b {op} a", f(sides[0][1], sides[0][0]), f(sides[1][1], sides[1][0]))


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "**": operator.pow, "//": operator.floordiv, "%": operator.mod,
             "@": operator.matmul, "&": operator.and_, "|": operator.or_, "^": operator.xor,
             "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
             ">": operator.gt, ">=": operator.ge}


@pytest.mark.parametrize("op", sorted(OPERATORS))
@pytest.mark.parametrize("other", ["a", None, [1.0, 2.0], (1,), object()],
                         ids=["str", "None", "list", "tuple", "object"])
def test_an_operator_with_an_operand_that_is_not_a_tensor_is_pythons_as_in_torch(op, other):
    """t OP u and u OP t, u neither a tensor nor a number: torch's operators return
    NotImplemented, so Python words the error ("unsupported operand type(s) for +: 'Tensor'
    and 'str'"), == and != compare identity, and str * t asks t for an index."""
    f = OPERATORS[op]
    sides = [[outcome(f, lib.ones(2), other), outcome(f, other, lib.ones(2))] for lib in LIBS]
    for (m_value, m_error), (t_value, t_error) in zip(*sides):
        assert type(m_error) is type(t_error) and str(m_error) == str(t_error)
        if t_error is None:  # == and != (identity), str % t (a mapping: the string)
            assert m_value == t_value and type(m_value) is type(t_value)


# -- logic and integer-style division ----------------------------------------------------------

LOGIC_AND_DIVISION = {
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "bitwise_and": lambda a, b: a.bitwise_and(b), "remainder": lambda a, b: a.remainder(b),
    "floor_divide": lambda a, b: a.floor_divide(b),
}


def outcome(f: Any, *args: Any) -> tuple[Any, Any]:
    try:
        with np.errstate(all="ignore"):
            return f(*args), None
    except Exception as error:  # noqa: BLE001 (the class and message are what is compared)
        return None, error


@FAST
@given(operands(), st.sampled_from(sorted(LOGIC_AND_DIVISION)), st.sampled_from([1, 7, 1000]))
@example((np.float32([4, -4, 0, -0.0, 3, 5.5]), np.float32([-2, 2, -2, 2, 0, -2])), "%", 1)
@example((np.float32([4, -4, 0, -0.0, 3, 5.5]), np.float32([-2, 2, -2, 2, 0, -2])), "//", 1)
@example((np.int64([5, -7]), np.int64([0, 2])), "%", 1)  # integers by zero: torch raises
@example((np.int64([-7, 7]), -2), "//", 1)
@example((np.float32([1.0]), 1), "&", 1)  # no bitwise kernel for floats
def test_logic_and_integer_division_match_torch(pair, op, scale):
    """The result's bits and dtype, or the same error, from either side: x op y and the
    reflected y op x (a number on the left is __rmod__, __rand__, ...)."""
    a, b = pair
    if a.dtype.kind == "f" and scale != 1:
        a = a * a.dtype.type(scale) + a.dtype.type(0.1)  # remainders that round
    f = LOGIC_AND_DIVISION[op]
    sides = [[lib.tensor(a), b if not isinstance(b, np.ndarray) else lib.tensor(b)]
             for lib in LIBS]
    for label, order in ((f"a {op} b", (0, 1)), (f"b {op} a", (1, 0))):
        if op.isalpha() and order == (1, 0):
            continue
        (m, m_error), (t, t_error) = (outcome(f, s[order[0]], s[order[1]]) for s in sides)
        if m_error is not None or t_error is not None:
            assert type(m_error) is type(t_error) and str(m_error) == str(t_error), \
                f"{label}: manual {m_error!r}, torch {t_error!r}"
        else:
            assert_exact(label, m, t)


@FAST
@given(broadcastable_pair(), st.sampled_from(["float32", "float64"]), st.data())
def test_the_remainders_gradient_matches_torch(shapes, dtype, data):
    """x % y: dx = d, dy = -d floor(x / y), summed back over broadcast copies."""
    x = data.draw(values(np.dtype(dtype), shapes[0])) * 3
    y = data.draw(values(np.dtype(dtype), shapes[1]))
    y = np.where(y == 0, 0.75, y).astype(dtype)
    grad = data.draw(values(np.dtype(dtype), np.broadcast_shapes(x.shape, y.shape)))
    sides = run(lambda lib, x, y: x % y, [x, y], grad)
    assert_twins("x % y", sides)
    sides = run(lambda lib, x: x % 0.75, [x], data.draw(values(np.dtype(dtype), x.shape)))
    assert_twins("x % 0.75", sides)


def test_the_logical_not_and_floor_divisions_missing_derivative_as_torch():
    for lib in LIBS:
        assert (~lib.tensor([True, False])).tolist() == [False, True]
        assert (~lib.tensor([5])).tolist() == [-6]
        x = lib.tensor([1.5], requires_grad=True)
        assert (x // 0.4).requires_grad
        assert (x // 0.4).grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not"):
            (x // 0.4).sum().backward()
        with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
            ~lib.tensor([1.0])


# -- pointwise: one operand ------------------------------------------------------------------

# name: (forms f(lib, x) as method, function or operator; low, high; forward kind, gradient
# kind); each example calls one of the forms
UNARY = {
    "neg": ((lambda lib, x: -x, lambda lib, x: x.neg()), -8, 8, "exact", "exact"),
    "abs": ((lambda lib, x: x.abs(), lambda lib, x: lib.abs(x), lambda lib, x: abs(x)), -8, 8,
            "exact", "exact"),
    "relu": ((lambda lib, x: x.relu(), lambda lib, x: lib.relu(x)), -8, 8, "exact", "exact"),
    "reciprocal": ((lambda lib, x: x.reciprocal(),), 0.5, 8, "exact", "exact"),
    "sigmoid": ((lambda lib, x: x.sigmoid(), lambda lib, x: lib.sigmoid(x)), -20, 20, "exact",
                "exact"),
    "exp": ((lambda lib, x: x.exp(), lambda lib, x: lib.exp(x)), -8, 8, "libm",
            "libm_product"),
    "log": ((lambda lib, x: x.log(), lambda lib, x: lib.log(x)), 0.01, 8, "libm", "exact"),
    "sqrt": ((lambda lib, x: x.sqrt(), lambda lib, x: lib.sqrt(x)), 0.01, 8, "libm",
             "libm_product"),
    "tanh": ((lambda lib, x: x.tanh(), lambda lib, x: lib.tanh(x)), -8, 8, "libm",
             "given the forward"),
    "sin": ((lambda lib, x: x.sin(), lambda lib, x: lib.sin(x)), -8, 8, "libm", "libm_product"),
    "cos": ((lambda lib, x: x.cos(), lambda lib, x: lib.cos(x)), -8, 8, "libm", "libm_product"),
    "clamp": ((lambda lib, x: x.clamp(-1, 2), lambda lib, x: lib.clamp(x, min=-0.25, max=0.25),
               lambda lib, x: x.clip(0, 1), lambda lib, x: x.clamp(1, -1)), -4, 4, "exact",
              "exact"),
    "clamp min": ((lambda lib, x: x.clamp(min=0), lambda lib, x: lib.clamp(x, -0.5)), -4, 4,
                  "exact", "exact"),
    "clamp max": ((lambda lib, x: x.clamp(max=0.5), lambda lib, x: lib.clamp(x, None, 1)), -4,
                  4, "exact", "exact"),
    "** 2, 3": ((lambda lib, x: x**2, lambda lib, x: x.pow(3), lambda lib, x: lib.pow(x, 2.0)),
                -4, 4, "exact", "exact"),
    "** 0, 1": ((lambda lib, x: x**0, lambda lib, x: x**1), -4, 4, "exact", "exact"),
    "** -1": ((lambda lib, x: x**-1, lambda lib, x: lib.pow(x, -1)), 0.5, 8, "exact", "exact"),
    "** -2": ((lambda lib, x: x**-2,), 0.5, 8, "exact", "libm_product"),
    "** 0.5": ((lambda lib, x: x**0.5,), 0.01, 8, "libm", "exact"),
    "** -0.5": ((lambda lib, x: x**-0.5,), 0.5, 8, "exact", "libm_product"),
    "** 2.5, -1.5": ((lambda lib, x: x**2.5, lambda lib, x: lib.pow(x, -1.5)), 0.5, 8, "libm",
                     "libm_product"),
    "** 4": ((lambda lib, x: x.pow(4),), -4, 4, "libm", "exact"),
    "number ** x": ((lambda lib, x: 2**x, lambda lib, x: 2.5**x, lambda lib, x: lib.pow(2, x),
                     lambda lib, x: 0.5**x), -8, 8, "libm", "libm_product"),
    "number - x": ((lambda lib, x: 1.5 - x, lambda lib, x: 2 - x), -8, 8, "exact", "exact"),
    "number / x": ((lambda lib, x: 3 / x, lambda lib, x: 0.1 / x), 0.5, 8, "exact", "exact"),
    "number * x, + x": ((lambda lib, x: 2 * x, lambda lib, x: 0.5 + x), -8, 8, "exact",
                        "exact"),
    "casts": ((lambda lib, x: x.float(), lambda lib, x: x.double(),
               lambda lib, x: x.to(lib.float64), lambda lib, x: x.to(lib.zeros(1)),
               lambda lib, x: x.type(lib.float32), lambda lib, x: x.to(dtype=lib.float64),
               lambda lib, x: x.to(device="cpu", dtype=lib.float64),
               lambda lib, x: x.to("cpu", lib.float64)), -8, 8, "exact", "exact"),
}


@pytest.mark.parametrize("base", [0.0, -0.0, -2.0, 1.0, 0.5, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_number_to_a_tensor_power_at_its_corners(base, dtype):
    """c ** x and its gradient c^x ln c where c is 0 (ln c = -inf: 0 where x > 0, NaN where
    x <= 0 ... as torch masks it), negative (NaN but at integer x), 1 (ln c = 0) or below 1."""
    x = np.array([-2.0, -1.5, -0.0, 0.0, 0.5, 1.0, 3.0], dtype)
    grad = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.25], dtype)
    sides = run(lambda lib, t: base ** t, [x], grad)
    assert_twins("number ** x", sides, "libm", "libm_product")


def _teacher_forced_gradient(name: str, x: np.ndarray, y: np.ndarray, grad: np.ndarray):
    """torch's backward formula on the manual engine's forward values: the gradient the
    manual engine must give to the bit, whatever its libm's last bit."""
    g, out = torch.tensor(grad), torch.tensor(y)
    if name == "exp":
        return g * out                                   # ExpBackward0: grad * result
    if name == "sqrt":
        return g / (2 * out)                             # SqrtBackward0: grad / (2 result)
    if name == "tanh":
        return torch.ops.aten.tanh_backward(g, out)      # grad (1 - y y), fused
    return None


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=6)
@given(dtypes, st.lists(st.integers(1, 5), min_size=0, max_size=2).map(tuple), st.data())
def test_pointwise_operations_match_torch(name, dtype, shape, data):
    forms, low, high, kind, grad_kind = UNARY[name]
    f = data.draw(st.sampled_from(forms))
    x = data.draw(arrays(dtype, shape, bound=max(abs(low), abs(high)))).clip(low, high)
    x = x.astype(dtype)
    out_dtype = to_numpy(f(torch, torch.tensor(x))).dtype
    grad = data.draw(arrays(out_dtype, shape))
    sides = run(f, [x], grad)
    assert_twins(name, sides, kind, grad_kind)
    expected = _teacher_forced_gradient(name, x, to_numpy(sides[0][0]), grad)
    if expected is not None:
        assert_exact(f"{name}: torch's derivative of the manual values", sides[0][1][0].grad,
                     expected)


LAYOUTS = {"contiguous": lambda a: a, "transposed": lambda a: a.T, "rows": lambda a: a[::2],
           "columns": lambda a: a[:, ::2]}


@FAST
@given(dtypes, st.integers(1, 150), st.sampled_from(sorted(LAYOUTS)), st.integers(0, 2**16))
def test_sigmoid_is_torchs_kernel_to_the_bit(dtype, n, layout, seed):
    """SLEEF's exp in the vector lanes and glibc's in the tail of each run of contiguous
    elements: long tensors (many vectors, any tail) and strided views of them, of values
    spread over [-20, 20] (where the two exps differ in about one value in ten)."""
    values_ = np.random.default_rng(seed).uniform(-20, 20, (n, 3)).astype(dtype)
    x = LAYOUTS[layout](values_)
    m, t = manual.from_numpy(x).sigmoid(), torch.from_numpy(x).sigmoid()
    assert_exact(f"sigmoid of {layout} {x.shape}", m, t)


def test_tanh_gradient_cancels_near_one_and_so_is_compared_on_the_same_forward():
    # y = tanh(x) within 1 ULP of torch's; 1 - y y near |y| = 1 cancels, so the gradients
    # differ by many ULPs of themselves, though by few of the incoming gradient: they are
    # compared to the bit given the same y (test above); here, within 4 ULP of |g|
    x = np.linspace(-8, 8, 101, dtype=np.float32)
    grad = np.ones_like(x)
    (m_out, (m_x,)), (t_out, (t_x,)) = run(lambda lib, t: t.tanh(), [x], grad)
    gap = np.abs(to_numpy(m_x.grad) - to_numpy(t_x.grad)) / np.spacing(np.float32(1))
    assert gap.max() <= 4


# -- pointwise: two operands ------------------------------------------------------------------

BINARY = {
    "+": (lambda lib, a, b: a + b, lambda lib, a, b: a.add(b), lambda lib, a, b: lib.add(a, b)),
    "-": (lambda lib, a, b: a - b, lambda lib, a, b: a.sub(b), lambda lib, a, b: lib.sub(a, b)),
    "*": (lambda lib, a, b: a * b, lambda lib, a, b: a.mul(b), lambda lib, a, b: lib.mul(a, b)),
    "/": (lambda lib, a, b: a / b, lambda lib, a, b: a.div(b), lambda lib, a, b: lib.div(a, b)),
    "alpha int": (lambda lib, a, b: a.add(b, alpha=2), lambda lib, a, b: a.sub(b, alpha=3)),
    "alpha float": (lambda lib, a, b: a.add(b, alpha=0.5 if _fused_kernels() else 2.0),
                    lambda lib, a, b: a.sub(b, alpha=1.5 if _fused_kernels() else -1.0)),
    "where": (lambda lib, a, b: lib.where(a > 0, a, b), lambda lib, a, b: a.where(a < 1, b)),
    "max, min": (lambda lib, a, b: lib.max(a, b), lambda lib, a, b: lib.min(a, b),
                 lambda lib, a, b: a.max(b)),
    "** tensor": (lambda lib, a, b: a.abs() ** b, lambda lib, a, b: a.abs().pow(b)),
    "clamp tensors": (lambda lib, a, b: a.clamp(min=b), lambda lib, a, b: lib.clamp(a, max=b),
                      lambda lib, a, b: a.clamp(b - 1, b + 1), lambda lib, a, b: a.clamp(b, b)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=12)
@given(operands(), st.integers(0, 2**16))
@example((np.int64([[1, -2], [3, 0]]), np.int64([2, -1])), 0)       # integers: no float alpha
@example((np.int64([1, -2]), np.int64([2, -1])), 1)
@example((np.float32([1.0, 2.0, -0.5]), np.float32([1.0, 0.5, -0.5])), 0)  # ties for max
@example((np.float64([[0.25], [-2.0]]), np.float64(0.5)), 2)       # a 0-d tensor
@example((np.array([True, False]), True), 1)                        # bools and a bool
def test_binary_operations_match_torch_in_value_dtype_and_gradient(name, pair, seed):
    """Operands of all four dtypes, 0-d tensors and Python numbers: torch's promotion, its
    refusals (bool subtraction, a float alpha for integers) and its values; operands and
    gradients on the grid of quarters, so every sum of a broadcast gradient is exact."""
    a, b = pair
    if name == "/" and isinstance(b, np.ndarray) and b.dtype.kind == "f":  # exact quotients
        b = np.where(b == 0, 2, np.sign(b) * 2.0 ** np.round(np.log2(np.abs(b) + (b == 0))))
        b = b.astype(pair[1].dtype)                   # by powers of two
    if name == "max, min" and not isinstance(b, np.ndarray):
        b = np.asarray(b)  # a number there would be a dim
    if name == "** tensor" and np.asarray(b).dtype == np.bool_:
        b = np.asarray(b, np.int64)  # torch's own backward fails on a bool exponent
    f = BINARY[name][seed % len(BINARY[name])]    # each form of the operation in turn
    inputs = [a] + ([b] if isinstance(b, np.ndarray) else [])

    def call(lib, x, *rest):
        return f(lib, x, rest[0] if rest else b)

    outcomes = []
    with np.errstate(all="ignore"):  # x / 0, 0 ** -1: torch is silent, NumPy's warning too
        for lib in LIBS:
            try:
                outcomes.append(call(lib, *[lib.tensor(np.array(v)) for v in inputs]))
            except (RuntimeError, TypeError, NotImplementedError) as error:
                outcomes.append(type(error))
        if any(isinstance(o, type) for o in outcomes):
            assert all(isinstance(o, type) for o in outcomes) and outcomes[0] is outcomes[1], (
                f"{name}: manual {outcomes[0]!r}, torch {outcomes[1]!r}")
            return
        out_dtype = to_numpy(outcomes[1]).dtype
        grad = _quarters(seed, out_dtype, tuple(outcomes[1].shape))
        libm = name == "** tensor" and out_dtype.kind == "f"
        assert_twins(name, run(call, inputs, grad), "libm" if libm else "exact",
                     "libm_product" if libm else "exact")


# -- reductions -----------------------------------------------------------------------------

@st.composite
def reduction_cases(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))
    dtype = draw(dtypes)
    ties = draw(st.booleans())  # small integers: many ties for max, min and argmax
    x = draw(hnp.arrays(dtype, shape, elements=st.integers(-2, 2)) if ties else
             arrays(dtype, shape))
    ndim = max(len(shape), 1)
    dim = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                         st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(
                             tuple)))
    return x, dim, draw(st.booleans())


REDUCTIONS = {
    "sum": lambda lib, t, dim, keep: t.sum() if dim is None else t.sum(dim, keepdim=keep),
    "torch.sum": lambda lib, t, dim, keep: lib.sum(t, dim=() if dim is None else dim,
                                                  keepdim=keep),
    "sum float64": lambda lib, t, dim, keep: t.sum(dtype=lib.float64),
    "mean": lambda lib, t, dim, keep: t.mean() if dim is None else t.mean(dim, keep),
    "torch.mean": lambda lib, t, dim, keep: lib.mean(t, () if dim is None else dim),
    "max": lambda lib, t, dim, keep: t.max(),
    "max dim": lambda lib, t, dim, keep: t.max(_one(dim), keep),
    "torch.min dim": lambda lib, t, dim, keep: lib.min(t, dim=_one(dim), keepdim=keep),
    "argmax": lambda lib, t, dim, keep: t.argmax() if dim is None else t.argmax(_one(dim),
                                                                                keep),
    "torch.argmin": lambda lib, t, dim, keep: lib.argmin(t, _one(dim), keepdim=keep),
}


def _one(dim: Any) -> int:
    """One dim out of a drawn dim (an int, None or a tuple)."""
    return dim if isinstance(dim, int) else (dim[0] if dim else -1)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=8)
@given(reduction_cases(), st.data())
def test_reductions_match_torch(name, case, data):
    x, dim, keep = case
    f = REDUCTIONS[name]

    def call(lib, t):
        return f(lib, t, dim, keep)

    t_out = call(torch, torch.tensor(x))
    if isinstance(t_out, tuple):  # (values, indices), by name and by position
        sides = run(lambda lib, t: call(lib, t).values, [x], data.draw(
            arrays(x.dtype, tuple(t_out.values.shape))))
        assert_twins(f"{name} values", sides)
        m_out = call(manual, manual.tensor(x))
        assert type(m_out).__name__ == type(t_out).__name__ and len(m_out) == 2
        assert_exact(f"{name} indices", m_out.indices, t_out.indices)
        assert_exact(f"{name} [1]", m_out[1], t_out[1])
        return
    grad = data.draw(arrays(to_numpy(t_out).dtype, tuple(t_out.shape))) if (
        t_out.dtype.is_floating_point) else None
    sides = run(call, [x], grad)
    if "sum" not in name and "mean" not in name:
        assert_twins(name, sides)
        return
    # a sum of n terms in NumPy's order and in torch's: within 2(n - 1) ULP of the sum of
    # their magnitudes; the gradient is copied back (over n for mean): to the bit
    scale = np.abs(to_numpy(call(torch, torch.tensor(np.abs(x)))))
    terms = x.size // max(to_numpy(t_out).size, 1)
    assert_twins(name, sides, "sums", "exact", scale=scale, terms=terms)


# -- matrix products ------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,)), ((2, 3), (5, 3, 4)), ((3,), (2, 3, 4)),
                 ((2, 2, 3), (2, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 1)),
                 ((2, 1), (3, 1, 4)), ((2, 0), (0, 3))]


@FAST
@given(st.sampled_from(MATMUL_SHAPES), dtypes, st.sampled_from(["@", "matmul", "torch.matmul",
                                                                 "mm"]), st.data())
def test_matrix_products_match_torch(shapes, dtype, form, data):
    a_shape, b_shape = shapes
    if form == "mm" and (len(a_shape), len(b_shape)) != (2, 2):
        form = "@"
    a, b = data.draw(arrays(dtype, a_shape)), data.draw(arrays(dtype, b_shape))
    calls = {"@": lambda lib, x, y: x @ y, "matmul": lambda lib, x, y: x.matmul(y),
             "torch.matmul": lambda lib, x, y: lib.matmul(x, y), "mm": lambda lib, x, y: x.mm(y)}
    out_shape = (np.ones(a_shape) @ np.ones(b_shape)).shape
    grad = data.draw(arrays(dtype, out_shape))
    (m_out, m_in), (t_out, t_in) = run(calls[form], [a, b], grad)
    assert node(m_out) == node(t_out), f"{shapes}: node {node(m_out)} != {node(t_out)}"
    scale = np.abs(a) @ np.abs(b)
    assert_twins_agree("a @ b", "sums", to_numpy(m_out), to_numpy(t_out), scale=scale,
                       terms=a_shape[-1])
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        others = [np.abs(a), np.abs(b)]
        scale_t = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in others]
        (scale_t[0] @ scale_t[1]).backward(torch.tensor(np.abs(grad), dtype=torch.float64))
        assert_twins_agree(f"d{'ab'[i]}", "sums", to_numpy(m.grad), to_numpy(t.grad),
                           scale=scale_t[i].grad.numpy())


# -- indexing -------------------------------------------------------------------------------

@st.composite
def index_cases(draw):
    """An index of each kind torch takes: ints, slices, None, Ellipsis, lists, ranges,
    integer tensors (0-d too), bool masks, and tuples mixing them."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))

    def part(size):
        kinds = {
            "int": lambda: draw(st.integers(-size, size - 1)),
            "slice": lambda: slice(draw(st.integers(-size, size)), draw(st.one_of(
                st.none(), st.integers(-size, size))), draw(st.sampled_from([None, 1, 2]))),
            "whole": lambda: slice(None),
            "list": lambda: draw(st.lists(st.integers(-size, size - 1), min_size=1,
                                          max_size=4)),
            "range": lambda: range(draw(st.integers(0, size))),
            "tensor": lambda: ("tensor", draw(st.lists(st.integers(0, size - 1), min_size=1,
                                                       max_size=4))),
            "0-d tensor": lambda: ("tensor", draw(st.integers(0, size - 1))),
            "mask": lambda: ("tensor", draw(st.lists(st.booleans(), min_size=size,
                                                     max_size=size))),
        }
        return kinds[draw(st.sampled_from(sorted(kinds)))]()

    first = part(shape[0])
    if len(shape) > 1 and draw(st.booleans()):
        index = (first, part(shape[1]))
        index = draw(st.sampled_from([index, (None, *index), (Ellipsis, index[1]),
                                      (*index, None)]))
    else:
        index = first
    return shape, index


def _index_for(lib: Any, index: Any) -> Any:
    def one(part):
        return lib.tensor(part[1]) if isinstance(part, tuple) and part[:1] == ("tensor",) \
            else part
    if isinstance(index, tuple) and index[:1] != ("tensor",):
        return tuple(one(p) for p in index)
    return one(index)


def _quarters(seed: int, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """Values on the grid of quarters in [-4, 4]: sums of a few of them are exact."""
    return (np.random.default_rng(seed).integers(-16, 17, shape) / 4).astype(dtype)


@settings(max_examples=50)
@given(index_cases(), dtypes, st.integers(0, 2**16))
@example(((2, 3), (0, slice(None))), np.dtype(np.float32), 0)  # a whole slice: no node
@example(((2, 3), (slice(None), 1)), np.dtype(np.float64), 0)
@example(((3, 2), (range(3), ("tensor", [1, 0, 1]))), np.dtype(np.float32), 0)  # nll's pick
@example(((3,), ("tensor", 2)), np.dtype(np.float32), 0)        # a 0-d tensor selects
@example(((3, 2), (Ellipsis, 1)), np.dtype(np.float32), 0)
@example(((3, 2), (None, 1)), np.dtype(np.float32), 0)
def test_indexing_matches_torch(case, dtype, seed):
    shape, index = case
    x = _quarters(seed, dtype, shape)
    outcomes = []
    for lib in LIBS:
        try:
            outcomes.append(lib.tensor(x)[_index_for(lib, index)].shape)
        except IndexError:
            outcomes.append(IndexError)
    assert (outcomes[0] is IndexError) == (outcomes[1] is IndexError), f"{index}: {outcomes}"
    if outcomes[1] is IndexError:
        return
    # quarters: the gradient of an element picked twice is summed exactly on both sides
    grad = _quarters(seed + 1, dtype, tuple(outcomes[1]))
    assert_twins(f"x{list(shape)}[{index}]", run(lambda lib, t: t[_index_for(lib, index)],
                                                 [x], grad))


@FAST
@given(index_cases(), dtypes, st.data(), st.booleans())
def test_setitem_matches_torch_outside_and_inside_the_graph(case, dtype, data, in_graph):
    """x[index] = value, on a plain tensor and on a tensor in the graph (x = w * 1): the
    values, the CopySlices node, and the gradients of w and of the value."""
    shape, index = case
    w = data.draw(arrays(dtype, shape))
    try:
        region = torch.tensor(w)[_index_for(torch, index)].shape
    except IndexError:
        return
    kind = data.draw(st.sampled_from(["number", "tensor", "row"]))
    value = data.draw(arrays(dtype, tuple(region)[-1:] if kind == "row" else tuple(region)))

    def update(lib, wt, vt):
        x = wt * 1 if in_graph else wt.detach().clone()
        x[_index_for(lib, index)] = 2.5 if kind == "number" else vt
        return x * 1

    grad = data.draw(hnp.arrays(dtype, shape, elements=st.integers(-8, 8).map(lambda i: i / 4)))
    sides = run(update, [w, value], grad)
    assert_twins(f"x[{index}] = {kind}", sides)


# -- in-place updates -----------------------------------------------------------------------

IN_PLACE = {
    "zero_, fill_": (lambda lib, x, y: x.zero_(), lambda lib, x, y: x.fill_(1.5),
                     lambda lib, x, y: x.fill_(y.sum())),
    "add_, +=": (lambda lib, x, y: x.add_(y), lambda lib, x, y: x.__iadd__(y),
                 lambda lib, x, y: x.add_(y, alpha=-0.1 if _fused_kernels() else 2)),
    "sub_, -=": (lambda lib, x, y: x.sub_(y), lambda lib, x, y: x.__isub__(0.1),
                 lambda lib, x, y: x.sub_(y, alpha=3)),
    "mul_, *=": (lambda lib, x, y: x.mul_(y), lambda lib, x, y: x.__imul__(y)),
    "div_, /=": (lambda lib, x, y: x.div_(y.abs() + 1), lambda lib, x, y: x.__itruediv__(3)),
    "copy_": (lambda lib, x, y: x.copy_(y), lambda lib, x, y: x.copy_(y.double() / 3)),
    "clamp_, relu_": (lambda lib, x, y: x.clamp_(-0.5, 0.5), lambda lib, x, y: x.clamp_(min=0),
                      lambda lib, x, y: x.relu_()),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
@settings(max_examples=8)
@given(dtypes, st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple), st.data(),
       st.sampled_from(["no_grad", "in the graph", "plain"]))
def test_in_place_updates_match_torch(name, dtype, shape, data, where):
    """On a leaf under no_grad (the optimizer's update), on a tensor in the graph (the
    tensor takes the new node: its gradient is torch's) and on a plain tensor."""
    quarters = st.integers(-16, 16).map(lambda i: i / 4)  # sums of them are exact
    x0, y0 = (data.draw(hnp.arrays(dtype, s, elements=quarters)) for s in (shape, shape[-1:]))
    f = data.draw(st.sampled_from(IN_PLACE[name]))

    def update(lib, w, y):
        if where == "no_grad":
            with lib.no_grad():
                out = f(lib, w, y)
            assert out is w
            return w * 1
        x = w * 1 if where == "in the graph" else w.detach().clone()
        assert f(lib, x, y) is x
        return x

    grad = data.draw(hnp.arrays(dtype, shape, elements=quarters))
    assert_twins(f"{name} {where}", run(update, [x0, y0], grad))


# -- conversions ----------------------------------------------------------------------------

@FAST
@given(st.sampled_from(["float32", "float64", "int64", "int32", "bool"]), st.data())
def test_conversions_match_torch(dtype, data):
    shape = data.draw(st.sampled_from([(), (1,), (1, 1), (3,), (2, 2)]))
    x = data.draw(values(np.dtype(dtype), shape))
    x = x + x.dtype.type(0.75) if x.dtype.kind == "f" else x  # int() truncates toward zero

    def side(lib):
        t = lib.tensor(x)
        found = [t.tolist(), t.dim(), t.numel(), tuple(t.size()), tuple(t.shape),
                 t.is_floating_point(), str(t.device), t.to(lib.float64).dtype == lib.float64,
                 t.cpu() is t, t.to("cpu") is t, t.to(t.dtype) is t, t.to(copy=True) is t]
        found += [to_numpy(getattr(t, c)()).tolist() for c in ("float", "double", "long",
                                                              "int", "bool")]
        for convert in (float, int, bool, lambda t: t.item(), lambda t: f"{t:.3f}",
                        lambda t: len(t)):
            try:
                value = convert(t)
                found.append((type(value).__name__, value))
            except (ValueError, RuntimeError, TypeError) as error:
                found.append(type(error))
        return found

    assert side(manual) == side(torch)
    shared = manual.tensor(x)
    assert np.shares_memory(shared.detach().array, shared.array)
    assert shared.numpy() is shared.array and shared.data.array is shared.array


def test_cuda_is_refused_as_torchs_cpu_build_refuses_it():
    calls = (lambda lib: lib.zeros(2).cuda(), lambda lib: lib.zeros(2).to("cuda"),
             lambda lib: lib.zeros(1, device="cuda"),
             lambda lib: lib.tensor([1.0], device=lib.device("cuda:0")))
    for lib in LIBS:
        for call in calls:
            with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
                call(lib)


# -- torch-free checks ----------------------------------------------------------------------

def _central_difference(f: Any, x: np.ndarray, grad: np.ndarray, h: float = 1e-6):
    """d(sum(grad * f(x)))/dx by central differences, element by element, in float64."""
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        up = f(manual.tensor(x + step)).array
        down = f(manual.tensor(x - step)).array
        out[i] = np.sum(grad * (up - down)) / (2 * h)
    return out


SMOOTH = {
    "exp": lambda t: t.exp(), "log": lambda t: (t.abs() + 0.5).log(),
    "sqrt": lambda t: (t * t + 1).sqrt(), "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(), "sin": lambda t: t.sin(), "cos": lambda t: t.cos(),
    "pow": lambda t: (t * t + 1) ** 1.5, "rpow": lambda t: 2.5**t,
    "pow tensor": lambda t: (t * t + 1) ** t, "div": lambda t: 1 / (t * t + 1),
    "clamp": lambda t: (t * 3).clamp(-2.5, 2.5), "where": lambda t: manual.where(t > 0, t * t,
                                                                                 -t),
    "max dim": lambda t: t.view(-1, 1).expand(-1, 2).max(1).values * t,
    "mean": lambda t: t.mean(0, keepdim=True) * t, "matmul": lambda t: t @ t.T if t.ndim
    else t * t,
    "index": lambda t: t.reshape(-1)[[0, 0, -1]].sum() * t, "cat": lambda t: manual.cat(
        [t.reshape(-1), t.reshape(-1) ** 2]), "stack": lambda t: manual.stack([t, t.exp()]),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
@settings(max_examples=3)
@given(arrays(np.dtype(np.float64), (3,), bound=2).filter(
    lambda x: np.all(np.abs(x) > 0.05) and np.all(np.abs(np.abs(x * 3) - 2.5) > 0.05)),
       st.data())
def test_gradients_are_the_derivatives_without_torch(name, x, data):
    """Each derivative in the engine against central differences of its own forward."""
    f = SMOOTH[name]
    t = manual.tensor(x, requires_grad=True)
    out = f(t)
    grad = data.draw(arrays(np.dtype(np.float64), out.shape, bound=2))
    out.backward(manual.tensor(grad))
    numeric = _central_difference(f, x, grad)
    np.testing.assert_allclose(t.grad.array, numeric, rtol=1e-6, atol=1e-6)


def test_views_share_memory_and_copies_do_not_without_torch():
    x = manual.arange(6.0)
    for view in (x.view(2, 3), x.reshape(3, 2), x[1:], x.unsqueeze(0), x.view(2, 3).t(),
                 x.view(2, 3).transpose(0, 1), x.view(2, 3).T, x.view(2, 3).permute(1, 0),
                 x.view(6, 1).squeeze(1), x.view(1, 6).expand(2, 6), x.view(2, 3).flatten(),
                 x[...]):
        assert np.shares_memory(view.array, x.array) and view._base is x
    for copy in (x.clone(), x[[0, 1]], x[x > 2], x.view(2, 3).t().reshape(-1),
                 x.view(2, 3).t().contiguous()):
        assert not np.shares_memory(copy.array, x.array) and copy._base is None
    w = manual.ones(3, requires_grad=True)
    y = w * 2
    y[1] = 0.0                      # y takes CopySlices: no gradient reaches w[1]
    (y * y).sum().backward()
    assert w.grad.tolist() == [8.0, 0.0, 8.0]


# -- NaN and infinities -----------------------------------------------------------------------

SPECIAL_OPS = {
    "exp": lambda lib, x: x.exp(), "log": lambda lib, x: x.log(), "sqrt": lambda lib, x: x.sqrt(),
    "tanh": lambda lib, x: x.tanh(), "sigmoid": lambda lib, x: x.sigmoid(),
    "sin": lambda lib, x: x.sin(), "abs": lambda lib, x: x.abs(), "relu": lambda lib, x: x.relu(),
    "clamp": lambda lib, x: x.clamp(-1, 1), "clamp min": lambda lib, x: x.clamp(min=0),
    "** 2": lambda lib, x: x**2, "** 2.5": lambda lib, x: x**2.5, "** -1": lambda lib, x: x**-1,
    "2 ** x": lambda lib, x: 2**x, "1 / x": lambda lib, x: 1 / x,
    "max": lambda lib, x: x.max(), "min dim": lambda lib, x: x.min(1).values,
    "sum": lambda lib, x: x.sum(0), "mean": lambda lib, x: x.mean(),
    "where": lambda lib, x: lib.where(x > 0, x, x * 2), "x @ x.T": lambda lib, x: x @ x.T,
    "index": lambda lib, x: x[[1, 0, 1], 1:], "cat": lambda lib, x: lib.cat([x, x * 3], 1),
}


@pytest.mark.parametrize("name", sorted(SPECIAL_OPS))
@settings(max_examples=3)
@given(dtypes.flatmap(lambda d: with_specials(d, (2, 3))))
@example(np.float32([[np.nan, np.inf, -np.inf], [0.0, -0.0, 2.5]]))
@example(np.float64([[-1.5, np.nan, 0.5], [np.inf, 3.0, -np.inf]]))
def test_nan_and_infinities_where_torch_puts_them(name, x):
    f = SPECIAL_OPS[name]
    grad = np.where(np.arange(x.size).reshape(x.shape) % 3 == 0, np.nan, 1.5)
    with np.errstate(all="ignore"):
        (m_out, (m_x,)), (t_out, (t_x,)) = run(f, [x], grad=None)
        for out, lib in ((m_out, manual), (t_out, torch)):
            out.backward(lib.tensor(np.resize(grad, tuple(out.shape)).astype(x.dtype)))
    assert_same_specials(f"{name} forward", m_out, t_out)
    assert_same_specials(f"{name} gradient", m_x.grad, t_x.grad)
    if name in ("max", "min dim", "relu", "abs", "clamp", "where", "index", "cat"):
        assert_exact(name, m_out, t_out)  # no arithmetic: NaN or not, every bit as torch


@FAST
@given(dtypes.flatmap(lambda d: with_specials(d, (3, 4))), st.sampled_from([None, 0, 1]))
def test_argmax_and_argmin_point_at_nan_as_torch(x, dim):
    for name in ("argmax", "argmin"):
        m, t = (getattr(lib.tensor(x), name)(dim) for lib in LIBS)
        assert_exact(name, m, t)
        if dim is not None:
            assert_exact(f"max({dim}).indices", manual.tensor(x).max(dim).indices,
                         torch.tensor(x).max(dim).indices)


# -- fuzz: arbitrary shapes, dtypes and arguments -------------------------------------------

FUZZ_BINARY = ["add", "sub", "mul", "div", "pow", "eq", "lt", "ge", "maximum", "where",
               "matmul", "mm", "cat", "stack", "copy_", "add_", "mul_"]


@pytest.mark.parametrize("op", FUZZ_BINARY)
@settings(max_examples=6)
@given(any_array(), any_array())
@example(np.array([True, False]), np.array([True]))
@example(np.array([[1, -2]]), np.array(0.5))
@example(np.zeros((0, 2), np.float32), np.ones((2, 0), np.float64))
def test_fuzz_two_tensors(op, a, b):
    calls = {
        "add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: x - y,
        "mul": lambda lib, x, y: x * y, "div": lambda lib, x, y: x / y,
        "pow": lambda lib, x, y: x ** y, "eq": lambda lib, x, y: x == y,
        "lt": lambda lib, x, y: x < y, "ge": lambda lib, x, y: x.ge(y),
        "maximum": lambda lib, x, y: lib.max(x, y),
        "where": lambda lib, x, y: lib.where(x, x, y), "matmul": lambda lib, x, y: x @ y,
        "mm": lambda lib, x, y: x.mm(y), "cat": lambda lib, x, y: lib.cat([x, y], -1),
        "stack": lambda lib, x, y: lib.stack([x, y], 0), "copy_": lambda lib, x, y: x.copy_(y),
        "add_": lambda lib, x, y: x.add_(y), "mul_": lambda lib, x, y: x.mul_(y),
    }
    kind = "libm" if op == "pow" else "exact"
    assert_same_outcome(kind, lambda ns: calls[op](ns.lib, ns.lib.tensor(np.array(a)),
                                                   ns.lib.tensor(np.array(b))))


FUZZ_ONE = {
    "sum": lambda t, n: t.sum(n), "mean": lambda t, n: t.mean(n), "max": lambda t, n: t.max(n),
    "argmax": lambda t, n: t.argmax(n), "view": lambda t, n: t.view(n, -1),
    "reshape": lambda t, n: t.reshape(-1, n), "unsqueeze": lambda t, n: t.unsqueeze(n),
    "squeeze": lambda t, n: t.squeeze(n), "permute": lambda t, n: t.permute(n, 0),
    "transpose": lambda t, n: t.transpose(n, -1), "flatten": lambda t, n: t.flatten(n),
    "expand": lambda t, n: t.expand(max(n, -1), *t.shape), "t": lambda t, n: t.t(),
    "index": lambda t, n: t[n], "clamp": lambda t, n: t.clamp(max=n),
    "** n": lambda t, n: t ** n, "n ** t": lambda t, n: n ** t, "neg": lambda t, n: -t,
    "abs": lambda t, n: t.abs(), "sqrt": lambda t, n: t.sqrt(), "exp": lambda t, n: t.exp(),
    "relu": lambda t, n: t.relu(), "item": lambda t, n: t.item(),
    "float()": lambda t, n: float(t), "bool()": lambda t, n: bool(t),
    "fill_": lambda t, n: t.fill_(n), "zero_": lambda t, n: t.zero_(),
    "setitem": lambda t, n: t.__setitem__(n, 1),
}


@pytest.mark.parametrize("op", sorted(FUZZ_ONE))
@settings(max_examples=4)
@given(any_array(), st.integers(-4, 4))
@example(np.array([True, False]), 0)
@example(np.array(2.5, np.float32), -1)
@example(np.zeros((0, 3), np.int64), 1)
def test_fuzz_one_tensor(op, a, n):
    kind = "libm" if op in ("sqrt", "exp", "** n", "n ** t") else "exact"
    assert_same_outcome(kind, lambda ns: FUZZ_ONE[op](ns.lib.tensor(np.array(a)), n))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "full", "arange", "linspace",
                                  "tensor"])
@settings(max_examples=8)
@given(st.lists(st.integers(-2, 3), max_size=3), DTYPE_NAMES)
@example([0, 3, 2], None)
@example([3, -2, -2], "float64")
def test_fuzz_creation(name, args, dtype):
    def call(ns):
        lib, options = ns.lib, {"dtype": dtype_of(ns.lib, dtype)}
        if name == "full":
            return lib.full(tuple(args), 1.5, **options)
        if name == "empty":
            return lib.empty(*args, **options).shape
        if name == "linspace":
            return lib.linspace(*(args + [0, 1, 2])[:3], **options)
        if name == "arange":
            return lib.arange(*args[:3], **options) if args else lib.arange(3, **options)
        if name == "tensor":
            return lib.tensor(args, **options)
        return getattr(lib, name)(*args, **options)

    assert_same_outcome("exact", call)


# -- small forms the loops use -------------------------------------------------------------


@pytest.mark.parametrize("form", ["function", "method"])
def test_mm_is_the_product_with_torchs_gradients_and_node(form):
    """torch.mm(a, b) and a.mm(b): products of small integers are exact on both sides."""
    sides = []
    for lib in LIBS:
        a = lib.tensor([[1.0, 2.0, -3.0], [3.0, 4.0, 0.5]], requires_grad=True)
        b = lib.tensor([[0.5, 2.0], [-1.0, 1.0], [2.0, 0.0]], requires_grad=True)
        y = lib.mm(a, b) if form == "function" else a.mm(b)
        y.backward(lib.tensor([[1.0, -2.0], [0.5, 3.0]]))
        node = y.grad_fn.name() if lib is manual else type(y.grad_fn).__name__
        sides.append((y, a.grad, b.grad, node))
    for label, m, t in zip(("y", "da", "db"), sides[0][:3], sides[1][:3]):
        assert_exact(label, m, t)
    assert sides[0][3] == sides[1][3] == "MmBackward0"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["max", "min"])
def test_the_extreme_of_a_whole_tensor_shares_its_gradient_among_ties(name, dtype):
    """x.max() / x.min() with no dim: the value, and d/dx split evenly among the elements
    that tie for it, in x's dtype (torch's evenly_distribute_backward)."""
    sides = []
    for lib in LIBS:
        x = lib.tensor([[3.0, -1.0, 2.0], [-1.0, 3.0, 0.0]], dtype=getattr(lib, dtype),
                       requires_grad=True)
        y = getattr(x, name)()
        y.backward(lib.tensor(6.0, dtype=getattr(lib, dtype)))
        sides.append((y, x.grad))
    assert_exact("value", sides[0][0], sides[1][0])
    assert_exact("dx", sides[0][1], sides[1][1])


@pytest.mark.parametrize("name", ["sin", "cos", "sqrt", "exp", "log", "tanh", "sigmoid"])
def test_specials_give_nan_and_inf_silently_as_torch(name):
    """sin(inf), sqrt(-1), log(0), exp(100): NaN or inf, with no warning (RuntimeWarnings
    are errors in the tests), where torch puts them."""
    values = [np.inf, -np.inf, np.nan, -1.0, 0.0, -0.0, 100.0, -100.0, 1e30, -1e30]
    m, t = (getattr(lib.tensor(values), name)() for lib in LIBS)
    m_special, t_special = (~np.isfinite(to_numpy(v)) for v in (m, t))
    assert np.array_equal(m_special, t_special)
    assert np.array_equal(np.isnan(to_numpy(m)), np.isnan(to_numpy(t)))


@pytest.mark.parametrize("name", ["sin", "cos", "sqrt", "exp", "tanh", "sigmoid"])
def test_an_input_changed_in_place_after_use_is_refused_at_backward(name):
    """The operations that save their input (or output) for the derivative: changing it in
    place afterwards makes backward refuse, as torch's version counter does."""
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = x * 1
        y = getattr(z, name)()
        (z if name in ("sin", "cos") else y).add_(1)  # what the derivative reads
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def _method(name: str) -> Any:
    return lambda lib, x: getattr(x, name)()


SAVING = {name: _method(name)
          for name in ["sin", "cos", "sqrt", "exp", "tanh", "sigmoid", "max", "min"]}
SAVING.update({"max(dim)": lambda lib, x: x.max(0).values,
               "dropout": lambda lib, x: lib.nn.functional.dropout(x, 0.5)})


@pytest.mark.parametrize("name", sorted(SAVING))
def test_a_second_backward_through_saved_tensors_is_refused(name):
    """Operations whose derivative reads saved tensors free them after backward: a second
    backward through them needs retain_graph=True, in manual as in torch."""
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = SAVING[name](lib, x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_to_takes_device_and_dtype_by_keyword_as_torch():
    for lib in LIBS:
        x = lib.ones(2)
        assert x.to(dtype=lib.float64).dtype == lib.float64
        assert x.to(device="cpu", dtype=lib.float64).dtype == lib.float64
        assert x.to(device="cpu") is x
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            x.to(device="cuda")


DATA = {
    "ragged": [[1, 2], [3]], "list-for-number": [1, [2]], "number-for-list": [[1, 2], 3],
    "str-in-list": [1.0, "a"], "str-in-nested": [[1, 2], "a"], "str-alone-in-list": ["1.5"],
    "str": "ab", "bytes-in-list": [b"ab", b"cd"], "None-in-list": [1, None], "None": None,
    "dict": {1: 2}, "empty": [], "empty-rows": [[], []], "empty-then-row": [[], [1]],
    "ranges": [range(2), (3, 4)], "bools-and-floats": [True, 2.0], "bool-rows": [[True], [False]],
    "numpy-scalars": [np.float64(1.5), np.int32(2)], "nested-str": [[1.0], ["a"]],
    "numpy-int32": [np.int32(1), np.int32(2)], "numpy-small-ints": [np.uint8(1), np.int8(2)],
    "numpy-float64-rows": [[np.float64(1)], [2.0]], "bool-and-int": [True, 2],
}


@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
@pytest.mark.parametrize("name", sorted(DATA))
def test_tensor_reads_data_or_refuses_it_as_torch(name, dtype):
    """torch.tensor(data): the same values, dtype and shape, or the same exception and
    message, torch's steps in its order (the shape from the first elements, the dtype from
    all of them, then each element stored)."""
    sides = []
    for lib in LIBS:
        made, error = outcome(lambda lib=lib: lib.tensor(DATA[name],
                                                          dtype=dtype and getattr(lib, dtype)))
        sides.append((type(error).__name__, str(error)) if error else
                     (str(made.dtype).replace("torch.", ""), tuple(made.shape), made.tolist()))
    assert sides[0] == sides[1]


@pytest.mark.parametrize(("name", "call"), [
    ("int ** negative int", lambda lib: lib.tensor([2, -2, 3, 0, 1, -1]) **
     lib.tensor([-1, 3, 2, 0, -2, -3])),  # 1 / x^n truncated: 0, but 1 and -1 stay
    ("negative int ** odd and even", lambda lib: lib.tensor([-2, -3, -1]) ** lib.tensor([2, 3, 4])),
    ("where(c)", lambda lib: lib.where(lib.tensor([[0, 1], [2, 0]]) > 0)),
    ("float // 0", lambda lib: lib.tensor([1.0, -1.0, 0.0]) // lib.tensor([0.0, -0.0, 0.0])),
    ("float // 0.0", lambda lib: lib.tensor([1.0, -1.0, 0.0]) // 0.0),
    ("float % 0", lambda lib: lib.tensor([1.0, -1.0, 0.0]) % lib.tensor([0.0, -0.0, 0.0])),
    ("float % 0.0", lambda lib: lib.tensor([1.0, -1.0, 0.0]) % 0.0),
])
def test_integer_powers_where_and_division_by_zero_as_torch(name, call):
    """Values to the bit (NaN where torch's NaN), with no NumPy warning."""
    m, t = (call(lib) for lib in LIBS)
    for m_part, t_part in zip(m if isinstance(m, tuple) else (m,), t if isinstance(t, tuple)
                              else (t,)):
        assert_exact(name, m_part, t_part)


def test_clamp_between_tensor_bounds_gives_each_its_gradient_as_torch():
    """x below, inside, above and at the bounds, min equal to max and min above max: the
    output's gradient goes to x inside, to min where x is below it (and min < max), to max
    where x is above it or max < min, ties included."""
    got = []
    for lib in LIBS:
        x = lib.tensor([0.5, 1.0, 2.0, 3.0, 4.0, 0.0, 1.5], requires_grad=True)
        lo = lib.tensor([1.0, 1.0, 2.5, 3.0, 1.0, 2.0, 1.0], requires_grad=True)
        hi = lib.tensor([1.0, 0.5, 2.0, 3.0, 2.0, 1.0, 2.0], requires_grad=True)
        y = x.clamp(lo, hi)
        y.backward(lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]))
        got.append([to_numpy(t).tolist() for t in (y, x.grad, lo.grad, hi.grad)])
    assert got[0] == got[1]


@pytest.mark.parametrize("bounds", [("a",), ("a", 1.0), (1.0, "a"), ("zeros", "a"), (None, "a"),
                                    ([1.0],), ("zeros", 1), (1, "ones"), (None, None)],
                         ids=str)
def test_clamp_refuses_bounds_in_the_words_of_torchs_argument_parser(bounds):
    """t.clamp(min, max) by position: a tensor with a number, or anything neither, is
    refused with the overloads torch's parser lists (marked, after two arguments)."""
    errors = []
    for lib in LIBS:
        args = [lib.zeros(2) if b == "zeros" else lib.ones(2) if b == "ones" else b
                for b in bounds]
        _, error = outcome(lambda lib=lib, args=args: lib.ones(2).clamp(*args))
        errors.append((type(error), str(error)))
    assert errors[0] == errors[1] and errors[0][0] in (TypeError, RuntimeError)


@settings(max_examples=60)
@given(dtypes, st.data())
def test_isclose_and_allclose_match_torch(dtype, data):
    """Elementwise closeness in the tensors' dtype (integers in float32), NaN equal or not,
    infinities equal to themselves, zero tolerances an equality."""
    a = data.draw(with_specials(np.dtype(dtype), (6,)))
    nudge = data.draw(st.sampled_from([0.0, 1e-7, 1e-5, 1e-3]))
    b = (a * (1 + nudge)).astype(a.dtype) if a.dtype.kind == "f" else a + data.draw(
        st.integers(0, 2))
    rtol, atol = data.draw(st.sampled_from([(1e-5, 1e-8), (0.0, 0.0), (1e-3, 0.0), (0.0, 0.5)]))
    equal_nan = data.draw(st.booleans())
    m, t = ((lib.isclose(lib.tensor(a), lib.tensor(b), rtol, atol, equal_nan),
             lib.allclose(lib.tensor(a), lib.tensor(b), rtol=rtol, atol=atol,
                          equal_nan=equal_nan)) for lib in LIBS)
    assert_exact("isclose", m[0], t[0])
    assert m[1] is t[1]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_and_any_match_torch(name, dim, dtype):
    x = np.array([[0, 1, 2], [3, 0, 0], [1, 1, 1]]).astype(dtype)
    for keepdim in (False, True):
        args = () if dim is None else (dim, keepdim)
        m, t = (getattr(lib.tensor(x), name)(*args) for lib in LIBS)
        assert_exact(f"{name}{args}", m, t)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_random_like_draws_torchs_bits(name, dtype):
    made = []
    for lib in LIBS:
        lib.manual_seed(7)
        made.append(getattr(lib, name)(lib.ones(3, 17, dtype=getattr(lib, dtype))))
    assert_exact(name, made[0], made[1])


@pytest.mark.parametrize(("a", "b", "rtol", "atol"), [
    ([0.0, 0.25], [0.5, 0.75], 0.0, 0.5),  # |a - b| exactly atol: close
    ([100.0, 99.0], [99.0, 100.0], 0.01, 0.0),  # rtol times |b|, not |a|: one close, one not
    ([1.0, -1.0], [1.0 + 2**-20, -1.0 - 2**-20], 1e-6, 0.0),
], ids=["bound-reached", "relative-to-b", "just-outside"])
def test_isclose_at_its_bounds_as_torch(a, b, rtol, atol):
    m, t = (lib.isclose(lib.tensor(a), lib.tensor(b), rtol, atol) for lib in LIBS)
    assert_exact("isclose", m, t)


@settings(max_examples=40)
@given(reduction_cases(), st.sampled_from([2, "fro", 1, math.inf]), st.data())
def test_norm_matches_torch(case, p, data):
    """x.norm(p, dim, keepdim): of the whole tensor in torch's order of addition, to the
    bit with its gradient (x g / |x|, sign(x) g, g shared by the maxima); along dims within
    the bound of a sum of n terms, relative to the norm (sqrt halves a sum's error)."""
    x, dim, keep = case
    x = x.astype(np.float32) if x.dtype.kind != "f" else x
    dim = dim if dim != () else None

    def f(lib, t):
        return t.norm(p) if dim is None else t.norm(p, dim, keep)

    t_out, t_error = outcome(f, torch, torch.tensor(x))
    if t_error is not None:  # "fro" over other than two dims: a matrix norm, refused
        m_error = outcome(f, manual, manual.tensor(x))[1]
        assert type(m_error) is type(t_error) and str(m_error) == str(t_error)
        return
    grad = data.draw(arrays(x.dtype, tuple(t_out.shape)))
    sides = run(f, [x], grad)
    if dim is None or p == math.inf:
        assert_twins(f"norm({p})", sides)
        return
    terms = x.size // max(t_out.numel(), 1)
    scale = np.abs(to_numpy(t_out))
    assert_twins(f"norm({p}, {dim})", sides, "sums", "exact" if p == 1 else "given the forward",
                 scale=scale, terms=terms)


def test_norm_refuses_as_torch_and_stops_where_manual_has_no_order():
    m_error, t_error = (outcome(lambda lib=lib: lib.ones(3, dtype=lib.int64).norm())[1]
                        for lib in LIBS)
    assert type(m_error) is type(t_error) and str(m_error) == str(t_error)
    from manual._parity.engine import NotInManualError
    with pytest.raises(NotInManualError, match=r"norm\(p=3\)"):
        manual.ones(3).norm(3)


@pytest.mark.parametrize(("x", "weights", "minlength"), [
    ([0, 2, 2, 5], None, 0), ([3, 1], None, 2), ([], None, 2), ([1, 2, 1], [0.1, 2.0, 0.2], 0),
    ([1, 2], [1, 2], 0), ([-1, 2], None, 0), ([[1]], None, 0), ([1.0], None, 0),
    ([1, 2], None, -1), ([1, 2], [1.0], 0), ([True, False], None, 0),
    ([0] * 8, [1.0] + [1e-8] * 7, 0),  # added one by one in float32: 1e-8 is lost each time
], ids=["counts", "minlength", "empty", "float32-weights", "int-weights", "negative", "2-d",
        "float", "negative-minlength", "short-weights", "bool", "float32-in-order"])
def test_bincount_counts_and_refuses_as_torch(x, weights, minlength):
    """Counts (int64), weighted sums added in order (float32 weights in float32, others in
    float64), and torch's refusals in its order."""
    sides = []
    for lib in LIBS:
        made, error = outcome(lambda lib=lib: lib.bincount(
            lib.tensor(x, dtype=lib.int64) if x == [] else lib.tensor(x),
            None if weights is None else lib.tensor(weights), minlength))
        sides.append((type(error).__name__, str(error)) if error else
                     (str(made.dtype).replace("torch.", ""), made.tolist()))
    assert sides[0] == sides[1]


@settings(max_examples=40)
@given(reduction_cases(), st.sampled_from(["std", "var"]), st.sampled_from([None, 0, 1]))
def test_std_and_var_match_torch(case, name, correction):
    """Values within the bound of a sum of n terms in another order (torch adds by Welford's
    method, manual in two passes), relative to the terms before they cancel: the mean of x^2
    over N - c (its square root for std)."""
    x, dim, keep = case
    x = x.astype(np.float32) if x.dtype.kind != "f" else x
    dim = dim if dim != () else None
    options = {} if correction is None else {"correction": correction}

    def f(lib, t):
        return getattr(t, name)(**options) if dim is None else getattr(t, name)(
            dim, keepdim=keep, **options)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # N - c <= 0: both warn, compared below
        sides = run(f, [x], None)
        t_out = to_numpy(sides[1][0])
        axes = tuple(range(x.ndim)) if dim is None or x.ndim == 0 else tuple(
            d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim))
        n = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
        c = 1 if correction is None else correction
        with np.errstate(all="ignore"):
            scale = np.sum(x.astype(np.float64) ** 2, axis=axes,
                           keepdims=keep and dim is not None) / max(n - c, 1)
        scale = np.sqrt(scale) if name == "std" else scale
    assert_twins(f"{name}({dim}, c={c})", sides, "sums", "given the forward",
                 scale=scale.astype(t_out.dtype), terms=2 * max(n, 1))


@pytest.mark.parametrize("name", ["std", "var"])
def test_std_and_var_of_small_integers_with_their_gradients_as_torch(name):
    """Where every sum is exact: the values, the nodes and the gradients to the bit, and the
    warning when N - correction <= 0."""
    x = np.float32([[1, 3, 5], [2, 4, 12]])  # every running mean exact: so is every sum
    for dim in (None, 0, 1):
        sides = run(lambda lib, t, dim=dim: getattr(t, name)() if dim is None else
                    getattr(t, name)(dim),
                    [x], np.float32(2) if dim is None else np.float32([1, 2, 3][:3 - dim]))
        assert_twins(f"{name}({dim})", sides)
    for lib in LIBS:
        with pytest.warns(UserWarning, match=rf"{name}\(\): degrees of freedom is <= 0"):
            assert math.isnan(getattr(lib.ones(1), name)().item())


def _set_rows(lib: Any) -> Any:
    x = lib.zeros(2, 3)
    x[0] = lib.ones(1, 1, 3)  # leading 1s of the value go, as torch's setitem drops them
    x[1, 1:] = lib.tensor([[5.0, 6.0]])
    return x


SMALL_FORMS = {
    "linspace(requires_grad)": lambda lib: lib.linspace(0, 1, 5, requires_grad=True),
    "linspace(steps=1)": lambda lib: lib.linspace(0, 1, 1),
    "linspace(bool, steps=2)": lambda lib: lib.linspace(0, 1, 2, dtype=lib.bool),
    "linspace(device=cuda)": lambda lib: lib.linspace(0, 1, 3, device="cuda"),
    "mean(dtype)": lambda lib: lib.tensor([1.5, 2.25, 3.0]).mean(dtype=lib.float64),
    "mean(0, dtype)": lambda lib: lib.tensor([[1.5, 2.25], [3.0, 1.0]]).mean(0, dtype=lib.float64),
    "x[i] = v with leading 1s": _set_rows,
    "arange(tensors)": lambda lib: lib.arange(lib.tensor(1), lib.tensor(7), 2),
    "arange(float step)": lambda lib: lib.arange(0, 2, 0.5),
    "arange(float tensor)": lambda lib: lib.arange(lib.tensor(0.5), 3),
    "arange(device=cuda)": lambda lib: lib.arange(3, device="cuda"),
    "arange(0, 1e20)": lambda lib: lib.arange(0, 1e20),
    "arange(step=0)": lambda lib: lib.arange(0, 5, 0),
    "linspace(bool, steps=3)": lambda lib: lib.linspace(0, 1, 3, dtype=lib.bool),
    "sub(alpha)": lambda lib: lib.sub(lib.tensor([1.0, 2.0]), lib.tensor([0.1, 0.3]), alpha=3),
}


@pytest.mark.parametrize("name", sorted(SMALL_FORMS))
def test_small_forms_of_creation_and_arithmetic_as_torch(name):
    """Values, dtype, shape and requires_grad to the bit, or the same exception class with
    torch's words first (manual may say more: that it computes on the CPU)."""
    (m, m_error), (t, t_error) = (outcome(SMALL_FORMS[name], lib) for lib in LIBS)
    if t_error is not None:
        assert type(m_error) is type(t_error) and str(m_error).startswith(str(t_error))
        return
    assert_exact(name, m, t)
    assert m.requires_grad == t.requires_grad


def test_fill_with_a_tensor_that_wants_a_gradient_as_torch():
    """x.fill_(v), v a 0-d tensor: every element is v, v's gradient is the sum of x's, and
    what x held before gets none (torch's FillBackward nodes)."""
    got = []
    for lib in LIBS:
        v = lib.tensor(2.5, requires_grad=True)
        source = lib.ones(2, 3, requires_grad=True)
        x = source * 1
        x.fill_(v)
        (x * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        node = x.grad_fn.name() if lib is manual else type(x.grad_fn).__name__
        got.append((to_numpy(x.detach()).tolist(), to_numpy(v.grad).tolist(),
                    to_numpy(source.grad).tolist(), node))
    assert got[0] == got[1]
