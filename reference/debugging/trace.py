"""Lockstep tracing: run two training loops side by side, stage by stage, and report the
first place where they part.

Each loop is a ``Side``: a model, a loss function and an optimizer of one library (manual or
torch, or two torch loops: a custom optimizer against torch's). Both get the same batches and
start from the same weights. After each stage of each step a snapshot is taken:

    forward    the model's output
    loss       the loss
    backward   every parameter's gradient
    step       every parameter, and every tensor of the optimizer's state

and the two snapshots are compared tensor by tensor. The first tensor further apart than the
tolerance ends the trace with its step, stage, name, index and both values.

Distances here are normwise: ULPs of the largest magnitude in the tensor. Two honest loops
drift apart by summation order and carry that drift on, so each element is held to the scale
of its tensor rather than to its own, possibly tiny, value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from reference.convert import to_manual, to_numpy, to_torch
from reference.lockstep import Divergence, compare
from reference.tolerances import tolerance

STAGES = ("forward", "loss", "backward", "step")


class Side:
    """One training loop, run a stage at a time. ``convert`` turns a NumPy batch into this
    library's tensors (``to_manual`` or ``to_torch``; the default follows the model, and
    puts a torch batch on the device of the model's first parameter)."""

    def __init__(self, name: str, model: Any, loss_fn: Callable[[Any, Any], Any],
                 optimizer: Any, convert: Callable[[np.ndarray], Any] | None = None):
        self.name, self.model, self.loss_fn, self.optimizer = name, model, loss_fn, optimizer
        self.convert = convert or (partial(to_torch, device=_device(model)) if _is_torch(model)
                                   else to_manual)
        self._output = self._loss = None

    def forward(self, data: np.ndarray) -> dict[str, np.ndarray]:
        self.optimizer.zero_grad()
        self._output = self.model(self.convert(data))
        return {"output": to_numpy(self._output)}

    def loss(self, labels: np.ndarray) -> dict[str, np.ndarray]:
        self._loss = self.loss_fn(self._output, self.convert(labels))
        return {"loss": to_numpy(self._loss)}

    def backward(self) -> dict[str, np.ndarray]:
        self._loss.backward()
        return {f"{name}.grad": to_numpy(p.grad) for name, p in self.model.named_parameters()
                if p.grad is not None}

    def step(self) -> dict[str, np.ndarray]:
        self.optimizer.step()
        snapshot = {name: to_numpy(p) for name, p in self.model.named_parameters()}
        names = {id(p): name for name, p in self.model.named_parameters()}
        for p, state in self.optimizer.state.items():
            for key, value in state.items():
                if hasattr(value, "shape"):
                    snapshot[f"{names.get(id(p), '?')}.{key}"] = to_numpy(value)
        return snapshot


def _device(model: Any) -> Any:
    """Where a torch model's parameters live (the CPU for a model without any)."""
    return next((p.device for p in model.parameters()), "cpu")


def _is_torch(model: Any) -> bool:
    return type(model).__module__.startswith("torch") or any(
        cls.__module__.startswith("torch.") for cls in type(model).__mro__)


@dataclass
class TraceReport:
    """Per step, the largest distance at each stage; and the divergence, if any."""

    rows: list[dict[str, float]] = field(default_factory=list)
    divergence: Divergence | None = None

    @property
    def agree(self) -> bool:
        return self.divergence is None

    @property
    def tolerance(self) -> float:
        return tolerance("trace", np.float32).ulp


def trace(a: Side, b: Side, batches: Iterable[tuple[np.ndarray, np.ndarray]], steps: int,
          on_step: Callable[[int, dict[str, float]], None] | None = None) -> TraceReport:
    """Run ``a`` and ``b`` for ``steps`` steps over ``batches`` (cycled), comparing after
    every stage; stop at the first tensor further apart than the tolerance."""
    report = TraceReport()
    batches = list(batches)
    for step in range(1, steps + 1):
        data, labels = batches[(step - 1) % len(batches)]
        row: dict[str, float] = {}
        for stage in STAGES:
            args = {"forward": (data,), "loss": (labels,)}.get(stage, ())
            snap_a, snap_b = getattr(a, stage)(*args), getattr(b, stage)(*args)
            row[stage], report.divergence = compare(step, stage, snap_a, snap_b)
            if report.divergence:
                break
        report.rows.append(row)
        if on_step:
            on_step(step, row)
        if report.divergence:
            break
    return report
