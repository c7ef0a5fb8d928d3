"""Pointwise operations: one output element from the elements at the same place.

Each function computes its forward with NumPy and records its local derivative, the
chain-rule factor for each input (d stands for the incoming gradient, dL/dout):

1.  a + alpha b, a - b     da = d, db = +-alpha d
2.  a * b                  da = d b, db = d a
3.  a / b                  da = d / b, db = -d (a / b) / b
4.  -a                     da = -d
5.  1 / a                  da = -d (1/a)^2
6.  a^n                    da = d n a^(n-1)                       (n a number)
    a^b                    da = d b a^(b-1), db = d a^b log a     (b a tensor)
    c^b                    db = d c^b log c                       (c a number)
7.  e^a                    da = d e^a
8.  log a                  da = d / a
9.  sqrt a                 da = d / (2 sqrt a)
10. tanh a                 da = d (1 - tanh^2 a)
11. sigmoid a = 1/(1+e^-a) da = d (1 - s) s, s = sigmoid a
12. sin a, cos a           da = d cos a, da = d (-sin a)
13. |a|                    da = d sign(a)                          (0 at a = 0)
14. clamp(a, lo, hi)       da = d where lo <= a <= hi, else 0;  dlo = d where a < lo (and
                           lo < hi), dhi = d where a > hi (or hi < lo)   (tensor bounds)
15. relu a = max(a, 0)     da = d where relu(a) > 0, else 0
16. where(c, a, b)         da = d where c, db = d where not c

Comparisons (a < b), logic (a & b) and integer-style division (a // b, a % b): comparison.py.

Broadcasting: a and b are brought to one shape first; backward sums each gradient back to
its operand's shape (manual/backward.py). Dtypes: torch's promotion, not NumPy's
(manual/_parity/dtypes.py); an integer input to exp, log, sqrt, ... is first made float32.

Quirks that change numbers: torch's derivative formulas are written with the result where
they can be (5, 7, 9, 10, 11), so the same roundings happen here; in (10) 1 - y y is one
fused multiply-add. ``c / a`` is ``a.reciprocal() * c``, two roundings; in (6) log c is
taken in double precision. (11) takes e^-a from SLEEF's and glibc's exp where torch's kernel
does, to the bit. exp, log, sqrt, tanh, sin, cos and a^b come from vectorised libms on both
sides (MKL's and SLEEF's in torch, NumPy's own SIMD code): the last bit may differ
(reference/tolerances.py states by how much).

Reference: tools/autograd/derivatives.yaml (each formula above), torch/_tensor.py
(``__rdiv__``, ``__rpow__``), aten/src/ATen/native/cpu/BinaryOpsKernel.cpp
(``tanh_backward``, ``sigmoid_backward``), aten/src/ATen/native/UnaryOps.cpp,
torch/csrc/autograd/FunctionsManual.cpp (``pow_backward_exponent``, ``clamp_backward``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from manual._parity import arithmetic, dtypes, engine
from manual._parity.rounding import fma, fused_add
from manual.graph import needed, record
from manual.tensor import Tensor

Operand = Tensor | float | int | bool


def add(input: Tensor, other: Operand, *, alpha: float = 1) -> Tensor:
    a, b = _operands(input, other, "add")
    arithmetic.check_alpha(a.dtype, alpha)
    out = a.array + b.array if alpha == 1 else fused_add(a.array, b.array, alpha)  # (1) a + alpha b
    out = out.astype(a.dtype, copy=False)  # bools stay bools: a or (alpha and b)

    def derivative(grad):                                         # (1)
        return grad, (grad if alpha == 1 else grad * alpha)

    return record("AddBackward0", out, (a, b), derivative)


def sub(input: Tensor, other: Operand, *, alpha: float = 1) -> Tensor:
    a, b = _operands(input, other, "sub")
    arithmetic.check_subtraction(input.dtype, dtypes.result_dtype(other))
    arithmetic.check_alpha(a.dtype, alpha)
    out = a.array - b.array if alpha == 1 else fused_add(a.array, b.array, -alpha)  # (1)

    def derivative(grad):                                         # (1)
        return grad, (-grad if alpha == 1 else -grad * alpha)

    return record("SubBackward0", out, (a, b), derivative)


def rsub(input: Tensor, other: Operand) -> Tensor:
    """other - input, as ``5 - t`` computes it."""
    b, a = _operands(input, other, "sub")
    arithmetic.check_subtraction(dtypes.result_dtype(other), input.dtype)

    def derivative(grad):                                         # (1), b being input
        return -grad, grad

    name = "RsubBackward0" if isinstance(other, (Tensor, np.ndarray)) else "RsubBackward1"
    return record(name, a.array - b.array, (b, a), derivative)


def mul(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other, "mul")
    a_values, b_values = a.array, b.array

    def derivative(grad):                                         # (2)
        return grad * b_values, grad * a_values

    return record("MulBackward0", a_values * b_values, (a, b), derivative, saves=True,
                  reads=needed((a, b), (b, a)))


def div(input: Tensor, other: Operand) -> Tensor:
    a, b = _operands(input, other, "div", true_division=True)
    a_values, b_values = a.array, b.array

    def derivative(grad):                                         # (3)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # silent, as torch
            return grad / b_values, -grad * ((a_values / b_values) / b_values)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x / 0 = inf, as torch
        out = a_values / b_values                                 # (3)
    return record("DivBackward0", out, (a, b), derivative, saves=True,
                  reads=needed((a, b), (b, a), (b, b)))


def rdiv(input: Tensor, other: Operand) -> Tensor:
    """other / input as torch computes it: input.reciprocal() * other, rounding twice."""
    return mul(reciprocal(input), other)


def neg(input: Tensor) -> Tensor:
    arithmetic.check_negation(input.dtype)

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


def pow(input: Operand, exponent: Operand) -> Tensor:  # noqa: A001 (torch's name)
    if not isinstance(input, Tensor):                  # torch.pow(2, t): c^b
        return rpow(exponent, input)
    if isinstance(exponent, Tensor):
        return _pow_tensor(input, exponent)
    arithmetic.check_operand(exponent, "pow")          # a number (t ** "a" is refused)
    arithmetic.check_integer_power(input.dtype, exponent)
    a = cast(input, dtypes.result_dtype(input, exponent))  # an int to 2.5 is float32
    base = a.array

    def derivative(grad):                                         # (6) d n a^(n-1)
        if exponent == 0:
            return (np.zeros_like(grad),)
        with np.errstate(all="ignore"):
            return (grad * (exponent * arithmetic.power(base, exponent - 1)),)

    return record("PowBackward0", arithmetic.power(base, exponent), (a,), derivative,
                  saves=True, reads=(input,))


def _pow_tensor(input: Tensor, exponent: Tensor) -> Tensor:
    a, b = _operands(input, exponent, "pow")
    out = _power(a.array, b.array)                                # (6) a^b

    def derivative(grad):                                         # (6) with b a tensor
        with np.errstate(all="ignore"):
            da = np.where(b.array == 0, 0, grad * (b.array * _power(a.array, b.array - 1)))
            db = grad * np.where((a.array == 0) & (b.array >= 0), 0, out * np.log(a.array))
        return da.astype(out.dtype, copy=False), db.astype(out.dtype, copy=False)

    return record("PowBackward1", out, (a, b), derivative, saves=True, reads=(a, b),
                  reads_output=True)


def rpow(input: Tensor, other: Operand) -> Tensor:
    """other ** input, a number to a tensor power (torch's pow(Scalar, Tensor))."""
    arithmetic.check_operand(other, "pow")
    b = cast(input, dtypes.result_dtype(input, other))
    out = _power(np.asarray(other, b.dtype), b.array)             # (6) c^b

    def derivative(grad):                                         # (6) d c^b log c
        log_c = grad.dtype.type(math.log(other) if other > 0 else -math.inf if other == 0
                                else math.nan)                    # in double, then rounded
        with np.errstate(all="ignore"):
            return (grad * np.where((other == 0) & (b.array >= 0), 0, out * log_c),)

    return record("PowBackward2", out, (b,), derivative, saves=True, reads=(b,),
                  reads_output=True)


def _power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    arithmetic.check_power_dtype(np.result_type(base, exponent))
    if base.dtype.kind == "f":
        return arithmetic.power_of_floats(base, exponent)
    return arithmetic.power_of_integers(base, exponent)


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
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad * fma(-out, out, np.ones_like(out)),)   # 1 - y y, one rounding

    return record("TanhBackward0", out, (a,), derivative, saves=True, reads_output=True)


