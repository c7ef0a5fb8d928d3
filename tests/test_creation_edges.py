"""Creation at its edges, each call made on both twins (manual/creation.py and
manual/_parity/creation.py).

as_tensor's sharing and copying, the ``*_like`` functions' keywords, arange and linspace at
their bounds (bools, fractional integer steps, sizes that overflow, half precision to the
bit), and torch.tensor's reading of odd data, refused in torch's classes and words.
"""

from __future__ import annotations

import re
from collections import UserList, deque
from fractions import Fraction

import numpy as np
import pytest
import torch

import manual


def assert_same(m, t) -> None:
    """The same values to the bit, dtype and shape, and the same requires_grad."""
    a, b = np.asarray(m.detach().numpy()), t.detach().numpy()
    assert (a.shape, a.dtype) == (b.shape, b.dtype), f"{a.shape} {a.dtype} != {b.shape} {b.dtype}"
    assert a.tobytes() == b.tobytes(), f"{a} != {b}"
    assert m.requires_grad == t.requires_grad


def assert_agree(call) -> None:
    assert_same(call(manual), call(torch))


def assert_refused_alike(call, prefix: bool = False) -> None:
    """The same exception class and message (its start only, where manual adds a note)."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as got:
        call(manual)
    # a wrong-arguments message names the function, which mutmut renames x_<name>__mutmut_orig
    said = re.sub(r"\bx_(\w+?)__mutmut_(?:orig|\d+)\b", r"\1", str(got.value))
    if prefix:
        assert said.startswith(str(expected.value))
    else:
        assert said == str(expected.value)


def nested(depth: int) -> list:
    data: list = [1.5]
    for _ in range(depth - 1):
        data = [data]
    return data


# -- as_tensor ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.as_tensor([1, 2]),
    lambda lib: lib.as_tensor([1, 2], dtype=lib.float64),
    lambda lib: lib.as_tensor([[1.5], [2.5]], device="cpu"),
    lambda lib: lib.as_tensor(lib.tensor([1.5, 2.5]), dtype=lib.int64),
    lambda lib: lib.as_tensor(np.array([1, 2], np.int32), dtype=lib.float32),
])
def test_as_tensor_makes_a_tensor_in_the_dtype_asked_for(call):
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.as_tensor([1, 2], lib.float64),
    lambda lib: lib.as_tensor([1, 2], device="cuda"),
    lambda lib: lib.as_tensor(np.zeros(2), device="cuda"),
])
def test_as_tensor_refusals(call):
    assert_refused_alike(call, prefix=True)


@pytest.mark.parametrize("lib", [manual, torch])
def test_as_tensor_keeps_a_tensor_or_an_array_when_it_can(lib):
    t = lib.tensor([1.0, 2.0])
    assert lib.as_tensor(t) is t
    assert lib.as_tensor(t, dtype=lib.float32) is t
    assert lib.as_tensor(t, dtype=lib.float64) is not t
    array = np.array([1.0, 2.0])
    shared, same_dtype, copied = (lib.as_tensor(array), lib.as_tensor(array, dtype=lib.float64),
                                  lib.as_tensor(array, dtype=lib.float32))
    array[0] = 7.0
    assert shared.tolist() == same_dtype.tolist() == [7.0, 2.0]
    assert copied.tolist() == [1.0, 2.0]


# -- the *_like functions ----------------------------------------------------------------------

LIKE = {
    "zeros_like": lambda lib, x, **kw: lib.zeros_like(x, **kw),
    "ones_like": lambda lib, x, **kw: lib.ones_like(x, **kw),
    "full_like": lambda lib, x, **kw: lib.full_like(x, 2.5, **kw),
}
RANDOM_LIKE = {
    "rand_like": lambda lib, x, **kw: lib.rand_like(x, **kw),
    "randn_like": lambda lib, x, **kw: lib.randn_like(x, **kw),
}


@pytest.mark.parametrize("name", list(LIKE) + list(RANDOM_LIKE))
@pytest.mark.parametrize("requires_grad", [None, False, True])
def test_like_functions_want_a_gradient_only_when_asked(name, requires_grad):
    make = {**LIKE, **RANDOM_LIKE}[name]
    kw = {} if requires_grad is None else {"requires_grad": requires_grad}
    for lib in (manual, torch):
        x = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        y = make(lib, x, **kw)
        assert y.requires_grad is bool(requires_grad)
        assert (y.is_leaf, tuple(y.shape), str(y.dtype).split(".")[-1]) == (True, (2, 3),
                                                                             "float64")


@pytest.mark.parametrize("name", list(LIKE))
def test_like_functions_fill_as_torch(name):
    assert_agree(lambda lib: LIKE[name](lib, lib.ones(2, 3, dtype=lib.int64),
                                        dtype=lib.float32, device="cpu"))


@pytest.mark.parametrize("name", list(LIKE) + list(RANDOM_LIKE))
def test_like_functions_refuse_a_device_manual_lacks(name):
    make = {**LIKE, **RANDOM_LIKE}[name]
    assert_refused_alike(lambda lib: make(lib, lib.ones(2), device="cuda"), prefix=True)


# -- arange and linspace -----------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(lib.tensor(5)),
    lambda lib: lib.arange(lib.tensor(0.5), lib.tensor(3.0)),
    lambda lib: lib.arange(0, lib.tensor(3.0), lib.tensor(0.5)),
    lambda lib: lib.arange(lib.tensor(1), 7, lib.tensor(2)),
    lambda lib: lib.arange(5.0, requires_grad=True),
    lambda lib: lib.arange(0.5, 5, 1, dtype=lib.int64),
    lambda lib: lib.arange(0, 5, 1.5, dtype=lib.int64),
    lambda lib: lib.linspace(0, 1, 1, dtype=lib.bool),
    lambda lib: lib.linspace(0, 1, 0, dtype=lib.bool),
    lambda lib: lib.linspace(2, 1, 1, dtype=lib.bool),
    lambda lib: lib.linspace(0.5, 3.5, 1, dtype=lib.int64),
    lambda lib: lib.linspace(-1.5, 3.5, 7, dtype=lib.float64, requires_grad=True),
])
def test_arange_and_linspace_as_torch(call):
    assert_agree(call)


@pytest.mark.parametrize("start, end, step", [
    (0, 1.7, 0.1), (0.3, 9.1, 0.37), (-2, 5, 0.013), (1, 100, 1.1), (0, 3, 0.001),
])
def test_half_precision_arange_to_the_bit(start, end, step):
    """float16 vectors hold 16 lanes (AVX2), so their blocks are 32 values long."""
    m = manual.arange(start, end, step, dtype=np.float16)
    assert_same(m, torch.arange(start, end, step, dtype=torch.float16))


@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(3, dtype=lib.bool),
    lambda lib: lib.arange(0, 2, 0.5, dtype=lib.bool),
    lambda lib: lib.arange(0, 5, 0.5, dtype=lib.int64),      # a step truncated to nothing
    lambda lib: lib.arange(0, 5, 0, dtype=lib.int64),
    lambda lib: lib.arange(0, 1.5 * 2.0**63),                # more than int64 holds
    lambda lib: lib.arange(0, 2.0**64),
    lambda lib: lib.arange(-(2.0**63), 2.0**63, 0.5),
    lambda lib: lib.linspace(0, 1, 2, dtype=lib.bool),
])
def test_arange_and_linspace_refusals(call):
    assert_refused_alike(call)


@pytest.mark.parametrize("start, end, step", [(0, 5, -0.5), (0, 5, -1.5), (5, 0, 0.5),
                                              (0, float("inf"), 0.5)])
def test_an_integer_arange_checks_its_bounds_before_truncating_the_step(start, end, step):
    assert_refused_alike(lambda lib: lib.arange(start, end, step, dtype=lib.int64))


# -- tensor(data): odd data --------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([Fraction(1, 2)], dtype=lib.float32),
    lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    lambda lib: lib.tensor([[1.0, 2.0], lib.tensor([3.0, 4.0])]),
    lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.uint8),
    lambda lib: lib.tensor(nested(64)),
])
def test_tensor_reads_what_torch_reads(call):
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(nested(129)),
    lambda lib: lib.tensor([lib.tensor(1.0), None]),
    lambda lib: lib.tensor([lib.tensor(1.0), [2.0]], dtype=lib.float32),
    lambda lib: lib.tensor([lib.tensor(1), [2]], dtype=lib.int64),
    lambda lib: lib.tensor([[1.5], 2.5], dtype=lib.float64),
    lambda lib: lib.tensor([[1, 2], [3]], dtype=lib.int64),
    lambda lib: lib.tensor("a"),
])
def test_tensor_refuses_what_torch_refuses(call):
    assert_refused_alike(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([Fraction(1, 2)]),          # a number, but not one torch infers
    lambda lib: lib.tensor([Fraction(1, 2), [1]]),
    lambda lib: lib.tensor([1j, [1]]),                 # complex over the others
    lambda lib: lib.tensor([np.uint8(1), 1j, [np.uint8(2)]]),
    lambda lib: lib.tensor(np.str_("a")),
    lambda lib: lib.tensor(np.bytes_(b"a")),
    lambda lib: lib.tensor(np.array(["a", "b"])),
    lambda lib: lib.tensor(np.array([b"a"])),
    lambda lib: lib.tensor(np.array("a")),
    lambda lib: lib.tensor(np.array([None], dtype=object)),
    lambda lib: lib.tensor(np.array([], dtype=object)),
    lambda lib: lib.tensor(np.array([[1], [2]], dtype=object)),
    lambda lib: lib.tensor(np.array(["2020-01-01"], dtype="datetime64[D]")),
])
def test_tensor_refuses_odd_numbers_and_arrays_in_torchs_words(call):
    assert_refused_alike(call)


@pytest.mark.parametrize("make", [
    lambda: UserList([1.5, 2]), lambda: UserList([1, 2]), lambda: deque([1.5]),
    lambda: deque([True, False]), lambda: UserList([UserList([1.5]), UserList([2])]),
], ids=["userlist-floats", "userlist-ints", "deque-float", "deque-bools", "nested"])
def test_any_sequence_is_read_as_a_list_is_as_torch(make):
    """torch reads any sequence as it reads a list: Python floats become float32."""
    assert_agree(lambda lib: lib.tensor(make()))
