"""cross_entropy at torch's edges: its refusals, its general path, and their corners.

Equation numbers are those of manual/cross_entropy.py.

* Refusals, in torch's order (``check``), each message ending with the sizes or dtypes of
  the arguments it is about:
  1. the reduction's name (``get_enum``), then label_smoothing above 1
     (``cross_entropy_loss_symint``);
  2. a 0-d input: the class dim torch looks for and does not find (after the probability
     targets' own checks);
  3. probability targets (``cross_entropy_loss_prob_target``): a float dtype, no
     ignore_index >= 0, a weight of shape (C,), all before log_softmax (W is multiplied in,
     so its dtype may differ);
  4. log_softmax's missing integer kernel (a non-empty integer input);
  5. class targets: ``nll_loss_nd``'s batch size (torch reads a 0-d target's as 0); then
     ``nll_loss_forward``'s checks for 1-d and 2-d input (a 0-d or 1-d target of Long or
     Byte, a (1,) target for a (C,) input, W of shape (C,)) or ``check_inputs_nll_loss2d``'s
     for more dims (x viewed as (N, C, H, W), the target as (N, H, W), W of C elements);
     the kernel's missing integer kernel (an empty integer input gets past log_softmax); W
     of the input's dtype; the spatial kernel's Long-only targets; a class outside [0, C)
     that is not ignore_index ("Target 5 is out of bounds.");
  6. smoothing of class targets (``cross_entropy_loss_label_smoothing``), after nll_loss
     has run: W viewed along the class dim by its first size, a 1-d input's (1,) target
     that cannot hold the 0-d loss, and for the mean W gathered at Byte targets (gather
     takes int64 indices only).
* The common case (``common_case``): (N, C) logits with N, C > 0, class targets, no weight,
  none ignored, no smoothing. There torch's nll path, nll_loss(log_softmax(x)), is (2)-(4)
  of the piece (in (9), a is the one-hot and D = N): it picks each row's target by index,
  and gives the same bits as the general path.
* The general path (``general_path``): torch's cross_entropy_loss_symint picks one of three
  branches, probability targets (cross_entropy_loss_prob_target), smoothing > 0
  (cross_entropy_loss_label_smoothing), else nll_loss_nd; all three are (5)-(10) here. With
  smoothing, torch reduces the nll and the smoothing terms each by D, then mixes them. The
  smoothing's numbers for probability targets are in the target's dtype (the target is
  scaled by them), and a weight of another dtype is multiplied in, cast as torch promotes.
  No classes: eps / C = inf, and 0 inf = nan, as torch. An empty integer input with
  probability targets runs no kernel: its result has the target's dtype. A (C,) input's
  (1,) class target is the one sample's class.

Reference: torch/nn/functional.py (``cross_entropy``), torch/nn/_reduction.py
(``get_enum``), aten/src/ATen/native/LossNLL.cpp (``cross_entropy_loss_symint``,
``cross_entropy_loss_label_smoothing``, ``cross_entropy_loss_prob_target``,
``nll_loss_nd_symint``, ``nll_loss_forward``, ``nll_loss_out_frame``),
aten/src/ATen/native/LossNLL2d.cpp (``check_inputs_nll_loss2d``,
``nll_loss2d_forward_out_frame``), aten/src/ATen/native/SoftMax.cpp (``log_softmax``).
"""

from __future__ import annotations

import numpy as np

from manual._parity.dtypes import result_dtype, torch_name
from manual.graph import record
from manual.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")
_Terms = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # loss, a, D, kept samples


def check(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
          reduction: str, label_smoothing: float) -> None:
    """torch's refusals, in torch's order: the reduction and the smoothing, then log_softmax's
    (an integer input), then the targets' and the weight's."""
    probabilities = target.shape == input.shape  # torch picks the target kind by shape
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:  # torch looks for the class dim 1 and finds none
        if probabilities:
            _check_probabilities(target, ignore_index)
        raise IndexError("Dimension specified as 1 but tensor has no dimensions: input of "
                         "size []")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    if probabilities:  # W is checked first, and may be of another dtype (it is multiplied in)
        _check_probabilities(target, ignore_index)
        if weight is not None and weight.shape != (n_classes,):
            raise RuntimeError("cross_entropy: " + _weight_message(n_classes, weight))
    if input.dtype.kind != "f" and input.numel():  # no integer kernels
        raise NotImplementedError(f'"log_softmax" not implemented for '
                                  f"'{torch_name(input.dtype)}': input of dtype {input.dtype}")
    if not probabilities:
        _check_classes(input, target, weight, ignore_index, n_classes)
        if label_smoothing > 0:
            _check_smoothing(input, target, weight, reduction, ignore_index)


