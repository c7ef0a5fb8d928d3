"""compare_optimizers: check a custom optimizer step by step against a reference one.

Both optimizers get parameters with the same starting values, and at every step the same
gradient rule: the gradient of a fixed quadratic, (p - target), plus the same noise. A
parameter that departs therefore gets a different gradient next step, as in real training.
After each step every parameter is compared; the first one further apart than the tolerance
ends the comparison with its step, parameter, element and both values.

An optimizer is given as one of:

* an optimizer class, ``torch.optim.SGD`` or ``manual.sgd.SGD``, used with its defaults;
* ``functools.partial(MyOptimizer, lr=0.1, momentum=0.9)``, or any callable that takes the
  list of parameters and returns an object with ``.step()``, when ``factory=True``;
* a plain update function ``update(params)`` that reads each ``p.grad`` and changes ``p`` in
  place (under ``torch.no_grad()`` or ``manual.no_grad()``, which this module provides).

A manual optimizer works on manual tensors; anything else on torch tensors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import manual
from reference.convert import to_manual, to_numpy, to_torch
from reference.distance import Distance, distance, normwise
from reference.tolerances import tolerance


@dataclass
class OptimizerComparison:
    """Per step the largest distance; and where the two first departed, if they did."""

    steps: int
    largest: list[float] = field(default_factory=list)
    step: int | None = None
    param: int | None = None
    index: tuple[int, ...] = ()
    candidate: float | None = None
    reference: float | None = None
    distance: Distance | None = None
    allowed: float = 0.0

    @property
    def agree(self) -> bool:
        return self.step is None

    def __str__(self) -> str:
        if self.agree:
            return f"agree for {self.steps} steps (largest gap {max(self.largest):g} ULP)"
        where = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        return (f"depart at step {self.step}, parameter {self.param}{where}: candidate "
                f"{self.candidate!r}, reference {self.reference!r} "
                f"({self.distance.max_ulp:g} ULP of the parameter's scale, allowed "
                f"{self.allowed:g})")


def compare_optimizers(candidate: Any, reference: Any, *,
                       shapes: Sequence[tuple[int, ...]] = ((4, 3), (3,)), steps: int = 20,
                       seed: int = 0, dtype: Any = np.float32, ulp: float | None = None,
                       factory: bool = False) -> OptimizerComparison:
    """Run ``candidate`` and ``reference`` side by side for ``steps`` steps."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    target = [rng.standard_normal(s).astype(dtype) for s in shapes]
    runners = [_Runner(opt, start, factory) for opt in (candidate, reference)]
    allowed = tolerance("trace", dtype).ulp if ulp is None else ulp
    result = OptimizerComparison(steps=steps, allowed=allowed)
    for step in range(1, steps + 1):
        noise = [rng.standard_normal(s).astype(dtype) * 0.1 for s in shapes]
        values = [runner.step(target, noise) for runner in runners]
        result.largest.append(0.0)
        for i, (got, want) in enumerate(zip(*values)):
            gap = distance(got, want, normwise(want))
            result.largest[-1] = max(result.largest[-1], gap.max_ulp)
            if gap.max_ulp > allowed:
                result.steps, result.step, result.param, result.distance = step, step, i, gap
                result.index, result.candidate, result.reference = gap.index, gap.actual, \
                    gap.expected
                return result
    return result


class _Runner:
    """One optimizer and its own copy of the parameters."""

    def __init__(self, optimizer: Any, start: list[np.ndarray], factory: bool):
        self.is_manual = _is_manual(optimizer)
        convert = to_manual if self.is_manual else to_torch
        self.params = [convert(v, requires_grad=True) for v in start]
        if factory or isinstance(optimizer, type) or _partial_class(optimizer):
            self.update = optimizer(self.params).step
        else:
            self.update = functools.partial(optimizer, self.params)

    def step(self, target: list[np.ndarray], noise: list[np.ndarray]) -> list[np.ndarray]:
        convert = to_manual if self.is_manual else to_torch
        for p, t, n in zip(self.params, target, noise):
            p.grad = convert(to_numpy(p) - t + n)  # d/dp of |p - t|^2 / 2, plus noise
        with (manual.no_grad() if self.is_manual else torch.no_grad()):
            self.update()
        return [np.array(to_numpy(p)) for p in self.params]


def _partial_class(obj: Any) -> bool:
    return isinstance(obj, functools.partial) and isinstance(obj.func, type)


def _is_manual(obj: Any) -> bool:
    target = obj.func if isinstance(obj, functools.partial) else obj
    return getattr(target, "__module__", "").split(".")[0] == "manual"


def sgd_update(lr: float) -> Callable[[list[Any]], None]:
    """The seeds' translation of ``optimizer.step()``: ``p = p - lr * p.grad``, as an update
    function (an example of what ``compare_optimizers`` accepts)."""
    def update(params: list[Any]) -> None:
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
    return update
