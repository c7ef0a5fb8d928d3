"""The edges of manual/pointwise.py and its parity layer (manual/_parity/arithmetic.py,
manual/_parity/dtypes.py) against torch, one example each: infinities and zeros in the
derivatives (which NumPy would warn about, and torch does not), integer powers, clamp's
bounds at the rounding edge, where's number operands, what each node saves and reads
(backward twice, an input or the output changed in place before backward), and refusals in
torch's classes and words.

Values are compared to the bit with their dtype and shape; errors by class and message.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any

import numpy as np
import pytest

from reference.convert import to_numpy
from tests.helpers import (
    FREED,
    IN_PLACE,
    LIBS,
    assert_exact,
    assert_same,
    assert_same_error,
    outcomes,
)

NAN, INF = float("nan"), float("inf")


def gradients(f: Any, inputs: list[Any], grad: Any, dtype: str = "float32") -> None:
    """f's output and the gradient of every input, after backward with ``grad``, to the bit."""
    sides = []
    for lib in LIBS:
        xs = [lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True) for x in inputs]
        out = f(lib, *xs)
        out.backward(lib.tensor(grad, dtype=out.dtype))
        sides.append([out, *(x.grad for x in xs)])
    for i, (m, t) in enumerate(zip(*sides, strict=True)):
        assert_exact(f"{'output' if i == 0 else f'gradient {i}'}", m, t)


# -- derivatives at zeros and infinities: the IEEE answers, silently, as torch ------------------

