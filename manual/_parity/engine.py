"""The engine at torch's edges: autograd's and a tensor's refusals, in torch's classes and words.

* autograd: a graph walked twice, a saved tensor changed in place, a ``.grad`` of the wrong
  shape or dtype, an in-place change to a leaf (or a view of one) that requires grad;
* tensors: shapes that do not broadcast, a dimension out of range, a conversion to a
  Python number of a tensor that is not one element, an in-place result that does not fit
  the tensor, ``to``'s arguments;
* ``zero_where``: torch's ``where(mask, 0, a)`` on the bits, NaN and -0.0 kept;
* ``NotInManualError``: what torch does and manual does not, yet (sparse gradients, ...).

Shapes, indexing and matrix products are in manual/_parity/shapes.py; arithmetic (pow's
kernel, the refusals of pointwise operations and reductions) in arithmetic.py.

Reference: torch/csrc/autograd/saved_variable.cpp, engine.cpp and VariableTypeUtils.h
(``check_inplace``: the messages), aten/src/ATen/ExpandUtils.cpp (``infer_size``),
aten/src/ATen/TensorIterator.cpp (the in-place checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity.printing import Size

FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_IN_PLACE = ("a view of a leaf Variable that requires grad is being used in an "
                         "in-place operation.")
GRAPH_IN_PLACE = ("this in-place change is not recorded by the manual engine while the graph "
                  "records (torch would rebase the history of the tensor viewed; manual records "
                  "the tensor written only): change the viewed tensor itself, write the "
                  "out-of-place form (x = x + y) or use no_grad()")


OVERLAPPING = ("unsupported operation: more than one element of the written-to tensor refers "
               "to a single memory location. Please clone() the tensor before performing the "
               "operation.")



class NotInManualError(NotImplementedError):
    """Something torch does that manual does not do yet: ``what`` in torch's words, and why
    (``dealias run`` stops a script on it with this one line)."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what} is not in manual yet: {why}")
        self.torch_name = what

def check_in_place_target(t: Any, recording: bool, through_view: bool = False) -> None:
    """Where an in-place write may go: not into an expanded tensor (many elements, one memory
    location); with the graph recording, not into a leaf that requires grad (nor, through
    ``x[i] = v``, a view of one), nor into a view of any other tensor (torch would rebase
    the viewed tensor's history; this engine records the tensor written, not its base)."""
    if not t.array.flags.writeable:
        raise RuntimeError(OVERLAPPING)
    if not recording:
        return
    base = t._base
    if base is not None:
        leaf = base.is_leaf and base.requires_grad
        raise RuntimeError(VIEW_OF_LEAF_IN_PLACE if leaf else GRAPH_IN_PLACE)
    if t.is_leaf and t.requires_grad:
        raise RuntimeError(VIEW_OF_LEAF_IN_PLACE if through_view else LEAF_IN_PLACE)


def check_versions(versions: Sequence[tuple[Any, int]]) -> None:
    """A node refuses to run if a tensor it reads was changed in place since it was made."""
    for t, version in versions:
        if t._version[0] != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified "
                f"by an inplace operation: [manual.Tensor {list(t.shape)}, {t.dtype}] is "
                f"at version {t._version[0]}; expected version {version} instead.")


def check_grad(value: Any, t: Any) -> None:
    """torch's checks on ``t.grad = value``: a tensor of t's shape and dtype, or None."""
    if value is None:
        return
    if not hasattr(value, "array"):
        raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                        f"type {type(value).__name__}")
    if value.shape != t.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
            f"of size '{list(t.shape)}'. Please ensure that the gradient and the "
            "tensor are the same size")
    if value.dtype != t.dtype:
        from manual._parity.dtypes import c_name, torch_name
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{c_name(value.dtype)}' to a tensor "
            f"with grad_dtype '{torch_name(t.dtype)}'. The gradient must match the tensor's "
            "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
            "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
            "caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match.")


