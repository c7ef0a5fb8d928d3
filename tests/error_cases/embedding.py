"""The catalog's cases of embedding: indices out of range or not integers, padding_idx out of
range, a W that is not 2-D, max_norm's own refusals, and the module's.

A case is (call, words, id): ``call(ns)`` runs the bad call on one side (tests/error_cases/
__init__.py), ``words`` must appear in manual's message, and the whole reviewed message is
embedding.json's entry under ``id``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, zeros


def _indices(ns: SimpleNamespace, *values: Any, dtype: str = "int64") -> Any:
    return ns.t(list(values), dtype)


CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.embedding.embedding(_indices(ns, 0, 5), ones(ns, 4, 3)),
     ("index out of range", "5", "4 rows"), "embedding-index-too-large"),
    (lambda ns: ns.embedding.embedding(_indices(ns, -1), ones(ns, 4, 3)),
     ("index out of range", "-1"), "embedding-index-negative"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1.0, dtype="float32"), ones(ns, 4, 3)),
     ("indices", "Float"), "embedding-float-indices"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1, dtype="int16"), ones(ns, 4, 3)),
     ("indices", "Short"), "embedding-int16-indices"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4)),
     ("weight", "2-D", "[4]"), "embedding-1d-weight"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3), padding_idx=4),
     ("padding_idx", "4"), "embedding-padding-idx-too-large"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3), padding_idx=-5),
     ("padding_idx", "-5"), "embedding-padding-idx-too-negative"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3), padding_idx=1.5),
     ("padding_idx", "float"), "embedding-padding-idx-float"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3),
                                       scale_grad_by_freq=1),
     ("scale_grad_by_freq", "int"), "embedding-scale-grad-by-freq-int"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 0), zeros(ns, 0, 3)),
     ("positive", "[0, 3]"), "embedding-empty-table"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1, 7), zeros(ns, 4, 0)),
     ("id=7", "axis_dim=4"), "embedding-no-columns-index-too-large"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1, 5), ones(ns, 4, 3), max_norm=1.0),
     ("select", "index 5", "[4, 3]"), "embedding-max-norm-index-too-large"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1.0, dtype="float32"), ones(ns, 4, 3),
                                       max_norm=1.0),
     ("indices", "Float", "embedding_renorm_"), "embedding-max-norm-float-indices"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3, dtype="int64"),
                                       max_norm=1.0),
     ("norm", "Long"), "embedding-max-norm-integer-weight"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), ones(ns, 4, 3), max_norm="1"),
     ("max_norm", "str"), "embedding-max-norm-string"),
    (lambda ns: ns.embedding.embedding(_indices(ns, 1), zeros(ns, 4, 0), max_norm=1.0,
                                       norm_type=float("inf")),
     ("inf norm", "empty"), "embedding-max-norm-inf-of-no-columns"),
    (lambda ns: ns.embedding.Embedding(3, 2, padding_idx=3), ("padding_idx", "3"),
     "Embedding-padding-idx-too-large"),
    (lambda ns: ns.embedding.Embedding(-1, 2), ("negative dimension", "-1"),
     "Embedding-negative-size"),
    (lambda ns: ns.embedding.Embedding(3.5, 2), ("size", "float"), "Embedding-float-size"),
    (lambda ns: ns.embedding.Embedding(3, 2, _weight=ones(ns, 2, 2)),
     ("_weight", "[2, 2]", "[3, 2]"), "Embedding-weight-shape"),
    (lambda ns: ns.embedding.Embedding(3, 2, dtype=ns.lib.int64), ("floating point", "int64"),
     "Embedding-integer-weight"),
    (lambda ns: ns.embedding.Embedding.from_pretrained(ones(ns, 3)),
     ("embeddings", "[3]"), "Embedding-pretrained-1d"),
]
