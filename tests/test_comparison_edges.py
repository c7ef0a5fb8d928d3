"""The edges of manual/comparison.py against torch, one example each: the operation named in
a refusal, isclose's and allclose's defaults and corners, bitwise operations, a number on
the left of ``%`` and ``//``, and what remainder's node saves and reads (backward twice, an
input changed in place before backward).

Values are compared to the bit with their dtype and shape; errors by class and message.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import FREED, IN_PLACE, LIBS, assert_exact, assert_same_error, outcomes

# -- refusals name the operation as torch's do -------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib, t: t.eq("a"), lambda lib, t: t.ne("a"), lambda lib, t: t.lt("a"),
    lambda lib, t: t.le("a"), lambda lib, t: t.gt("a"), lambda lib, t: t.ge("a"),
    lambda lib, t: lib.eq(t, "a"), lambda lib, t: t.bitwise_and("a"),
    lambda lib, t: t.bitwise_or("a"), lambda lib, t: lib.bitwise_xor("a", t),
    lambda lib, t: t.floor_divide("a"), lambda lib, t: t.remainder("a"),
    lambda lib, t: lib.remainder("a", t),
], ids=["eq", "ne", "lt", "le", "gt", "ge", "torch.eq", "bitwise_and", "bitwise_or",
        "bitwise_xor", "floor_divide", "remainder", "torch.remainder(str, t)"])
def test_a_refused_operand_names_the_operation_as_torch(call):
    """torch lists its overloads where manual names the argument, but both begin with the
    operation's name: ``eq() ...``."""
    (_, m), (_, t) = outcomes(lambda lib: call(lib, lib.tensor([1, 2])))
    assert type(m) is type(t) is TypeError
    assert str(m).split("(")[0] == str(t).split("(")[0], f"{m} | {t}"
    assert str(t).split("(")[0] in ("eq", "ne", "lt", "le", "gt", "ge", "bitwise_and",
                                    "bitwise_or", "bitwise_xor", "floor_divide", "remainder")


def test_the_operators_refuse_a_string_in_pythons_words():
    for call in (lambda t: t < "a", lambda t: t % "a", lambda t: "a" // t, lambda t: t & "a",
                 lambda t: t // "a"):
        assert_same_error(lambda lib, call=call: call(lib.tensor([1.0])))
    for lib in LIBS:
        assert (lib.tensor([1.0]) == "a") is False and (lib.tensor([1.0]) != "a") is True


# -- isclose and allclose ---------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(("a", "b", "dtype", "kwargs"), [
    # the defaults: rtol 1e-5, atol 1e-8, NaN unequal
    ([1.0, 1.0, 1.0, NAN, INF, 0.0], [1.5, 1.00001, 1.0001, NAN, INF, 1e-9], "float32", {}),
    ([NAN, 1.0, NAN], [1.0, NAN, NAN], "float32", {"equal_nan": True}),
    ([1.0, 1.0, 1.0], [1.5, 2.5, 1.0], "float32", {"rtol": 0.0, "atol": 1.0}),
    ([1.0, 1.0, 1.0], [1.5, 0.4, 1.0], "float32", {"rtol": 1.0, "atol": 0.0}),
    ([1.0, INF, 2.0], [1.0, INF, 2.0000002], "float32", {"rtol": 0.0, "atol": 0.0}),
    # float64 is compared in float64: 1e-9 apart is more than atol 1e-10
    ([1.0, 1.0], [1.0 + 1e-9, 1.0 + 1e-11], "float64", {"rtol": 0.0, "atol": 1e-10}),
    # integers in float32: 2^24 + 1 and 2^24 round to one float32, 0 apart
    ([2**24 + 1, 2**24, 5, -3], [2**24, 2**24 + 1, 6, -3], "int64", {"rtol": 0.0, "atol": 0.5}),
    ([True, False], [False, False], "bool", {"rtol": 0.0, "atol": 0.5}),
    # |a - b| overflows float32: inf, not close
    ([3e38, -3e38, 3e38], [-3e38, 3e38, 3e38], "float32", {}),
])
def test_isclose_and_allclose_match_torch(a, b, dtype, kwargs):
    for f in (lambda lib, x, y: lib.isclose(x, y, **kwargs),
              lambda lib, x, y: x.isclose(y, **kwargs)):
        m, t = (f(lib, lib.tensor(a, dtype=getattr(lib, dtype)),
                  lib.tensor(b, dtype=getattr(lib, dtype))) for lib in LIBS)
        assert_exact(f"isclose({a}, {b}, {kwargs})", m, t)
    for i in range(len(a)):  # each element alone: allclose is isclose's all()
        m, t = (lib.allclose(lib.tensor(a[i:i + 1], dtype=getattr(lib, dtype)),
                             lib.tensor(b[i:i + 1], dtype=getattr(lib, dtype)), **kwargs)
                for lib in LIBS)
        assert m is t, f"allclose({a[i]}, {b[i]}, {kwargs}): manual {m}, torch {t}"


