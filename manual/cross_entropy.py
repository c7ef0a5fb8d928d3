"""cross_entropy: how unlikely the targets are under softmax(input), in nats.

The input holds one logit per class along dim 1 (dim 0 when unbatched). A sample is one
position of the other dims. For sample i with max logit m_i, over C classes:

1. logp_ik = (x_ik - m_i) - log sum_j exp(x_ij - m_i)   log-softmax; subtracting the max keeps
                                                        exp from overflowing (1e4 stays finite)

Class-index targets t (integers), weight w (all ones when None), label smoothing eps:

2. nll_i = -w_t logp_it, t = t_i                       0 where t_i == ignore_index
3. smooth_i = -sum_k w_k logp_ik                       0 where t_i == ignore_index
4. loss_i = (1 - eps) nll_i + (eps / C) smooth_i       the second term only when eps > 0
5. "mean": sum_i loss_i / D, D = sum of w_t over the kept samples (the weights of the targets
   kept, not their count; torch divides the nll and smoothing sums by D separately)

Probability targets y (floats, the input's shape):

6. q_ik = (1 - eps) y_ik + eps / C                     only when eps > 0, else q = y
7. loss_i = -sum_k logp_ik q_ik w_k
8. "mean": sum_i loss_i / D, D = the number of samples (here the weights are not in D)

"sum" adds the loss_i, "none" keeps them. Backward, given the loss's gradient g, with a_ik the
factor of -logp_ik in loss_i ((1 - eps) w_t [k == t] + (eps / C) w_k for class targets, 0 for
an ignored sample; q_ik w_k for probabilities), p = exp(logp) the softmax and D = 1 unless
"mean":

9.  dx_ik = (g_i / D) (p_ik sum_j a_ij - a_ik)         softmax minus the weighted, smoothed
                                                        one-hot; an ignored sample gets 0
10. dy_ik = -(g_i / D) (1 - eps) w_k logp_ik           probability targets only

Shapes: input (C,), (N, C) or (N, C, d1, d2, ...); class targets (), (N,) or (N, d1, ...)
(a (C,) input also takes a (1,) target, as its one class); probability targets like the
input; weight (C,) (with 3 or more input dims, anything of C elements, unless smoothing);
"none" gives the input's shape without C. A weight may have another dtype with probability
targets (it is multiplied in), not with class targets.

Quirks: the target's kind is decided by its shape: the input's shape means probabilities. With
"mean" and every target ignored, D = 0 and the loss is 0/0 = nan (the gradient stays 0).
label_smoothing <= 0 silently means none, above 1 is an error; ignore_index must be negative
with probability targets. An out-of-range class is an IndexError naming it ("Target 5 is out
of bounds."). Because cross_entropy applies log-softmax itself, giving it softmax outputs
squashes the logits into [0, 1]: the loss cannot fall below log(1 + (C - 1)/e) (1.46 for
C = 10) and its gradients shrink, so training stalls; pass raw logits. Faulty arguments are
refused in torch's order, each fault as the torch function that finds it names it (``_check``).

Reference: torch/nn/functional.py (``cross_entropy``), torch/nn/modules/loss.py
(``CrossEntropyLoss``), ATen/native/LossNLL.cpp (``cross_entropy_loss_symint``,
``cross_entropy_loss_label_smoothing``, ``cross_entropy_loss_prob_target``, ``nll_loss_nd``,
``nll_loss``, ``nll_loss2d``).
"""

from __future__ import annotations

import numpy as np

