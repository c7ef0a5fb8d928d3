"""nll_loss at torch's edges: the reduction's legacy forms, the refusals, the shapes torch routes
the call through, and the order of its sums.

Equation numbers are those of manual/nll_loss.py.

* The reduction (``legacy_reduction``, ``reduction``): size_average or reduce, when either is
  given, replace it by torch's legacy rule (a None counts as True): "mean" if both, "sum" if
  only reduce, else "none", with a UserWarning ("size_average and reduce args will be
  deprecated, please use reduction='sum' instead."); "elementwise_mean" is "mean" with a
  UserWarning; any other name is a ValueError, before any other check.
* Refusals, in torch's order (``check``), each message ending with the arguments it is
  about: a 0-d input (ValueError); a batch size other than the target's (ValueError; torch
  reads a 0-d target's as 0); for 3 or 5+ dims a target not shaped (N, d1, ...) (a 0-d
  target there fails torch's slice of its sizes, a RuntimeError); a weight that requires grad
  while grad mode is on; then nll_loss's checks for 1-d and 2-d inputs (a 0-d or 1-d target,
  of Long or Byte, of size 1 for a (C,) input, one per sample; W 1-d of C) or nll_loss2d's
  for the rest (a 3-d target as (N, H, W), of Long or Byte, W of C elements, the shapes);
  then the kernel's: no integer or bool kernel, W of the input's dtype, for nll_loss2d a
  Long target only, a class outside [0, C) that is not ignore_index ("Target 5 is out of
  bounds.", the first in scan order). The backward of a (C,) input with a (1,) target
  (``check_backward``) is refused, unless C is 1.
* Shapes (``samples``, ``output_shape``, ``view_back``): torch computes 1-d and 2-d inputs in
  nll_loss (NllLossBackward0) and 4-d ones in nll_loss2d (NllLoss2DBackward0); other ranks
  are viewed as (N, C, 1, d1 d2 ...) for nll_loss2d, and a "none" result viewed back to the
  target's shape (ViewBackward0 on top). Samples are scanned in the order n, then the
  positions d1, d2, ... row-major: the order of the sums below. A (C,) input is one sample,
  and its "none" result is the "sum" one, a scalar.
* The sums (``cascade_sum``), (3) and D of (4): serial, in the input's dtype, into 8 partial
  sums: each kept sample is added to the first; after the sample at position b (counted with
  the ignored ones), while b is a multiple of 16^(j+1), partial j is added to partial j+1 and
  cleared (an ignored sample adds nothing and clears nothing); at the end
  ((((0 + L0) + L1) + ...) + L7). Each term of (3) is -x w rounded, then added (no fused
  multiply-add); without weights D is the count of kept samples. (With more than 2^39
  samples the groups are larger: 2^(ceil(log2 S) / 8).)

Reference: torch/nn/functional.py (``nll_loss``), torch/nn/_reduction.py (``get_enum``,
``legacy_get_string``), torch/nn/modules/loss.py (``_Loss``, ``NLLLoss``),
aten/src/ATen/native/LossNLL.cpp (``nll_loss_nd_symint``, ``nll_loss_forward`` meta,
``nll_loss_out_frame``, ``nll_loss_backward_out_frame``), aten/src/ATen/native/LossNLL2d.cpp
(``check_inputs_nll_loss2d``, ``nll_loss2d_forward_out_frame``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from manual._parity.dtypes import torch_name
from manual.indexing import view
from manual.no_grad import is_grad_enabled
from manual.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")
_LEVELS = 8


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str,
                     stacklevel: int = 3) -> str:
    """torch's _Reduction.legacy_get_string, when size_average or reduce is given; the
    warning names the line stacklevel frames up (from NLLLoss(...): its caller's)."""
    if size_average is None and reduce is None:
        return reduction
    reduce = True if reduce is None else reduce
    size_average = True if size_average is None else size_average
    legacy = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{legacy}' instead.", UserWarning, stacklevel=stacklevel)
    return legacy


def reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction nll_loss runs: the legacy arguments first, then torch's get_enum."""
    reduction = legacy_reduction(size_average, reduce, reduction, stacklevel=4)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", UserWarning, stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def check(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int) -> None:
    """torch's refusals, in its order (the module's docstring lists them)."""
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0): input of size []")
    batch = target.shape[0] if target.ndim else 0  # torch reads a 0-d target's as 0
    if input.ndim != 1 and input.shape[0] != batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({batch}).")
    spatial = input.ndim > 2
    if spatial and input.ndim != 4:
        _check_flattened_target(input, target)
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{'nll_loss2d' if spatial else 'nll_loss'}_forward' "
                           "is not differentiable with respect to argument 'weight'. This "
                           f"input cannot have requires_grad True. (weight of size "
                           f"{list(weight.shape)})")
    (_check_spatial if spatial else _check_samples)(input, target, weight)
    _check_kernel(input, target, weight, ignore_index)