def sigmoid(input: Tensor) -> Tensor:
    a = _as_float(input)
    out = arithmetic.sigmoid(a.array)                             # (11) 1 / (1 + e^-a)

    def derivative(grad):                                         # (11) d (1 - s) s
        return (grad * (1 - out) * out,)

    return record("SigmoidBackward0", out, (a,), derivative, saves=True, reads_output=True)


def sin(input: Tensor) -> Tensor:
    a = _as_float(input)

    def derivative(grad):                                         # (12) d cos a
        with np.errstate(invalid="ignore"):
            return (grad * np.cos(a.array),)

    with np.errstate(invalid="ignore"):  # sin(inf) = nan, silently as torch
        out = np.sin(a.array)
    return record("SinBackward0", out, (a,), derivative, saves=True, reads=(a,))


def cos(input: Tensor) -> Tensor:
    a = _as_float(input)

    def derivative(grad):                                         # (12) d (-sin a)
        with np.errstate(invalid="ignore"):
            return (grad * -np.sin(a.array),)

    with np.errstate(invalid="ignore"):
        out = np.cos(a.array)
    return record("CosBackward0", out, (a,), derivative, saves=True, reads=(a,))


def abs(input: Tensor) -> Tensor:  # noqa: A001 (torch's name)
    arithmetic.check_abs(input.dtype)
    a = input.array

    def derivative(grad):                                         # (13) d sign(a)
        return (grad * arithmetic.sign(a),)

    return record("AbsBackward0", np.abs(a), (input,), derivative, saves=True, reads=(input,))


