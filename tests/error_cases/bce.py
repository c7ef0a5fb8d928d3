"""The catalog's cases for bce (manual/bce.py): the reduction, the sizes of input, target,
weight and pos_weight, their dtypes, the values binary_cross_entropy takes, and the weights
that would need a gradient."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from tests.error_cases import ones, zeros


def _half(ns: SimpleNamespace, *shape: int, dtype: str = "float32") -> Any:
    """Probabilities of one half: a valid input or target of binary_cross_entropy."""
    return ns.t(np.full(shape, 0.5), dtype)


# (call, words the manual message must contain, id)
CASES = [
    # -- binary_cross_entropy
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2), _half(ns, 2), reduction="avg"),
     ("avg", "reduction"), "bce-reduction"),
    (lambda ns: ns.bce.BCELoss(reduction="total")(_half(ns, 2), _half(ns, 2)),
     ("total", "reduction"), "BCELoss-reduction"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2, 3), _half(ns, 3)),
     ("target size", "[3]", "input size", "[2, 3]"), "bce-target-size"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2, 3), _half(ns, 2, 3), ones(ns, 4)),
     ("weight", "[4]", "[2, 3]"), "bce-weight-broadcast"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2, 3), _half(ns, 2, 3), ones(ns, 2, 2, 3)),
     ("weight", "[2, 2, 3]", "[2, 3]"), "bce-weight-grows-the-loss"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2), _half(ns, 2), ones(ns, 2, grad=True)),
     ("weight", "requires_grad"), "bce-weight-requires-grad"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2), _half(ns, 2, dtype="float64")),
     ("target", "float64", "Float"), "bce-target-dtype"),
    (lambda ns: ns.bce.binary_cross_entropy(zeros(ns, 2, dtype="int64"),
                                            zeros(ns, 2, dtype="int64")),
     ("binary_cross_entropy", "Long", "int64"), "bce-integer-input"),
    (lambda ns: ns.bce.binary_cross_entropy(ns.t([0.5, 1.5]), _half(ns, 2)),
     ("input", "between 0 and 1", "[1]", "1.5"), "bce-input-above-one"),
    (lambda ns: ns.bce.binary_cross_entropy(_half(ns, 2), ns.t([0.5, -0.25])),
     ("target", "between 0 and 1", "[1]", "-0.25"), "bce-target-below-zero"),
    (lambda ns: ns.bce.binary_cross_entropy(ns.t([0.5, float("nan")]), ns.t([2.0, 0.5])),
     ("target", "between 0 and 1", "[0]", "2.0"), "bce-first-bad-element-is-the-target"),
    (lambda ns: ns.bce.binary_cross_entropy(ns.t([float("nan")]), _half(ns, 1)),
     ("input", "between 0 and 1", "nan"), "bce-nan-input"),
    # -- binary_cross_entropy_with_logits
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(zeros(ns, 2, 3), zeros(ns, 3)),
     ("Target size", "[3]", "input size", "[2, 3]"), "logits-target-size"),
    (lambda ns: ns.bce.BCEWithLogitsLoss(reduction="total")(zeros(ns, 2), zeros(ns, 2)),
     ("total", "reduction"), "BCEWithLogitsLoss-reduction"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(
        zeros(ns, 2), zeros(ns, 2), pos_weight=ones(ns, 2, grad=True)),
     ("pos_weight", "requires_grad"), "logits-pos-weight-requires-grad"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(zeros(ns, 2, dtype="int64"),
                                                        zeros(ns, 2)),
     ("log_sigmoid", "Long", "int64"), "logits-integer-input"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(
        zeros(ns, 2), zeros(ns, 2), pos_weight=ones(ns, 2, dtype="bool")),
     ("bool", "pos_weight"), "logits-bool-pos-weight"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(
        zeros(ns, 2, 3), zeros(ns, 2, 3), pos_weight=ones(ns, 4)),
     ("pos_weight", "[4]", "target", "[2, 3]"), "logits-pos-weight-broadcast"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(
        zeros(ns, 2, 3), zeros(ns, 2, 3), pos_weight=ones(ns, 2, 2, 3)),
     ("pos_weight", "[2, 2, 3]", "[2, 3]"), "logits-pos-weight-grows-the-loss"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(zeros(ns, 2), zeros(ns, 2, dtype="bool")),
     ("bool", "target"), "logits-bool-target"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(zeros(ns, 2),
                                                        zeros(ns, 2, dtype="int64")),
     ("Long", "target", "int64"), "logits-integer-target"),
    (lambda ns: ns.bce.binary_cross_entropy_with_logits(zeros(ns, 2, 3), zeros(ns, 2, 3),
                                                        ones(ns, 4)),
     ("weight", "[4]", "[2, 3]"), "logits-weight-broadcast"),
]
