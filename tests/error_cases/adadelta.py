"""Adadelta's refusals: of its hyperparameters when built, in torch's order, and at a step
(capturable on CPU parameters, foreach with differentiable, an in-place update in grad mode).

A case is (call, words, id), as in core.py; adadelta.json holds each reviewed message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import param


def _step(ns: SimpleNamespace, **options: Any) -> None:
    """One step of an Adadelta built with ``options``, on a parameter with a gradient."""
    p = param(ns)
    p.grad = ns.t([0.5, -1.0])
    ns.adadelta.Adadelta([p], **options).step()


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.adadelta.Adadelta([param(ns)], lr=-1.0), ("learning rate", "-1.0"),
     "Adadelta-lr-negative"),
    (lambda ns: ns.adadelta.Adadelta([param(ns)], lr=ns.t([0.1, 0.2])), ("lr", "1-element"),
     "Adadelta-tensor-lr-two-elements"),
    (lambda ns: ns.adadelta.Adadelta([param(ns)], rho=1.5), ("rho", "1.5"),
     "Adadelta-rho-above-one"),
    (lambda ns: ns.adadelta.Adadelta([param(ns)], rho=float("nan")), ("rho", "nan"),
     "Adadelta-rho-nan"),
    (lambda ns: ns.adadelta.Adadelta([param(ns)], eps=-1e-6), ("epsilon", "-1e-06"),
     "Adadelta-eps-negative"),
    (lambda ns: ns.adadelta.Adadelta([param(ns)], weight_decay=-0.1), ("weight_decay", "-0.1"),
     "Adadelta-weight-decay-negative"),
    (lambda ns: _step(ns, capturable=True), ("capturable", "devices"),
     "Adadelta-capturable-on-cpu"),
    (lambda ns: _step(ns, foreach=True, differentiable=True), ("foreach", "autograd"),
     "Adadelta-foreach-differentiable"),
    (lambda ns: _step(ns, differentiable=True), ("leaf", "in-place"),
     "Adadelta-differentiable-leaf"),
]
