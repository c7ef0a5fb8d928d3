"""RMSprop's refusals: of its hyperparameters when built, in torch's order (alpha only below
zero), and at a step (capturable on CPU parameters, foreach with differentiable, an
in-place update in grad mode).

A case is (call, words, id), as in core.py; rmsprop.json holds each reviewed message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import param


def _step(ns: SimpleNamespace, **options: Any) -> None:
    """One step of an RMSprop built with ``options``, on a parameter with a gradient."""
    p = param(ns)
    p.grad = ns.t([0.5, -1.0])
    ns.rmsprop.RMSprop([p], **options).step()


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.rmsprop.RMSprop([param(ns)], lr=-0.01), ("learning rate", "-0.01"),
     "RMSprop-lr-negative"),
    (lambda ns: ns.rmsprop.RMSprop([param(ns)], eps=float("nan")), ("epsilon", "nan"),
     "RMSprop-eps-nan"),
    (lambda ns: ns.rmsprop.RMSprop([param(ns)], momentum=-0.9), ("momentum", "-0.9"),
     "RMSprop-momentum-negative"),
    (lambda ns: ns.rmsprop.RMSprop([param(ns)], weight_decay=-1e-4),
     ("weight_decay", "-0.0001"), "RMSprop-weight-decay-negative"),
    (lambda ns: ns.rmsprop.RMSprop([param(ns)], alpha=-0.5), ("alpha", "-0.5"),
     "RMSprop-alpha-negative"),
    (lambda ns: _step(ns, capturable=True), ("capturable", "xla"),
     "RMSprop-capturable-on-cpu"),
    (lambda ns: _step(ns, foreach=True, differentiable=True), ("foreach", "autograd"),
     "RMSprop-foreach-differentiable"),
    (lambda ns: _step(ns, momentum=0.9, differentiable=True), ("leaf", "in-place"),
     "RMSprop-differentiable-leaf"),
]
