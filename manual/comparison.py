"""Comparisons, logic and integer-style division: element by element, as pointwise.py, but
with results that are steps, so that (1) and (2) carry no gradient and (4) carries one to a
only where it is defined (d stands for the incoming gradient, dL/dout):

1.  a == b, a != b, a < b, a <= b, a > b, a >= b   a bool tensor
2.  a & b, a | b, a ^ b, ~a                       bitwise: and, or, xor, not; on bools logic
3.  a // b = floor(a / b)                         no derivative (torch has none either)
4.  a % b  = a - b floor(a / b)                   the sign of b:  da = d,  db = -d floor(a / b)
5.  isclose(a, b) = a == b or |a - b| <= atol + |rtol b|   (allclose: every element)

Broadcasting and dtypes as in pointwise.py: both operands are brought to torch's promoted
dtype first, so float32 ``tensor([0.1]) == 0.1`` is True (0.1 is rounded to float32 too).

Quirks that change numbers: (4) is computed as torch's kernel does, fmod(a, b), plus b when
the signs differ, so a zero remainder keeps the sign of a (``4. % -2.`` is 0., NumPy's is
-0.); (3) on floats is torch's div_floor_floating, NumPy's floor_divide to the bit. Bitwise
operations exist for bools and integers only, % and // for numbers only, and integer
division by zero raises where NumPy returns 0 (manual/_parity/arithmetic.py).

Reference: aten/src/ATen/native/cpu/BinaryOpsKernel.cpp (``remainder_kernel``,
``div_floor_kernel``), c10/util/generic_math.h (``div_floor_floating``),
tools/autograd/derivatives.yaml (``remainder.Tensor``, ``floor_divide``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import arithmetic
from manual.graph import needed, record
from manual.pointwise import Operand, _both, _operands
from manual.tensor import Tensor


def eq(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.equal, input, other, "eq")


def ne(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.not_equal, input, other, "ne")


def lt(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.less, input, other, "lt")


def le(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.less_equal, input, other, "le")


def gt(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.greater, input, other, "gt")


def ge(input: Tensor, other: Operand) -> Tensor:
    return _compare(np.greater_equal, input, other, "ge")


def _compare(relation: np.ufunc, input: Tensor, other: Operand, name: str) -> Tensor:
    a, b = _operands(input, other, name)
    return Tensor(np.asarray(relation(a.array, b.array)))         # (1)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """(5) a == b, or |a - b| <= atol + |rtol b| where |a - b| is finite, in a's dtype."""
    arithmetic.check_close(input, other, rtol, atol)
    a, b = input.array, other.array
    close = a == b                                                # equal (infinities too)
    if equal_nan and a.dtype.kind == "f":
        close = close | (np.isnan(a) & np.isnan(b))
    if atol == 0 and rtol == 0:
        return Tensor(np.asarray(close))
    if a.dtype.kind != "f":  # integers and bools: compared in the default float
        a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(a - b)
        close = close | (np.isfinite(error) & (error <= atol + np.abs(b * rtol)))  # (5)
    return Tensor(np.asarray(close))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def bitwise_and(input: Operand, other: Operand) -> Tensor:
    return _bitwise(np.bitwise_and, input, other, "bitwise_and")  # (2) a & b


def bitwise_or(input: Operand, other: Operand) -> Tensor:
    return _bitwise(np.bitwise_or, input, other, "bitwise_or")    # (2) a | b


def bitwise_xor(input: Operand, other: Operand) -> Tensor:
    return _bitwise(np.bitwise_xor, input, other, "bitwise_xor")  # (2) a ^ b


def bitwise_not(input: Tensor) -> Tensor:
    arithmetic.check_bitwise_not(input.dtype)
    return Tensor(np.asarray(np.invert(input.array)))             # (2) ~a


def _bitwise(operation: np.ufunc, input: Operand, other: Operand, name: str) -> Tensor:
    a, b = _both(input, other, name)
    arithmetic.check_bitwise(a.dtype, name)
    return Tensor(np.asarray(operation(a.array, b.array)))        # (2)


def floor_divide(input: Operand, other: Operand) -> Tensor:
    a, b = _both(input, other, "floor_divide")
    arithmetic.check_division(a.dtype, b.array, "div_floor")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.floor_divide(a.array, b.array)                   # (3) floor(a / b)

    def derivative(grad):                                         # (3): none
        raise RuntimeError("derivative for aten::floor_divide is not implemented")

    return record("torch::autograd::NotImplemented", out, (a, b), derivative)


def remainder(input: Operand, other: Operand) -> Tensor:
    a, b = _both(input, other, "remainder")
    arithmetic.check_division(a.dtype, b.array, "remainder")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.fmod(a.array, b.array))               # (4) a - b trunc(a / b) ...
        out = np.where((out != 0) & ((b.array < 0) != (out < 0)), out + b.array, out)  # floor
    out = out.astype(a.dtype, copy=False)

    def derivative(grad):                                         # (4)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad, -grad * np.floor_divide(a.array, b.array)

    if not isinstance(input, Tensor):  # a number % a tensor: torch has no derivative for it
        return record("torch::autograd::NotImplemented", out, (b,), _no_derivative("remainder"))
    name = "RemainderBackward1" if isinstance(other, Tensor) else "RemainderBackward0"
    return record(name, out, (a, b), derivative, saves=b.requires_grad,  # only db reads a, b
                  reads=needed((b, a), (b, b)))


def rremainder(input: Tensor, other: Operand) -> Tensor:
    return remainder(other, input)                                # other % input


def rfloor_divide(input: Tensor, other: Operand) -> Tensor:
    return floor_divide(other, input)                             # other // input


def _no_derivative(name: str):
    def derivative(grad):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return derivative
