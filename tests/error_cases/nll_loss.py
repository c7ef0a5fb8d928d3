"""The catalog's cases for nll_loss (manual/nll_loss.py): the reduction, the shapes of input,
target and weight, their dtypes, the classes, and the backward torch refuses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, zeros


def _targets(ns: SimpleNamespace, values: Any, dtype: str = "int64") -> Any:
    return ns.t(values, dtype)


def _backward_of_unbatched_with_a_1d_target(ns: SimpleNamespace) -> None:
    ns.nll_loss.nll_loss(ones(ns, 3, grad=True), _targets(ns, [0])).backward()


# (call, words the manual message must contain, id)
CASES = [
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1]), reduction="avg"),
     ("avg", "reduction"), "nll-reduction"),
    (lambda ns: ns.nll_loss.NLLLoss(reduction="total")(zeros(ns, 2, 3), _targets(ns, [0, 1])),
     ("total", "reduction"), "NLLLoss-reduction"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns), _targets(ns, 0)),
     ("1 or more dimensions", "[]"), "nll-0d-input"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1, 2])),
     ("batch_size", "(2)", "(3)"), "nll-batch-mismatch"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [[0], [1]])),
     ("1D target", "[2, 1]"), "nll-2d-target"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1], "float32")),
     ("Long or Byte", "Float"), "nll-float-target"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 3), _targets(ns, [0, 1])),
     ("size 1", "size: 2"), "nll-unbatched-target-size"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1]), ones(ns, 4)),
     ("weight", "3 classes", "[4]"), "nll-weight-size"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1]),
                                     ones(ns, 3, dtype="float64")),
     ("Float", "Double", "weight"), "nll-weight-dtype"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 1]), ones(ns, 3, grad=True)),
     ("weight", "requires_grad"), "nll-weight-requires-grad"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, dtype="int64"), _targets(ns, [0, 1])),
     ("nll_loss_out_frame", "Long"), "nll-integer-input"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [0, 5])),
     ("Target", "5"), "nll-target-too-large"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3), _targets(ns, [-1, 0])),
     ("Target", "-1"), "nll-target-negative"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4), _targets(ns, [[0] * 5] * 2)),
     ("target size", "[2, 4]", "[2, 5]"), "nll-3d-target-shape"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4, 5), _targets(ns, [[0] * 5] * 2)),
     ("3D tensors", "dimension: 2"), "nll-4d-input-2d-target"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4, 5), zeros(ns, 2, 4, 4, dtype="int64")),
     ("size mismatch", "[2, 3, 4, 5]", "[2, 4, 4]"), "nll-4d-target-shape"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4), zeros(ns, 2, 4), ones(ns, 4)),
     ("Long or Byte", "Float"), "nll-3d-float-target-before-weight"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4), zeros(ns, 2, 4, dtype="int64"),
                                     ones(ns, 4)),
     ("weight", "[4]"), "nll-3d-weight-size"),
    (lambda ns: ns.nll_loss.nll_loss(zeros(ns, 2, 3, 4), zeros(ns, 2, 4, dtype="uint8")),
     ("Long", "Byte"), "nll-3d-byte-target"),
    (_backward_of_unbatched_with_a_1d_target, ("size mismatch", "[3]", "[1]"),
     "nll-backward-unbatched-1d-target"),
]
