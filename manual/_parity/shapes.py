"""Shapes, indexing, joining and matrix products at torch's edges: refusals and node names.

* Refusals in torch's classes and words: a view that would need a copy, a shape that does
  not hold the elements, a permutation of the wrong dims, tensors that do not join, matrix
  products of shapes that do not fit,.
* Node names: ``a[index]`` leaves a Select, Slice, Unsqueeze, Alias or Index node on top,
  by torch's rules for each part of the index; ``a @ b`` leaves Dot, Mv, Squeeze, Mm,
  UnsafeView, Clone or Transpose, by the path torch's ``matmul`` takes for the shapes.

Reference: aten/src/ATen/native/TensorShape.cpp (``view``, ``permute``, ``expand``,
``cat``, ``stack``), aten/src/ATen/InferSize.h (``infer_size``),
torch/csrc/autograd/python_variable_indexing.cpp (``applySlicing``),
aten/src/ATen/native/LinearAlgebra.cpp (``_matmul_impl``, ``should_fold``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity.dtypes import torch_name
from manual._parity.engine import check_broadcast, check_dim

VIEW_NEEDS_COPY = ("view size is not compatible with input tensor's size and stride (at least "
                   "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                   "instead.")


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """A shape with at most one -1, worked out from the number of elements, as torch does."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, n in enumerate(shape):
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape "
                               f"{list(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if unknown and known == numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                           "because the unspecified dimension size -1 can be any value and is "
                           "ambiguous")
    if unknown and known and numel % known == 0:
        return tuple(numel // known if n == -1 else n for n in shape)
    if unknown or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def permutation(dims: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """permute's dims, made non-negative: as many as the tensor has, each once."""
    if len(dims) != ndim:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    order = tuple(check_dim(d, ndim) for d in dims)
    if len(set(order)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return order


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
        if new == -1 and old is None:
            raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
        if new == -1:
            new = old
        elif new < 0 and old in (None, 1):  # torch multiplies the sizes first
            raise RuntimeError("numel: integer multiplication overflow")
        elif old is not None and old not in (1, new):
            raise RuntimeError(f"The expanded size of the tensor ({new}) must match the "
                               f"existing size ({old}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
        out.append(new)
    return tuple(out)


def check_joined(tensors: Any, name: str) -> None:
    """cat and stack take a sequence of tensors, not one tensor, and not numbers in it."""
    if hasattr(tensors, "array"):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    for i, t in enumerate(tensors):
        if not hasattr(t, "array"):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")


def check_cat(tensors: Sequence[Any], dim: int) -> None:
    check_joined(tensors, "cat")
    if len(tensors) == 0:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    first = joined(tensors)[0]
    axis = check_dim(dim, first.ndim)
    for i, t in enumerate(tensors):
        if _legacy_empty(t):
            continue
        if t.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} "
                               f"and {t.ndim}")
        for d in range(first.ndim):
            if d != axis and t.shape[d] != first.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. "
                                   f"Expected size {first.shape[d]} but got size {t.shape[d]} "
                                   f"for tensor number {i} in the list.")


def joined(tensors: Sequence[Any]) -> list[Any]:
    """cat's operands without the legacy empty 1-d tensors torch skips (``cat([x, []])``)."""
    return [t for t, keep in zip(tensors, joined_mask(tensors)) if keep]


def joined_mask(tensors: Sequence[Any]) -> list[bool]:
    """Which of cat's operands are joined: all but legacy empty 1-d tensors (the first one
    stays when all are)."""
    kept = [not _legacy_empty(t) for t in tensors]
    return kept if any(kept) else [i == 0 for i in range(len(tensors))]


def _legacy_empty(t: Any) -> bool:
    return t.ndim == 1 and t.shape[0] == 0


def check_stack(tensors: Sequence[Any]) -> None:
    check_joined(tensors, "stack")
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")


# -- indexing -----------------------------------------------------------------------------------

def check_index(index: Any, shape: tuple[int, ...]) -> None:
    """torch's refusals of an index that NumPy would word otherwise (or take)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, str):
            raise TypeError("new(): invalid data type 'str'")
        if isinstance(part, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got float)")
        if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if not shape and any(p is not None and p is not Ellipsis and not _is_empty_tuple(p)
                         for p in parts):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    _check_bounds(parts, shape)


def _check_bounds(parts: tuple[Any, ...], shape: tuple[int, ...]) -> None:
    """Integers within their dim and masks of their dims' shape, in torch's words (too many
    indices are left to NumPy's words)."""
    taken = sum(np.ndim(p) if _is_mask(p) else 1 for p in parts
                if p is not None and p is not Ellipsis)
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += len(shape) - taken
        elif _is_mask(part):
            dims = shape[dim:dim + np.ndim(part)]
            if np.shape(part) != dims and len(dims) == np.ndim(part):
                raise IndexError(f"The shape of the mask {list(np.shape(part))} at index {dim} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{list(shape)} at index {dim}")
            dim += np.ndim(part)
        elif part is not None:
            if dim < len(shape) and not isinstance(part, slice):
                _check_integers(part, dim, shape[dim])
            dim += 1


def _is_mask(part: Any) -> bool:
    return isinstance(part, np.ndarray) and part.dtype.kind == "b" or (
        isinstance(part, list) and bool(part) and all(isinstance(p, bool) for p in part))


def _check_integers(part: Any, dim: int, size: int) -> None:
    values = np.asarray(list(part) if isinstance(part, range) else part)
    if values.dtype.kind not in "iu" or values.size == 0:
        return
    bad = values[(values < -size) | (values >= size)]
    if bad.size:
        raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {dim} with size "
                         f"{size}")


def _is_empty_tuple(part: Any) -> bool:
    return isinstance(part, tuple) and not part


def index_node_name(index: Any, shape: tuple[int, ...]) -> str:
    """The node torch leaves on top for ``a[index]``: advanced indexing (lists, arrays with
    dims, masks, booleans) is one Index node; otherwise torch selects (an int, a 0-d integer
    tensor), slices (a slice) and unsqueezes (None) one dim at a time, and the last of those
    names the node. In a tuple, a slice that keeps the whole dim (from 0, step 1, to its end
    or beyond) is skipped, and an index that does nothing else is an alias; a bare ``a[:]``
    is still a slice."""
    if isinstance(index, slice):
        return "SliceBackward0"
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (list, bool, np.bool_, range)) or _advanced_array(p) for p in parts):
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


