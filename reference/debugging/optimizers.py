"""compare_optimizers: check a custom optimizer step by step against a reference one.

Both optimizers get parameters with the same starting values, and at every step the same
gradients: by default those of a fixed quadratic, (p - target) plus noise, taken at the
reference's parameters (teacher-forced: each step is measured from the same gradients, so a
one-step difference is not amplified into drift). After each step every parameter is
compared; the first one further apart than the tolerance ends the comparison with its step,
parameter, element and both values.

An optimizer is given as one of:

* an optimizer class, ``torch.optim.SGD`` or ``manual.sgd.SGD``, used with its defaults;
* ``functools.partial(MyOptimizer, lr=0.1, momentum=0.9)``, or any callable that takes the
  list of parameters and returns an object with ``.step()``, when ``factory=True``;
* a plain update function ``update(params)`` that reads each ``p.grad`` and changes ``p`` in
  place (under ``torch.no_grad()`` or ``manual.no_grad()``, which this module provides).

A manual optimizer works on manual tensors; anything else on torch tensors.

On your own parameters and gradients: ``params=`` the starting values (a model's
``parameters()``, tensors of either library or arrays) and ``grads=`` the gradients of each
step: a list (one list of arrays per step), or a function ``grads(step, values)`` of the
step (from 1) and the reference's current parameter values (say, your loss's gradient at
those values). Each optimizer then starts from your values and gets your gradients.
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
                       factory: bool = False, params: Sequence[Any] | None = None,
                       grads: Sequence[Sequence[Any]] | Callable[[int, list[np.ndarray]],
                                                                  Sequence[Any]] | None = None
                       ) -> OptimizerComparison:
    """Run ``candidate`` and ``reference`` side by side for ``steps`` steps (at most as many
    as ``grads`` lists)."""
    rng = np.random.default_rng(seed)
    if params is not None:
        start = [np.array(to_numpy(p.detach() if hasattr(p, "detach") else p)) for p in params]
    else:
        start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gradients = grads if grads is not None else _quadratic(start, rng)
    if not callable(gradients):
        steps = min(steps, len(gradients))
    runners = [_Runner(opt, start, factory) for opt in (candidate, reference)]
    allowed = tolerance("trace", start[0].dtype).ulp if ulp is None else ulp
    result = OptimizerComparison(steps=steps, allowed=allowed)
    current = start
    for step in range(1, steps + 1):
        given = gradients(step, current) if callable(gradients) else gradients[step - 1]
        given = [np.asarray(to_numpy(g), dtype=v.dtype) for g, v in zip(given, start)]
        values = [runner.step(given) for runner in runners]
        current = values[1]
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

    def step(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        convert = to_manual if self.is_manual else to_torch
        for p, g in zip(self.params, grads):
            p.grad = convert(g)
        with (manual.no_grad() if self.is_manual else torch.no_grad()):
            self.update()
        return [np.array(to_numpy(p)) for p in self.params]


def _quadratic(start: list[np.ndarray], rng: np.random.Generator
               ) -> Callable[[int, list[np.ndarray]], list[np.ndarray]]:
    """The synthetic problem: the gradient of |p - target|^2 / 2 at p, plus noise."""
    target = [rng.standard_normal(v.shape).astype(v.dtype) for v in start]

    def grads(step: int, values: list[np.ndarray]) -> list[np.ndarray]:
        noise = [rng.standard_normal(v.shape).astype(v.dtype) * 0.1 for v in values]
        return [v - t + n for v, t, n in zip(values, target, noise)]
    return grads


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
