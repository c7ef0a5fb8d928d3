"""Pointwise operations: one output element from the elements at the same place.

Each function computes its forward with NumPy and records its local derivative, the
chain-rule factor for each input (d stands for the incoming gradient, dL/dout):

1.  a + b, a - b           da = d, db = +-d
2.  a * b                  da = d b, db = d a
3.  a / b                  da = d / b, db = -d (a / b) / b
4.  -a                     da = -d
5.  1 / a                  da = -d (1/a)^2
6.  a^n                    da = d n a^(n-1)                       (n a number)
    a^b                    da = d b a^(b-1), db = d a^b log a     (b a tensor)
7.  e^a                    da = d e^a
8.  log a                  da = d / a
9.  sqrt a                 da = d / (2 sqrt a)
10. tanh a                 da = d (1 - tanh^2 a)
11. sigmoid a = 1/(1+e^-a) da = d (1 - s) s, s = sigmoid a
12. sin a, cos a           da = d cos a, da = d (-sin a)
13. |a|                    da = d sign(a)                          (0 at a = 0)
14. clamp(a, lo, hi)       da = d where lo <= a <= hi, else 0
15. relu a = max(a, 0)     da = d where relu(a) > 0, else 0
16. where(c, a, b)         da = d where c, db = d where not c
17. a == b, a < b, ...     no derivative: a bool tensor

Broadcasting: a and b are brought to one shape first; backward sums each gradient back to
its operand's shape (manual/backward.py). Dtypes: torch's promotion, not NumPy's
(manual/_parity/dtypes.py); an integer input to exp, log, sqrt, ... is first made float32.

Quirks that change numbers: torch's derivative formulas are written with the result where
they can be (5, 7, 9, 10, 11), so the same roundings happen here. ``c / a`` is
``a.reciprocal() * c``, two roundings. exp, log, tanh, sin, cos, sigmoid and a^b come from
vectorised libms on both sides (SLEEF in torch, NumPy's own SIMD code): the last bit may
differ (reference/tolerances.py states by how much).

Reference: tools/autograd/derivatives.yaml (each formula above), torch/_tensor.py
(``__rdiv__``, ``__rpow__``), aten/src/ATen/native/cpu/BinaryOpsKernel.cpp
(``tanh_backward``, ``sigmoid_backward``), aten/src/ATen/native/UnaryOps.cpp.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity import dtypes, engine
from manual._parity.rounding import fused_add
from manual.graph import needed, record
from manual.tensor import Tensor

Operand = Tensor | float | int | bool


def add(input: Tensor, other: Operand, *, alpha: float = 1) -> Tensor:
    a, b = _operands(input, other)
    out = a.array + b.array if alpha == 1 else fused_add(a.array, b.array, alpha)  # (1) a + alpha b

    def derivative(grad):                                         # (1)
        return grad, (grad if alpha == 1 else grad * alpha)

    return record("AddBackward0", out, (a, b), derivative)


def sub(input: Tensor, other: Operand, *, alpha: float = 1) -> Tensor:
    a, b = _operands(input, other)
    out = a.array - b.array if alpha == 1 else fused_add(a.array, b.array, -alpha)  # (1)

    def derivative(grad):                                         # (1)
        return grad, (-grad if alpha == 1 else grad * -alpha)

    return record("SubBackward0", out, (a, b), derivative)


def rsub(input: Tensor, other: Operand) -> Tensor:
    """other - input, as ``5 - t`` computes it."""
    b, a = _operands(input, other)

    def derivative(grad):                                         # (1), b being input
        return -grad, grad

    name = "RsubBackward0" if isinstance(other, (Tensor, np.ndarray)) else "RsubBackward1"
    return record(name, a.array - b.array, (b, a), derivative)


def mul(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    a_values, b_values = a.array, b.array

    def derivative(grad):                                         # (2)
        return grad * b_values, grad * a_values

    return record("MulBackward0", a_values * b_values, (a, b), derivative, saves=True,
                  reads=needed((a, b), (b, a)))


def div(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other, true_division=True)
    a_values, b_values = a.array, b.array

    def derivative(grad):                                         # (3)
        return grad / b_values, -grad * ((a_values / b_values) / b_values)

    return record("DivBackward0", a_values / b_values, (a, b), derivative, saves=True,
                  reads=needed((a, b), (b, a), (b, b)))


def rdiv(input: Tensor, other: Operand) -> Tensor:
    """other / input as torch computes it: input.reciprocal() * other, rounding twice."""
    return mul(reciprocal(input), other)


def neg(input: Tensor) -> Tensor:
    def derivative(grad):                                         # (4)
        return (-grad,)

    return record("NegBackward0", -input.array, (input,), derivative)


def reciprocal(input: Tensor) -> Tensor:
    a = _as_float(input)
    with np.errstate(divide="ignore", over="ignore"):  # 1 / 0 = inf, silently as torch
        out = np.reciprocal(a.array)

    def derivative(grad):                                         # (5) -d (1/a)^2
        with np.errstate(over="ignore"):
            return (-grad * (out * out),)

    return record("ReciprocalBackward0", out, (a,), derivative, saves=True, reads_output=True)


def pow(input: Tensor, exponent: Operand) -> Tensor:  # noqa: A001 (torch's name)
    if isinstance(exponent, Tensor):
        return _pow_tensor(input, exponent)
    base = input.array

    def derivative(grad):                                         # (6) d n a^(n-1)
        if exponent == 0:
            return (np.zeros_like(grad),)
        return (grad * (exponent * engine.power(base, exponent - 1)),)

    return record("PowBackward0", engine.power(base, exponent), (input,), derivative,
                  saves=True, reads=(input,))


def _pow_tensor(input: Tensor, exponent: Tensor) -> Tensor:
    a, b = _operands(input, exponent)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.power(a.array, b.array)

    def derivative(grad):                                         # (6) with b a tensor
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            da = np.where(b.array == 0, 0, grad * (b.array * np.power(a.array, b.array - 1)))
            log_a = np.log(a.array)
            db = grad * np.where((a.array == 0) & (b.array >= 0), 0, out * log_a)
        return da.astype(out.dtype, copy=False), db.astype(out.dtype, copy=False)

    return record("PowBackward1", out, (a, b), derivative, saves=True, reads=(a, b))


def rpow(input: Tensor, other: Operand) -> Tensor:
    """number ** tensor: torch's pow(Scalar, Tensor)."""
    return _pow_tensor(Tensor(np.asarray(other, dtypes.result_dtype(input, other))), input)


