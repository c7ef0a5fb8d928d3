"""Adagrad's refusals: of its hyperparameters when built, in torch's order, then of fused=True
with differentiable or foreach; and at a step (foreach with differentiable, an in-place
update in grad mode).

A case is (call, words, id), as in core.py; adagrad.json holds each reviewed message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import param


def _step(ns: SimpleNamespace, **options: Any) -> None:
    """One step of an Adagrad built with ``options``, on a parameter with a gradient."""
    p = param(ns)
    p.grad = ns.t([0.5, -1.0])
    ns.adagrad.Adagrad([p], **options).step()


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.adagrad.Adagrad([param(ns)], lr=-0.5), ("learning rate", "-0.5"),
     "Adagrad-lr-negative"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], lr_decay=-0.1), ("lr_decay", "-0.1"),
     "Adagrad-lr-decay-negative"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], weight_decay=-1.0), ("weight_decay", "-1.0"),
     "Adagrad-weight-decay-negative"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], initial_accumulator_value=-0.1),
     ("initial_accumulator_value", "-0.1"), "Adagrad-initial-accumulator-negative"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], eps=-1e-10), ("epsilon", "-1e-10"),
     "Adagrad-eps-negative"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], fused=True, differentiable=True),
     ("fused", "differentiable"), "Adagrad-fused-differentiable"),
    (lambda ns: ns.adagrad.Adagrad([param(ns)], fused=True, foreach=True),
     ("fused", "foreach"), "Adagrad-fused-foreach"),
    (lambda ns: ns.adagrad.Adagrad([], fused=True), ("empty parameter list",),
     "Adagrad-fused-empty-params"),
    (lambda ns: _step(ns, foreach=True, differentiable=True), ("foreach", "autograd"),
     "Adagrad-foreach-differentiable"),
    (lambda ns: _step(ns, differentiable=True), ("leaf", "in-place"),
     "Adagrad-differentiable-leaf"),
]
