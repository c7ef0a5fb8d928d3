"""The engine at torch's edges: its refusals in torch's words, its node names, its pow kernel.

* Messages: a graph walked twice, a saved tensor changed in place, a ``.grad`` of the wrong
  shape or dtype, an in-place change to a leaf that requires grad, shapes that do not
  broadcast, a dimension out of range; each as torch words it.
* Node names: ``a[index]`` leaves a Select, Slice, Unsqueeze, Alias or Index node on top,
  by torch's rules for each part of the index.
* pow: torch's CPU kernel computes a few exponents by multiplication or sqrt, not by libm's
  pow, and the last bit differs.

Reference: torch/csrc/autograd/saved_variable.cpp and engine.cpp (the messages),
torch/csrc/autograd/python_variable_indexing.cpp (``applySlicing``),
aten/src/ATen/native/cpu/PowKernel.cpp (``pow_tensor_scalar_optimized_kernel``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation."
GRAPH_IN_PLACE = ("in-place operations on tensors in the graph are not recorded by the manual "
                  "engine; write the out-of-place form (x = x + y) or use no_grad()")


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
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
            f"with dtype '{t.dtype}'. The gradient must match the tensor's dtype")


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
    """``item()``, ``float(t)`` and ``bool(t)`` need exactly one element."""
    if t.array.size == 1:
        return
    if what == "bool":
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    raise RuntimeError(f"a Tensor with {t.array.size} elements cannot be converted to Scalar")


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


def index_node_name(index: Any, shape: tuple[int, ...]) -> str:
    """The node torch leaves on top for ``a[index]``: advanced indexing (lists, arrays, masks,
    booleans) is one Index node; otherwise torch selects (an int), slices (a slice) and
    unsqueezes (None) one dim at a time, and the last of those names the node. In a tuple, a
    slice that keeps the whole dim (from 0, step 1, to its end or beyond) is skipped, and an
    index that does nothing else is an alias; a bare ``a[:]`` is still a slice."""
    if isinstance(index, slice):
        return "SliceBackward0"
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (list, np.ndarray, bool, np.bool_, range)) for p in parts):
        return "IndexBackward0"
    dims = iter(range(len(shape)))
    last = "AliasBackward0"
    for part in parts:
        if part is Ellipsis:  # the dims no other part takes
            for _ in range(len(shape) - sum(p is not None and p is not Ellipsis for p in parts)):
                next(dims)
        elif part is None:
            last = "UnsqueezeBackward0"
        elif isinstance(part, slice):
            if not _whole(part, shape[next(dims)]):
                last = "SliceBackward0"
        else:
            next(dims)
            last = "SelectBackward0"
    return last


def _whole(part: slice, size: int) -> bool:
    """Does the slice keep every element of a dim of this size, in order?"""
    return (part.start in (None, 0) and part.step in (None, 1)
            and (part.stop is None or part.stop >= size))


def power(base: np.ndarray, exponent: float | int) -> np.ndarray:
    """base ** exponent as torch's CPU kernel computes it: a few exponents by multiplication
    (2: b*b, 3: b*b*b, -1: 1/b, -2: 1/(b*b)), 0.5 by sqrt, -0.5 by 1/sqrt, the rest by libm's
    pow (which differs at the edges: pow(-inf, -0.5) is 0, 1/sqrt(-inf) is NaN)."""
    if base.dtype.kind != "f":
        return base**exponent
    special = {
        2: lambda b: b * b,
        3: lambda b: b * b * b,
        -1: lambda b: 1 / b,
        -2: lambda b: 1 / (b * b),
        0.5: np.sqrt,
        -0.5: lambda b: 1 / np.sqrt(b),
    }
    pow_ = special.get(exponent, lambda b: b**exponent)
    return np.asarray(pow_(base)).astype(base.dtype, copy=False)


def check_clamp(low: Any, high: Any) -> None:
    if low is None and high is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")


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


def check_mean_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {dtype}")


def check_reduction_not_empty(t: Any, name: str) -> None:
    if t.array.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")


# -- shapes ------------------------------------------------------------------------------

VIEW_NEEDS_COPY = ("view size is not compatible with input tensor's size and stride (at least "
                   "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                   "instead.")


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """A shape with at most one -1, worked out from the number of elements, as torch does."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for n in shape:
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n}")
    known = math.prod(n for n in shape if n != -1)
    if unknown and known and numel % known == 0:
        return tuple(numel // known if n == -1 else n for n in shape)
    if unknown or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def check_flatten_dims(start_dim: int, end_dim: int, ndim: int) -> tuple[int, int]:
    start, end = check_dim(start_dim, ndim), check_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return start, end


def check_permutation(order: tuple[int, ...], ndim: int) -> None:
    if len(order) != ndim:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(order)}")
    if len(set(order)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")


def check_t(ndim: int) -> None:
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")


def expanded_shape(shape: tuple[int, ...], sizes: tuple[int, ...]) -> tuple[int, ...]:
    """expand's target: -1 keeps a dim; only size-1 dims grow; new dims go in front."""
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(shape)})")
    full = (None,) * (len(sizes) - len(shape)) + shape
    out = []
    for i, (old, new) in enumerate(zip(full, sizes)):
        if new == -1 and old is not None:
            new = old
        elif old is not None and old not in (1, new):
            raise RuntimeError(f"The expanded size of the tensor ({new}) must match the "
                               f"existing size ({old}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
        out.append(new)
    return tuple(out)


def check_cat(tensors: Sequence[Any], dim: int) -> None:
    if len(tensors) == 0:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    axis = check_dim(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} "
                               f"and {t.ndim}")
        for d in range(first.ndim):
            if d != axis and t.shape[d] != first.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. "
                                   f"Expected size {first.shape[d]} but got size {t.shape[d]} "
                                   f"for tensor number {i} in the list.")


def check_stack(tensors: Sequence[Any]) -> None:
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")


def check_matmul(a: Any, b: Any) -> None:
    if not hasattr(b, "array"):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
                           f"{b.dtype}")


def check_mm(a: Any, b: Any) -> None:
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")


# -- tensors: conversions, hooks, in-place casts ----------------------------------------------

def legacy_array(data: Any) -> np.ndarray:
    """``Tensor(data)`` as torch's legacy constructor reads it: sizes give zeros of that
    shape, data a float32 copy (NumPy scalars, from inside the engine, keep their dtype)."""
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, tuple) or isinstance(data, int) and not isinstance(data, bool):
        sizes = data if isinstance(data, tuple) else (data,)
        return np.zeros(sizes, np.float32)
    return np.array(data, dtype=np.float32)


def check_numpy(t: Any) -> None:
    if t.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.")


def check_index(t: Any) -> None:
    """A tensor used as a Python index must be one integer."""
    if t.dtype.kind not in "iu" or t.array.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")


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