@pytest.mark.parametrize(("name", "f", "x", "grad"), [
    ("reciprocal", lambda lib, x: x.reciprocal(), [0.0, -0.0, 1e-45, 1e-20, 4.0], [1.0] * 5),
    ("1 / x", lambda lib, x: 1 / x, [0.0, -0.0, 1e-20, 4.0], [1.0, 2.0, 1.0, 0.5]),
    ("sqrt", lambda lib, x: x.sqrt(), [0.0, 0.0, 4.0, -1.0], [1.0, 0.0, 1.0, 1.0]),
    ("tanh", lambda lib, x: x.tanh(), [20.0, -20.0, 0.0], [INF, 1.0, INF]),
    ("abs", lambda lib, x: x.abs(), [-2.0, 0.0, -0.0, NAN, INF], [1.0, 1.0, 1.0, 1.0, 3.0]),
    ("relu", lambda lib, x: x.relu(), [-2.0, 0.0, -0.0, NAN, 3.0], [1.0, 1.0, 1.0, 1.0, 3.0]),
])
def test_derivatives_at_zeros_and_infinities_match_torch(name, f, x, grad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's RuntimeWarnings, which torch never gives
        gradients(f, [x], grad)


@pytest.mark.parametrize(("name", "f", "x", "grad"), [
    ("exp", lambda lib, x: x.exp(), [0.0, 100.0, 88.0, 100.0], [1.0, 0.0, 10.0, -1.0]),
    ("log", lambda lib, x: x.log(), [0.0, 0.0, 1.0, -1.0], [1.0, 0.0, 2.0, 1.0]),
    ("sin", lambda lib, x: x.sin(), [INF, 0.0, -INF], [1.0, 2.0, 1.0]),
    ("cos", lambda lib, x: x.cos(), [INF, 0.0, -INF], [1.0, 2.0, 1.0]),
])
def test_libm_derivatives_at_zeros_and_infinities_match_torch(name, f, x, grad):
    """exp, log, sin and cos come from libms that may differ in the last bit: the outputs
    here are exact (0, inf, NaN, 1) but 88's, whose gradient overflows all the same."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sides = []
        for lib in LIBS:
            t = lib.tensor(x, requires_grad=True)
            out = f(lib, t)
            out.backward(lib.tensor(grad))
            sides.append((np.delete(to_numpy(out.detach()), 2 if name == "exp" else []), t.grad))
    assert_exact(f"{name}", sides[0][0], sides[1][0])
    assert_exact(f"d {name}", sides[0][1], sides[1][1])


def test_powers_derivatives_at_zero_and_below_match_torch():
    """a^b: da = b a^(b-1) (inf at 0 for b < 1), db = a^b log a (NaN below 0, 0 at 0^b for
    b >= 0), each in the inputs' dtype."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in ("float32", "float64"):
            gradients(lambda lib, a, b: a ** b, [[0.0, -1.0, 2.0, 0.0, 4.0, -2.0],
                                                 [-1.0, 0.5, 3.0, 0.0, 0.5, 2.0]],
                      [1.0, 1.0, 0.5, 2.0, 1.0, 1.0], dtype)
            gradients(lambda lib, b: 2.0 ** b, [[3.0, -1.0, 0.0]], [1.0, 2.0, 1.0], dtype)
            gradients(lambda lib, b: 0.0 ** b, [[3.0, -1.0, 0.0]], [1.0, 2.0, 1.0], dtype)


def test_powers_gradients_are_summed_over_broadcasting_in_float32():
    """da and db stay float32 until the engine sums them back to their operand's shape: 1 plus
    twice 2^-24 is 1 in float32 (1 + 2^-23 in float64)."""
    tiny = 2.0**-24
    gradients(lambda lib, a, b: a ** b, [[1.0], [1.0, 1.0, 1.0]], [1.0, tiny, tiny])
    gradients(lambda lib, a, b: a ** b, [[2.0, 2.0, 2.0], [0.0]], [1.0, tiny, tiny])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_powers_by_a_number_match_torch_to_the_bit(dtype):
    """t ** e keeps the number e in double precision (a float32 t ** 0.1 is not t ** 0.1f,
    which is up to 20 ULP away at 1e30): each exponent's path, forward and backward."""
    x = [1e30, 3e35, 7e-30, 2.0, 5.5, 1e-20, 123456.7, 0.0, -2.0, INF, -0.0]
    roots = (0.5, -0.5) if dtype == "float32" else ()  # torch's double sqrt: not IEEE's
    for e in (0.1, 0.3, 1.7, -0.7, 1 / 3, 2, 3, -1, -2, 4, 0, 2.5, *roots):
        assert_same(f"x ** {e}", lambda lib, e=e: lib.tensor(x, dtype=getattr(lib, dtype)) ** e)
    for e in (0.1, -0.7, 1.7):
        gradients(lambda lib, t, e=e: t.pow(e), [[1e3, 7e-3, 2.0, 123456.7]], [1.0, 2.0, 0.5, 3.0],
                  dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_powers_derivatives_at_zero_are_silent_as_torch(dtype):
    """d n x^(n-1) at x = 0: inf for n < 1, and 0 inf = NaN for a zero gradient."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in (2, 3, 0.5, -1, -0.5, 2.5):
            gradients(lambda lib, t, e=e: t.pow(e), [[4.0, 0.0, 0.0, -0.0, -1.5]],
                      [1.0, 1.0, 0.0, 2.0, 1.0], dtype)


def test_powers_overflow_and_divide_by_zero_silently_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in (2, 3, -1, -2, 0.5, -0.5, 2.5, -3.0):
            assert_same(f"x ** {e}", lambda lib, e=e: lib.tensor([1e30, 0.0, -1.0, 1e-30]) ** e)


def test_integer_tensors_to_number_powers_keep_their_dtype_as_torch():
    for dtype, values, e in (("int32", [3, -2, 50000], 2), ("uint8", [3, 7, 200], 3),
                             ("int16", [3, -2, 300], 2), ("int64", [3, -2, 7], 0),
                             ("int8", [3, -2, 100], 2), ("bool", [True, False], 3)):
        assert_same(f"{dtype} ** {e}",
                    lambda lib, d=dtype, v=values, e=e: lib.tensor(v, dtype=getattr(lib, d)) ** e)


# -- integer powers, and the refusals of powers ---------------------------------------------

@pytest.mark.parametrize(("base", "exponent"), [
    ([-1, -1, 2, 1, 0, -1, 3, -2, -1], [-2, -3, -1, -5, 2, -4, 0, -1, 3]),
    ([[-1], [1], [5]], [-2, -1, 2]),
])
def test_integer_powers_match_torch(base, exponent):
    """Negative exponents of integers: 0, or +-1 for a base of +-1 (even powers of -1: 1)."""
    m, t = (lib.tensor(base) ** lib.tensor(exponent) for lib in LIBS)
    assert_exact(f"{base} ** {exponent}", m, t)
    m, t = (lib.pow(lib.tensor(base, dtype=lib.int32), lib.tensor(exponent, dtype=lib.int32))
            for lib in LIBS)
    assert_exact(f"int32 {base} ** {exponent}", m, t)
    m, t = ((-1) ** lib.tensor(exponent) for lib in LIBS)
    assert_exact(f"-1 ** {exponent}", m, t)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([True]) ** lib.tensor([True]),
    lambda lib: lib.pow(lib.tensor([True, False]), lib.tensor([False, True])),
    lambda lib: True ** lib.tensor([True]),
    lambda lib: lib.tensor([-1, 2]) ** -2,
    lambda lib: lib.pow("a", lib.tensor([1.0])),
    lambda lib: lib.tensor([True]).relu(),
    lambda lib: lib.relu(lib.tensor([[False]])),
    lambda lib: lib.tensor([1.0]).sub("a"),
    lambda lib: lib.tensor([1.0]).add("a"),
    lambda lib: lib.tensor([1.0]).div("a"),
    lambda lib: lib.tensor([1.0]).pow("a"),
    lambda lib: lib.tensor([1.0]).add(lib.tensor([2.0]), alpha=True),
    lambda lib: lib.tensor([1]).sub(lib.tensor([2]), alpha=True),
    lambda lib: lib.tensor([1]).add(lib.tensor([2]), alpha=0.5),
], ids=["bool**bool", "pow(bool, bool)", "True**bool", "int**-2", "pow(str, t)", "relu bool",
        "relu(bool)", "sub(str)", "add(str)", "div(str)", "pow(str)", "float alpha=True",
        "int alpha=True", "int alpha=0.5"])
def test_refusals_match_torch(call):
    (_, m), (_, t) = outcomes(call)
    assert type(m) is type(t) and m is not None, f"manual {m!r}, torch {t!r}"
    if "invalid combination" in str(t):  # torch lists its overloads: the name comes first
        assert str(m).split("(")[0] == str(t).split("(")[0] == "pow", f"{m} | {t}"
    else:
        assert str(m) == str(t)


def test_bools_add_with_a_bool_alpha_as_torch():
    for alpha in (True, False, 1, 2):
        assert_same(f"bool + bool, alpha={alpha}", lambda lib, alpha=alpha: lib.tensor(
            [True, False, False]).add(lib.tensor([False, True, False]), alpha=alpha))


def test_division_by_zero_is_silent_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same("int / 0", lambda lib: lib.tensor([1, 0, -3]) / lib.tensor([0, 0, 0]))
        assert_same("x / 0.0", lambda lib: lib.tensor([1.0, 0.0, -0.0, -2.0]) / 0.0)
        assert_same("x / -0.0", lambda lib: lib.tensor([1.0, 0.0]) / lib.tensor([-0.0, -0.0]))


def test_division_overflows_silently_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradients(lambda lib, a, b: a / b, [[1.0, 0.0, -1.0, 2.0, 1e30, 1e-30],
                                            [0.0, 0.0, -0.0, 4.0, 1e-10, 1e30]],
                  [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])


def test_powers_of_bools_by_numbers_as_torch():
    for f in (lambda lib: lib.tensor([True, False]) ** 2, lambda lib: 2 ** lib.tensor([True]),
              lambda lib: lib.tensor([True, False]) ** 0.5):
        assert_same("bool powers", f)


# -- operands: Python numbers and 0-d tensors in torch's promotion ------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(3, dtype=lib.int32) + 5,
    lambda lib: lib.tensor(3, dtype=lib.uint8) * 2,
    lambda lib: lib.tensor(3, dtype=lib.int16) - True,
    lambda lib: lib.tensor(3, dtype=lib.int32) + 2.5,
    lambda lib: lib.tensor(3.0, dtype=lib.float64) * 2.5,
    lambda lib: lib.tensor(3, dtype=lib.int32) + lib.tensor(2, dtype=lib.int8),
    lambda lib: lib.tensor([1, 2], dtype=lib.int8) + lib.tensor(300, dtype=lib.int32),
    lambda lib: lib.tensor([0, 1]) + (2**62 + 1),
    lambda lib: lib.tensor([0, 1]) * (2**53 + 1),
    lambda lib: lib.tensor([2**53, 1]) - (2**53 + 1),
    lambda lib: lib.where(lib.tensor(True), lib.tensor(3, dtype=lib.int32), 5),
], ids=["0-d int32 + 5", "0-d uint8 * 2", "0-d int16 - True", "0-d int32 + 2.5",
        "0-d float64 * 2.5", "0-d + 0-d", "int8 + 0-d int32", "+ 2^62 + 1", "* 2^53 + 1",
        "- (2^53 + 1)", "where(0-d int32, 5)"])
def test_numbers_and_zero_dim_tensors_promote_as_torch(call):
    assert_same("promotion", call)


def test_sigmoid_is_silent_at_the_extremes_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradients(lambda lib, x: x.sigmoid(), [[-100.0, 100.0, -INF, INF, 0.0, -88.8, 1e-30]],
                  [1.0] * 7)
        gradients(lambda lib, x: x.sigmoid(), [[-1000.0, 1000.0, -INF, 0.5]], [1.0] * 4, "float64")


# -- subtraction -------------------------------------------------------------------------------

def test_subtraction_with_alpha_matches_torch():
    gradients(lambda lib, a, b: a.sub(b, alpha=2), [[1.0, 2.5, -3.0], [0.5, 0.25, 4.0]],
              [1.0, -2.0, 0.5])
    gradients(lambda lib, a, b: lib.sub(a, b, alpha=-0.5), [[1.0, 2.5], [0.5, 3.0]], [1.0, 2.0],
              "float64")
    gradients(lambda lib, a, b: a - b, [[1.0, 2.5], [[0.5], [3.0]]], [[1.0, 2.0], [3.0, 4.0]])
    for a, b in (([5, 200, 0], [1, 3, 1]), ([7, -3], 9)):
        for dtype in ("uint8", "int8", "int64"):
            if (dtype == "uint8" and min(a) < 0) or (dtype == "int8" and max(a) > 127):
                continue
            m, t = (lib.tensor(a, dtype=getattr(lib, dtype)).sub(
                lib.tensor(b, dtype=getattr(lib, dtype)) if isinstance(b, list) else b)
                for lib in LIBS)
            assert_exact(f"{dtype} {a} - {b}", m, t)
    m, t = (lib.tensor([5, 7]).sub(lib.tensor([1, 2]), alpha=3) for lib in LIBS)
    assert_exact("int sub alpha 3", m, t)


@pytest.mark.parametrize("alpha", [1, 2, -0.5])
def test_subtractions_gradient_negates_a_nan_as_torch(alpha):
    """db = -alpha d is -d (times alpha): negation flips a NaN's sign bit, where a product
    with a NaN keeps it, so the sign of a NaN gradient tells the two orders apart."""
    signs = []
    for lib in LIBS:
        a, b = (lib.tensor([1.0, 2.0, 3.0], requires_grad=True) for _ in range(2))
        a.sub(b, alpha=alpha).backward(lib.tensor([NAN, -NAN, 1.0]))
        signs.append((np.signbit(to_numpy(a.grad)).tolist(), np.signbit(to_numpy(b.grad)).tolist()))
    assert signs[0] == signs[1]


# -- clamp --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([True, False]).clamp(min=True),
    lambda lib: lib.tensor([True, False]).clamp(max=False),
    lambda lib: lib.tensor([True, False]).clamp(False, True),
    lambda lib: lib.tensor([True, False]).clamp(lib.tensor(False), lib.tensor(True)),
    lambda lib: lib.tensor([True, False]).clamp(min=lib.tensor([True, True])),
    lambda lib: lib.tensor([True, False]).clamp(max=lib.tensor([False, False])),
    lambda lib: lib.tensor([True, False]).clamp(min=1),
    lambda lib: lib.tensor([True, False]).clamp(max=0.5),
], ids=["min", "max", "both", "both tensors", "min tensor", "max tensor", "min int",
        "max float"])
def test_clamp_of_bools_as_torch(call):
    """Of bools, torch has a kernel only for one tensor bound."""
    assert_same("clamp of bools", call)


@pytest.mark.parametrize(("values", "low", "high"), [
    ([2**53 + 1, -5, 7], 0, None),          # integers stay integers: no float64 on the way
    ([2**53 + 1, -5, 7], None, 2**62),
    ([2**53 + 1, -5, 7], -(2**53) - 3, 2**53 + 3),
    ([2**24 + 1, 3], 0.5, None),            # an int64 tensor with a float bound: float32
    ([1, 2, 3], 1.5, 2.5),
])
def test_clamp_of_integers_as_torch(values, low, high):
    assert_same(f"clamp({values}, {low}, {high})",
                lambda lib: lib.tensor(values).clamp(low, high))
    assert_same(f"clamp({values}, tensors)", lambda lib: lib.tensor(values).clamp(
        *(None if b is None else lib.tensor([b] * len(values)) for b in (low, high))))


@pytest.mark.parametrize(("low", "high"), [(0.1, None), (None, 0.1), (0.1, 0.1), (-0.1, 0.1),
                                           (0.3, 0.7), (None, 0.3)])
def test_clamps_gradient_at_a_bound_that_rounds(low, high):
    """A float bound is rounded to the input's dtype first, so x = float32(0.1) sits on a
    bound of 0.1 (inside: gradient 1) though it is above the double 0.1."""
    x = [np.float32(0.1), np.nextafter(np.float32(0.1), np.float32(0)),
         np.nextafter(np.float32(0.1), np.float32(1)), np.float32(0.3), np.float32(0.7), -0.1]
    gradients(lambda lib, x: x.clamp(low, high), [[float(v) for v in x]], [1.0] * len(x))


def test_clamps_gradient_with_tensor_bounds_of_another_dtype():
    """An int64 bound for a float32 input is rounded to float32 too: 2^24 + 1 is 2^24."""
    sides = []
    for lib in LIBS:
        x = lib.tensor([16777216.0, 16777218.0, 5.0], requires_grad=True)
        lo = lib.tensor([2**24 + 1, 2**24 + 1, 2**24 + 1])
        hi = lib.tensor([2.0**25, 2.0**24, 2.0**25])
        out = x.clamp(lo, hi)
        out.sum().backward()
        sides.append((out, x.grad))
    assert_exact("clamp", sides[0][0], sides[1][0])
    assert_exact("d clamp", sides[0][1], sides[1][1])


# -- where --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "y"), [
    (1.0, 0), (1, 2), (True, False), (True, 2.5), (2**40, 3), (-1.5, True), (0.1, 0.1),
])
def test_where_of_two_numbers_as_torch(x, y):
    assert_same(f"where(c, {x!r}, {y!r})",
                lambda lib: lib.where(lib.tensor([[True, False, True]]), x, y))


@pytest.mark.parametrize(("x", "y"), [
    ("tensor", 2.5), (2.5, "tensor"), ("tensor", 3), (True, "tensor"), ("tensor", "tensor"),
])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_where_of_a_tensor_and_a_number_as_torch(x, y, dtype):
    def call(lib):
        t = lib.tensor([[1, 0, 3]], dtype=getattr(lib, dtype))
        c = lib.tensor([[True], [False]])
        return lib.where(c, t if x == "tensor" else x, t if y == "tensor" else y)
    assert_same(f"where(c, {x}, {y}) of {dtype}", call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1.0, 2.0])),
    lambda lib: lib.where(lib.tensor([True, False]), "a", lib.tensor([1.0, 2.0])),
    lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1.0, 2.0]), "a"),
], ids=["no other", "str input", "str other"])
def test_wheres_refused_operands_name_where(call):
    (_, m), (_, t) = outcomes(call)
    assert type(m) is type(t) is TypeError
    assert str(m).split("(")[0] == str(t).split("(")[0] == "where", f"{m} | {t}"


@pytest.mark.parametrize(("c", "x", "y"), [
    ((2, 1), (1, 3), (3, 3)), ((1, 3), (2, 1), (3, 3)), ((2, 1), (1, 3), (4, 1, 1)),
    ((2,), (3,), (1,)), ((3, 1), (1,), (2, 1, 1)),
    ((2,), (4, 3, 1), (3, 3)),  # c against a's broadcast: dimension 2 of 3, not 1 of 2
    ((2, 1, 1), (1, 3, 1), (1, 1, 4, 5)),
])
def test_wheres_broadcasting_as_torch(c, x, y):
    assert_same(f"where {c} {x} {y}", lambda lib: lib.where(
        lib.ones(c) > 0, lib.zeros(x), lib.ones(y)))


def test_where_of_bools_condition_refused_as_torch():
    assert_same_error(lambda lib: lib.where(lib.tensor([1, 0]), lib.ones(2), lib.zeros(2)))


# -- what a node saves (backward twice) and reads (changed in place before backward) ---------

NODES = {
    "abs": lambda lib, x, e: x.abs(),
    "clamp(numbers)": lambda lib, x, e: x.clamp(0.5, 2.5),
    "clamp(tensors)": lambda lib, x, e: x.clamp(e, e + 1),
    "clamp(max=tensor)": lambda lib, x, e: x.clamp(max=e),
    "x ** e": lambda lib, x, e: x ** e,
    "2 ** x": lambda lib, x, e: 2.0 ** x,
    "pow(2, x)": lambda lib, x, e: lib.pow(2.0, x),
    "where": lambda lib, x, e: lib.where(x > 2.5, x, e),
    "x - e": lambda lib, x, e: x.sub(e, alpha=2),
}


@pytest.mark.parametrize("needs", ["x", "e", "xe"])
@pytest.mark.parametrize("node", sorted(NODES))
def test_what_a_node_saves_and_reads_as_torch(node, needs):
    def make(lib):
        x = lib.tensor([2.0, 3.0], requires_grad="x" in needs).clone()  # not leaves: mul_
        e = lib.tensor([2.5, 0.5], requires_grad="e" in needs).clone()  # is allowed
        return x, e, NODES[node](lib, x, e)

    def twice(lib):
        *_, y = make(lib)
        y.sum().backward()
        y.sum().backward()
        return y

    def changed(lib, which):
        x, e, y = make(lib)
        {"x": x, "e": e, "y": y}[which].mul_(2)
        y.sum().backward()
        return y

    for label, call in [("twice", twice)] + [(w, lambda lib, w=w: changed(lib, w)) for w in "xey"]:
        (m, m_error), (t, t_error) = outcomes(call)
        assert type(m_error) is type(t_error), f"{label}: manual {m_error!r}, torch {t_error!r}"
        if t_error is not None:
            words = str(t_error)[:60]
            assert str(m_error).startswith(words), f"{label}: {m_error} | {t_error}"
            assert str(t_error).startswith((FREED, IN_PLACE, "element 0 of tensors does not"))
        else:
            assert_exact(label, m, t)


# -- the parity layer's other refusals and warnings -------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1, 2]).std(), lambda lib: lib.tensor([1, 2]).var(),
    lambda lib: lib.tensor([True, False]).std(dim=0),
])
def test_std_and_var_of_integers_refused_as_torch(call):
    assert_same_error(call)


@pytest.mark.parametrize(("values", "kwargs"), [
    ([1.0], {}), ([1.0, 2.0], {}), ([1.0, 2.0], {"correction": 2}), ([1.0, 2.0], {"correction": 0}),
    ([[1.0, 2.0]], {"dim": 0}), ([[1.0, 2.0]], {"dim": 1}), ([1.0, 2.0, 3.0], {"correction": 2}),
])
@pytest.mark.parametrize("name", ["std", "var"])
def test_the_degrees_of_freedom_warning_as_torch(name, values, kwargs):
    """torch warns (UserWarning, pointing at the caller's line) when N - correction <= 0."""
    seen, outs = [], []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outs.append(getattr(lib.tensor(values), name)(**kwargs))
        seen.append([(w.category, re.sub(r" \(Triggered internally at .*\)$", "", str(w.message)),
                      w.filename) for w in caught])
    assert all(filename == __file__ for *_, filename in seen[1])  # torch's: this line
    if "MUTANT_UNDER_TEST" in os.environ:  # mutmut's trampolines add frames between the
        seen = [[w[:2] for w in side] for side in seen]  # caller and the warning: not its line
    assert seen[0] == seen[1]
    assert_exact(name, *outs)


# -- torch.tensor of a list holding tensors: their dtypes count -------------------------------

@pytest.mark.parametrize("data", [
    lambda lib: [lib.tensor(1), 2.5],
    lambda lib: [lib.tensor(1.5), 2],
    lambda lib: [lib.tensor(1.5, dtype=lib.float64), 2.0],
    lambda lib: [lib.tensor(3, dtype=lib.int32), lib.tensor(True)],
    lambda lib: [[lib.tensor(1, dtype=lib.int32), 2]],
    lambda lib: [lib.tensor(True), False],
    lambda lib: [2, lib.tensor(1.5, dtype=lib.float64)],
])
def test_a_list_holding_tensors_takes_their_dtypes_as_torch(data):
    assert_same("tensor(list of tensors)", lambda lib: lib.tensor(data(lib)))
