"""linear at torch's edges: its refusals, its two paths for b, a 1-d weight, its node names.

* Two paths for b (``fused``, ``add_bias``). torch computes y = x W^T + b as one
  ``addmm(b, x_2d, W.t())``, x flattened to (B, in) and b expanded to (B, out), the sum
  viewed back to (*, out), for every 2-d x with a b, and for any other x that is contiguous
  when b is 1-d, or 1-d once its 1s are squeezed out, and contiguous. Otherwise it computes
  ``matmul(x, W.t())`` and then ``y.add_(b)``: b broadcast to y's shape, never growing it,
  summed in the dtype torch's promotion picks (a 0-d b ranks below a y with dims) and stored
  in y's dtype. So a float64 b is added to a float32 y in float64 and rounded once to float32.
* Refusals, in torch's order (``check``): x and W of one dtype; on the fused path b of x's
  dtype (addmm's check, self is b and mat2 is W^T); both at least 1-d; x's last dim equal
  to W's second (addmm's "mat1 and mat2"); on the fused path b expandable to (B, out)
  (``expand``: at most 2 dims, each the target's or 1); no bool kernel for the product
  (``addmm_impl_cpu_``), which torch skips when in_features is 0, but then its fused path
  still refuses b (addmm scales b by the integer 1, and a bool y cannot hold the integer
  result); off the fused path, what ``y.add_(b)`` refuses: shapes that do not broadcast, a b
  that would grow y, a sum of a higher kind than y (a float b for an integer y).
* Node names (``node_name``): a 2-d x is one addmm (mm without b); other ranks are flattened
  to 2-d and viewed back (an unsafe view, or a squeeze for a 1-d x); with b on the fused
  path, addmm and a view; a b off that path is added last (AddBackward0).
* A 1-d weight w, shape (in,) (``vector_weight``), is torch's matmul(x, w): dot for a 1-d x,
  mv for a 2-d x, mv of x flattened to 2-d and viewed back for more dims. No out dim, and a
  1-d x gives a 0-d y. A b, where torch takes one, is added afterwards, in place:

  5. y = x w                                  (*, in) @ (in,)       -> (*)
  6. dx = dy w                                (*, 1) * (in,)        -> (*, in): an outer product
  7. dw = dy^T x                              (B,) @ (B, in)        -> (in,)
  8. y = y + b, in place                      b broadcast to y's shape, never growing it
  9. db = dy summed back to b's shape

  torch refuses b wherever its fused path would add it: addmm(b, x_2d, w.t()) needs a matrix
  and the t() of a 1-d w is still a vector ("mat2 must be a matrix"). Then matmul's refusals:
  x's last dim must be w's size (dot's words for a 1-d x, mv's otherwise), and dot and mv
  have no bool kernel (mv returns before it for an empty x).
* ``Linear`` with a negative size: torch's refusal to create its (out, in) weight.

Each message ends with the sizes or dtypes of the arguments it is about.

Reference: aten/src/ATen/native/Linear.cpp (``linear``: the fused addmm path, else matmul
then add_), aten/src/ATen/native/LinearAlgebra.cpp (``addmm``, ``matmul``, ``dot``, ``mv``),
aten/src/ATen/ExpandUtils.cpp (``expand``), aten/src/ATen/native/BinaryOps.cpp (``add_``),
aten/src/ATen/EmptyTensor.cpp (``check_size_nonnegative``), derivatives.yaml (``addmm``,
``mm``, ``dot``, ``mv``, ``add``).
"""

from __future__ import annotations

import math

import numpy as np

from manual._parity.dtypes import casts_down, result_dtype, torch_name
from manual._parity.engine import check_broadcast
from manual.graph import needed, record
from manual.tensor import Tensor


def fused(input: Tensor, bias: Tensor | None) -> bool:
    """Does torch hand b to addmm, with x flattened to (B, in)? For a 2-d x always; for
    other ranks when x is contiguous and b is 1-d, or 1-d once its 1s are squeezed out, and
    contiguous. Otherwise it computes x W^T and then adds b in place."""
    if bias is None:
        return False
    return input.ndim == 2 or (_fusable(bias) and _contiguous(input))


def check(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """torch's refusals for a 2-d W, in its order (the module's docstring lists them)."""
    on_addmm = fused(input, bias)
    _check_dtype(input, "weight", weight)
    if on_addmm and bias.dtype != input.dtype:  # addmm's check: self is b, mat2 is W^T
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{torch_name(bias.dtype)} and {torch_name(input.dtype)}: input "
                           f"{input.dtype}, bias {bias.dtype}")
    _check_at_least_1d(input, weight)
    if weight.ndim != 2 or input.shape[-1] != weight.shape[-1]:
        rows, cols = math.prod(input.shape[:-1]), input.shape[-1]
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{'x'.join(map(str, weight.shape[::-1]))}): input of size {list(input.shape)}, "
            f"weight of size {list(weight.shape)}"
        )
    out_shape = input.shape[:-1] + weight.shape[:1]
    if on_addmm:
        _check_expand(bias, (math.prod(input.shape[:-1]), weight.shape[0]), out_shape)
    if input.dtype == bool and math.prod(out_shape) > 0:
        _check_bool(input, weight, bias)
    if bias is not None and not on_addmm:
        _check_in_place_add(out_shape, input.dtype, bias)