def _check_flattened_target(input: Tensor, target: Tensor) -> None:
    """3 or 5+ dims: the target must be (N, d1, d2, ...) before both are viewed."""
    if target.ndim == 0:  # torch slices the sizes of a 0-d target from 1 on
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0: target of size []")
    if target.shape[1:] != input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, "
                           f"got {list(target.shape)}")


def _check_samples(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """nll_loss (1-d and 2-d inputs): a 0-d or 1-d target of Long or Byte, one class per
    sample (a (C,) input takes a 0-d or (1,) target); W of shape (C,)."""
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported: "
                           f"target of size {list(target.shape)}")
    _check_target_dtype(target)
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    if input.ndim == 2 and target.ndim == 0:  # torch asks the 0-d target for its size(0)
        raise IndexError("Dimension specified as 0 but tensor has no dimensions: target of "
                         "size []")
    n_classes = input.shape[-1]
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                           "classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")


def _check_spatial(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """nll_loss2d, on x as (N, C, H, W) and the target as (N, H, W) (other ranks viewed as
    (N, C, 1, -1) and (N, 1, -1), or as (N, C, 0, 0) and (N, 0, 0) when empty)."""
    x_shape, t_shape = _spatial_shapes(input, target)
    if len(t_shape) != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    _check_target_dtype(target)
    if weight is not None and weight.numel() != input.shape[1]:
        raise RuntimeError("weight tensor should be defined either for all or no classes: "
                           f"{input.shape[1]} classes, weight of size {list(weight.shape)}")
    if x_shape[:1] + x_shape[2:] != t_shape:
        raise RuntimeError(f"size mismatch (got input: {list(x_shape)} , target: "
                           f"{list(t_shape)}")


def _spatial_shapes(input: Tensor, target: Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The shapes nll_loss2d sees: 4-d as they are, other ranks viewed."""
    if input.ndim == 4:
        return input.shape, target.shape
    n, c = input.shape[:2]
    x_shape = (n, c, 1, math.prod(input.shape[2:])) if input.numel() else (n, c, 0, 0)
    t_shape = (n, 1, math.prod(target.shape[1:])) if target.numel() else (n, 0, 0)
    return x_shape, t_shape


def _check_target_dtype(target: Tensor) -> None:
    if target.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{torch_name(target.dtype)}: target of dtype {target.dtype}")


def _check_kernel(input: Tensor, target: Tensor, weight: Tensor | None,
                  ignore_index: int) -> None:
    """The kernel's: a float input, W of its dtype, nll_loss2d's Long target, the classes."""
    spatial = input.ndim > 2
    if input.dtype.kind != "f":
        kernel = "nll_loss2d_forward_out_frame" if spatial else "nll_loss_out_frame"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_name(input.dtype)}': input of dtype {input.dtype}")
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(input.dtype)} but found "
                           f"{torch_name(weight.dtype)}: input of dtype {input.dtype}, weight "
                           f"of dtype {weight.dtype}")
    if spatial and target.dtype == np.uint8:
        raise RuntimeError("expected scalar type Long but found Byte: target of dtype uint8")
    t = target.array.reshape(-1).astype(np.int64)
    n_classes = input.shape[1 if spatial else -1]
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")


def check_backward(input: Tensor, target: Tensor) -> None:
    """torch's backward takes a (C,) input with a (1,) target for a batch of C samples, and
    refuses it (unless C is 1); the forward accepts it."""
    if input.ndim == 1 and target.ndim == 1 and input.shape[0] != 1:
        raise RuntimeError(f"size mismatch (got input: [{input.shape[0]}], target: [1])")


# -- shapes ------------------------------------------------------------------------------------

def samples(input: Tensor, target: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """x as (S, C), one row per sample, and the targets as (S,) int64, in torch's scan order:
    n, then the positions d1, d2, ... row-major."""
    x, t = input.array, target.array.astype(np.int64).reshape(-1)
    if x.ndim <= 2:
        return x.reshape(len(t), x.shape[-1]), t                  # (N, C), or (1, C)
    n, c, m = x.shape[0], x.shape[1], math.prod(x.shape[2:])
    return np.moveaxis(x.reshape(n, c, m), 1, 2).reshape(n * m, c), t  # (N d1 d2 ..., C)


def from_samples(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A (S, C) array back in the input's shape: samples()'s inverse."""
    if len(shape) <= 2:
        return g.reshape(shape)
    n, c, m = shape[0], shape[1], math.prod(shape[2:])
    return np.moveaxis(g.reshape(n, m, c), 2, 1).reshape(shape)  # (N, C, d1, d2, ...)


def output_shape(input: Tensor, target: Tensor) -> tuple[int, ...]:
    """The shape of torch's "none" result before any view: (N,) from nll_loss, (N, H, W)
    from nll_loss2d, which sees other ranks as (N, 1, d1 d2 ...)."""
    if input.ndim in (2, 4):
        return target.shape
    return _spatial_shapes(input, target)[1]


def view_back(loss: Tensor, target: Tensor) -> Tensor:
    """torch views a "none" result of nll_loss2d on a viewed input back to the target's shape."""
    return loss if loss.shape == target.shape else view(loss, target.shape)


def node_name(input: Tensor) -> str:
    """nll_loss's node for 1-d and 2-d inputs, nll_loss2d's for the rest."""
    return "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0"


# -- the sums ----------------------------------------------------------------------------------

def cascade_sum(values: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """(3), (4) sum of values[kept] as torch's kernels add them: 8 partial sums, partial j
    added into partial j + 1 after each kept sample at a multiple of 16^(j+1) (see the
    module's docstring), then the 8 added in order from 0."""
    dtype = values.dtype.type
    power = max(4, _ceil_log2(len(values)) // _LEVELS)
    positions = np.flatnonzero(kept)                              # the kept samples, in order
    incoming = values[positions]
    total = dtype(0)
    for level in range(_LEVELS):
        group = 1 << (power * (level + 1))
        flush = (positions % group == 0) if level + 1 < _LEVELS else np.zeros(len(positions), bool)
        sums = _segment_sums(incoming, flush)  # one per flush, then the partial left over
        total = dtype(total + sums[-1])                           # ((0 + L0) + L1) + ...
        incoming, positions = sums[:-1], positions[flush]
    return np.asarray(total)


def _segment_sums(values: np.ndarray, flush: np.ndarray) -> np.ndarray:
    """The sums from 0, in order, of the runs of values that end where flush is set, and of
    the run left over after the last (0 if none)."""
    ends = np.flatnonzero(flush) + 1
    starts = np.concatenate([[0], ends])
    lengths = np.diff(np.concatenate([starts, [len(values)]]))
    padded = np.zeros((len(starts), 1 + lengths.max(initial=0)), values.dtype)  # 0, v1, v2, ...
    runs = np.repeat(np.arange(len(starts)), lengths)
    padded[runs, 1 + np.arange(len(values)) - starts[runs]] = values
    return np.add.accumulate(padded, axis=1)[:, -1]  # the zeros after a run add nothing


def _ceil_log2(n: int) -> int:
    """c10's CeilLog2 as LossNLL.cpp uses it: 1 up to 2, then the bits of n - 1."""
    return 1 if n <= 2 else (n - 1).bit_length()