def clamp(input: Tensor, min: Operand | None = None,  # noqa: A002 (torch's names)
          max: Operand | None = None) -> Tensor:  # noqa: A002
    arithmetic.check_clamp(min, max)
    bounds = [bound for bound in (min, max) if bound is not None]
    dtype = dtypes.result_dtype(input, *bounds)
    arithmetic.check_clamp_kernel(dtype, min, max)
    x, tensors = cast(input, dtype), any(isinstance(bound, Tensor) for bound in bounds)
    lo, hi = (_bound(bound, dtype) for bound in (min, max))
    out = x.array
    if lo is not None:
        out = np.maximum(out, lo.array)                           # (14); NaN stays
    if hi is not None:
        out = np.minimum(out, hi.array)                           # (14)

    def derivative(grad):                                         # (14)
        inside = ((x.array >= lo.array) if lo is not None else True) & (
            (x.array <= hi.array) if hi is not None else True)
        grads = [np.where(inside, grad, 0)]
        if tensors and lo is not None:  # lo is the output: below it, where lo < hi
            grads.append(np.where((x.array < lo.array) & (
                (lo.array < hi.array) if hi is not None else True), grad, 0))
        if tensors and hi is not None:  # hi is the output: above it, or wherever hi < lo
            grads.append(np.where((x.array > hi.array) | (
                (hi.array < lo.array) if lo is not None else False), grad, 0))
        return grads

    inputs = (x, *(bound for bound in (lo, hi) if bound is not None and tensors))
    return record(arithmetic.clamp_node_name(min, max), out.astype(dtype, copy=False),
                  inputs, derivative, saves=True, reads=(input, *bounds) if tensors else (input,))


