"""Scales for pieces whose sums are not a plain product on magnitudes.

A sum's rounding error is bounded relative to the sum of the magnitudes of its terms (see
reference.tolerances). For a matrix product that is the same product on |x| and |W|; for a
piece like cross-entropy, with a log-sum-exp inside, it takes the reasoning written here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class CrossEntropyCase(NamedTuple):
    """One call of cross_entropy, as its tests and checks draw it."""

    x: np.ndarray                 # logits: (C,) or (N, C, d1, ...)
    target: np.ndarray            # int64 class indices, or floats shaped like x
    weight: np.ndarray | None     # (C,), positive
    ignore_index: int
    reduction: str
    label_smoothing: float
    grad: np.ndarray              # the loss's gradient, shaped like the loss


def cross_entropy_scales(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
                         ignore_index: int, reduction: str, label_smoothing: float,
                         grad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same computation on magnitudes, for the loss, dx and dy (see the comments)."""
    case = CrossEntropyCase(x, target, weight, ignore_index, reduction, label_smoothing, grad)
    x = case.x.astype(np.float64)
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    # logp = (x - m) - log s, s in [1, C] (its largest term is exp(0) = 1): the subtractions
    # round relative to |x| + |m|, and log s turns s's relative error into an absolute one
    big = np.abs(x) + np.abs(x.max(axis=axis, keepdims=True)) + np.log(n_classes) + 1
    a, denom = _factors(case, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_sample = (a * big).sum(axis=axis)               # the loss: a weighted sum of -logp
        denom = denom if case.reduction == "mean" else 1.0
        loss = per_sample if case.reduction == "none" else np.asarray(per_sample.sum() / denom)
        g = np.abs(case.grad) / denom
        g = np.expand_dims(g, axis) if g.ndim else g
        # dx = (g / D)(p sum a - a), and p = exp(logp) has logp's absolute error as relative
        p = np.exp(x - x.max(axis=axis, keepdims=True))
        p = p / p.sum(axis=axis, keepdims=True)
        dx = g * (p * big * a.sum(axis=axis, keepdims=True) + a)
        dy = g * (1 - case.label_smoothing) * _weights(case, axis) * big
    return loss, dx, dy


def _factors(case: CrossEntropyCase, axis: int) -> tuple[np.ndarray, float]:
    """|a|, the factor of -logp in each sample's loss, and the mean's denominator D."""
    w, n_classes, eps = _weights(case, axis), case.x.shape[axis], case.label_smoothing
    if case.target.dtype.kind == "f":
        q = (1 - eps) * case.target + eps / n_classes if eps > 0 else case.target
        return np.abs(q) * w, case.x.size // n_classes
    kept = np.expand_dims(case.target != case.ignore_index, axis)
    t = np.expand_dims(np.where(kept.squeeze(axis), case.target, 0), axis)
    w_t = np.where(kept, w.reshape(-1)[t], 0)                # (N, 1, d1, ...)
    one_hot = np.arange(n_classes).reshape(w.shape) == t
    return (1 - eps) * w_t * one_hot + (eps / n_classes) * w * kept, w_t.sum()


def _weights(case: CrossEntropyCase, axis: int) -> np.ndarray:
    shape = [1] * case.x.ndim
    shape[axis] = case.x.shape[axis]
    w = np.ones(shape[axis]) if case.weight is None else case.weight.astype(np.float64)
    return w.reshape(shape)                                  # (1, C, 1, ...)


def grow_scales(scales: list[np.ndarray], opt: Any, params: list[Any]) -> None:
    """Adam's parameters: add |update| = |lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)| of the
    step ``opt`` (a torch Adam or AdamW) just took to each parameter's scale, which starts
    as |p_0|. A 1-ULP difference in sqrt moves p by a few ULP of that sum."""
    group_of = {p: group for group in opt.param_groups for p in group["params"]}
    for i, p in enumerate(params):
        if p.grad is None:
            continue
        group, state = group_of[p], opt.state[p]
        (beta1, beta2), t = group["betas"], state["step"].item()
        v = _float64(state["max_exp_avg_sq" if group["amsgrad"] else "exp_avg_sq"])
        m = _float64(state["exp_avg"])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
            scales[i] = scales[i] + np.abs(group["lr"] / (1 - beta1**t) * m) / denom


def path_scales(optimizer: Any, params: list[Any]) -> list[np.ndarray]:
    """For each torch parameter of ``optimizer``, |p_0| + the sum of |each step's change|,
    kept up to date by step hooks from now on.

    Two honest training runs differ at every step by a few ULP of that step's own scale
    (the sums behind its gradient), and a parameter carries every step's difference: the
    distance it has travelled, not where it ends (which may be back near zero), is its
    scale."""
    scales = [np.abs(_float64(p)) for p in params]
    before: list[np.ndarray] = []

    def remember(*_: Any) -> None:
        before[:] = [_float64(p) for p in params]

    def add_the_change(*_: Any) -> None:
        for scale, p, old in zip(scales, params, before):
            scale += np.abs(_float64(p) - old)

    optimizer.register_step_pre_hook(remember)
    optimizer.register_step_post_hook(add_the_change)
    return scales


def _float64(t: Any) -> np.ndarray:
    """A torch tensor's values, from any device, as float64."""
    return t.detach().cpu().numpy().astype(np.float64)