def _check_probabilities(target: Tensor, ignore_index: int) -> None:
    """Probability targets are floats, and nothing can be ignored."""
    if target.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {torch_name(target.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target, but got "
                           f"ignore_index={ignore_index}")


def _check_classes(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                   n_classes: int) -> None:
    """Class targets are integers, shaped like the input without C, and in [0, C). The
    order is torch's: nll_loss_nd's batch check, then nll_loss's (1-d and 2-d input) or
    nll_loss2d's (more dims, flattened to 4 first unless there are 4), then the kernel's."""
    # torch reads a 0-d target's batch size past its (empty) sizes, and gets 0
    batch = target.shape[0] if target.ndim else 0
    if input.ndim > 1 and input.shape[0] != batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({batch}{'' if target.ndim else ': a 0-d target'}).")
    if input.ndim <= 2:
        _check_nll_loss(input, target, weight, n_classes)
    else:
        _check_nll_loss2d(input, target, weight, n_classes)
    if input.dtype.kind != "f":  # empty, so log_softmax ran; nll_loss's kernel refuses it
        kernel = "nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(input.dtype)}\': '
                                  f"input of dtype {input.dtype}")
    _check_weight_dtype(input, weight)
    if input.ndim > 2 and target.dtype == np.uint8:  # the spatial kernel takes Long only
        raise RuntimeError("expected scalar type Long but found Byte")
    t = target.array
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))    # an ignored one may be anything
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")


def _check_nll_loss(input: Tensor, target: Tensor, weight: Tensor | None,
                    n_classes: int) -> None:
    """nll_loss's checks: a 0-d or 1-d target of integers, one per sample; W of shape (C,)."""
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported: "
                           f"target of size {list(target.shape)}")
    _check_target_dtype(target)
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    if input.ndim > 1 and target.ndim == 0:  # torch asks the 0-d target for its size(0)
        raise IndexError("Dimension specified as 0 but tensor has no dimensions: target of "
                         "size []")
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(_weight_message(n_classes, weight))


def _check_nll_loss2d(input: Tensor, target: Tensor, weight: Tensor | None,
                      n_classes: int) -> None:
    """nll_loss2d's checks, on x as (N, C, H, W) and the target as (N, H, W): with 3 or 5+
    dims torch first checks the target's size, then views x as (N, C, 1, -1) and the target
    as (N, 1, -1), or, when empty, as (N, C, 0, 0) and (N, 0, 0); W needs C elements."""
    spatial = input.shape[2:]
    if input.ndim != 4 and target.shape[1:] != spatial:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + spatial)}, got "
                           f"{list(target.shape)}")
    if input.ndim == 4 and target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    _check_target_dtype(target)
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError("weight tensor should be defined either for all or no classes: "
                           f"{n_classes} classes, weight of size {list(weight.shape)}")
    x_shape, t_shape = input.shape, target.shape
    if input.ndim != 4:  # the views (-1 being the pixels, H W ...)
        n, pixels = input.shape[0], int(np.prod(spatial))
        x_shape = (n, n_classes, 1, pixels) if input.numel() else (n, n_classes, 0, 0)
        t_shape = (n, 1, pixels) if target.numel() else (n, 0, 0)
    if x_shape[:1] + x_shape[2:] != t_shape:
        raise RuntimeError(f"size mismatch (got input: {list(x_shape)} , target: "
                           f"{list(t_shape)}")


def _check_target_dtype(target: Tensor) -> None:
    if target.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{torch_name(target.dtype)}")


def _check_weight_dtype(input: Tensor, weight: Tensor | None) -> None:
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(input.dtype)} but found "
                           f"{torch_name(weight.dtype)}")


