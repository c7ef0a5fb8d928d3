"""Catalog cases of gradient clipping: a non-finite norm refused on request, clipping by
value with no gradient at all."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np


def _with_grad(ns: SimpleNamespace, values: list[float]) -> list[Any]:
    p = ns.t(np.zeros(len(values)), requires_grad=True)
    p.grad = ns.t(values)
    return [p]


CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.clip_grad.clip_grad_norm_(_with_grad(ns, [np.inf, 1.0]), 1.0,
                                             error_if_nonfinite=True),
     ("non-finite", "order 2.0"), "clip_grad_norm-non-finite"),
    (lambda ns: ns.clip_grad.clip_grad_norm_(_with_grad(ns, [np.nan]), 1.0, 1.0,
                                             error_if_nonfinite=True),
     ("non-finite", "order 1.0"), "clip_grad_norm-nan-order-1"),
    (lambda ns: ns.clip_grad.clip_grad_value_([ns.t([1.0], requires_grad=True)], 1.0),
     ("nested_tensorlist",), "clip_grad_value-no-gradients"),
]