def add_bias(y: np.ndarray, bias: Tensor, on_addmm: bool) -> np.ndarray:
    """y + b as torch's path adds it: addmm adds b expanded to (B, out), and the sum is viewed
    back to y's shape; y.add_(b) sums in torch's promoted dtype and keeps y's."""
    if not on_addmm:
        return _added(y, bias)
    rows = math.prod(y.shape[:-1])
    return (y.reshape(rows, y.shape[-1]) + bias.array).reshape(y.shape)  # (B, out) -> (*, out)


def node_name(input: Tensor, bias: Tensor | None) -> str:
    """The node torch leaves on top: a 2-d x is one addmm (or mm without b); for other ranks
    x is flattened to 2-d and viewed back (torch's matmul: an unsafe view, or a squeeze for a
    1-d x; with b on the fused path, addmm and a view); a b off that path is added after."""
    if input.ndim == 2:
        return "AddmmBackward0" if bias is not None else "MmBackward0"
    if bias is not None:
        return "ViewBackward0" if fused(input, bias) else "AddBackward0"
    return "SqueezeBackward4" if input.ndim == 1 else "UnsafeViewBackward0"


def check_features(in_features: int, out_features: int) -> None:
    """torch's refusal to create an (out_features, in_features) weight with a negative size."""
    if min(in_features, out_features) < 0:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension "
            f"{min(in_features, out_features)}: [{out_features}, {in_features}] "
            f"(in_features={in_features}, out_features={out_features})")


def _check_bool(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """torch has no bool kernel for its matrix product, which it skips when there is nothing
    to add up (in_features = 0); even then its fused path refuses b: addmm scales b by the
    integer 1, and a bool y cannot hold the integer result."""
    sizes = f": input of size {list(input.shape)}, weight of size {list(weight.shape)}"
    if input.shape[-1]:
        raise NotImplementedError(f'"addmm_impl_cpu_" not implemented for \'Bool\'{sizes}')
    if fused(input, bias):
        raise RuntimeError(f"result type Long can't be cast to the desired output type Bool"
                           f"{sizes}, bias of size {list(bias.shape)}")


def _check_dtype(input: Tensor, name: str, t: Tensor | None) -> None:
    if t is not None and t.dtype != input.dtype:
        raise RuntimeError(
            f"linear(): input and {name} must have the same dtype, but got input "
            f"{input.dtype} and {name} {t.dtype}"
        )


def _check_at_least_1d(input: Tensor, weight: Tensor) -> None:
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
            f"{weight.ndim}D: input of size {list(input.shape)}, weight of size "
            f"{list(weight.shape)}")


def _check_expand(bias: Tensor, target: tuple[int, int], out_shape: tuple[int, ...]) -> None:
    """addmm's expand of b to (B, out): at most 2 dims, each equal to the target's or 1."""
    if bias.ndim > 2:
        raise RuntimeError(f"expand(torch.{torch_name(bias.dtype)}Tensor{{{list(bias.shape)}}}, "
                           f"size={list(target)}): the number of sizes provided (2) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({bias.ndim}): bias of size {list(bias.shape)}, output of size "
                           f"{list(out_shape)}")
    for i, size in reversed(list(enumerate(bias.shape, start=2 - bias.ndim))):
        if size not in (1, target[i]):
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the "
                               f"existing size ({size}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(target)}.  Tensor sizes: {list(bias.shape)}: bias "
                               f"of size {list(bias.shape)}, output of size {list(out_shape)}")


# -- a 1-d weight: torch's matmul(x, w), then b added in place ---------------------------------

_VECTOR_NODES = {1: "DotBackward0", 2: "MvBackward0"}  # more dims: mv of x flattened to 2-d,
                                                      # viewed back (UnsafeViewBackward0)


