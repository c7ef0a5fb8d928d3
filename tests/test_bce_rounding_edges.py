"""Edges of binary_cross_entropy (with and without logits) and of the fused multiply-add
(manual/_parity/rounding.py) against torch: the legacy reduction arguments, saved tensors, the
refusals' words, integer addends, mixed dtypes and the far ends of float64's exponent range."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch

import manual
import manual.bce
import torch_native.bce
from manual._parity.rounding import fma, fused_add
from tests.helpers import FREED, assert_exact, requires_fused_kernels

LIBS = (manual, torch)
FUNCTIONS = ("binary_cross_entropy", "binary_cross_entropy_with_logits")
IN_PLACE = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation: ["
VERSION = "] is at version 1; expected version 0 instead."


def bce(lib, name: str):
    return getattr(manual.bce if lib is manual else torch_native.bce, name)


def error_of(f, *args, **kwargs) -> tuple[type, str]:
    with pytest.raises(Exception) as caught:
        f(*args, **kwargs)
    return type(caught.value), str(caught.value)


# -- fused multiply-add ----------------------------------------------------------------------------

@requires_fused_kernels
@pytest.mark.parametrize("alpha", [1.0, 0.75, -3.0])
def test_fused_add_rounds_an_integer_tensor_to_the_float_dtype_first_as_torch(alpha):
    # a float32 + alpha * b for an int64 b past 2^24: torch casts b to float32 (rounding it)
    # before the multiply-add; the exact integer would round elsewhere
    a = np.float32([0.5, -3.0, 1.5, 0.25])
    b = np.int64([16777217, 16777219, -33554435, 7])
    expected = torch.tensor(a).add(torch.tensor(b), alpha=alpha)
    assert_exact("a + alpha b", fused_add(a, b, alpha), expected)


def _exact(x, y, z) -> float:
    """x y + z, exactly, then rounded once to float64."""
    return float(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))


@pytest.mark.parametrize("x_dtype", [np.float16, np.float32])
def test_fma_forms_the_product_of_a_narrower_x_exactly(x_dtype):
    # x of a narrower dtype is taken at its value: x y + z with one rounding, in z's float64
    x = np.asarray([3.0, -3.0, 0.5], x_dtype) * (2.0**100 if x_dtype == np.float32 else 1.0)
    y = np.float64([1 + 2.0**-52, 1 + 2.0**-52, 1 - 2.0**-53])
    z = -(x.astype(np.float64) * y)                   # cancels the rounded product: the rest
    got = fma(x, y, z)
    assert got.dtype == np.float64
    assert got.tolist() == [_exact(*t) for t in zip(x, y, z)]
    assert got.tolist() != (x.astype(np.float64) * y + z).tolist()   # two roundings would not


@requires_fused_kernels
@pytest.mark.parametrize(("x", "y", "z"), [
    # a factor past 2^995 (the other small): the exact split would overflow
    ("0x1.c676f5b986702p+1000", "0x1.909871d5de29fp-512", "-0x1.63944054fb070p+489"),
    ("0x1.0000000000001p+1000", "0x1.0000000000001p-500", "-0x1.0000000000002p+500"),
    # a product just above 2^-970, below the 2^-969 where the split stays exact
    ("-0x1.da798c06460a3p-484", "0x1.b72acdaf519e3p-487", "0x1.96fae2240050dp-970"),
])
def test_fma_at_the_ends_of_float64s_range_is_torchs_add_with_alpha(x, y, z):
    # torch's z.add(y, alpha=x) is one fused multiply-add in float64: the same bits
    x, y, z = (float.fromhex(v) for v in (x, y, z))
    expected = torch.tensor([z], dtype=torch.float64).add(torch.tensor([y], dtype=torch.float64),
                                                          alpha=x)
    got = fma(x, np.float64([y]), np.float64([z]))
    assert_exact("x y + z", got, expected)
    assert got[0] == _exact(x, y, z)


# -- binary_cross_entropy ---------------------------------------------------------------------

X = np.float32([[0.2, 0.7, 0.5], [0.9, 0.1, 0.35]])
Y = np.float32([[0.0, 1.0, 0.25], [1.0, 0.0, 0.5]])
W = np.float32([1.0, 2.0, 0.5])


@pytest.mark.parametrize("legacy", [{"size_average": False}, {"reduce": False},
                                    {"size_average": False, "reduce": True}])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_legacy_arguments_choose_the_reduction_as_torch(name, legacy):
    results = []
    for lib in LIBS:
        x = lib.tensor(X, requires_grad=True)
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            loss = bce(lib, name)(x, lib.tensor(Y), lib.tensor(W), **legacy)
        loss.backward(lib.tensor(np.full(tuple(loss.shape), 0.5, np.float32)))
        results.append((loss, x.grad, [(w.category, str(w.message)) for w in warned]))
    (m_loss, m_dx, m_warned), (t_loss, t_dx, t_warned) = results
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)
    assert m_warned == t_warned and len(t_warned) == 1


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_second_backward_is_refused_as_torch(name):
    errors = []
    for lib in LIBS:
        loss = bce(lib, name)(lib.tensor(X, requires_grad=True), lib.tensor(Y), lib.tensor(W))
        loss.backward()
        errors.append(error_of(loss.backward))
    assert errors[0] == errors[1] and errors[1][1].startswith(FREED)


@pytest.mark.parametrize("changed", ["input", "weight", "pos_weight"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_saved_tensor_changed_in_place_before_backward_is_refused_as_torch(name, changed):
    # torch's node saves the input and each weight given: changing one in place is refused
    if changed == "pos_weight" and name == "binary_cross_entropy":
        return
    errors = []
    for lib in LIBS:
        tensors = {"input": lib.tensor(X, requires_grad=True), "weight": lib.tensor(W)}
        options = {}
        if name != "binary_cross_entropy":
            tensors["pos_weight"] = options["pos_weight"] = lib.tensor(np.float32([2, 1, 3]))
        loss = bce(lib, name)(tensors["input"], lib.tensor(Y), tensors["weight"], **options)
        with lib.no_grad():
            tensors[changed].mul_(0.5)
        errors.append(error_of(loss.backward))
    for kind, text in errors:
        assert kind is RuntimeError and text.startswith(IN_PLACE) and VERSION in text, text


@pytest.mark.parametrize(("name", "x", "y", "options", "words", "about"), [
    ("binary_cross_entropy", X[0], Y[0].astype(np.float64), {},
     "Found dtype Double but expected Float", ": input of dtype float32, target of dtype float64"),
    ("binary_cross_entropy", X[0].astype(np.float64), Y[0], {},
     "Found dtype Float but expected Double", ": input of dtype float64, target of dtype float32"),
    ("binary_cross_entropy", X[0], Y[0], {"weight": np.float32([1, 2])},
     "Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 1 "
     "had torch.Size([2]); but expected shape should be broadcastable to [3]",
     ": target of size [3], weight of size [2]"),
    ("binary_cross_entropy_with_logits", X[0], Y[0], {"weight": np.float32([1, 2])},
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
     ": input of size [3], weight of size [2]"),
    ("binary_cross_entropy_with_logits", X[0], Y[0], {"weight": np.ones((2, 3), np.float32)},
     "output with shape [3] doesn't match the broadcast shape [2, 3]",
     ": input of size [3], weight of size [2, 3]"),
    ("binary_cross_entropy_with_logits", X[0], Y[0], {"weight": "requires grad"},
     "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to "
     "argument 'weight'. This input cannot have requires_grad True.", " (weight of size [3])"),
    ("binary_cross_entropy_with_logits", X[0], np.int64([0, 1, 1]), {},
     "result type Float can't be cast to the desired output type Long",
     ": input of dtype float32, target of dtype int64"),
])
def test_refusals_in_torchs_words(name, x, y, options, words, about):
    # the twin says torch's words, then the sizes or dtypes they are about
    errors = []
    for lib in LIBS:
        kwargs = {key: (lib.ones(3, requires_grad=True) if isinstance(value, str) else
                        lib.tensor(value)) for key, value in options.items()}
        errors.append(error_of(bce(lib, name), lib.tensor(x), lib.tensor(y), **kwargs))
    (m_kind, m_text), (t_kind, t_text) = errors
    assert m_kind is t_kind and t_text == words and m_text == words + about


def test_the_first_value_out_of_range_is_named_in_memory_order():
    # manual's message adds where the kernel stopped: it walks the input in memory order,
    # the input's element before the target's; torch gives the same words without the place
    x = np.float32([[0.5, 1.5, 0.5], [-0.5, 0.5, 0.5]])
    y = np.float32([[0.5, 0.5, 0.5], [0.5, 0.5, 2.0]])
    cases = [(x, y, "input[0, 1] is 1.5"), (x.T, y.T, "input[1, 0] is 1.5"),
             (np.asfortranarray(x), np.asfortranarray(y), "input[1, 0] is -0.5"),
             (np.abs(x - 0.5), y, "target[1, 2] is 2.0")]
    for inp, tgt, place in cases:
        errors = [error_of(bce(manual, "binary_cross_entropy"), manual.tensor(inp),
                           manual.tensor(tgt)),
                  error_of(bce(torch, "binary_cross_entropy"), torch.from_numpy(inp),
                           torch.from_numpy(tgt))]
        (m_kind, m_text), (t_kind, t_text) = errors
        name = place.split("[")[0]
        assert m_kind is t_kind is RuntimeError
        assert t_text == f"all elements of {name} should be between 0 and 1"
        assert m_text == f"{t_text}: {place}"
