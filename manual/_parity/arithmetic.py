"""Arithmetic at torch's edges: pow's kernel, and the refusals of pointwise operations and
reductions in torch's classes and words.

* sigmoid: torch's kernel computes 1 / (1 + e^-a) with SLEEF's exp in its vector lanes and
  glibc's exp in the tail of each run of elements contiguous in memory (the whole tensor
  when it is dense): the last n mod 32 (float32) or n mod 16 (float64) of a run of n on an
  AVX512 CPU (n mod 16 and n mod 8 on AVX2); to the bit with torch on one thread (torch
  gives each thread its own run above 32768 elements).
* pow: torch's CPU kernel computes a few exponents by multiplication or sqrt, not by libm's
  pow, and the last bit differs; integers to negative powers are 0 (or +-1 for a base of
  +-1), where NumPy refuses them. The other float32 powers are computed in float64 and
  rounded once: within 1 ULP of torch's vectorised powf (NumPy's float32 pow is off by 1
  ULP in a fifth of the values, this in under 2 %).
* Refusals: an operand that is not a number or a tensor, subtraction and negation of
  bools, abs of bools, bitwise operations on floats, % and // of bools and integer division
  by zero, a float alpha for integers, a clamp without bounds, a where whose
  condition is not bool, a mean of integers, reductions over nothing, duplicated dims.
* clamp's node: ClampBackward1 for number bounds, ClampBackward0 for tensor bounds.

Reference: aten/src/ATen/native/cpu/UnaryOpsKernel.cpp (``sigmoid_kernel``),
aten/src/ATen/native/cpu/Loops.h (``vectorized_loop``: blocks of two vectors, then the
scalar tail), aten/src/ATen/native/cpu/PowKernel.cpp (``pow_tensor_scalar_optimized_kernel``,
``pow_tensor_scalar_kernel``: sqrt, rsqrt and reciprocal paths), aten/src/ATen/native/Pow.cpp,
aten/src/ATen/native/BinaryOps.h (``sub_check``, ``alpha_check``),
aten/src/ATen/native/UnaryOps.cpp (``neg``), aten/src/ATen/native/ReduceOps.cpp,
aten/src/ATen/WrapDimUtilsMulti.h (``dim_list_to_bitset``).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from manual._parity import engine, libm
from manual._parity.dtypes import torch_name


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-a) as torch's kernel: SLEEF's exp for the elements its vectors take, glibc's
    for the tail of each run of elements contiguous in memory."""
    walked, run, order = _runs(a)
    flat = np.ascontiguousarray(walked).reshape(-1)
    position = np.arange(flat.size) % run
    tail = position >= run - run % (2 * libm.lanes(a.dtype))
    e = np.empty_like(flat)
    with np.errstate(all="ignore"):
        e[~tail] = libm.sleef_exp(a.dtype.type(0) - flat[~tail])   # e^-a in the lanes
        e[tail] = libm.glibc_exp(-flat[tail])                       # and in the tails
        out = a.dtype.type(1) / (a.dtype.type(1) + e)
    return out.reshape(walked.shape).transpose(np.argsort(order))


def _runs(a: np.ndarray) -> tuple[np.ndarray, int, list[int]]:
    """a with its dims in memory order, and the length of the runs torch's loop walks: the
    innermost dims that are contiguous together (1 when the innermost is strided)."""
    dims = sorted((d for d in range(a.ndim) if a.shape[d] > 1), key=lambda d: -a.strides[d])
    order = dims + [d for d in range(a.ndim) if a.shape[d] <= 1]
    run = 1
    for d in reversed(dims):
        if a.strides[d] != a.itemsize * run:
            break
        run *= a.shape[d]
    return a.transpose(order), run, order


def power(base: np.ndarray, exponent: Any) -> np.ndarray:
    """base ** exponent (a number) as torch's CPU kernel computes it: a few exponents by
    multiplication (2: b*b, 3: b*b*b, -1: 1/b, -2: 1/(b*b)), 0.5 by sqrt, -0.5 by 1/sqrt,
    the rest by pow (which differs at the edges: pow(-inf, -0.5) is 0, 1/sqrt(-inf) is NaN),
    with the exponent in double precision (t ** 0.1 does not round 0.1 to float32 first)."""
    if base.dtype.kind != "f":
        return power_of_integers(base, np.asarray(exponent, base.dtype))
    special = {
        2: lambda b: b * b,
        3: lambda b: b * b * b,
        -1: lambda b: 1 / b,
        -2: lambda b: 1 / (b * b),
        0.5: np.sqrt,
        -0.5: lambda b: 1 / np.sqrt(b),
    }
    with np.errstate(all="ignore"):
        if exponent in special:
            return np.asarray(special[exponent](base)).astype(base.dtype, copy=False)
        return power_of_floats(base, np.asarray(exponent, np.float64))  # a double, as torch


