"""The catalog's cases of dropout: p outside [0, 1], the argument types, an integer x.

A case is (call, words, id): ``call(ns)`` runs the bad call on one side (tests/error_cases/
__init__.py), ``words`` must appear in manual's message, and the whole reviewed message is
dropout.json's entry under ``id``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, param

CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.dropout.dropout(ones(ns, 3), p=1.5), ("dropout probability", "1.5"),
     "dropout-p-above-1"),
    (lambda ns: ns.dropout.dropout(ones(ns, 3), p=-0.25, training=False),
     ("dropout probability", "-0.25"), "dropout-p-negative-in-eval"),
    (lambda ns: ns.dropout.dropout(ones(ns, 3), p=float("nan")), ("probability", "nan"),
     "dropout-p-nan"),
    (lambda ns: ns.dropout.Dropout(p=2), ("dropout probability", "2"), "Dropout-p-above-1"),
    (lambda ns: ns.dropout.dropout(ones(ns, 3), 0.5, 1), ("train", "int"),
     "dropout-training-int"),
    (lambda ns: ns.dropout.dropout([1.0, 2.0]), ("input", "list"), "dropout-input-list"),
    (lambda ns: ns.dropout.dropout(ones(ns, 3, dtype="int64"), 0.5), ("Long", "int64"),
     "dropout-integer-input"),
    (lambda ns: ns.dropout.dropout(param(ns), 0.5, inplace=True), ("leaf", "in-place"),
     "dropout-in-place-on-a-leaf"),
]