def check_requires_grad(t: Any, requires_grad: bool) -> None:
    """Only a leaf's flag may change, and only floats can require gradients."""
    if not t.is_leaf and not requires_grad:
        raise RuntimeError(
            "you can only change requires_grad flags of leaf variables. If you want to "
            "use a computed variable in a subgraph that doesn't require differentiation "
            "use var_no_grad = var.detach().")
    if requires_grad and t.dtype.kind not in "fc":
        raise RuntimeError("only Tensors of floating point dtype can require gradients")


def check_one_element(t: Any, what: str = "Scalar") -> None:
    """``item()``, ``bool(t)``, ``float(t)`` and ``int(t)`` need exactly one element."""
    if t.array.size == 1:
        return
    if what == "bool":
        many = "no values" if t.array.size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
    if what == "number":
        raise ValueError("only one element tensors can be converted to Python scalars")
    raise RuntimeError(f"a Tensor with {t.array.size} elements cannot be converted to Scalar")


def check_not_0d(t: Any, what: str) -> None:
    """len() of and iteration over a tensor need a first dim."""
    if t.ndim == 0:
        raise TypeError(f"{what} a 0-d tensor")


def check_broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """torch's refusal of shapes that do not broadcast, naming the first dim that clashes."""
    for dim in range(1, min(len(a), len(b)) + 1):
        if a[-dim] != b[-dim] and 1 not in (a[-dim], b[-dim]):
            raise RuntimeError(
                f"The size of tensor a ({a[-dim]}) must match the size of tensor b ({b[-dim]}) "
                f"at non-singleton dimension {max(len(a), len(b)) - dim}")


def check_dim(d: int, ndim: int) -> int:
    """A dim in range for ``ndim`` dims (a 0-d tensor takes -1 and 0), made non-negative."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d % n


def check_flatten_dims(start_dim: int, end_dim: int, ndim: int) -> tuple[int, int]:
    start, end = check_dim(start_dim, ndim), check_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return start, end


_SAME_WIDTH_INTS = {2: np.int16, 4: np.int32, 8: np.int64}


def zero_where(mask: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``np.where(mask, 0, a)``: +0 where the mask is true, a's element elsewhere.

    Floats take the fast path, ``zero_where_bits``, with the same bits; other dtypes, a
    0-d mask or one that broadcasts against a take NumPy's where.
    """
    if (isinstance(mask, np.ndarray) and mask.shape == a.shape and a.dtype.kind == "f"
            and a.itemsize in _SAME_WIDTH_INTS):
        return zero_where_bits(mask, a)
    return np.where(mask, a.dtype.type(0), a)


def zero_where_bits(mask: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``np.where(mask, 0, a)`` for floats, on their bits: each element ANDed with all zeros
    (the bits of +0.0) under the mask and with all ones (itself, NaN and -0.0 included)
    elsewhere. NumPy's where has no vectorised loop; this cast, subtract and AND have, and
    take a quarter of its time on the MLP's activations."""
    ints = _SAME_WIDTH_INTS[a.itemsize]
    keep = mask.astype(ints)            # 1 where zeroed, 0 where kept
    keep -= 1                           # 0 where zeroed, -1 (every bit set) where kept
    keep &= a.view(ints)
    return keep.view(a.dtype)


# -- tensors: conversions, hooks, in-place casts ----------------------------------------------

def legacy_array(data: Any) -> np.ndarray:
    """``Tensor(data)`` as torch's legacy constructor reads it: an int or a ``Size`` gives
    zeros of that shape, data (a tuple too) a float32 copy (NumPy scalars, from inside the
    engine, keep their dtype)."""
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, Size) or isinstance(data, int) and not isinstance(data, bool):
        sizes = data if isinstance(data, Size) else (data,)
        return np.zeros(sizes, np.float32)
    return np.array(data, dtype=np.float32)


def check_numpy(t: Any) -> None:
    if t.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.")


def check_index(t: Any) -> None:
    """A tensor used as a Python index must be one integer (a bool counts, as in Python)."""
    if t.dtype.kind not in "biu" or t.array.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")