def test_allclose_by_position_and_default_as_torch():
    for a, b in (([1.0], [1.5]), ([1.0], [1.000001]), ([NAN], [NAN]), ([0.0], [2e-8])):
        m, t = (lib.tensor(a).allclose(lib.tensor(b)) for lib in LIBS)
        assert m is t, f"allclose({a}, {b}): manual {m}, torch {t}"
    m, t = (lib.allclose(lib.tensor([1.0]), lib.tensor([1.5]), 0.5, 0.0, False) for lib in LIBS)
    assert m is t is True


@pytest.mark.parametrize("call", [
    lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64)),
    lambda lib: lib.isclose(lib.tensor([1], dtype=lib.int64), lib.tensor([True])),
    lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0]), rtol=-1.0),
    lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0]), atol=-0.5),
    lambda lib: lib.allclose(lib.tensor([1.0]), lib.tensor([1.0]), -2.5, -1.0),
    lambda lib: lib.isclose(lib.ones(2), lib.ones(3)),
], ids=["float-double", "long-bool", "rtol", "atol", "both", "shapes"])
def test_isclose_refuses_as_torch(call):
    assert_same_error(call)


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.uint64, np.complex64, np.complex128,
                                   np.float16, np.int8])
def test_isclose_names_every_dtype_as_torch(dtype):
    """Refusals name dtypes by torch's ScalarType names: UInt16, ComplexFloat, Half, Char."""
    assert_same_error(lambda lib: lib.isclose(lib.from_numpy(np.array([1, 2], dtype)),
                                              lib.from_numpy(np.array([1, 2], np.uint8))))


def test_comparisons_with_large_integers_are_exact_as_torch():
    """A Python int operand joins an int64 tensor as an int64, not through a float."""
    big = 2**53 + 1
    for f in (lambda t: t == big, lambda t: t < big, lambda t: t.ge(big), lambda t: t != big,
              lambda t: t % big, lambda t: t // big, lambda t: t & big):
        m, t = (f(lib.tensor([2**53, 2**53 + 1, 2**62])) for lib in LIBS)
        assert_exact(f"{big}", m, t)


# -- bitwise operations ---------------------------------------------------------------------------

BITWISE = {
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "bitwise_and": lambda a, b: a.bitwise_and(b), "bitwise_or": lambda a, b: a.bitwise_or(b),
    "bitwise_xor": lambda a, b: a.bitwise_xor(b),
}


@pytest.mark.parametrize("op", sorted(BITWISE))
@pytest.mark.parametrize(("a", "b"), [
    ([True, True, False, False], [True, False, True, False]),
    ([12, -7, 0, 5], [10, 3, -1, 5]),
    ([12, -7, 0, 5], 6),
    ([True, False, True, False], True),
    ([12, -7, 0, 5], True),
    ([[1], [2]], [[3, 5, 6]]),
])
def test_bitwise_operations_match_torch(op, a, b):
    f = BITWISE[op]
    m, t = (f(lib.tensor(a), lib.tensor(b) if isinstance(b, list) else b) for lib in LIBS)
    assert_exact(f"{a} {op} {b}", m, t)
    if not isinstance(b, list) and op in "&|^":  # a number on the left: __rand__, ...
        m, t = (f(b, lib.tensor(a)) for lib in LIBS)
        assert_exact(f"{b} {op} {a}", m, t)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1.0]).bitwise_and(lib.tensor([1.0])),
    lambda lib: lib.tensor([1]).bitwise_or(lib.tensor([1.5])),
    lambda lib: lib.tensor([1.0], dtype=lib.float64) ^ 1,
    lambda lib: lib.tensor([True]) & 2.5,
    lambda lib: ~lib.tensor([1.0]),
    lambda lib: lib.tensor([1, 2]) & lib.tensor([1, 2, 3]),
])
def test_bitwise_refusals_match_torch(call):
    assert_same_error(call)


def test_bitwise_not_matches_torch():
    for a, dtype in (([True, False], "bool"), ([5, -1, 0], "int64"), ([[0, 7]], "int32"),
                     ([5, 255, 0], "uint8")):
        m, t = (~lib.tensor(a, dtype=getattr(lib, dtype)) for lib in LIBS)
        assert_exact(f"~{a}", m, t)
        m, t = (lib.bitwise_not(lib.tensor(a, dtype=getattr(lib, dtype))) for lib in LIBS)
        assert_exact(f"bitwise_not({a})", m, t)


# -- // and %: numbers on either side, and their gradients --------------------------------------

