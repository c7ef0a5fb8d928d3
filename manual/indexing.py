"""Shapes, indexing and joining: the same elements, rearranged; the gradient rearranged back.

None of these computes anything: each moves elements, so each derivative moves the
gradient back to where its elements came from.

1. view / reshape(shape)    same elements in order, new shape     dx = dy reshaped back
2. unsqueeze / squeeze      a size-1 dim added / removed          dx = dy reshaped back
3. flatten(start, end)      dims start..end as one                dx = dy reshaped back
4. permute(dims)            dims reordered                        dx = dy, inverse order
   transpose(a, b), t()     two dims swapped                      dx = dy swapped back
5. expand(shape)            size-1 dims repeated (no copy)        dx = dy summed back
6. x[index]                 picked elements                       dx = dy where picked, 0
                                                                  elsewhere (summed where
                                                                  an element is picked twice)
7. cat(xs, dim)             tensors end to end along dim          dx_i = dy's slice i
8. stack(xs, dim)           tensors side by side along a new dim  dx_i = dy's slice i

A view shares memory with the tensor it views (as NumPy's views and torch's do): an
in-place change to one shows in the other. ``view`` refuses a shape that would need a copy
(a transposed tensor, say), ``reshape`` copies then; ``contiguous`` and ``clone`` copy.

Reference: tools/autograd/derivatives.yaml (``view``, ``permute``, ``expand``, ``index``,
``cat``, ``stack``), torch/csrc/autograd/python_variable_indexing.cpp,
aten/src/ATen/native/TensorShape.cpp.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity import dtypes, engine
from manual.graph import record
from manual.pointwise import cast
from manual.tensor import Tensor

Shape = int | Sequence[int]


def view(input: Tensor, *shape: Shape) -> Tensor:
    new_shape = engine.infer_shape(_shape(shape), input.array.size)
    out = input.array.view()
    try:
        out.shape = new_shape                                     # (1) no copy, or refused
    except AttributeError:
        raise RuntimeError(engine.VIEW_NEEDS_COPY) from None
    return _reshaped(input, out, "ViewBackward0")


def reshape(input: Tensor, *shape: Shape) -> Tensor:
    new_shape = engine.infer_shape(_shape(shape), input.array.size)
    out = input.array.reshape(new_shape)                          # (1) a view when it can be
    viewed = np.shares_memory(out, input.array) or out.size == 0
    return _reshaped(input, out, "ViewBackward0" if viewed else "UnsafeViewBackward0")


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other.shape)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    axis = engine.check_dim(dim, input.ndim + 1)
    return _reshaped(input, np.expand_dims(input.array, axis), "UnsqueezeBackward0")  # (2)


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    if dim is None:
        return _reshaped(input, np.squeeze(input.array), "SqueezeBackward0")       # (2)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(a for a in (engine.check_dim(d, input.ndim) for d in dims)
                 if input.ndim and input.shape[a] == 1)           # others are left alone
    name = "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    return _reshaped(input, np.squeeze(input.array, axis=axes), name)           # (2)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = engine.check_flatten_dims(start_dim, end_dim, input.ndim)
    if start == end:
        return input
    shape = input.shape
    return reshape(input, *shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])  # (3)


def _reshaped(input: Tensor, out: np.ndarray, name: str) -> Tensor:
    shape = input.shape

    def derivative(grad):                                         # (1)-(3) the old shape
        return (grad.reshape(shape),)

    return record(name, out, (input,), derivative)


def permute(input: Tensor, *dims: Shape) -> Tensor:
    order = tuple(engine.check_dim(d, input.ndim) for d in _shape(dims))
    engine.check_permutation(order, input.ndim)
    inverse = tuple(np.argsort(order))

    def derivative(grad):                                         # (4) the inverse order
        return (grad.transpose(inverse),)

    return record("PermuteBackward0", input.array.transpose(order), (input,), derivative)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    a, b = engine.check_dim(dim0, input.ndim), engine.check_dim(dim1, input.ndim)

    def derivative(grad):                                         # (4) swapped back
        return (np.swapaxes(grad, a, b),)

    return record("TransposeBackward0", np.swapaxes(input.array, a, b), (input,), derivative)


def t(input: Tensor) -> Tensor:
    engine.check_t(input.ndim)
    return _transposed(input, "TBackward0")


def T(input: Tensor) -> Tensor:  # noqa: N802 (torch's name)
    return _transposed(input, "PermuteBackward0")  # torch: a permute of every dim


def _transposed(input: Tensor, name: str) -> Tensor:
    def derivative(grad):                                         # (4) transposed back
        return (grad.T,)

    return record(name, input.array.T, (input,), derivative)


def expand(input: Tensor, *sizes: Shape) -> Tensor:
    shape = engine.expanded_shape(input.shape, _shape(sizes))
    out = np.broadcast_to(input.array, shape)                     # (5) no copy

    def derivative(grad):                                         # (5) summed back by backward
        return (grad,)

    return record("ExpandBackward0", out, (input,), derivative)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def contiguous(input: Tensor) -> Tensor:
    return input if input.array.flags.c_contiguous else clone(input)


def clone(input: Tensor) -> Tensor:
    def derivative(grad):
        return (grad,)

    return record("CloneBackward0", np.array(input.array, copy=True), (input,), derivative)


def getitem(input: Tensor, index: Any) -> Tensor:
    shape, dtype = input.shape, input.dtype
    index = _numpy_index(index)

    def derivative(grad):                                         # (6) back where picked
        full = np.zeros(shape, dtype=dtype)
        np.add.at(full, index, grad)
        return (full,)

    out = input.array[index]  # NumPy refuses a bad index first, with IndexError as torch
    name = engine.index_node_name(index, shape)  # advanced indexing saves its indices
    return record(name, out, (input,), derivative, saves=name == "IndexBackward0")


def _numpy_index(index: Any) -> Any:
    """An index with its tensors as arrays (a bool tensor is a mask, others integers)."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(part.array if isinstance(part, Tensor) else part for part in index)
    return index


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    engine.check_cat(tensors, dim)
    dtype = dtypes.result_dtype(*tensors)
    tensors = [cast(x, dtype) for x in tensors]
    axis = engine.check_dim(dim, tensors[0].ndim)
    ends = np.cumsum([x.shape[axis] for x in tensors])[:-1]

    def derivative(grad):                                         # (7) each its slice
        return tuple(np.split(grad, ends, axis=axis))

    out = np.concatenate([x.array for x in tensors], axis=axis)   # (7)
    return record("CatBackward0", out, tensors, derivative)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    engine.check_stack(tensors)
    dtype = dtypes.result_dtype(*tensors)
    tensors = [cast(x, dtype) for x in tensors]
    axis = engine.check_dim(dim, tensors[0].ndim + 1)

    def derivative(grad):                                         # (8) each its slice
        return tuple(np.moveaxis(grad, axis, 0))

    out = np.stack([x.array for x in tensors], axis=axis)         # (8)
    return record("StackBackward0", out, tensors, derivative)


def _shape(args: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as ints, or as one tuple, list or torch.Size: ``view(2, 3)``,
    ``view((2, 3))``."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(int(n) for n in args[0])
    return tuple(int(n) for n in args)