def writes_through_view(index: Any, shape: tuple[int, ...]) -> bool:
    """Does torch write ``x[index] = v`` through a view of x (a select, a partial slice, an
    unsqueeze), rather than into x itself (an advanced index, a whole slice, an alias)?"""
    name = index_node_name(index, shape)
    whole = isinstance(index, slice) and bool(shape) and _whole(index, shape[0])
    return name in ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0") and not whole


def _advanced_array(part: Any) -> bool:
    """An array index is advanced unless it is one integer (a 0-d tensor selects)."""
    return isinstance(part, np.ndarray) and (part.ndim > 0 or part.dtype.kind == "b")


def _whole(part: slice, size: int) -> bool:
    """Does the slice keep every element of a dim of this size, in order?"""
    return (part.start in (None, 0) and part.step in (None, 1)
            and (part.stop is None or part.stop >= size))


# -- matrix products ------------------------------------------------------------------------

def check_matmul(a: Any, b: Any, name: str = "matmul", argument: str = "other") -> None:
    """matmul's refusals in torch's order: not a tensor, a 0-d operand, mixed dtypes, shapes
    that do not fit (worded by the path torch takes: dot, mv, mm or bmm)."""
    if not hasattr(b, "array"):
        raise TypeError(f"{name}(): argument '{argument}' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:  # dot compares dtypes first, the others sizes
        _dtype_check(a, b)
    if a.ndim > 2 and b.ndim > 2:  # batched: the batch dims broadcast first
        check_broadcast(a.shape[:-2], b.shape[:-2])
    (n, k), (k2, m) = _matrix(a.shape, True), _matrix(b.shape, False)
    if k != k2:
        raise RuntimeError(_shape_message(a, b, k, k2, m, n))
    empty = k == 0 or 0 in np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) or n * m == 0
    if not (empty and batched(a, b)):  # bmm of nothing checks no dtypes (the result: b's)
        _dtype_check(a, b)
    elif a.requires_grad and b.dtype.kind != "f":
        raise RuntimeError(f"Autograd not support dtype: {torch_name(b.dtype)}")
    if a.dtype.kind == "b" and (b.ndim == a.ndim == 1 or not empty):  # no kernel for bools
        vector = b.ndim == 1 or _folds_right(a, b) and a.ndim == 1
        kernel = ("dot" if b.ndim == 1 and a.ndim == 1 else "addmv_impl_cpu" if vector
                  else "addmm_impl_cpu_" if b.ndim == 2 or _folds_right(a, b) else "bmm")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def batched(a: Any, b: Any) -> bool:
    """Does torch's matmul take its bmm path (a batch on the right, not folded away)?"""
    return _dims(a, b)[1] > 2 and not _folds_right(a, b)


def _folds_right(a: Any, b: Any) -> bool:
    """Does torch multiply a vector or matrix by a batch as one product of b.mT, folded
    (should_fold), rather than batch by batch? When a wants a gradient, or, for a vector,
    when b.mT's batch is contiguous (b empty, or rows of one element)."""
    da, db = _dims(a, b)
    if not da <= 2 < db:
        return False
    if a.requires_grad or da == 2:
        return a.requires_grad
    return math.prod(b.shape) == 0 or b.shape[-2] == 1