@pytest.mark.parametrize("op", ["%", "//"])
@pytest.mark.parametrize(("number", "values", "dtype"), [
    (5, [3, -2, 7, -5], "int64"),
    (5.0, [3.0, -2.0, 0.75, -0.0], "float32"),
    (-5.5, [3, -2, 7, -5], "int64"),
    (7, [3.0, -2.5, 0.1, 1e-30], "float64"),
    (True, [3, -2], "int64"),
])
def test_a_number_on_either_side_of_remainder_and_floor_division(op, number, values, dtype):
    f = {"%": lambda a, b: a % b, "//": lambda a, b: a // b}[op]
    for order in ("number op tensor", "tensor op number"):
        def call(lib, order=order):
            t = lib.tensor(values, dtype=getattr(lib, dtype))
            return f(number, t) if order == "number op tensor" else f(t, number)
        (m, m_error), (t, t_error) = outcomes(call)
        if t_error is not None or m_error is not None:
            assert (type(m_error), str(m_error)) == (type(t_error), str(t_error))
        else:
            assert_exact(f"{order}: {number} {op} {values}", m, t)


def test_remainder_and_floor_divide_as_functions_of_a_number_and_a_tensor():
    m, t = (lib.remainder(-7, lib.tensor([3, -3, 4])) for lib in LIBS)
    assert_exact("remainder(-7, t)", m, t)
    m, t = (lib.floor_divide(lib.tensor([7.5, -7.5]), 2) for lib in LIBS)
    assert_exact("floor_divide(t, 2)", m, t)
    assert_same_error(lambda lib: lib.tensor([True]) % lib.tensor([True]))
    assert_same_error(lambda lib: lib.tensor([True]) // True)
    assert_same_error(lambda lib: lib.tensor([5, 6]) % lib.tensor([2, 0]))
    assert_same_error(lambda lib: 5 // lib.tensor([0]))


def test_a_number_remainder_a_tensor_has_torchs_missing_derivative():
    nodes, errors = [], []
    for lib in LIBS:
        x = lib.tensor([3.0, -1.5], requires_grad=True)
        y = 5.0 % x
        nodes.append(y.grad_fn.name())
        with pytest.raises(RuntimeError) as error:
            y.sum().backward()
        errors.append(str(error.value))
    assert nodes[0] == nodes[1] == "torch::autograd::NotImplemented"
    assert errors[0] == errors[1] == "derivative for aten::remainder is not implemented"


def test_floor_divides_missing_derivative_in_torchs_words():
    errors = []
    for lib in LIBS:
        x = lib.tensor([1.5, -2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as error:
            (x // 0.4).sum().backward()
        errors.append(str(error.value))
        with pytest.raises(RuntimeError) as error:
            lib.floor_divide(x, lib.tensor([2.0, 3.0])).sum().backward()
        errors.append(str(error.value))
    assert errors[:2] == errors[2:] == ["derivative for aten::floor_divide is not implemented"] * 2


def test_the_remainders_gradient_by_zero_as_torch():
    """d(x % y)/dy = -floor(x / y): -inf, inf and NaN where y is 0."""
    grads = []
    for lib in LIBS:
        x = lib.tensor([1.0, 0.0, -2.0, 5.0], requires_grad=True)
        y = lib.tensor([0.0, 0.0, 0.0, -0.0], requires_grad=True)
        out = x % y
        out.backward(lib.tensor([1.0, 1.0, 1.0, 2.0]))
        grads.append((out, x.grad, y.grad))
    for label, m, t in zip(("x % y", "dx", "dy"), *grads, strict=True):
        assert_exact(label, m, t)


@pytest.mark.parametrize("needs", ["x", "y", "xy", "x, scalar y"])
def test_what_remainders_node_saves_and_reads_as_torch(needs):
    """torch saves x and y only when y wants a gradient (dy reads both): only then is a
    second backward refused, and an in-place change of x or y before backward."""
    def make(lib):
        x = lib.tensor([3.0, -1.0, 5.5], requires_grad="x" in needs).clone()  # not leaves:
        y = lib.tensor([2.0, 2.0, -1.5], requires_grad="y" in needs).clone()  # mul_ allowed
        return x, (y if "scalar" not in needs else 2.0)

    def twice(lib):
        x, y = make(lib)
        out = (x % y).sum()
        out.backward()
        out.backward()
        return out

    def changed(lib, which):
        x, y = make(lib)
        out = (x % y).sum()
        (x if which == "x" else y).mul_(2)
        out.backward()
        return out

    calls = [twice] + [lambda lib, w=w: changed(lib, w) for w in ("x", "y")[:2 - ("scalar" in
                                                                            needs)]]
    for call in calls:
        (m, m_error), (t, t_error) = outcomes(call)
        assert type(m_error) is type(t_error), f"manual {m_error!r}, torch {t_error!r}"
        if t_error is not None:
            assert str(m_error).startswith(FREED if call is twice else IN_PLACE)
            assert str(t_error).startswith(FREED if call is twice else IN_PLACE)
        else:
            assert_exact("x % y", m, t)