def _check_smoothing(input: Tensor, target: Tensor, weight: Tensor | None,
                     reduction: str, ignore_index: int) -> None:
    """What torch's smoothing of class targets refuses, after nll_loss has run: W viewed
    along the class dim by its first size, a 1-d input's (1,) target masking a 0-d loss, and,
    for the mean, W gathered at the kept targets (gather takes int64 indices only, and of
    W's number of dims: a W of shape (C, 1) passes nll_loss2d, not gather)."""
    class_dim = 0 if input.ndim == 1 else 1
    if weight is not None and weight.ndim == 0:  # one class, 3+ dims: W's size(0) is asked for
        raise IndexError("Dimension specified as 0 but tensor has no dimensions: weight of "
                         "size []")
    if weight is not None and weight.shape[0] != weight.numel():
        shape = [weight.shape[0] if d == class_dim else 1 for d in range(input.ndim)]
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {weight.numel()}: "
                           f"weight of size {list(weight.shape)}")
    if input.ndim == 1 and target.ndim == 1:
        raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]: a 1-d "
                           "input's target of size [1], with label_smoothing")
    if weight is not None and reduction == "mean" and target.dtype == np.uint8:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index: a uint8 target, "
                           "with weight and label_smoothing")
    if (weight is not None and reduction == "mean" and weight.ndim > 1
            and (target.array != ignore_index).any()):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           f"tensor: weight of size {list(weight.shape)}, with label_smoothing")


def _weight_message(n_classes: int, weight: Tensor) -> str:
    return (f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}")


def common_case(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                label_smoothing: float) -> bool:
    """The usual call: (N, C) logits, N, C > 0, a class per sample, none ignored, no
    weight, no smoothing. Then a is the one-hot of the targets and D = N."""
    return (target.shape != input.shape and weight is None and label_smoothing <= 0
            and input.ndim == 2 and input.array.size > 0
            and not (target.array == ignore_index).any())


def general_path(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                 reduction: str, label_smoothing: float) -> Tensor:
    """Equations (1) and (5) to (10), every case (the arguments checked)."""
    from manual.cross_entropy import _log_softmax  # (1); that module imports this one

    probabilities = target.shape == input.shape                   # torch's kind, by shape
    axis = 0 if input.ndim == 1 else 1                            # the class dim
    x, y = _operands(input, target, probabilities)
    w = _class_weights(weight, x, axis)                           # (1, C, 1, ...)
    eps = max(label_smoothing, 0.0)                               # torch smooths only eps > 0
    logp = _log_softmax(x, axis)                                  # (1)
    if probabilities:
        loss, a, denom, kept = _probability_terms(logp, y, w, axis, eps, reduction)
    else:
        loss, a, denom, kept = _class_terms(logp, y, w, axis, eps, ignore_index, reduction)
    denom = denom if reduction == "mean" else x.dtype.type(1)     # D = 1 in (9) unless "mean"

    def derivative(g):
        p = np.exp(logp)                                          # softmax, as torch recovers it
        with np.errstate(divide="ignore", invalid="ignore"):      # D = 0 gives nan, as in torch
            scale = g / denom if denom else g * np.nan            # g / D (D = 0: 0 w / 0)
            scale = np.expand_dims(scale, axis) if scale.ndim else scale  # (N, 1, d1, ...)
            dx = scale * (p * a.sum(axis=axis, keepdims=True) - a)  # (9)
        dx = np.where(np.expand_dims(kept, axis), dx, 0)          # no gradient for ignored
        if not probabilities:
            return (dx,)
        return dx, -(scale * y.dtype.type(1 - eps)) * w * logp    # (10)

    inputs = (input, target) if probabilities else (input,)
    return record("NllLossBackward0", loss, inputs, derivative, saves=True)  # torch's usual name


def _operands(input: Tensor, target: Tensor, probabilities: bool) -> tuple[np.ndarray, np.ndarray]:
    """x and y as the equations read them: a (C,) input's (1,) class target is the one sample's
    class; an empty integer input (with probabilities: torch runs no kernel) takes y's dtype."""
    x, y = input.array, target.array
    if x.ndim == 1 and not probabilities:
        y = y.reshape(())                                         # (1,) -> ()
    if x.dtype.kind != "f":
        x = x.astype(y.dtype)
    return x, y