def exp(input: Tensor) -> Tensor:
    a = _as_float(input)
    with np.errstate(over="ignore"):
        out = np.exp(a.array)

    def derivative(grad):                                         # (7) d e^a
        with np.errstate(over="ignore", invalid="ignore"):
            return (grad * out,)

    return record("ExpBackward0", out, (a,), derivative, saves=True, reads_output=True)


def log(input: Tensor) -> Tensor:
    a = _as_float(input)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf, log -1 = nan
        out = np.log(a.array)

    def derivative(grad):                                         # (8) d / a
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad / a.array,)

    return record("LogBackward0", out, (a,), derivative, saves=True, reads=(a,))


def sqrt(input: Tensor) -> Tensor:
    a = _as_float(input)
    with np.errstate(invalid="ignore"):
        out = np.sqrt(a.array)

    def derivative(grad):                                         # (9) d / (2 sqrt a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad / (2 * out),)

    return record("SqrtBackward0", out, (a,), derivative, saves=True, reads_output=True)


def tanh(input: Tensor) -> Tensor:
    a = _as_float(input)
    out = np.tanh(a.array)

    def derivative(grad):                                         # (10) d (1 - y y)
        return (grad * (1 - out * out),)

    return record("TanhBackward0", out, (a,), derivative, saves=True, reads_output=True)


def sigmoid(input: Tensor) -> Tensor:
    a = _as_float(input)
    with np.errstate(over="ignore"):
        out = 1 / (1 + np.exp(-a.array))                          # (11) 1 / (1 + e^-a)

    def derivative(grad):                                         # (11) d (1 - s) s
        return (grad * (1 - out) * out,)

    return record("SigmoidBackward0", out, (a,), derivative, saves=True, reads_output=True)


