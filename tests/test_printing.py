"""Printing: ``str`` of a manual tensor against ``str`` of the torch tensor with the same
values, character for character, under every print option (manual/_parity/printing.py).

A drawn case is a dtype, a shape and values made to reach each of torch's formats: whole
numbers (integer mode), a few decades (fixed), many decades or far from 1 (scientific),
nan, inf and -0.0 among them; shapes from 0-d and empty to 4-d, rows long enough to wrap,
tensors large enough to summarize. Print options are set on both sides and reset to torch's
default profile after each example.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
from manual._parity import printing

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
INTEGERS = tuple(np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8, np.uint8))
DTYPES = FLOATS + INTEGERS + (np.dtype(np.bool_),)
SPECIALS = (math.nan, math.inf, -math.inf, 0.0, -0.0)


def twins(array: np.ndarray, requires_grad: bool = False) -> tuple[Any, Any]:
    """The same values as a manual tensor and as a torch tensor."""
    return (manual.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


@contextlib.contextmanager
def print_options(calls: list[dict[str, Any]]) -> Iterator[None]:
    """set_printoptions(**call) for each call, on both sides; torch's default profile after."""
    try:
        for call in calls:
            manual.set_printoptions(**call)
            torch.set_printoptions(**call)
        yield
    finally:
        manual.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def assert_prints_as_torch(m: Any, t: Any) -> None:
    assert str(m) == str(t), f"\nmanual:\n{m}\ntorch:\n{t}"
    assert repr(m) == repr(t) and f"{m}" == f"{t}"


# -- hand examples ----------------------------------------------------------------------------

