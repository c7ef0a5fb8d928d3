"""embedding at torch's edges: its refusals in torch's order, max_norm's vector norm, and the
scaled adds of scale_grad_by_freq.

* padding_idx (``padding_row``): ``F.embedding`` and ``Embedding`` test its range in Python
  first (an AssertionError outside [-V, V)) and turn a negative one into V + padding_idx;
  ``F.embedding`` passes -1 for None, a row no index can name once the indices are checked.
* max_norm (``renorm_rows``, ``vector_norm``): ``embedding_renorm_`` runs before the lookup,
  with its own refusals: max_norm and norm_type must be numbers (the argument parser), W
  2-D and the indices Long or Int (as below, but "#2" and "embedding_renorm_"); then it visits
  the distinct indices in increasing order, each row by ``select``, which takes -V .. V-1 and
  refuses the first one outside (an IndexError, after the rows before it were scaled); the
  norm of the first row refuses an integer or bool W. The norm is torch's CPU kernel:
  norm_type 2 squares each element and sums in 8 lanes (float32) or 4 (float64), lane j
  taking elements j, j + 8, ..., the lanes then added left to right and the tail (the last
  n mod 8 or n mod 4) added one by one, the last n mod 4 of a float32 tail as fused
  multiply-adds; norm_type 1 adds |x| left to right; +-inf is the largest (smallest) |x|, 0
  counts the non-zeros, any other p adds |x|^p left to right and takes the 1/p-th power
  (std::pow, which Python's math.pow is for float64; float32's powf is emulated by pow in
  double, rounded, which differs from glibc's powf in about 1 norm in 1500). A row of one
  element has the norm |x|; an empty row has none for a negative or infinite norm_type.
* The lookup (``check``): the argument parser wants W and the indices to be tensors,
  padding_idx an int (not a bool), scale_grad_by_freq and sparse bools; then W must be 2-D
  and the indices Long or Int. ``index_select`` then refuses an index outside [0, V)
  ("index out of range in self", an IndexError), but a W with no elements takes another
  path: V = 0 is refused whatever the index, and for D = 0 the first index outside [0, V) is
  named in a RuntimeError.
* sparse=True makes torch's gradient of W a sparse tensor, which manual does not have: the
  lookup is refused when it would record a gradient, and allowed otherwise (the values are
  the same).
* scale_grad_by_freq (``add_scaled``): each position j adds dy[j] alpha, alpha the double
  1 / count rounded to W's dtype, as one fused multiply-add, in the order of the indices.
* ``Embedding``: a size that is not an int, a ``_weight`` of another shape, and a weight that
  must require grad but is not a float, refused as torch refuses them.

Reference: torch/nn/functional.py (``embedding``), torch/nn/modules/sparse.py (``Embedding``),
aten/src/ATen/native/Embedding.cpp (``embedding_symint``, ``embedding_dense_backward_cpu``,
``embedding_renorm_cpu_``), aten/src/ATen/native/TensorAdvancedIndexing.cpp
(``index_select_out_cpu_``), aten/src/ATen/native/cpu/ReduceOpsKernel.cpp (``norm_kernel_tensor_
iterator_impl``), aten/src/ATen/native/SharedReduceOps.h (``NormOps``, ``NormTwoOps``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from manual._parity.dtypes import torch_name
from manual._parity.engine import NotInManualError
from manual._parity.rounding import fma
from manual.no_grad import is_grad_enabled
from manual.tensor import Tensor

_LEGACY = ("Byte", "Char", "Short", "Int", "Long", "Half", "Float", "Double")
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # AVX2's 256 bits


def padding_row(padding_idx: int | None, rows: Callable[[], int]) -> int | None:
    """The row padding_idx names (V + padding_idx when negative), refused outside [-V, V);
    V = rows() is asked for only where torch asks for it (a 0-d W has no rows)."""
    if padding_idx is not None:
        if (padding_idx > 0 and padding_idx >= rows()) or (padding_idx < 0 and
                                                            padding_idx < -rows()):
            raise AssertionError(f"Padding_idx must be within num_embeddings: padding_idx="
                                 f"{padding_idx}, num_embeddings={rows()}")
        if padding_idx < 0:
            padding_idx = rows() + padding_idx
    return padding_idx


def check(input: Any, weight: Any, padding_idx: int, flags: dict[str, Any]) -> None:
    """torch.embedding's refusals: the parser's types, W 2-D, the indices' dtype and range."""
    for position, name, value in ((1, "weight", weight), (2, "indices", input)):
        if not isinstance(value, Tensor):
            raise TypeError(_parser("embedding", name, position, "Tensor", value))
    if not isinstance(padding_idx, (int, np.integer)) or isinstance(padding_idx, bool):
        raise TypeError(_parser("embedding", "padding_idx", 3, "int", padding_idx))
    for position, (name, value) in enumerate(flags.items(), start=4):
        if type(value) is not bool:
            raise TypeError(_parser("embedding", name, position, "bool", value))
    _check_table("embedding", 1, input, weight)
    _check_range(input.array.reshape(-1), weight.shape)
    if flags["sparse"] and weight.requires_grad and is_grad_enabled():
        raise NotInManualError(
            "embedding(sparse=True)", "torch's gradient of weight is then a sparse tensor, and "
            "manual has no sparse tensors; sparse=False gives the same gradient, dense")