def sin(input: Tensor) -> Tensor:
    a = _as_float(input)

    def derivative(grad):                                         # (12) d cos a
        return (grad * np.cos(a.array),)

    return record("SinBackward0", np.sin(a.array), (a,), derivative, saves=True, reads=(a,))


def cos(input: Tensor) -> Tensor:
    a = _as_float(input)

    def derivative(grad):                                         # (12) d (-sin a)
        return (grad * -np.sin(a.array),)

    return record("CosBackward0", np.cos(a.array), (a,), derivative, saves=True, reads=(a,))


def abs(input: Tensor) -> Tensor:  # noqa: A001 (torch's name)
    a = input.array

    def derivative(grad):                                         # (13) d sign(a)
        return (grad * np.sign(a),)

    return record("AbsBackward0", np.abs(a), (input,), derivative, saves=True, reads=(input,))


def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    engine.check_clamp(min, max)
    a = input.array
    lo = -np.inf if min is None else np.asarray(min, a.dtype)
    hi = np.inf if max is None else np.asarray(max, a.dtype)
    out = np.minimum(np.maximum(a, lo), hi).astype(a.dtype, copy=False)  # (14), NaN stays

    def derivative(grad):                                         # (14) d inside [lo, hi]
        return (np.where((a >= lo) & (a <= hi), grad, 0),)

    name = "ClampBackward1" if min is not None and max is not None else (
        "ClampMinBackward0" if max is None else "ClampMaxBackward0")
    return record(name, out, (input,), derivative, saves=True, reads=(input,))


def relu(input: Tensor) -> Tensor:
    a = input.array
    out = engine.zero_where(a < 0, a)  # (15) np.where(a < 0, 0, a); NaN and -0.0 stay

    def derivative(grad):                                         # (15) d where y > 0
        return (engine.zero_where(out <= 0, grad),)

    return record("ReluBackward0", out, (input,), derivative, saves=True, reads_output=True)


def where(condition: Tensor, input: Operand, other: Operand) -> Tensor:
    c = np.asarray(condition.array if isinstance(condition, Tensor) else condition, dtype=bool)
    a, b = _both(input, other)

    def derivative(grad):                                         # (16)
        return np.where(c, grad, 0), np.where(c, 0, grad)

    return record("WhereBackward0", np.where(c, a.array, b.array), (a, b), derivative,
                  saves=True)


# -- comparisons (17): a bool tensor, no gradient ---------------------------------------------

def eq(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array == b.array))


def ne(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array != b.array))


def lt(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array < b.array))


def le(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array <= b.array))


def gt(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array > b.array))


def ge(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other)
    return Tensor(np.asarray(a.array >= b.array))


# -- operands: both as tensors of torch's result dtype ---------------------------------------

def _operands(a: Tensor, b: Operand, true_division: bool = False) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of the result's dtype (a Python number becomes a 0-d tensor);
    true division of integers gives torch's default float, float32."""
    dtype = dtypes.result_dtype(a, b)
    if isinstance(b, (Tensor, np.ndarray)) and a.shape != np.shape(b):
        engine.check_broadcast(a.shape, np.shape(b))
    if true_division and dtype.kind in "biu":
        dtype = dtypes.float32
    if not isinstance(b, Tensor):
        b = Tensor(np.asarray(b).astype(dtype, copy=False))
    return cast(a, dtype), cast(b, dtype)


def _both(x: Operand, y: Operand) -> tuple[Tensor, Tensor]:
    """_operands for a pair in which either one may be the number."""
    if isinstance(x, Tensor):
        return _operands(x, y)
    b, a = _operands(y, x)
    return a, b


def _as_float(input: Tensor) -> Tensor:
    """An integer or bool tensor as torch's default float, float32, for exp, log, ..."""
    return input if input.dtype.kind == "f" else cast(input, dtypes.float32)


def cast(t: Tensor, dtype: Any) -> Tensor:
    """t in another dtype; the gradient is cast back on its way (ToCopyBackward0)."""
    dtype = np.dtype(dtype)
    if t.dtype == dtype:
        return t

    def derivative(grad):  # the values pass through; the engine casts grad back
        return (grad,)

    return record("ToCopyBackward0", t.array.astype(dtype), (t,), derivative)
