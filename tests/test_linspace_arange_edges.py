"""linspace and arange to the bit in every dtype, their bounds converted and refused as
torch's Scalar.to refuses them, arange's count at 2^63, and torch.tensor's nesting and kind
inference at their edges (manual/_parity/creation.py, called through manual/creation.py).

Each call is made on both libraries: the same values to the bit, dtype and shape, or the
same exception class and message.
"""

from __future__ import annotations

import re
from collections import UserList

import numpy as np
import pytest
import torch

import manual

INTEGERS = ["int8", "int16", "int32", "int64", "uint8"]
FLOATS = ["float16", "float32", "float64"]


def dtype_of(lib, name: str):
    return getattr(torch, name) if lib is torch else np.dtype(name)


def outcome(call, lib):
    """(dtype, shape, bytes) of the result, or (class, message) of the refusal."""
    try:
        t = call(lib)
    except Exception as error:  # noqa: BLE001 - the refusal is the outcome compared
        # a wrong-arguments message names the function, which mutmut renames
        return type(error), re.sub(r"\bx_(\w+?)__mutmut_(?:orig|\d+)\b", r"\1", str(error))
    a = np.asarray(t.detach().numpy())
    return a.dtype, a.shape, a.tobytes()


def assert_same_outcome(call) -> None:
    expected, got = outcome(call, torch), outcome(call, manual)
    assert got == expected


def nested(depth: int, leaf) -> list:
    data = [leaf]
    for _ in range(depth - 1):
        data = [data]
    return data


# -- linspace ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("start, end", [(-3.7, 300.5), (3.7, -1.9), (-1, 5), (-255, 5),
                                        (-256, 5), (-0.5, 5), (127.5, 5), (128, -128.5),
                                        (True, 5), (2**31, 5), (float("inf"), 5),
                                        (0, float("nan"))])