def vector_weight(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """(5)-(9): y = x w, one dot product per row of x, then y + b as torch's y.add_(b)."""
    _check_vector_weight(input, weight, bias)
    x, w = input.array, weight.array
    y = x @ w                                                     # (5) (*, in) @ (in,) -> (*)
    wants_dx = input.requires_grad  # as for a 2-d W: no dx for a batch of data

    def derivative(dy: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        x_2d = x.reshape(dy.size, w.size)                         # (B, in), B = 1 for a 1-d x
        dx = dy[..., None] * w if wants_dx else None              # (6) (*, 1) * (in,) -> (*, in)
        dw = dy.reshape(-1) @ x_2d                                # (7) (B,) @ (B, in) -> (in,)
        return dx, dw

    name = _VECTOR_NODES.get(input.ndim, "UnsafeViewBackward0")
    xw = record(name, y, (input, weight), derivative, saves=True,
                reads=needed((input, weight), (weight, input)))
    return xw if bias is None else _add_in_place(xw, bias)


def _add_in_place(y: Tensor, bias: Tensor) -> Tensor:
    """(8)-(9), torch's y.add_(b): summed in the dtype torch's promotion picks, kept in y's.
    So a float64 b is added to a float32 y in float64 and rounded to float32, but a 0-d b
    ranks below a y with dims: it is rounded to float32 first."""
    _check_in_place_add(y.shape, y.dtype, bias)
    out = _added(y.array, bias)                                   # (8)

    def derivative(dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return dy, dy  # (9) the engine sums dy back to b's shape and casts it to b's dtype

    return record("AddBackward0", out, (y, bias), derivative)


def _check_vector_weight(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """torch's refusals, in its order: check's dtype and rank checks, a b on the fused path
    (its dtype first, as addmm checks), then matmul's: x's last dim must be w's size, and dot
    and mv have no bool kernel (mv returns before it for an empty x)."""
    _check_dtype(input, "weight", weight)
    _check_at_least_1d(input, weight)
    sizes = f": input of size {list(input.shape)}, weight of size {list(weight.shape)}"
    if fused(input, bias):
        _check_dtype(input, "bias", bias)
        raise RuntimeError(f"mat2 must be a matrix, got 1-D tensor{sizes}, bias of size "
                           f"{list(bias.shape)}")
    if input.shape[-1] != weight.shape[0]:
        raise RuntimeError(_size_mismatch(input, weight.shape[0]) + sizes)
    if input.dtype == bool and (input.ndim == 1 or input.array.size):
        kernel = "dot" if input.ndim == 1 else "addmv_impl_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'{sizes}')


def _size_mismatch(input: Tensor, n: int) -> str:
    """dot's message for a 1-d x, mv's for x flattened to 2-d."""
    if input.ndim == 1:
        return (f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{n}] "
                f"to have the same number of elements, but got {input.shape[0]} and {n} "
                f"elements respectively")
    rows = math.prod(input.shape[:-1])
    return f"size mismatch, got input ({rows}), mat ({rows}x{input.shape[-1]}), vec ({n})"


# -- y.add_(b), for a b off the fused path ------------------------------------------------------

def _check_in_place_add(y_shape: tuple[int, ...], y_dtype: np.dtype, bias: Tensor) -> None:
    """torch's refusals of y.add_(b): shapes that do not broadcast, a b that would grow y, and
    a sum of a higher kind than y (a float b for an integer y, an integer b for a bool y)."""
    _check_add_shapes(y_shape, bias)
    dtype = _add_dtype(y_shape, y_dtype, bias)
    if casts_down(dtype, y_dtype):
        raise RuntimeError(f"result type {torch_name(dtype)} can't be cast to the "
                           f"desired output type {torch_name(y_dtype)}: bias "
                           f"{bias.dtype}, output {y_dtype}")


def _check_add_shapes(y_shape: tuple[int, ...], bias: Tensor) -> None:
    """y.add_(b)'s shapes: b broadcasts to y, and does not grow it."""
    sizes = f": bias of size {list(bias.shape)}, output of size {list(y_shape)}"
    try:
        check_broadcast(y_shape, bias.shape)  # torch's message: tensor a is y, tensor b is b
    except RuntimeError as error:
        raise RuntimeError(f"{error}{sizes}") from None
    shape = np.broadcast_shapes(y_shape, bias.shape)
    if shape != y_shape:
        raise RuntimeError(f"output with shape {list(y_shape)} doesn't match the broadcast "
                           f"shape {list(shape)}{sizes}")


def _added(y: np.ndarray, bias: Tensor) -> np.ndarray:
    """y + b as torch's y.add_(b) computes it: in torch's promoted dtype, kept in y's."""
    dtype = _add_dtype(y.shape, y.dtype, bias)
    total = y.astype(dtype, copy=False) + bias.array.astype(dtype, copy=False)
    return total.astype(y.dtype, copy=False)


def _add_dtype(y_shape: tuple[int, ...], y_dtype: np.dtype, bias: Tensor) -> np.dtype:
    """The dtype torch sums y + b in: its promotion, where a 0-d b ranks below a y with dims."""
    return result_dtype(np.empty((0,) * len(y_shape), y_dtype), bias)


def _fusable(bias: Tensor) -> bool:
    """Would torch hand b to the fused path? 1-d, or 1-d once squeezed, and contiguous."""
    return 1 in (bias.ndim, np.squeeze(bias.array).ndim) and _contiguous(bias)


def _contiguous(t: Tensor) -> bool:
    """torch's is_contiguous: NumPy's flag follows the same rule (size-1 dims do not count)."""
    return t.array.flags.c_contiguous
