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

Writes that replace values in place (``x.add_(y)`` and the other arithmetic updates are
pointwise operations written back: manual/tensor.py, ``Tensor._in_place``); nothing flows
back to the old x where they wrote:

9.  x[index] = v            v there, x elsewhere     dx = dy with dy[index] = 0, dv = dy[index]
10. x.copy_(s)              s, broadcast             dx = 0, ds = dy
11. x.fill_(v), x.zero_()   v (or 0) everywhere      dx = 0, dv = sum of dy  (v a 0-d tensor)

Outside a graph (under ``no_grad()``, or when nothing involved requires grad) they only
write; inside one, x takes on the node of its new values, as torch rebases x's history
(``y = x * 2; y[0] = 0`` sends no gradient to x[0]). The values are cast to x's dtype on the
way in: a float64 v into float32 x rounds, floats into integers truncate toward zero.

A view shares memory with the tensor it views (as NumPy's views and torch's do): an
in-place change to one shows in the other, and the view remembers that tensor as its
``_base``. 1-5 and x[index] with integers, slices and None are views; x[index] with lists,
ranges, tensors or masks copies. ``view`` refuses a shape that would need a copy (a
transposed tensor, say), ``reshape`` copies then; ``contiguous`` and ``clone`` copy.

Reference: tools/autograd/derivatives.yaml (``view``, ``permute``, ``expand``, ``index``,
``cat``, ``stack``, ``zero_``, ``fill_``), torch/csrc/autograd/python_variable_indexing.cpp
(``THPVariable_getitem``, ``THPVariable_setitem``), torch/csrc/autograd/functions/tensor.cpp
(``CopyBackwards``, ``CopySlices``), aten/src/ATen/native/TensorShape.cpp.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from manual._parity import dtypes, engine, shapes
from manual.graph import record
from manual.pointwise import cast
from manual.tensor import Tensor

Shape = int | Sequence[int]


def view(input: Tensor, *shape: Shape) -> Tensor:
    new_shape = shapes.infer_shape(_shape(shape), input.array.size)
    out = input.array.view()
    try:
        out.shape = new_shape                                     # (1) no copy, or refused
    except AttributeError:
        raise RuntimeError(shapes.VIEW_NEEDS_COPY) from None
    return _reshaped(input, out, "ViewBackward0")


def reshape(input: Tensor, *shape: Shape) -> Tensor:
    new_shape = shapes.infer_shape(_shape(shape), input.array.size)
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
    start, end = engine.check_flatten_dims(start_dim, end_dim, input.ndim)
    if input.ndim == 0:
        return reshape(input, 1)
    if start == end:
        return input
    shape = input.shape
    return reshape(input, *shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])  # (3)


def _reshaped(input: Tensor, out: np.ndarray, name: str) -> Tensor:
    shape = input.shape

    def derivative(grad):                                         # (1)-(3) the old shape
        return (grad.reshape(shape),)

    return _viewing(input, record(name, out, (input,), derivative), name != "UnsafeViewBackward0")


def _viewing(input: Tensor, out: Tensor, viewed: bool = True) -> Tensor:
    """Mark ``out`` as a view of the tensor ``input`` views (or of input itself)."""
    if viewed:
        out._base = input._base if input._base is not None else input
    return out


def permute(input: Tensor, *dims: Shape) -> Tensor:
    order = shapes.permutation(_shape(dims), input.ndim)
    inverse = tuple(np.argsort(order))

    def derivative(grad):                                         # (4) the inverse order
        return (grad.transpose(inverse),)

    return _viewing(input, record("PermuteBackward0", input.array.transpose(order), (input,),
                                  derivative))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    a, b = engine.check_dim(dim0, input.ndim), engine.check_dim(dim1, input.ndim)

    def swap(x: np.ndarray) -> np.ndarray:  # a 0-d tensor is its own transpose
        return np.swapaxes(x, a, b) if x.ndim else x.view()

    def derivative(grad):                                         # (4) swapped back
        return (swap(grad),)

    return _viewing(input, record("TransposeBackward0", swap(input.array), (input,),
                                  derivative))


def t(input: Tensor) -> Tensor:
    shapes.check_t(input.ndim)
    return _transposed(input, "TBackward0")


def T(input: Tensor) -> Tensor:  # noqa: N802 (torch's name)
    return _transposed(input, "PermuteBackward0")  # torch: a permute of every dim


def _transposed(input: Tensor, name: str) -> Tensor:
    def derivative(grad):                                         # (4) transposed back
        return (grad.T,)

    return _viewing(input, record(name, input.array.T, (input,), derivative))


def expand(input: Tensor, *sizes: Shape) -> Tensor:
    shape = shapes.expanded_shape(input.shape, _shape(sizes))
    out = np.broadcast_to(input.array, shape)                     # (5) no copy

    def derivative(grad):                                         # (5) summed back by backward
        return (grad,)

    return _viewing(input, record("ExpandBackward0", out, (input,), derivative))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def contiguous(input: Tensor) -> Tensor:
    """The same values laid out row by row in memory (a copy only where they are not)."""
    return input if input.array.flags.c_contiguous else _copy(input, "C")


def clone(input: Tensor) -> Tensor:
    return _copy(input, "K")  # in the layout of input: torch's preserve_format


def _copy(input: Tensor, order: str) -> Tensor:
    def derivative(grad):
        return (grad,)

    out = np.array(input.array, copy=True, order=order)
    return record("CloneBackward0", out, (input,), derivative)