@pytest.mark.parametrize("steps", [1, 2, 7])
def test_linspace_integer_dtypes_convert_the_ends_as_torch(dtype, start, end, steps):
    """Truncated toward zero, refused past the dtype's range (an int down to -max for uint8,
    where it wraps); one value is a fill of start alone, end unread."""
    assert_same_outcome(lambda lib: lib.linspace(start, end, steps, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("dtype", INTEGERS + FLOATS + ["bool"])
@pytest.mark.parametrize("start", [0, -3.5, 7, 1e40, 70000.0])
@pytest.mark.parametrize("steps", [0, 1])
def test_linspace_of_one_or_no_value_in_each_dtype(dtype, start, steps):
    """A fill of start (half's unchecked: inf past its range), or nothing at all."""
    assert_same_outcome(lambda lib: lib.linspace(start, 1e40, steps, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("start, end, steps", [
    (0, 1, 7), (0.1, 1.3, 9), (-3.3, 100.3, 33), (2049.5, -7, 100), (1e-3, 0.1, 255),
    (-1.7, 1.7, 3000), (5, 5, 4), (0, 3.5e38, 5), (-65504, 65504, 6),
    (float("inf"), 0, 3), (0, float("-inf"), 4),
])
def test_linspace_to_the_bit(dtype, start, end, steps):
    """Each half computed from its own end, fused for float and double, in half's operators
    for half; an infinite end makes NaNs and infinities as torch's."""
    call = lambda lib: lib.linspace(start, end, steps, dtype=dtype_of(lib, dtype))  # noqa: E731
    expected, got = outcome(call, torch), outcome(call, manual)
    if isinstance(expected[0], type):
        assert got == expected
        return
    a, b = (np.frombuffer(o[2], o[0]) for o in (got, expected))
    assert got[:2] == expected[:2]
    assert np.array_equal(np.isnan(a), np.isnan(b))  # a NaN's sign bit is the CPU's
    assert np.where(np.isnan(a), 0, a).tobytes() == np.where(np.isnan(b), 0, b).tobytes()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8"])
@pytest.mark.parametrize("start, end", [(1e40, 0), (0, 3.5e38), (65504.5, 0), (65520, 1),
                                        (-70000, 1)])
def test_linspace_refuses_ends_past_the_dtype(dtype, start, end):
    assert_same_outcome(lambda lib: lib.linspace(start, end, 3, dtype=dtype_of(lib, dtype)))


# -- arange ------------------------------------------------------------------------------------

LANES = {"float16": 16, "float32": 8, "float64": 4}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("offset", [-1, 0, 1])
@pytest.mark.parametrize("blocks", [1, 2])
@pytest.mark.parametrize("start, step", [(0.3, 0.37), (-1.3, 0.037), (3.0, -0.3)])
def test_arange_at_the_edge_of_the_vector_blocks(dtype, offset, blocks, start, step):
    """n around a multiple of two vectors: the last block, and the first value of the tail
    computed one by one."""
    n = 2 * LANES[dtype] * blocks + offset
    end = start + step * (n - 0.5)
    assert_same_outcome(lambda lib: lib.arange(start, end, step, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("start, end, step", [(-1e-200, 300, 7), (-1e-200, 0, 1),
                                              (-0.0, 40, 1), (1e-200, -50, -3)])
def test_arange_keeps_a_signed_zero_as_torch(dtype, start, end, step):
    """Each vector's first lane is its base itself: a -0 stays -0 (in float, for half: a
    start rounded to -0 first, then + 0 = +0)."""
    assert_same_outcome(lambda lib: lib.arange(start, end, step, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("start, end, step", [
    (0, 5.5, 1), (0.5, 5.5, 1.5), (0.9, 5, 0.5), (-3.7, 5.5, 2.5), (0, 300, 7), (0, 5, 0.5),
    (0, -5, -0.5), (0, 3, 1e39), (0, 1e40, 1), (0, 1e19, 1e18),
])
def test_arange_integer_dtypes_as_torch(dtype, start, end, step):
    """int64 counts from the truncated bounds (a step truncated to 0: a ValueError); the
    smaller integer dtypes count from the bounds as given and write start + i trunc(step)
    (a step truncated to 0: zeros), wrapping; the bounds converted to int64, checked."""
    assert_same_outcome(lambda lib: lib.arange(start, end, step, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(0, 2.0**63),                # exactly 2^63 passes torch's check
    lambda lib: lib.arange(0, 2.0**63, 1, dtype=lib.float32),
    lambda lib: lib.arange(0, 2**63 - 1),              # int64: 2^63 - 1 in double is 2^63
    lambda lib: lib.arange(0, 2.0**63 + 2048),
    lambda lib: lib.arange(0, 2**63 - 1, 2),           # int64: end - start + step wraps
    lambda lib: lib.arange(-2**62, 2**62),
    lambda lib: lib.arange(-2**63, 2**63 - 1, 2**62),  # wraps round to a small count
    lambda lib: lib.arange(-1e308, 1e308),             # end - start overflows to inf
    lambda lib: lib.arange(0, 1e300, 1e-300),
    lambda lib: lib.arange(0, 1e40, 1e41, dtype=dtype_of(lib, "float16")),  # in float
])
def test_arange_count_overflow_at_2_63(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("start, end, step", [(0, -1e-300, 1e300), (0, -1e-200, 1e-200),
                                              (0, 1e-200, -1e-200), (5, 0, 1e-300)])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_arange_checks_the_step_sign_without_underflow(start, end, step, dtype):
    """(end - start) and step compared by sign: a product or a quotient would underflow."""
    assert_same_outcome(lambda lib: lib.arange(start, end, step, dtype=dtype_of(lib, dtype)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(lib.tensor(float("inf")), 5),
    lambda lib: lib.arange(lib.tensor(0.5), lib.tensor(float("nan"))),
])
def test_arange_of_tensor_bounds_names_their_values(call):
    assert_same_outcome(call)


# -- zeros, ones, empty ------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(),
    lambda lib: lib.empty(),
    lambda lib: lib.ones(2, 3, dtype=lib.int64, device="cpu"),
])
def test_ones_and_empty_as_torch(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("name", ["ones", "empty"])
def test_ones_and_empty_refuse_a_device_manual_lacks(name):
    """torch's class and words; manual adds a note after them."""
    expected, got = (outcome(lambda lib: getattr(lib, name)(2, device="cuda"), lib)
                     for lib in (torch, manual))
    assert got[0] is expected[0] and got[1].startswith(expected[1])


def test_empty_is_zeros_here():
    """torch's empty leaves memory unwritten; manual's documented fill is 0."""
    t = manual.empty(2, 3, dtype=manual.int64)
    assert t.dtype == np.int64 and t.numpy().tolist() == [[0, 0, 0], [0, 0, 0]]


# -- tensor(data): nesting and kinds -----------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(nested(128, None)),         # 128 levels pass the shape; None not
    lambda lib: lib.tensor(nested(129, None)),         # 129: too many dimensions first
    lambda lib: lib.tensor(nested(128, "a")),
    lambda lib: lib.tensor([]),
    lambda lib: lib.tensor([[]]),
    lambda lib: lib.tensor([[], []], dtype=lib.int64),
    lambda lib: lib.tensor(([], ())),
])
def test_tensor_nesting_and_empty_data(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("data", [
    [1, UserList([2])],          # ints: the store wants an integer
    [1.5, UserList([2])],        # a float among them: a real number
    [True, UserList([False])],
    [np.int8(1), UserList([2])],
    [[], UserList([1])],         # an empty list is float32, over the ints: float32, no values
    [[], UserList([True])],
    [UserList([]), UserList([1])],
    [[], [UserList([1])]],
])
def test_tensor_infers_the_kind_over_every_element(data):
    """A sequence torch reads but does not type at once (not a list or tuple): the kind is
    inferred from every element, complex over float over int over bool, and an empty
    sequence counts as the default float."""
    assert_same_outcome(lambda lib: lib.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("data", [[b"ab", b"cd"], [[b"a"], [b"b"]]])
def test_tensor_reads_bytes_as_their_integers(dtype, data):
    """A bytes object inside a list is a sequence of ints to torch (NumPy reads a string)."""
    assert_same_outcome(lambda lib: lib.tensor(data, dtype=dtype_of(lib, dtype)))