def _class_weights(weight: Tensor | None, x: np.ndarray, axis: int) -> np.ndarray:
    """The weights shaped to broadcast along the class dim; no weight is a weight of 1."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    w = np.ones(x.shape[axis], x.dtype) if weight is None else weight.array
    w = w.astype(result_dtype(x, w), copy=False)  # an int W (probabilities only) as torch casts it
    return w.reshape(shape)                                       # (1, C, 1, ...)


def _class_terms(logp: np.ndarray, t: np.ndarray, w: np.ndarray, axis: int, eps: float,
                 ignore_index: int, reduction: str) -> _Terms:
    """(5)-(6): the reduced loss, the factors a of -logp, D, and which samples are kept."""
    dtype, n_classes = logp.dtype.type, logp.shape[axis]
    kept = t != ignore_index
    kept_1 = np.expand_dims(kept, axis)                           # (N, 1, d1, ...)
    t = np.expand_dims(np.where(kept, t, 0), axis)                # (N, 1, d1, ...), 0 if ignored
    w_t = np.where(kept_1, _at_targets(w, t, axis), 0)            # (N, 1, d1, ...) target weights
    logp_t = _at_targets(logp, t, axis)                           # (N, 1, d1, ...)
    nll = np.where(kept, (-logp_t * w_t).squeeze(axis), 0)        # (5) -w_t logp_it
    denom = np.asarray(w_t.sum(), dtype=logp.dtype)               # D of (6)
    loss = _reduce(nll, denom, reduction)
    one_hot = np.arange(n_classes).reshape(w.shape) == t          # (N, C, d1, ...)
    a = dtype(1 - eps) * w_t * one_hot                            # the factors a, for (9)
    if eps > 0:
        smooth = np.where(kept, -(logp * w).sum(axis=axis), 0)    # (5) -sum_k w_k logp_ik
        per_class = dtype(eps / n_classes if n_classes else np.inf)  # no classes: inf, as torch
        with np.errstate(invalid="ignore"):                       # and 0 inf = nan, as torch
            loss = dtype(1 - eps) * loss + _reduce(smooth, denom, reduction) * per_class  # (5)
        a = a + per_class * w
    a = np.where(kept_1, a, 0)                                    # ignored samples: a = 0
    return loss, a, denom, kept


def _at_targets(a: np.ndarray, t: np.ndarray, axis: int) -> np.ndarray:
    """a's entry at each sample's target class (with no classes, every target is ignored:
    zeros, which the caller masks)."""
    if a.shape[axis] == 0:
        return np.zeros(np.broadcast_shapes(a.shape[:axis] + (1,) + a.shape[axis + 1:], t.shape),
                        a.dtype)
    return np.take_along_axis(a, t, axis=axis)


def _probability_terms(logp: np.ndarray, y: np.ndarray, w: np.ndarray, axis: int, eps: float,
                       reduction: str) -> _Terms:
    """(7)-(8): the reduced loss, the factors a of -logp, D, and the samples (all kept)."""
    # the smoothing's numbers are in the target's dtype (torch scales the target by them)
    dtype, n_classes = y.dtype.type, logp.shape[axis]
    per_class = dtype(eps / n_classes if n_classes else np.inf)   # no classes: inf, as torch
    q = y * dtype(1 - eps) + per_class if eps > 0 else y          # (7) q
    loss_i = -(logp * q * w).sum(axis=axis)                       # (7)
    with np.errstate(invalid="ignore"):                           # no classes: 0 / 0 = nan
        denom = np.asarray(np.true_divide(logp.size, n_classes), dtype=logp.dtype)  # D of (8)
    kept = np.ones(loss_i.shape, dtype=bool)
    return _reduce(loss_i, denom, reduction), q * w, denom, kept


def _reduce(loss: np.ndarray, denom: np.ndarray, reduction: str) -> np.ndarray:
    """(6) and (8): the mean over D, the sum, or the losses as they are ("none")."""
    if reduction == "none":
        return loss
    total = np.asarray(loss.sum(), dtype=loss.dtype)
    if reduction == "sum":
        return total
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / denom                                      # 0 / 0 = nan, as in torch