def power_of_floats(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """pow for floats: float32 through float64, rounded once; float64 by libm's pow."""
    with np.errstate(all="ignore"):
        if base.dtype == np.float32:
            return np.power(base.astype(np.float64), exponent.astype(np.float64)).astype(
                np.float32)
        return np.power(base, exponent)


def power_of_integers(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """pow for integers (wrapping as C does); a negative exponent gives 0, or +-1 for a base
    of +-1 (1 / b**n truncated toward zero), as torch's integer pow."""
    negative = exponent < 0
    out = np.power(base, np.where(negative, 0, exponent))
    odd = (exponent % 2) != 0
    small = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return np.where(negative, small, out).astype(np.result_type(base, exponent), copy=False)


def sign(a: np.ndarray) -> np.ndarray:
    """torch's sign: -1, 0 or 1, and 0 for NaN (NumPy's is NaN), as (0 < a) - (a < 0)."""
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


def check_operand(other: Any, name: str) -> None:
    """A tensor (or an array) or a number; anything else is refused as torch's binding does."""
    if hasattr(other, "array") or isinstance(other, (np.ndarray, numbers.Number, np.generic)):
        return
    raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                    f"{type(other).__name__}")


def check_integer_power(dtype: np.dtype, exponent: Any) -> None:
    if dtype.kind in "biu" and isinstance(exponent, numbers.Integral) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def check_subtraction(a: np.dtype, b: np.dtype) -> None:
    """a - b refuses bools: two of them, or one bool tensor with anything."""
    if a.kind == "b" and b.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a.kind == "b" or b.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def check_negation(dtype: np.dtype) -> None:
    if dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def check_abs(dtype: np.dtype) -> None:
    if dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")


def check_power_dtype(dtype: np.dtype) -> None:
    """A bool to a bool power has no kernel (a number power of bools is int64, and runs)."""
    if dtype.kind == "b":
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")


def check_relu(dtype: np.dtype) -> None:
    if dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")


def check_alpha(dtype: np.dtype, alpha: Any) -> None:
    """add and sub scale ``other`` by alpha, which must fit the result's kind."""
    if isinstance(alpha, (bool, np.bool_)) and dtype.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dtype.kind != "f" and not isinstance(alpha, numbers.Integral):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def check_clamp(low: Any, high: Any) -> None:
    """Bounds that are tensors, numbers or None, not both None; torch's argument parser
    refuses a mix of a tensor and a number, or anything else, in the words it uses for
    t.clamp(min, max) given by position (after one argument it lists the two overloads,
    after two it marks both arguments under each)."""
    bounds = [low] if high is None else [low, high]
    tensors = [hasattr(b, "array") for b in bounds if b is not None]
    numbers_ = all(b is None or isinstance(b, (numbers.Number, np.generic)) or
                   hasattr(b, "array") for b in bounds)
    if not numbers_ or (any(tensors) and not all(tensors)):
        got = ", ".join(type(b).__name__ for b in bounds)
        why = ("" if len(bounds) == 1 else "\n      didn't match because some of the arguments "
               f"have invalid types: ({', '.join(f'!{type(b).__name__}!' for b in bounds)})")
        raise TypeError(f"clamp() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (Tensor min = None, Tensor max = None){why}"
                        f"\n * (Number min = None, Number max = None){why}\n")
    if low is None and high is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")


def check_clamp_kernel(dtype: np.dtype, low: Any, high: Any) -> None:
    """Bounds both numbers or both tensors (or None); of bools, a kernel only for one tensor
    bound (torch's clamp_min and clamp_max: maximum and minimum)."""
    given = [bound for bound in (low, high) if bound is not None]
    tensors = [hasattr(bound, "array") for bound in given]
    if dtype.kind == "b" and (len(given) == 2 or not any(tensors)):
        kernel = ("clamp_cpu" if all(tensors) else "clamp_scalar_cpu" if len(given) == 2 else
                  "clamp_min_scalar_cpu" if low is not None else "clamp_max_scalar_cpu")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def clamp_node_name(low: Any, high: Any) -> str:
    tensors = any(hasattr(bound, "array") for bound in (low, high))
    return "ClampBackward0" if tensors else "ClampBackward1"


def check_bitwise(dtype: np.dtype, name: str) -> None:
    """&, |, ^ have kernels for bools and integers only."""
    if dtype.kind in "fc":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{torch_name(dtype)}'")


def check_bitwise_not(dtype: np.dtype) -> None:
    if dtype.kind in "fc":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")


def check_division(dtype: np.dtype, divisor: np.ndarray, kernel: str) -> None:
    """% and // have no bool kernel; integers divided by zero raise (floats give inf, nan)."""
    if dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for 'Bool'")
    if dtype.kind in "iu" and not np.all(divisor):
        raise RuntimeError("ZeroDivisionError")


def check_where_condition(dtype: np.dtype) -> None:
    if dtype.kind != "b":
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {torch_name(dtype)}")


# -- reductions -------------------------------------------------------------------------------

def check_mean_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {dtype}")


def check_unique_dims(axes: list[int]) -> None:
    for i, axis in enumerate(axes):
        if axis in axes[:i]:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")


def check_reduction_not_empty(t: Any, name: str) -> None:
    """max() and min() of nothing: torch asks for a dim."""
    if t.array.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")


def check_dim_not_empty(t: Any, axis: int | None, name: str) -> None:
    """max(dim), argmax and argmax(dim) of nothing: IndexError."""
    if axis is None and t.array.size == 0:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0.")
    if axis is not None and t.ndim and t.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def check_arg_dtype(dtype: np.dtype, name: str) -> None:
    if dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")


def check_close(a: Any, b: Any, rtol: float, atol: float) -> None:
    """isclose's refusals in torch's order: dtypes that differ, then the tolerances, then
    shapes that do not broadcast."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"{torch_name(a.dtype)} did not match {torch_name(b.dtype)}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value:g}")
    engine.check_broadcast(a.shape, b.shape)


def check_bincount(x: np.ndarray, weights: np.ndarray | None, minlength: int) -> None:
    """bincount's refusals in torch's order: integer inputs only (its kernel's dispatch), a
    negative minlength, then the input's shape and signs, then the weights' shape."""
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{torch_name(x.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or len(weights) != len(x)):
        raise RuntimeError("weights should be 1-d and have the same length as input")


def check_spread(dtype: np.dtype, name: str) -> None:
    if dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")


def warn_spread(n: int, correction: float, name: str) -> None:
    """torch's warning when N - correction <= 0 (the result is then inf or NaN)."""
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