from manual._module import Module
from manual._parity.dtypes import result_dtype as _result_dtype
from manual._parity.dtypes import torch_name as _torch_name
from manual.graph import record
from manual.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")
_Terms = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # loss, a, D, kept samples


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Log-softmax over the class dim, then the weighted, smoothed negative log-likelihood."""
    probabilities = target.shape == input.shape  # torch picks the target kind by shape
    _check(input, target, weight, ignore_index, reduction, label_smoothing, probabilities)
    if _one_hot_case(input, target, weight, ignore_index, label_smoothing, probabilities):
        return _one_hot_cross_entropy(input, target, reduction)  # the same bits, sooner
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing,
                          probabilities)


def _cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                   reduction: str, label_smoothing: float, probabilities: bool) -> Tensor:
    """Equations (1) to (10), every case (the arguments checked)."""
    axis = 0 if input.ndim == 1 else 1                            # the class dim
    x, y = input.array, target.array
    if x.ndim == 1 and not probabilities:
        y = y.reshape(())                                         # (1,) is the one sample's class
    if x.dtype.kind != "f":  # an empty input, with probabilities: torch runs no kernel
        x = x.astype(y.dtype)
    w = _class_weights(weight, x, axis)                           # (1, C, 1, ...)
    eps = max(label_smoothing, 0.0)                               # torch smooths only eps > 0
    logp = _log_softmax(x, axis)                                  # (1)
    if probabilities:
        loss, a, denom, kept = _probability_terms(logp, y, w, axis, eps, reduction)
    else:
        loss, a, denom, kept = _class_terms(logp, y, w, axis, eps, ignore_index, reduction)
    denom = denom if reduction == "mean" else x.dtype.type(1)

    def derivative(g):
        p = np.exp(logp)                                          # softmax, as torch recovers it
        with np.errstate(divide="ignore", invalid="ignore"):      # D = 0 gives nan, as in torch
            scale = g / denom                                     # g / D
            scale = np.expand_dims(scale, axis) if scale.ndim else scale  # (N, 1, d1, ...)
            dx = scale * (p * a.sum(axis=axis, keepdims=True) - a)  # (9)
        dx = np.where(np.expand_dims(kept, axis), dx, 0)          # no gradient for ignored
        if not probabilities:
            return (dx,)
        return dx, -(scale * y.dtype.type(1 - eps)) * w * logp    # (10)

    inputs = (input, target) if probabilities else (input,)
    return record("NllLossBackward0", loss, inputs, derivative, saves=True)  # torch's usual name


def _one_hot_case(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                  label_smoothing: float, probabilities: bool) -> bool:
    """The usual call: (N, C) logits, N, C > 0, a class per sample, none ignored, no
    weight, no smoothing. Then a is the one-hot of the targets and D = N."""
    return (not probabilities and weight is None and label_smoothing <= 0
            and input.ndim == 2 and input.array.size > 0
            and not (target.array == ignore_index).any())


def _one_hot_cross_entropy(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """The fast path of ``_cross_entropy`` for ``_one_hot_case``, with the same bits: w = 1,
    so (2) is -logp_it and (9) is (g_i / D) (p_ik - [k == t_i]); the rows' targets are picked
    by index instead of through weights, masks and a one-hot matrix."""
    x, t = input.array, target.array
    samples = np.arange(x.shape[0])
    logp = _log_softmax(x, 1)                                     # (1)
    nll = -logp[samples, t]                                       # (2) (N,)
    denom = np.asarray(x.shape[0], dtype=x.dtype)                 # D of (5)
    loss = _reduce(nll, denom, reduction)
    denom = denom if reduction == "mean" else x.dtype.type(1)

    def derivative(g):
        dx = np.exp(logp)                                         # p, the softmax
        dx[samples, t] -= 1                                       # p - a
        with np.errstate(divide="ignore", invalid="ignore"):      # as _cross_entropy's (9)
            scale = g / denom                                     # g / D
            return (scale[:, None] * dx if scale.ndim else scale * dx,)  # (9)

    return record("NllLossBackward0", loss, (input,), derivative, saves=True)


class CrossEntropyLoss(Module):
    """The loss as a module: ``criterion = CrossEntropyLoss(); loss = criterion(logits, y)``."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", weight)  # state, but not trained: a buffer
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """(1): x - m - log sum exp(x - m), in torch's order (the max first, log last)."""
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # every exponent <= 0
    with np.errstate(divide="ignore"):                            # no classes: log 0
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _class_weights(weight: Tensor | None, x: np.ndarray, axis: int) -> np.ndarray:
    """The weights shaped to broadcast along the class dim; no weight is a weight of 1."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    w = np.ones(x.shape[axis], x.dtype) if weight is None else weight.array
    w = w.astype(_result_dtype(x, w), copy=False)  # an int W (probabilities only) as torch casts it
    return w.reshape(shape)                                       # (1, C, 1, ...)


def _class_terms(logp: np.ndarray, t: np.ndarray, w: np.ndarray, axis: int, eps: float,
                 ignore_index: int, reduction: str) -> _Terms:
    """(2)-(5): the reduced loss, the factors a of -logp, D, and which samples are kept."""
    dtype, n_classes = logp.dtype.type, logp.shape[axis]
    kept = t != ignore_index
    kept_1 = np.expand_dims(kept, axis)                           # (N, 1, d1, ...)
    t = np.expand_dims(np.where(kept, t, 0), axis)                # (N, 1, d1, ...), 0 if ignored
    w_t = np.where(kept_1, _at_targets(w, t, axis), 0)            # (N, 1, d1, ...) target weights
    logp_t = _at_targets(logp, t, axis)                           # (N, 1, d1, ...)
    nll = np.where(kept, (-logp_t * w_t).squeeze(axis), 0)        # (2)
    denom = np.asarray(w_t.sum(), dtype=logp.dtype)               # D of (5)
    loss = _reduce(nll, denom, reduction)
    one_hot = np.arange(n_classes).reshape(w.shape) == t          # (N, C, d1, ...)
    a = dtype(1 - eps) * w_t * one_hot                            # the factors a, for (9)
    if eps > 0:
        smooth = np.where(kept, -(logp * w).sum(axis=axis), 0)    # (3)
        per_class = dtype(eps / n_classes if n_classes else np.inf)  # no classes: inf, as torch
        with np.errstate(invalid="ignore"):                       # and 0 inf = nan, as torch
            loss = dtype(1 - eps) * loss + _reduce(smooth, denom, reduction) * per_class  # (4)
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
    """(6)-(8): the reduced loss, the factors a of -logp, D, and the samples (all kept)."""
    # the smoothing's numbers are in the target's dtype (torch scales the target by them)
    dtype, n_classes = y.dtype.type, logp.shape[axis]
    per_class = dtype(eps / n_classes if n_classes else np.inf)   # no classes: inf, as torch
    q = y * dtype(1 - eps) + per_class if eps > 0 else y          # (6)
    loss_i = -(logp * q * w).sum(axis=axis)                       # (7)
    with np.errstate(invalid="ignore"):                           # no classes: 0 / 0 = nan
        denom = np.asarray(np.true_divide(logp.size, n_classes), dtype=logp.dtype)  # D of (8)
    kept = np.ones(loss_i.shape, dtype=bool)
    return _reduce(loss_i, denom, reduction), q * w, denom, kept


def _reduce(loss: np.ndarray, denom: np.ndarray, reduction: str) -> np.ndarray:
    """(5) and (8): the mean over D, the sum, or the losses as they are ("none")."""
    if reduction == "none":
        return loss
    total = np.asarray(loss.sum(), dtype=loss.dtype)
    if reduction == "sum":
        return total
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / denom                                      # 0 / 0 = nan, as in torch


def _check(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
           reduction: str, label_smoothing: float, probabilities: bool) -> None:
    """torch's refusals, in torch's order: the reduction and the smoothing, then log_softmax's
    (an integer input), then the targets' and the weight's."""
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
                                  f"'{_torch_name(input.dtype)}': input of dtype {input.dtype}")
    if not probabilities:
        _check_classes(input, target, weight, ignore_index, n_classes)
        if label_smoothing > 0:
            _check_smoothing(input, target, weight, reduction)


def _check_probabilities(target: Tensor, ignore_index: int) -> None:
    """Probability targets are floats, and nothing can be ignored."""
    if target.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_torch_name(target.dtype)}")
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
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input.dtype)}\': '
                                  f"input of dtype {input.dtype}")
    _check_weight_dtype(input, weight)
    if input.ndim > 2 and target.dtype == np.uint8:  # the spatial kernel takes Long only
        raise RuntimeError("expected scalar type Long but found Byte")
    t = target.array
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))    # an ignored one may be anything
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")


def _check_smoothing(input: Tensor, target: Tensor, weight: Tensor | None,
                     reduction: str) -> None:
    """What torch's smoothing of class targets refuses, after nll_loss has run: W viewed
    along the class dim by its first size, a 1-d input's (1,) target masking a 0-d loss, and,
    for the mean, W gathered at Byte targets (gather takes int64 indices only)."""
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
                           f"{_torch_name(target.dtype)}")


def _check_weight_dtype(input: Tensor, weight: Tensor | None) -> None:
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_torch_name(input.dtype)} but found "
                           f"{_torch_name(weight.dtype)}")


def _weight_message(n_classes: int, weight: Tensor) -> str:
    return (f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}")