def _bound(bound: Operand | None, dtype: np.dtype) -> Tensor | None:
    """A clamp bound as a tensor of the result's dtype (a 0-d one for a number)."""
    if bound is None:
        return None
    return cast(bound, dtype) if isinstance(bound, Tensor) else Tensor(np.asarray(bound, dtype))


def relu(input: Tensor) -> Tensor:
    arithmetic.check_relu(input.dtype)
    a = input.array
    out = engine.zero_where(a < 0, a)  # (15) np.where(a < 0, 0, a); NaN and -0.0 stay

    def derivative(grad):                                         # (15) d where y > 0
        return (engine.zero_where(out <= 0, grad),)

    return record("ReluBackward0", out, (input,), derivative, saves=True, reads_output=True)


def where(condition: Tensor, input: Operand | None = None,
          other: Operand | None = None) -> Tensor | tuple[Tensor, ...]:
    """(16) input where condition holds, other elsewhere; where(condition) alone gives the
    indices of its true elements, one tensor per dim."""
    c = np.asarray(condition.array if isinstance(condition, Tensor) else condition)
    if input is None and other is None:
        return tuple(Tensor(i) for i in np.nonzero(c))
    arithmetic.check_where_condition(c.dtype)
    a, b = _both(input, other, "where")
    engine.check_broadcast(c.shape, a.shape)
    engine.check_broadcast(np.broadcast_shapes(c.shape, a.shape), b.shape)

    def derivative(grad):                                         # (16)
        return np.where(c, grad, 0), np.where(c, 0, grad)

    return record("WhereBackward0", np.where(c, a.array, b.array), (a, b), derivative,
                  saves=True)


# -- comparisons (17): a bool tensor, no derivative -----------------------------------------

# -- operands: both as tensors of torch's result dtype ---------------------------------------

def _operands(a: Tensor, b: Operand, name: str,
              true_division: bool = False) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of the result's dtype (a Python number becomes a 0-d tensor);
    true division of integers gives torch's default float, float32."""
    arithmetic.check_operand(b, name)
    dtype = dtypes.result_dtype(a, b)
    if isinstance(b, (Tensor, np.ndarray)) and a.shape != np.shape(b):
        engine.check_broadcast(a.shape, np.shape(b))
    if true_division and dtype.kind in "biu":
        dtype = dtypes.float32
    if not isinstance(b, Tensor):
        b = Tensor(np.asarray(b).astype(dtype, copy=False))
    return cast(a, dtype), cast(b, dtype)


def _both(x: Operand, y: Operand, name: str) -> tuple[Tensor, Tensor]:
    """_operands for a pair in which either one, or both, may be numbers."""
    if isinstance(x, Tensor):
        return _operands(x, y, name)
    if isinstance(y, Tensor):
        b, a = _operands(y, x, name)
        return a, b
    dtype = dtypes.result_dtype(x, y)
    return Tensor(np.asarray(x, dtype)), Tensor(np.asarray(y, dtype))


def _as_float(input: Tensor) -> Tensor:
    """An integer or bool tensor as torch's default float, float32, for exp, log, ..."""
    return input if input.dtype.kind == "f" else cast(input, dtypes.float32)


def cast(t: Tensor, dtype: Any) -> Tensor:
    """t in another dtype; the gradient is cast back on its way (ToCopyBackward0). A cast to
    integers or bools leaves the graph: only floats carry gradients."""
    dtype = np.dtype(dtype)
    if t.dtype == dtype:
        return t
    if dtype.kind not in "fc":
        return Tensor(t.array.astype(dtype))

    def derivative(grad):  # the values pass through; the engine casts grad back
        return (grad,)

    return record("ToCopyBackward0", t.array.astype(dtype), (t,), derivative)