def test_hand_examples():
    # four digits after the point, the widest value sets the width of all
    assert str(manual.tensor(3.5)) == "tensor(3.5000)"
    assert str(manual.tensor([0.1234567, 100.5])) == "tensor([  0.1235, 100.5000])"
    # whole numbers print in integer mode; a non-default dtype is named
    assert str(manual.tensor([1.0, -2.0], dtype=manual.float64)) == \
        "tensor([ 1., -2.], dtype=torch.float64)"
    # a ratio over 1000 between the largest and smallest |value| turns on scientific mode
    assert str(manual.tensor([1e-3, 2.0])) == "tensor([1.0000e-03, 2.0000e+00])"
    # nested rows are indented under the first bracket, blocks separated by a blank line
    assert str(manual.arange(8).reshape(2, 2, 2)) == (
        "tensor([[[0, 1],\n"
        "         [2, 3]],\n"
        "\n"
        "        [[4, 5],\n"
        "         [6, 7]]])")
    # over 1000 elements: three at each end
    assert str(manual.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert str(manual.tensor([])) == "tensor([])"
    assert str(manual.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert str(manual.tensor([], dtype=manual.int64)) == "tensor([], dtype=torch.int64)"
    leaf = manual.tensor([1.0, 2.5], requires_grad=True)
    assert str(leaf) == "tensor([1.0000, 2.5000], requires_grad=True)"
    assert str(leaf * 2) == "tensor([2., 5.], grad_fn=<MulBackward0>)"


def test_hand_examples_of_the_options():
    with print_options([{"precision": 2}]):
        assert str(manual.tensor([1.12345])) == "tensor([1.12])"
    with print_options([{"threshold": 5}]):
        assert str(manual.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    with print_options([{"sci_mode": True}]):
        assert str(manual.tensor(3.5)) == "tensor(3.5000e+00)"
    assert str(manual.tensor([1.12345])) == "tensor([1.1235])"  # reset


def test_format_as_torch():
    # a plain 0-d tensor formats as its number; others only without a format spec, as str
    for lib in (manual, torch):
        assert format(lib.tensor(3.5), ".4f") == "3.5000" and f"{lib.tensor(3.5)}" == "3.5"
        assert f"{lib.tensor([3.5])}" == "tensor([3.5000])"
        with pytest.raises(TypeError, match="passed to Tensor.__format__"):
            format(lib.tensor([3.5]), ".4f")
        parameter = lib.nn.Parameter(lib.tensor(2.0))  # not a plain tensor: an object
        assert f"{parameter}" == "Parameter containing:\ntensor(2., requires_grad=True)"
        with pytest.raises(TypeError, match="passed to Parameter.__format__"):
            format(parameter, ".4f")


def test_options_are_torchs():
    """The state set_printoptions leaves, without torch: profiles, then the options given."""
    with print_options([{"profile": "short", "precision": 6, "sci_mode": True}, {}]):
        assert dataclasses.asdict(printing.PRINT_OPTS) == {
            "precision": 6, "threshold": 1000, "edgeitems": 2, "linewidth": 80,
            "sci_mode": None}  # every call sets sci_mode, None by default
    assert printing.PRINT_OPTS == printing._PrinterOptions()


# -- strategies -------------------------------------------------------------------------------

small_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
empty_shapes = st.tuples(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), st.integers(0, 3)
                         ).map(lambda s: tuple(0 if i == s[1] % len(s[0]) else n
                                               for i, n in enumerate(s[0])))
wide_shapes = st.tuples(st.lists(st.integers(1, 3), max_size=2), st.integers(5, 40)).map(
    lambda s: (*s[0], s[1]))  # rows that wrap at linewidth 80


@st.composite
def summarized_shapes(draw) -> tuple[int, ...]:
    """More than 1000 elements (torch's default threshold), at most about 7000."""
    leading = draw(st.lists(st.integers(1, 12), max_size=3))
    rest = math.prod(leading)
    last = max(1, math.ceil(1001 / rest)) + draw(st.integers(0, 3))
    return (*leading, last) if rest * last > 1000 else (*leading, 1001 // rest + 1)


threshold_shapes = st.sampled_from([(1000,), (10, 100), (10, 10, 10)])  # not summarized
shapes = st.one_of(small_shapes, empty_shapes, wide_shapes, summarized_shapes(),
                   threshold_shapes)


# the smallest and largest |value| of a tensor near the bounds of scientific mode:
# max/min > 1000, max > 1e8, min < 1e-4
near_bounds = st.tuples(st.sampled_from([1e-4, 1e8, 1.0]), st.sampled_from([0.5, 2, 1, 0.9, 1.1]),
                        st.sampled_from([1000.0, 999.0, 1001.0, 2.0, 1e4, 1.0]))


@st.composite
def float_values(draw, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Values spread over a few decades or many, or near a bound of scientific mode; whole
    numbers or not; nan, inf and -0.0 among them."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = math.prod(shape)
    if draw(st.booleans()):  # over the decades 10**low .. 10**high
        low = draw(st.integers(-12, 12))
        high = low + draw(st.integers(0, 8))
        magnitudes = rng.uniform(1, 10, n) * 10.0 ** rng.integers(low, high + 1, n)
    else:  # from smallest to smallest * ratio, both ends present
        base, factor, ratio = draw(near_bounds)
        magnitudes = base * factor * ratio ** rng.uniform(0, 1, n)
        magnitudes[:2] = np.array([base * factor, base * factor * ratio])[:min(n, 2)]
    x = rng.choice([-1.0, 1.0], n) * magnitudes
    x = np.round(x) if draw(st.booleans()) else x  # whole numbers: integer mode (or zeros)
    specials = draw(st.lists(st.sampled_from(SPECIALS), max_size=3)) if n else []
    x[rng.integers(0, max(n, 1), len(specials))] = specials
    return x.astype(dtype).reshape(shape)


@st.composite
def cases(draw, dtypes: tuple[np.dtype, ...] = DTYPES, shape_strategy=shapes) -> np.ndarray:
    """An array of a drawn dtype and shape, with values that reach each format."""
    dtype, shape = draw(st.sampled_from(dtypes + FLOATS)), draw(shape_strategy)  # floats 2x
    if dtype.kind == "f":
        return draw(float_values(shape, dtype))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype.kind == "b":
        return rng.random(shape) < draw(st.sampled_from([0.0, 0.5, 1.0]))
    info = np.iinfo(dtype)
    bound = draw(st.sampled_from([1, 9, 1000, int(info.max)]))
    return rng.integers(max(info.min, -bound), min(info.max, bound), shape, dtype, endpoint=True)


def any_floats(dtype: np.dtype) -> st.SearchStrategy:
    """Any value of the dtype: subnormals, the extremes, nan, inf."""
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                      elements=st.floats(width=8 * dtype.itemsize))


OPTIONS = {
    "precision": st.integers(0, 8),
    "threshold": st.one_of(st.integers(0, 40), st.sampled_from([1000, math.inf])),
    "edgeitems": st.integers(0, 4),
    "linewidth": st.integers(1, 120),
    "profile": st.sampled_from(["default", "short", "full"]),
    "sci_mode": st.sampled_from([None, True, False]),
}


@st.composite
def option_call(draw) -> dict[str, Any]:
    """The keyword arguments of one set_printoptions call: up to three of them."""
    names = draw(st.permutations(sorted(OPTIONS)))[:draw(st.integers(0, 3))]
    return {name: draw(OPTIONS[name]) for name in names}


option_calls = st.lists(option_call(), min_size=1, max_size=3)

# results of exact operations, so both sides hold the same values: torch's node names
OPERATIONS = {
    "mul": lambda x: x * 1, "neg": lambda x: -x, "clone": lambda x: x.clone(),
    "view": lambda x: x.view(-1), "select": lambda x: x[0], "to": lambda x: x.double(),
}


# -- properties -------------------------------------------------------------------------------

@given(cases())
def test_prints_as_torch(array):
    assert_prints_as_torch(*twins(array))


@given(st.sampled_from(FLOATS), near_bounds, st.integers(2, 6), st.booleans())
def test_scientific_mode_bounds_as_torch(dtype, bounds, n, whole):
    base, factor, ratio = bounds
    x = np.geomspace(base * factor, base * factor * ratio, n)
    assert_prints_as_torch(*twins((np.round(x) if whole else x).astype(dtype)))


@given(st.sampled_from(FLOATS).flatmap(any_floats))
def test_any_float_value_prints_as_torch(array):
    assert_prints_as_torch(*twins(array))


@given(cases(FLOATS, st.one_of(small_shapes, wide_shapes)), st.sampled_from(sorted(OPERATIONS)),
       st.booleans())
def test_autograd_suffixes_as_torch(array, operation, as_parameter):
    m, t = twins(array, requires_grad=True)
    assert_prints_as_torch(m, t)  # requires_grad=True
    if operation == "select" and not (array.ndim and len(array)):
        operation = "mul"  # nothing to select
    assert_prints_as_torch(OPERATIONS[operation](m), OPERATIONS[operation](t))  # grad_fn=
    with manual.no_grad(), torch.no_grad():
        assert_prints_as_torch(OPERATIONS["mul"](m), OPERATIONS["mul"](t))  # neither
    if as_parameter:
        assert_prints_as_torch(manual.nn.Parameter(m), torch.nn.Parameter(t))


# one tensor in each format, printed under every drawn option besides the drawn case
EACH_FORMAT = (np.float32([0.1234567, -100.5]), np.float64([1e-5, 1.0, math.nan]),
               np.float32([[1.0, -0.0], [math.inf, 3.0]]), np.arange(30).reshape(5, 6))


@given(option_calls, cases(), st.booleans())
def test_print_options_as_torch(calls, array, requires_grad):
    requires_grad = requires_grad and array.dtype.kind == "f"
    with print_options(calls):
        assert dataclasses.asdict(printing.PRINT_OPTS) == \
            dataclasses.asdict(torch._tensor_str.PRINT_OPTS)
        assert_prints_as_torch(*twins(array, requires_grad))
        for each in EACH_FORMAT:
            assert_prints_as_torch(*twins(each))


@given(cases(shape_strategy=st.one_of(small_shapes, wide_shapes)), st.sampled_from([-1, 1, 0]),
       st.integers(0, 2))
def test_summarizes_above_the_threshold_as_torch(array, delta, edgeitems):
    # threshold numel - 1: summarized; numel: not
    with print_options([{"threshold": array.size + delta, "edgeitems": edgeitems}]):
        assert_prints_as_torch(*twins(array))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad"])
def test_an_optimizer_prints_as_torchs(name):
    """Each group's settings, sorted by name, after 'Parameter Group i'."""
    texts = []
    for lib in (manual, torch):
        weights = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        groups = [{"params": weights[:1]}, {"params": weights[1:], "lr": 0.5}]
        texts.append(repr(getattr(lib.optim, name)(groups, lr=0.1, weight_decay=0.01)))
    assert texts[0] == texts[1]


def test_max_and_min_along_a_dim_print_as_torchs_return_types():
    x = [[1.0, 3.0], [2.0, 0.0]]
    for call in (lambda t: t.max(1), lambda t: t.min(0, keepdim=True)):
        assert repr(call(manual.tensor(x))) == repr(call(torch.tensor(x)))


def test_a_shape_is_a_tuple_that_prints_as_torch_size():
    for lib in (manual, torch):
        x = lib.zeros(2, 3, 4)
        assert x.shape == (2, 3, 4) and x.size() == x.shape and x.shape[1] == 3
        assert isinstance(x.shape, tuple) and x.shape == lib.Size([2, 3, 4])
        assert x.shape.numel() == 24
    m, t = manual.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for call in (lambda x: x.shape, lambda x: x.size(), lambda x: x.shape[1:],
                 lambda x: x[0, 0].shape, lambda x: x.sum().shape):
        assert repr(call(m)) == repr(call(t)) and str(call(m)) == str(call(t))