HEAP_TYPE = 1 << 9  # CPython's Py_TPFLAGS_HEAPTYPE: a class made by a class statement


def check_hook_result(hook: Any, given: Any, result: Any, tensor_type: type) -> bool:
    """Whether a hook returned another tensor than it was given; torch refuses anything else
    but None, and a tensor of another dtype or shape. Reference:
    torch/csrc/autograd/python_hook.cpp (``_call_hooks``, ``check_single_result``)."""
    from manual._parity.module import typename
    if result is None or result is given:
        return False
    if not isinstance(result, tensor_type):
        kind = type(result)  # CPython's tp_name: a class written in Python by its name only
        name = kind.__name__ if kind.__module__ == "builtins" or kind.__flags__ & HEAP_TYPE else (
            f"{kind.__module__}.{kind.__name__}")
        raise TypeError(f"expected Variable, but hook returned '{name}'")
    name = getattr(hook, "__name__", "<unknown>")
    if result.array.dtype != given.array.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{typename(given)} got {typename(result)})")
    if result.shape != given.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return True


def run_post_accumulate_hooks(t: Any, hooks: dict, tensor_type: type) -> None:
    """Each post-accumulate hook gets the leaf and must return None: as torch, a hook that
    returns a tensor hands it to the next hook, and then the whole call is refused."""
    given = t
    for hook in list(hooks.values()):
        result = hook(given)
        if check_hook_result(hook, given, result, tensor_type):
            given = result
    if given is not t:
        raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def check_hook_target(t: Any) -> None:
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")


def check_post_hook_target(t: Any) -> None:
    check_hook_target(t)
    if not t.is_leaf:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")


def check_in_place_cast(result: np.dtype, out: np.dtype) -> None:
    """An in-place result is stored in the tensor's own dtype, which may not be of a lower
    kind (bool < int < float): "result type Float can't be cast to ... Long"."""
    from manual._parity.dtypes import casts_down, torch_name

    if casts_down(result, out):
        raise RuntimeError(f"result type {torch_name(result)} can't be cast to the desired "
                           f"output type {torch_name(out)}")


def check_in_place_shape(result: tuple[int, ...], shape: tuple[int, ...]) -> None:
    """An in-place result must keep the tensor's shape (its operands may broadcast to it)."""
    if result != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(result)}")


def check_fill_value(value: Any) -> None:
    if hasattr(value, "array") and value.ndim != 0:
        raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")


def to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """``to``'s forms: (device), (dtype), (device, dtype), (tensor), with keywords ``device``,
    ``dtype``, ``non_blocking``, ``copy``; returns (device or None, dtype or None)."""
    where, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if hasattr(arg, "array"):  # another tensor: its dtype (and device)
            dtype = arg.dtype
        elif isinstance(arg, (np.dtype, type)):
            dtype = np.dtype(arg)
        elif not isinstance(arg, (bool, int, float)):  # non_blocking, copy by position
            where = arg
    return where, dtype


def operator(function: Any) -> Any:  # pragma: no mutate block (import time)
    """``t OP u`` as torch binds its operators: when the operation refuses the operand with a
    TypeError (``t + "a"``, ``t < None``), the operator returns NotImplemented, so Python
    tries the other operand's side and then words the error itself ("unsupported operand
    type(s) for +: 'Tensor' and 'str'"), and ``==``/``!=`` fall back to identity (False,
    True). torch: TypeError_to_NotImplemented_ in torch/csrc/autograd/python_variable_methods.cpp,
    _handle_torch_function_and_wrap_type_error_to_not_implemented in torch/_tensor.py."""

    def bound(self: Any, other: Any) -> Any:
        try:
            return function(self, other)
        except TypeError:
            return NotImplemented

    bound.__name__, bound.__qualname__, bound.__doc__ = (function.__name__, function.__qualname__,
                                                         function.__doc__)
    return bound
