"""layer_norm's bad calls: torch's refusals of the function and of LayerNorm.

A case is (call, words, id), as in core.py; layer_norm.json holds each whole message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, zeros

# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), 4), ("normalized_shape", "int"),
     "ln-int-normalized-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), (4.0,)),
     ("normalized_shape", "float", "pos 0"), "ln-float-in-normalized-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), ()), ("normalized_shape", "[]"),
     "ln-empty-normalized-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 5), (4,)),
     ("normalized_shape=[4]", "[2, 5]"), "ln-input-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), (4,), ones(ns, 3)),
     ("weight", "[3]", "[4]"), "ln-weight-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), (4,), None, ones(ns, 2, 2)),
     ("bias", "[2, 2]", "[4]"), "ln-bias-shape"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4, dtype="float64"), (4,), ones(ns, 4)),
     ("input float64", "weight float32"), "ln-mixed-dtype"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4, dtype="int64"), (4,)),
     ("LayerNormKernelImpl", "Long", "int64"), "ln-integer-input"),
    (lambda ns: ns.layer_norm.layer_norm(zeros(ns, 2, 4), (4,), ones(ns, 4),
                                         ones(ns, 4, dtype="float64")),
     ("bias", "float64"), "ln-bias-dtype"),
    (lambda ns: ns.layer_norm.LayerNorm(4)(zeros(ns, 2, 5)), ("normalized_shape=[4]", "[2, 5]"),
     "LayerNorm-input-shape"),
    (lambda ns: ns.layer_norm.LayerNorm((3, -1)), ("-1",), "LayerNorm-negative-size"),
]