def _check_table(caller: str, position: int, input: Tensor, weight: Tensor) -> None:
    """W 2-D and the indices Long or Int, in the words of ``caller``'s checks."""
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D: weight of size {list(weight.shape)}"
                           if caller == "embedding" else
                           f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"{caller})")
    if input.dtype not in (np.int64, np.int32):
        name = torch_name(input.dtype)
        name = f"torch.{name}Tensor" if name in _LEGACY else f"CPU{name}Type"
        raise RuntimeError(f"Expected tensor for argument #{position} 'indices' to have one of "
                           f"the following scalar types: Long, Int; but got {name} instead "
                           f"(while checking arguments for {caller})")


def _check_range(indices: np.ndarray, shape: tuple[int, int]) -> None:
    """index_select's: every index in [0, V); a W with no elements is checked otherwise."""
    outside = (indices < 0) | (indices >= shape[0])
    if indices.size and 0 in shape:
        if shape[0] == 0:
            raise RuntimeError(f"index_select(): self indexing axis dim should be positive: "
                               f"weight of size {list(shape)}")
        if outside.any():
            raise RuntimeError(f"INDICES element is out of DATA bounds, "
                               f"id={indices[outside.argmax()]} axis_dim={shape[0]}")
    if outside.any():
        raise IndexError(f"index out of range in self: indices hold {indices[outside.argmax()]}"
                         f", weight has {shape[0]} rows")


def renorm_rows(weight: Any, input: Any, max_norm: Any, norm_type: Any) -> Iterator[int]:
    """The rows embedding_renorm_ visits: distinct indices in increasing order, each refused
    as torch's select refuses it when it is reached."""
    for position, name, value in ((3, "max_norm", max_norm), (4, "norm_type", norm_type)):
        if not isinstance(value, (int, float, np.number)):
            raise TypeError(_parser("embedding_renorm_", name, position, "float", value))
    _check_table("embedding_renorm_", 2, input, weight)
    for k in np.unique(input.array).tolist():
        if not -weight.shape[0] <= k < weight.shape[0]:
            raise IndexError(f"select(): index {k} out of range for tensor of size "
                             f"{list(weight.shape)} at dimension 0")
        yield k


