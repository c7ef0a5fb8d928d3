"""batch_norm's bad calls: torch's refusals of the function and of BatchNorm1d/2d.

A case is (call, words, id), as in core.py; batch_norm.json holds each whole message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, zeros


def _bn(ns: SimpleNamespace, x: Any, *stats: Any, training: bool = True, **options: Any) -> Any:
    """F.batch_norm on x with the running statistics given (none: both absent)."""
    stats = stats or (None, None)
    return ns.batch_norm.batch_norm(x, *stats, training=training, **options)


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: _bn(ns, zeros(ns, 1, 3)), ("1 value per channel", "[1, 3]"),
     "bn-one-value-per-channel"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), eps=0.0), ("eps", "0.0"), "bn-eps-zero-training"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), zeros(ns, 3), ones(ns, 3), training=False, eps=-1.0),
     ("eps", "-1.0"), "bn-eps-negative-eval"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), zeros(ns, 5), ones(ns, 5)),
     ("running_mean", "3", "5"), "bn-running-mean-size"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), weight=ones(ns, 4)), ("weight", "3", "4"),
     "bn-weight-size"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), training=False), ("running_mean", "evaluation"),
     "bn-eval-without-running-stats"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), zeros(ns, 3), None), ("running_mean", "running_var"),
     "bn-one-running-stat"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3, dtype="int64")), ("batch_norm", "Long", "int64"),
     "bn-integer-input"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3, dtype="float64"), weight=ones(ns, 3)),
     ("input float64", "weight float32"), "bn-mixed-dtype-input"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), weight=ones(ns, 3, dtype="float64")),
     ("input float32", "weight float64"), "bn-mixed-dtype-parameter"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), weight=ones(ns, 3), bias=ones(ns, 3, dtype="float64")),
     ("bias", "float64"), "bn-bias-dtype"),
    (lambda ns: _bn(ns, zeros(ns, 2, 3), zeros(ns, 3, 1), ones(ns, 3, 1)),
     ("running_mean", "[3, 1]"), "bn-running-mean-2d"),
    (lambda ns: _bn(ns, zeros(ns, 3)), ("range", "got 1"), "bn-1d-input"),
    (lambda ns: ns.batch_norm.BatchNorm1d(3)(zeros(ns, 2, 3, 2, 2)), ("4D",),
     "BatchNorm1d-4d-input"),
    (lambda ns: ns.batch_norm.BatchNorm2d(3)(zeros(ns, 2, 3, 2)), ("3D",),
     "BatchNorm2d-3d-input"),
    (lambda ns: ns.batch_norm.BatchNorm1d(5)(zeros(ns, 2, 3)), ("running_mean", "3", "5"),
     "BatchNorm1d-channels"),
    (lambda ns: ns.batch_norm.BatchNorm1d(3)(zeros(ns, 1, 3)), ("1 value per channel", "[1, 3]"),
     "BatchNorm1d-one-sample"),
    (lambda ns: ns.batch_norm.BatchNorm2d(-1), ("-1",), "BatchNorm2d-negative-features"),
]
