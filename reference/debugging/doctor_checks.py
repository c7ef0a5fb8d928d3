"""doctor's detections of gradients and optimizers, and the base of every check: a Check
reads the watch's events (doctor_events.py) and names the pitfall they show, with the
evidence.

Each check keeps only what it needs from the events and at the end returns its findings:
which parameter, which optimizer, which step, the numbers, and the pitfall of `dealias
pitfalls` that explains it. The losses' and graphs' checks are in doctor_losses.py, those of
where clipping and train()/eval() happen in a step in doctor_order.py.

* forgotten-zero-grad          an optimizer steps on a .grad it already stepped with, that
                               backward added to (named per optimizer)
* zero-grad-after-backward     backward gave gradients; .grad was None or 0 at the step
* set-to-none                  a parameter no backward reached, with a zero .grad, moved
* unscaled-accumulation        k backwards per step, from one line, each from a loss
                               function's mean itself (not divided by k)
* adam-weight-decay            Adam (not AdamW) with weight_decay
* duplicate-parameters         a parameter stepped twice on one gradient (held by two
                               optimizers, or twice by one), and torch's refusal and warning
* frozen-parameters            an optimizer none of whose parameters requires grad
* parameters-not-in-optimizer  parameters backward trains that no optimizer holds
* scheduler-before-optimizer   the scheduler's warning that it stepped first
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from reference.debugging.doctor_events import (
    Backward,
    Broadcast,
    Clip,
    Forward,
    LossCall,
    Origin,
    Raised,
    Rebound,
    Step,
    StepEnd,
    Warned,
    params_of,
    values,
)

if TYPE_CHECKING:
    from reference.debugging.doctor_watch import Watch

SCHEDULER_FIRST = "`lr_scheduler.step()` before `optimizer.step()`"
DUPLICATE_GROUP = "some parameters appear in more than one parameter group"
DUPLICATE_WARNING = "parameter group with duplicate parameters"
NO_GRAD_FN = "does not require grad and does not have a grad_fn"


@dataclass(frozen=True)
class Finding:
    pitfall: str | None   # a name in reference.teaching.pitfalls.PITFALLS, or None
    summary: str
    evidence: str


class Check:
    """A detection: a handler per event (the watch calls each), then its findings."""

    watch: Watch

    def forward(self, event: Forward) -> None:
        """An outermost module was called."""

    def origin(self, event: Origin) -> None:
        """The first non-finite value of a step appeared."""

    def loss_call(self, event: LossCall) -> None:
        """A loss function was called."""

    def broadcast(self, event: Broadcast) -> None:
        """An operation broadcast (N, 1) against (N,)."""

    def backward(self, event: Backward) -> None:
        """A backward starts."""

    def backward_end(self, event: Backward) -> None:
        """A backward filled the .grad of the leaves it reached."""

    def clip(self, event: Clip) -> None:
        """Gradients were clipped."""

    def step_pre(self, event: Step) -> None:
        """An optimizer is about to step."""

    def step_post(self, event: Step) -> None:
        """An optimizer stepped."""

    def step_end(self, event: StepEnd) -> None:
        """A step of the loop ended."""

    def warned(self, event: Warned) -> None:
        """The loop raised a warning."""

    def raised(self, event: Raised) -> None:
        """The loop raised an exception (and stopped)."""

    def rebound(self, event: Rebound) -> None:
        """Names that held trainable leaves were given other tensors."""

    def findings(self) -> list[Finding]:
        return []


def norm(a: np.ndarray | None) -> float:
    return 0.0 if a is None else float(np.linalg.norm(a))


def total(grads: list[np.ndarray | None]) -> float:
    return float(np.sqrt(sum(norm(g) ** 2 for g in grads)))


def zero(a: np.ndarray | None) -> bool:
    return a is None or not a.any()


def steps(ks: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    parts = []
    ks = sorted(set(ks))
    for _, run in itertools.groupby(enumerate(ks), lambda pair: pair[1] - pair[0]):
        run = [k for _, k in run]
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(parts)


def names(items: list[str], most: int = 4) -> str:
    shown = ", ".join(repr(n) for n in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


# -- gradients ------------------------------------------------------------------------------

class Gradients(Check):
    """What .grad held when backward added to it and when each optimizer stepped."""

    def __init__(self) -> None:
        self.used: dict[int, np.ndarray] = {}     # the .grad an optimizer last stepped with
        self.stale: set[int] = set()              # ... that a backward then added to
        self.since: dict[int, np.ndarray] = {}    # backward's gradients since the last step
        self.norms: dict[int, list[float]] = {}   # parameter -> |grad| at each of its steps
        self.forgotten: dict[str, list[tuple[int, Any]]] = {}   # optimizer -> (step, param)
        self.sizes: dict[str, int] = {}           # optimizer -> its parameters
        self.cleared: list[tuple[int, str, str, float]] = []
        self.unreached: dict[int, list[int]] = {}  # open step -> zero-grad parameters
        self.moved: list[tuple[int, str, float]] = []

    def backward(self, event: Backward) -> None:
        for pid in event.reached:
            grad = event.before[pid]
            if zero(grad):
                self.used.pop(pid, None)
                self.stale.discard(pid)
            elif pid in self.used and np.array_equal(grad, self.used[pid]):
                self.stale.add(pid)

    def backward_end(self, event: Backward) -> None:
        for pid in event.reached:
            fresh = event.fresh(pid)
            if fresh is not None:
                kept = self.since.get(pid)
                self.since[pid] = fresh if kept is None or kept.shape != fresh.shape else (
                    kept + fresh)

    def step_pre(self, event: Step) -> None:
        self.sizes[event.name] = len(event.params)
        for p, grad in zip(event.params, event.grads):
            self.norms.setdefault(id(p), []).append(norm(grad))
            if id(p) in self.stale:
                self.forgotten.setdefault(event.name, []).append((event.step, p))
        got = [i for i, p in enumerate(event.params) if norm(self.since.get(id(p))) > 0]
        if got and all(zero(event.grads[i]) for i in got):
            largest = max(got, key=lambda i: norm(self.since[id(event.params[i])]))
            self.cleared.append((event.step, event.name, self.watch.name(event.params[largest]),
                                 norm(self.since[id(event.params[largest])])))
        self.unreached[id(event.optimizer)] = [
            i for i, p in enumerate(event.params)
            if id(p) not in self.since and event.grads[i] is not None and zero(event.grads[i])]

    def step_post(self, event: Step) -> None:
        for i in self.unreached.pop(id(event.optimizer), []):
            change = float(np.abs(event.after[i] - event.before[i]).max(initial=0))
            if change > 0:
                self.moved.append((event.step, self.watch.name(event.params[i]), change))
        for p, grad in zip(event.params, event.grads):
            if zero(grad):
                self.used.pop(id(p), None)
            else:
                self.used[id(p)] = grad
            self.stale.discard(id(p))
            self.since.pop(id(p), None)

    def findings(self) -> list[Finding]:
        found = []
        for name, hits in self.forgotten.items():
            stale = list({id(p): p for _, p in hits}.values())
            first = self.watch.name(stale[0])
            norms = ", ".join(f"{n:.4g}" for n in self.norms[id(stale[0])])
            whose = (f"{name!r} never has its gradients zeroed (zero_grad() is not called)"
                     if len(stale) == self.sizes[name] else
                     f"nothing zeroes the .grad of {names([self.watch.name(p) for p in stale])}"
                     f", {len(stale)} of the {self.sizes[name]} parameters {name!r} steps")
            found.append(Finding(
                "forgotten-zero-grad", f"gradients accumulate across steps: {whose}",
                f"in steps {steps([k for k, _ in hits])} the .grad of {first!r} still held the "
                f"gradient {name!r} had stepped with when backward added the new one; "
                f"|{first}.grad| at each of its steps: {norms}"))
        if self.cleared:
            k, name, param, size = self.cleared[0]
            found.append(Finding(
                "zero-grad-after-backward", "nothing learns: the gradients are cleared "
                "between backward() and step()",
                f"in step(s) {steps([c[0] for c in self.cleared])} backward gave {param!r} "
                f"|grad| {size:.4g}, but every gradient was None or zero when {name!r} "
                "stepped: zero_grad() runs after backward()"))
        if self.moved:
            k, param, change = self.moved[0]
            found.append(Finding(
                "set-to-none", "a parameter that got no gradient still moved",
                f"{param!r} got no gradient in step {k} but moved by up to {change:.4g}: its "
                ".grad was zeros, not None, so momentum or weight decay moved it"))
        return found


class Accumulation(Check):
    """Several backwards per optimizer step: gradient accumulation, and its scale."""

    def __init__(self) -> None:
        self.since: list[Backward] = []
        self.unscaled: list[tuple[int, str, list[Backward]]] = []

    def backward(self, event: Backward) -> None:
        if not event.closure:                      # a closure's backwards are its step's
            self.since.append(event)

    def step_pre(self, event: Step) -> None:
        mine = {id(p) for p in event.params}
        its = [b for b in self.since if mine & b.reached.keys()]
        self.since = [b for b in self.since if not mine & b.reached.keys()]
        if (len(its) > 1 and len({b.site for b in its}) == 1
                and len({frozenset(mine & b.reached.keys()) for b in its}) == 1
                and all(b.source is not None and b.source.reduction == "mean" for b in its)):
            self.unscaled.append((event.step, event.name, its))

    def findings(self) -> list[Finding]:
        if not self.unscaled:
            return []
        k, name, its = self.unscaled[0]
        file, line = its[0].site or ("?", 0)
        losses = ", ".join(f"{float(b.value.sum()):.4g}" for b in its[:4])
        return [Finding(
            "unscaled-accumulation", "accumulated gradients are k times too large: each "
            "micro-batch's loss is not divided by k",
            f"{name!r} stepped after {len(its)} backward()s from the same line ({file}:{line}) "
            f"in step(s) {steps([u[0] for u in self.unscaled])}, each starting from "
            f"{its[0].source.function}'s mean itself ({losses}), not divided by {len(its)}: "
            f".grad held the sum of {len(its)} mean gradients, {len(its)} times their mean")]


# -- optimizers -----------------------------------------------------------------------------

class Optimizers(Check):
    """What the optimizers hold, against what backward trains."""

    def __init__(self) -> None:
        self.first: dict[int, Step] = {}           # each optimizer's first step
        self.frozen: dict[int, Any] = {}           # optimizers with no trainable parameter
        self.reached: set[int] = set()
        self.trained: dict[int, tuple[Any, np.ndarray]] = {}   # got a gradient: its value
        self.schedulers: list[Warned] = []
        self.duplicates: list[str] = []            # what the loop's warnings or errors said
        self.stepped_by: dict[int, list[str]] = {}  # parameter -> since the last backward
        self.twice: list[tuple[int, Any, list[str]]] = []

    def backward_end(self, event: Backward) -> None:
        self.reached |= event.reached.keys()
        self.stepped_by = {}
        for pid, p in event.reached.items():
            if pid not in self.trained and norm(event.fresh(pid)) > 0:
                self.trained[pid] = (p, values(p))

    def step_pre(self, event: Step) -> None:
        self.first.setdefault(id(event.optimizer), event)
        if event.params and not any(p.requires_grad for p in event.params):
            self.frozen.setdefault(id(event.optimizer), event.optimizer)

    def step_post(self, event: Step) -> None:
        for p, grad in zip(event.params, event.grads):
            if grad is None:
                continue
            by = self.stepped_by.setdefault(id(p), [])
            by.append(event.name)
            if len(by) == 2:                       # stepped twice on one gradient
                self.twice.append((event.step, p, list(by)))

    def warned(self, event: Warned) -> None:
        if SCHEDULER_FIRST in event.message:
            self.schedulers.append(event)
        elif DUPLICATE_WARNING in event.message:
            self.duplicates.append(f"step {event.step}: {event.category}: {event.message}")

    def raised(self, event: Raised) -> None:
        message = str(event.error)
        if DUPLICATE_GROUP in message:
            self.duplicates.append(f"{type(event.error).__name__}: {message}")
        if NO_GRAD_FN in message:
            for o in self.watch.optimizers.values():
                if params_of(o) and not any(p.requires_grad for p in params_of(o)):
                    self.frozen.setdefault(id(o), o)

    def findings(self) -> list[Finding]:
        frozen = self._frozen()                    # which says what no optimizer holds
        return [*self._adam(), *self._twice(), *frozen, *([] if frozen else self._unheld()),
                *self._scheduler()]

    def _adam(self) -> list[Finding]:
        found = []
        for event in self.first.values():
            o = event.optimizer
            coupled = type(o).__name__ == "Adam"
            decay = [g["weight_decay"] for g in o.param_groups
                     if g.get("weight_decay") and not g.get("decoupled_weight_decay", False)]
            if coupled and decay:
                found.append(Finding(
                    "adam-weight-decay", "Adam's weight_decay is L2 on the gradient, not "
                    "AdamW's decoupled decay",
                    f"{event.name!r}: Adam(weight_decay={decay[0]:g}): the decay is normalised "
                    "with the gradient; for decoupled decay use AdamW"))
        return found

    def _twice(self) -> list[Finding]:
        if self.twice:
            k, p, by = self.twice[0]
            where = (f"twice by {by[0]!r}" if len(set(by)) == 1
                     else f"by {' and by '.join(repr(b) for b in by)}")
            evidence = (f"{self.watch.name(p)!r} is held {where}: in step(s) "
                        f"{steps([t[0] for t in self.twice])} it was stepped twice on one "
                        "gradient")
        elif self.duplicates:
            evidence = self.duplicates[0]
        else:
            return []
        return [Finding("duplicate-parameters", "a parameter is held twice by the optimizers: "
                        "it is stepped twice", evidence)]

    def _frozen(self) -> list[Finding]:
        """An optimizer whose parameters are all frozen, when nothing else learns either, or
        when backward trains parameters no optimizer holds (the wrong part frozen); an
        optimizer kept for a part to unfreeze later, beside one that trains, is not one."""
        unheld = self._unheld_names()
        if not self.frozen or not unheld and len(self.frozen) < len(self.first):
            return []
        optimizer = next(iter(self.frozen.values()))
        params = [self.watch.name(p) for p in params_of(optimizer)]
        evidence = (f"{self.watch.name(optimizer)!r} holds {len(params)} parameter(s) and none "
                    f"requires grad ({names(params)}): it can never change them")
        if unheld:
            evidence += (f"; backward meanwhile trains {len(unheld)} parameter(s) no "
                         f"optimizer holds ({names(unheld)}): was the wrong part frozen?")
        return [Finding("frozen-parameters", "an optimizer's parameters are all frozen "
                        "(requires_grad=False)", evidence)]

    def _unheld_names(self) -> list[str]:
        """Module parameters that got gradients, never moved, and no optimizer holds."""
        held = {id(p) for o in self.watch.optimizers.values() for p in params_of(o)}
        modules = {id(p) for m in self.watch.modules.values() for p in m.parameters()}
        return [self.watch.name(p) for pid, (p, was) in self.trained.items()
                if pid not in held and pid in modules and p.requires_grad
                and np.array_equal(values(p), was, equal_nan=True)]

    def _unheld(self) -> list[Finding]:
        if not self.watch.optimizers:
            return []
        unheld = self._unheld_names()
        if not unheld:
            return []
        called = {id(p) for m in self.watch.roots.values() for p in m.parameters()}
        orphans = [self.watch.name(p) for step in self.first.values()
                   for p in params_of(step.optimizer) if id(p) not in self.reached | called]
        evidence = (f"{len(unheld)} parameter(s) get gradients from backward but no optimizer "
                    f"holds them, and they never change: {names(unheld)}")
        if orphans:
            evidence += (f"; the optimizers hold {len(orphans)} parameter(s) that no module "
                         f"the loop calls has ({names(orphans)}): was a layer replaced after "
                         "the optimizer was built?")
        return [Finding("parameters-not-in-optimizer", "trainable parameters that no "
                        "optimizer holds never learn", evidence)]

    def _scheduler(self) -> list[Finding]:
        if not self.schedulers:
            return []
        warned = self.schedulers[0]
        evidence = f"step {warned.step}: {warned.category}: {warned.message.split('. ')[0]}"
        for s in self.watch.schedulers.values():
            first = self.first.get(id(s.optimizer))
            if first is None:
                continue
            evidence += (f"; the scheduler {self.watch.name(s)!r} ({type(s).__name__}) of "
                         f"{first.name!r}")
            initial = s.optimizer.param_groups[0].get("initial_lr")
            if initial is not None and first.lrs[0] != initial:
                evidence += (f" had moved its lr to {first.lrs[0]:g} before its first step; "
                             f"the schedule starts at {initial:g}")
            break
        return [Finding("scheduler-before-optimizer", "the scheduler steps before the "
                        "optimizer: the schedule's first learning rate is skipped", evidence)]
