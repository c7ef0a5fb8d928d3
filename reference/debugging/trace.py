"""Lockstep tracing: run two training loops side by side, stage by stage, and report the
first place where they part.

Teacher-forced by default: before each step the loop under test takes the reference loop's
parameters and optimizer state (by position, so a custom optimizer whose state keys are not
torch's names is forced and compared all the same), so each step is measured from the same
start and held to the per-step tolerance. Two honest loops left to run free drift apart by
summation order, amplified by training (a ReLU or a max-pool near a tie flips); that drift
is reported beside the gaps, from a third, free-running copy of the loop under test, and is
never a failure.

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
import torch

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
        for name, k, value in self._state_tensors():
            snapshot[f"{name}.state{k}"] = to_numpy(value)  # by position: names may differ
        return snapshot

    def _state_tensors(self) -> list[tuple[str, int, Any]]:
        """(parameter name, position, tensor) of the optimizer's per-element state (tensors
        shaped like their parameter: moments, buffers), in order. Step counters and other
        scalars are left out: optimizers keep them as tensors or as numbers."""
        out = []
        for name, p in self.model.named_parameters():
            values = [v for v in self.optimizer.state.get(p, {}).values()
                      if hasattr(v, "shape") and tuple(v.shape) == tuple(p.shape)]
            out += [(name, k, value) for k, value in enumerate(values)]
        return out

    def take(self, other: Side) -> None:
        """Teacher forcing: this loop's parameters and per-element optimizer state become
        ``other``'s, in place, by position (a step counter follows by itself)."""
        theirs = [to_numpy(p) for _, p in other.model.named_parameters()]
        their_state = {(name, k): to_numpy(v) for name, k, v in other._state_tensors()}
        mine = {(name, k): v for name, k, v in self._state_tensors()}
        pairs = [(p, value) for (_, p), value in zip(self.model.named_parameters(), theirs)]
        pairs += [(mine[key], value) for key, value in their_state.items() if key in mine]
        for tensor, value in pairs:
            _overwrite(tensor, value)


def _overwrite(tensor: Any, value: np.ndarray) -> None:
    """Copy ``value`` into ``tensor`` in place, whatever its library and device."""
    if _is_torch(tensor):
        with torch.no_grad():
            tensor.copy_(to_torch(value, device=tensor.device))
    else:
        tensor.array[...] = value
        tensor.mark_modified()


def _device(model: Any) -> Any:
    """Where a torch model's parameters live (the CPU for a model without any)."""
    return next((p.device for p in model.parameters()), "cpu")


def _is_torch(model: Any) -> bool:
    return type(model).__module__.startswith("torch") or any(
        cls.__module__.startswith("torch.") for cls in type(model).__mro__)


@dataclass
class TraceReport:
    """Per step, the largest distance at each stage; the free-running drift, if a free loop
    ran beside; and the divergence, if any."""

    rows: list[dict[str, float]] = field(default_factory=list)
    drift: list[float] = field(default_factory=list)
    divergence: Divergence | None = None

    @property
    def agree(self) -> bool:
        return self.divergence is None

    @property
    def tolerance(self) -> float:
        return tolerance("trace", np.float32).ulp


def trace(a: Side, b: Side, batches: Iterable[tuple[np.ndarray, np.ndarray]], steps: int,
          on_step: Callable[[int, dict[str, float], float | None], None] | None = None,
          forced: bool = True, free: Side | None = None) -> TraceReport:
    """Run ``a`` (the loop under test) and ``b`` (the reference) for ``steps`` steps over
    ``batches`` (cycled), comparing after every stage. ``forced`` (the default): ``a`` takes
    ``b``'s state before every step, and the first tensor further apart than the tolerance
    ends the trace as a divergence. Not forced, the loops run free and their distance is
    drift: reported, never a divergence. ``free``: a copy of ``a`` run unforced beside a
    forced trace; its distance from ``b`` is reported as drift."""
    report, history, free_history = TraceReport(), {}, {}
    batches = list(batches)
    for step in range(1, steps + 1):
        data, labels = batches[(step - 1) % len(batches)]
        if forced and step > 1:
            a.take(b)
        row: dict[str, float] = {}
        for stage in STAGES:
            args = {"forward": (data,), "loss": (labels,)}.get(stage, ())
            snap_a, snap_b = getattr(a, stage)(*args), getattr(b, stage)(*args)
            row[stage], divergence = compare(step, stage, snap_a, snap_b, history)
            if forced and divergence:
                report.divergence = divergence
                break
        if free is not None and not report.divergence:
            report.drift.append(compare(step, "step", _free_step(free, data, labels), snap_b,
                                        free_history)[0])
        report.rows.append(row)
        if on_step:
            on_step(step, row, report.drift[-1] if report.drift else None)
        if report.divergence:
            break
    return report


def _free_step(free: Side, data: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """One whole step of the free-running loop: its parameters and state after it."""
    free.forward(data)
    free.loss(labels)
    free.backward()
    return free.step()