def getitem(input: Tensor, index: Any) -> Tensor:
    shape, dtype = input.shape, input.dtype
    index = _numpy_index(index)
    shapes.check_index(index, shape)

    def derivative(grad):                                         # (6) back where picked
        full = np.zeros(shape, dtype=dtype)
        np.add.at(full, index, grad)
        return (full,)

    out = input.array[index]  # NumPy refuses a bad index first, with IndexError as torch
    name = shapes.index_node_name(index, shape)  # advanced indexing saves its indices
    result = record(name, out, (input,), derivative, saves=name == "IndexBackward0")
    return _viewing(input, result, name != "IndexBackward0")


def _numpy_index(index: Any) -> Any:
    """An index with its tensors as arrays (a bool tensor is a mask, a 0-d integer tensor
    an integer, others arrays of integers)."""
    if isinstance(index, tuple):
        return tuple(_numpy_part(part) for part in index)
    return _numpy_part(index)


def _numpy_part(part: Any) -> Any:
    if not isinstance(part, Tensor):
        return part
    return int(part.array) if part.ndim == 0 and part.dtype.kind in "iu" else part.array


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    shapes.check_cat(tensors, dim)
    dtype = dtypes.result_dtype(*tensors)
    tensors = [cast(x, dtype) for x in tensors]
    kept = shapes.joined_mask(tensors)  # legacy empty 1-d tensors join nothing
    joined = [x for x, keep in zip(tensors, kept) if keep]
    axis = engine.check_dim(dim, joined[0].ndim)
    ends = np.cumsum([x.shape[axis] for x in joined])[:-1]

    def derivative(grad):                                         # (7) each its slice
        slices = iter(np.split(grad, ends, axis=axis))
        return tuple(next(slices) if keep else np.zeros(0, grad.dtype) for keep in kept)

    out = np.concatenate([x.array for x in joined], axis=axis)    # (7)
    return record("CatBackward0", out, tensors, derivative)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    shapes.check_stack(tensors)
    dtype = dtypes.result_dtype(*tensors)
    tensors = [cast(x, dtype) for x in tensors]
    axis = engine.check_dim(dim, tensors[0].ndim + 1)

    def derivative(grad):                                         # (8) each its slice
        return tuple(np.moveaxis(grad, axis, 0))

    out = np.stack([x.array for x in tensors], axis=axis)         # (8)
    return record("StackBackward0", out, tensors, derivative)


# -- writes (9)-(11), in place ---------------------------------------------------------------

def setitem(input: Tensor, index: Any, value: Any) -> None:
    shapes.check_index(_numpy_index(index), input.shape)
    viewed = shapes.writes_through_view(_numpy_index(index), input.shape)
    input._in_place(_put, index, value, through_view=viewed)


def copy_(input: Tensor, src: Any) -> Tensor:
    return input._in_place(_copied, src if isinstance(src, Tensor) else Tensor(np.asarray(src)))


def fill_(input: Tensor, value: Any) -> Tensor:
    engine.check_fill_value(value)  # a number or a 0-d tensor
    return input._in_place(_filled, value)


def zero_(input: Tensor) -> Tensor:
    return input._in_place(_zeros)


def _put(old: Tensor, index: Any, value: Any) -> Tensor:
    index = _numpy_index(index)
    shapes.check_index(index, old.shape)
    out = np.array(old.array)
    region = out[index].shape
    v = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
    while v.ndim > len(region) and v.shape[0] == 1:   # leading 1s go, as torch's setitem
        v = reshape(v, v.shape[1:])
    shapes.expanded_shape(v.shape, region)            # v must broadcast to x[i]
    out[index] = v.array                                          # (9) x[i] = v, cast

    def derivative(grad):                                         # (9)
        dx = np.array(grad)
        dx[index] = 0
        return dx, grad[index]

    return record("torch::autograd::CopySlices", out, (old, v), derivative)


def _copied(old: Tensor, src: Tensor) -> Tensor:
    engine.check_broadcast(old.shape, src.shape)
    engine.check_in_place_shape(np.broadcast_shapes(old.shape, src.shape), old.shape)
    out = np.empty_like(old.array)
    np.copyto(out, src.array, casting="unsafe")                   # (10) x = s, cast

    def derivative(grad):                                         # (10) dx = 0, ds = d
        return np.zeros_like(grad), grad

    return record("torch::autograd::CopyBackwards", out, (old, src), derivative)


def _filled(old: Tensor, value: Any) -> Tensor:
    out = np.full(old.shape, value.array if isinstance(value, Tensor) else value, old.dtype)

    def derivative(grad):                                         # (11) dx = 0, dv = sum d
        return np.zeros_like(grad), grad.sum()

    if not isinstance(value, Tensor):
        return record("FillBackward2", out, (old,), derivative)
    return record("FillBackward3", out, (old, value), derivative)


def _zeros(old: Tensor) -> Tensor:
    def derivative(grad):                                         # (11) dx = 0
        return (np.zeros_like(grad),)

    return record("ZeroBackward0", np.zeros_like(old.array), (old,), derivative)


def _shape(args: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as ints, or as one tuple, list or torch.Size: ``view(2, 3)``,
    ``view((2, 3))``."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return tuple(int(n) for n in args[0])
    return tuple(int(n) for n in args)