def _dims(a: Any, b: Any) -> tuple[int, int]:
    """The operands' dims as torch's matmul sees them: of two batches that differ, one of a
    single matrix that wants a gradient is squeezed to that matrix first."""
    da, db = a.ndim, b.ndim
    if da == 3 and db == 3 and a.shape[0] != b.shape[0]:
        if a.shape[0] == 1 and a.requires_grad:
            return 2, 3
        if b.shape[0] == 1 and b.requires_grad:
            return 3, 2
    return da, db


def _shape_message(a: Any, b: Any, k: int, k2: int, m: int, n: int) -> str:
    """The refusal of a product whose inner sizes differ, in the words of the path taken."""
    if a.ndim == 1 and b.ndim == 1:
        return (f"inconsistent tensor size, expected tensor [{k}] and src [{k2}] to have the "
                f"same number of elements, but got {k} and {k2} elements respectively")
    if b.ndim == 1:
        rows = math.prod(a.shape[:-1])
        return f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({k2})"
    if _dims(a, b)[1] == 2:  # a matrix, or a batch of one squeezed to it (_dims)
        return (f"mat1 and mat2 shapes cannot be multiplied ({math.prod(a.shape[:-1])}x{k} "
                f"and {k2}x{m})")
    if _folds_right(a, b):  # the batch of b.mT, folded, times a.t() (or a)
        rows = math.prod(b.shape[:-2]) * m
        if a.ndim == 1:
            return f"size mismatch, got input ({rows}), mat ({rows}x{k2}), vec ({k})"
        return f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k2} and {k}x{n})"
    batch = math.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    return (f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] "
            f"but got: [{batch}, {k2}].")


def _matrix(shape: tuple[int, ...], left: bool) -> tuple[int, int]:
    """(rows, columns) of an operand: a vector is a row on the left, a column on the right."""
    if len(shape) == 1:
        return (1, shape[0]) if left else (shape[0], 1)
    return shape[-2], shape[-1]


def _dtype_check(a: Any, b: Any) -> None:
    """Mixed dtypes, refused by the kernel the path reaches: bmm (a batch on the right)
    dispatches on a's dtype first, the others compare the two."""
    if a.dtype == b.dtype:
        return
    if _folds_right(a, b):  # b.mT's batch times a: the operands swapped
        raise RuntimeError(_dtype_message(b, a) if _dims(a, b)[0] == 2 else
                           f"addmv input tensors must have the same dtype, but got "
                           f"{torch_name(a.dtype)}, {torch_name(b.dtype)}, and "
                           f"{torch_name(a.dtype)}")
    if batched(a, b) and a.dtype.kind == "b":
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    if batched(a, b):
        raise RuntimeError(f"expected scalar type {torch_name(a.dtype)} but found "
                           f"{torch_name(b.dtype)}")
    raise RuntimeError(_dtype_message(a, b))


def _dtype_message(a: Any, b: Any) -> str:
    if a.ndim == 1 and b.ndim == 1:
        return (f"dot : expected both vectors to have same dtype, but found "
                f"{torch_name(a.dtype)} and {torch_name(b.dtype)}")
    if b.ndim == 1:  # mv, or a batch folded onto mv
        return (f"addmv input tensors must have the same dtype, but got {torch_name(b.dtype)}, "
                f"{torch_name(a.dtype)}, and {torch_name(b.dtype)}")
    return f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"


def check_mm(a: Any, b: Any) -> None:
    if not hasattr(b, "array"):
        raise TypeError(f"mm(): argument 'mat2' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    check_matmul(a, b)


def matmul_node_name(a: Any, b: Any, out_shape: tuple[int, ...]) -> str:
    """The node on top of ``a @ b``, by torch's path: dot (1-d @ 1-d), mv (2-d @ 1-d), a row
    times a matrix squeezed in place (1-d @ 2-d), mm (2-d @ 2-d); with a batch, the folded
    product viewed back (UnsafeView), or, for a matrix times a batch whose left operand
    wants a gradient, the transposed product made contiguous (Clone; Transpose when it is
    contiguous already). A batch of one that wants a gradient is squeezed first."""
    da, db = _dims(a, b)
    simple = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4",
              (2, 2): "MmBackward0"}
    if (da, db) in simple:
        return simple[(da, db)]
    if da == 2 and db > 2 and a.requires_grad:
        n, p = out_shape[-2:]
        contiguous = n == 1 or p == 1 or math.prod(out_shape) == 0
        return "TransposeBackward0" if contiguous else "CloneBackward0"
    return "UnsafeViewBackward0"