@np.errstate(all="ignore")  # overflow to inf and NaN, silently as in torch
def vector_norm(row: np.ndarray, p: float) -> float:
    """||row||_p as torch's CPU kernel computes it (the module's docstring), as a double."""
    if row.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {torch_name(row.dtype)} instead.")
    if row.size == 0 and (p < 0 or math.isinf(p)):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                           f"tensor because the operation does not have an identity")
    kind, a = row.dtype.type, np.abs(row)
    if row.size <= 1:
        return float((a if p != 0 else row != 0).sum(dtype=row.dtype))
    if p == 2:
        return float(np.sqrt(_sum_of_squares(row)))
    if math.isinf(p):
        return float(np.nan if np.isnan(a).any() else (a.max() if p > 0 else a.min()))
    if p in (0, 1):
        return float(np.cumsum(a if p == 1 else (row != 0).astype(row.dtype))[-1])
    terms = np.array([_pow(x, float(kind(p))) for x in a.tolist()]).astype(row.dtype)
    inverse = float(kind(1) / kind(p))                   # 1/p in the row's dtype
    return float(kind(_pow(float(np.cumsum(terms)[-1]), inverse)))


def _sum_of_squares(row: np.ndarray) -> np.floating:
    lanes = _LANES[row.dtype]
    body = row.size - row.size % lanes
    squares = row[:body].reshape(-1, lanes) ** 2                  # (n / lanes, lanes)
    acc = np.cumsum(squares, axis=0)[-1] if body else np.zeros(lanes, row.dtype)
    total = np.cumsum(acc)[-1]                                    # lanes added left to right
    tail = row[body:]
    fused = tail.size % 4 if row.dtype == np.float32 else tail.size
    for i, x in enumerate(tail):
        total = fma(x, x, np.asarray(total))[()] if i >= tail.size - fused else total + x * x
    return total


def _pow(x: float, y: float) -> float:
    """C's pow: math.pow, with C's inf where Python raises instead."""
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError):
        return float(np.power(x, y))


def add_scaled(dw: np.ndarray, indices: np.ndarray, rows: np.ndarray,
               alpha: np.ndarray) -> None:
    """dw[k] += rows[j] alpha[j] for each position j in order, each one fused multiply-add;
    positions are grouped by how many earlier positions name the same row, so each group
    touches distinct rows and the groups go in order."""
    alpha = alpha.astype(dw.dtype)[:, None]                       # (n, 1), in W's dtype
    order = np.argsort(indices, kind="stable")
    first = np.searchsorted(indices[order], indices[order])       # where each run begins
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order)) - first                   # earlier positions, same row
    for r in range(rank.max(initial=-1) + 1):
        at = rank == r
        dw[indices[at]] = fma(rows[at], alpha[at], dw[indices[at]])


def check_module(sizes: tuple[Any, Any], weight: Any, freeze: bool, dtype: Any) -> None:
    """Embedding's refusals: sizes that are not ints, a _weight of another shape, a new
    weight that would require grad but is not a float."""
    for position, size in enumerate(sizes):
        if not isinstance(size, (int, np.integer)):
            raise TypeError(f"empty(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {type(size).__name__} at pos {position}")
    if weight is not None and list(weight.shape) != list(sizes):
        raise AssertionError(f"Shape of weight does not match num_embeddings and embedding_dim"
                             f": _weight of size {list(weight.shape)}, expected {list(sizes)}")
    if weight is None and not freeze and np.dtype(dtype or np.float32).kind not in "fc":
        raise RuntimeError(f"Only Tensors of floating point and complex dtype can require "
                           f"gradients: weight of dtype {np.dtype(dtype)}")


def check_pretrained(embeddings: Any) -> None:
    if embeddings.ndim != 2:
        raise AssertionError(f"Embeddings parameter is expected to be 2-dimensional: "
                             f"embeddings of size {list(embeddings.shape)}")


def _parser(function: str, name: str, position: int, expected: str, value: Any) -> str:
    """torch's argument parser's words; other than builtins, types named with their module."""
    kind = type(value)
    got = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    return f"{function}(): argument '{name}' (position {position}) must be {expected}, not {got}"
