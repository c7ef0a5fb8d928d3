"""doctor's detections of where things happen in a step: clipping against backward() and
step(), and train()/eval() against backward() and no_grad(). Checks as in doctor_checks.py.

* clip-before-backward         clipping between a step and the next backward
* clip-changes-nothing         clipping that was given no gradient while the step had some
* eval-mode-training           a model in eval() mode (with dropout or batch norm) trained
* train-mode-evaluation        a model an optimizer trains, in train() mode under no_grad,
                               with no backward after it
"""

from __future__ import annotations

from typing import Any

from reference.debugging.doctor_checks import Check, Finding, steps, total
from reference.debugging.doctor_events import Backward, Clip, Forward, Step, StepEnd, params_of

# -- clipping -------------------------------------------------------------------------------

class Clipping(Check):
    """Where clipping ran, against backward and the step, and what it saw."""

    def __init__(self) -> None:
        self.open: list[Clip] = []      # since the last backward or step
        self.early: list[Clip] = []     # a backward came after them
        self.unclipped = 0.0            # |grad| of the first step after an early clip
        self.empty: list[tuple[Clip, float]] = []

    def clip(self, event: Clip) -> None:
        self.open.append(event)

    def backward(self, event: Backward) -> None:
        if not event.closure:           # a closure clips and backpropagates again, in order
            self.early += self.open
            self.open = []

    def step_pre(self, event: Step) -> None:
        size = total(event.grads)
        if self.early and not self.unclipped:
            self.unclipped = size
        for clip in self.open:
            if clip.with_grad == 0 and size > 0:
                self.empty.append((clip, size))
        self.open = []

    def findings(self) -> list[Finding]:
        found = []
        if self.early:
            clip = self.early[0]
            used = (f"; the optimizer then stepped with |grad| {self.unclipped:.4g}"
                    if self.unclipped else "")
            found.append(Finding(
                "clip-before-backward", "gradients are clipped before backward(), not "
                "between backward() and step()",
                f"{clip.function}({clip.threshold:g}) ran before a backward() in step(s) "
                f"{steps([c.step for c in self.early])}: it saw {clip.with_grad} of "
                f"{clip.given} parameters with a .grad (|grad| {clip.norm:.4g}){used}, "
                "unclipped"))
        if self.empty:
            clip, size = self.empty[0]
            found.append(Finding(
                "clip-changes-nothing", "the clipping is given no gradient: it changes "
                "nothing",
                f"{clip.function}({clip.threshold:g}) in step(s) "
                f"{steps([c.step for c, _ in self.empty])} was given {clip.given} parameters, "
                f"{clip.with_grad} with a .grad, while the optimizer stepped with |grad| "
                f"{size:.4g}: was it given an iterator already used up (model.parameters() "
                "handed to the optimizer first), or another model's parameters?"))
        return found


# -- train() and eval() ---------------------------------------------------------------------

class Modes(Check):
    """The outermost modules' mode, against what the step does with them."""

    def __init__(self) -> None:
        self.last: dict[int, Forward] = {}         # module -> its latest call with grad
        self.evaluated: dict[int, int] = {}        # module -> its latest eval-mode step
        self.pending: list[Forward] = []           # train-mode calls under no_grad
        self.trained_in_eval: list[tuple[Forward, int | None]] = []   # and since when
        self.evaluated_in_train: list[Forward] = []

    def forward(self, event: Forward) -> None:
        if event.grad:
            self._flush(event.module)              # its evaluation is over: it trains again
            self.last[id(event.module)] = event
        elif event.training and event.switches:
            self.pending.append(event)
        elif not event.training:
            self.evaluated[id(event.module)] = event.step

    def backward(self, event: Backward) -> None:
        self.pending = []                          # part of the training step, not evaluation
        held = {id(p) for o in self.watch.optimizers.values() for p in params_of(o)}
        for f in self.last.values():
            mine = {id(p) for p in f.module.parameters()} & event.reached.keys()
            if (not f.training and f.switches and f.step == event.step and mine
                    and (mine & held or not held)):
                self.trained_in_eval.append((f, self.evaluated.get(id(f.module))))

    def step_end(self, event: StepEnd) -> None:
        self._flush()

    def _flush(self, module: Any = None) -> None:
        """The pending calls (of ``module`` or a part of it, or all) were evaluations: of a
        model an optimizer trains, in training mode under no_grad, with no backward after
        it. (A teacher or an average of the weights, run in training mode, is in no
        optimizer.)"""
        held = {id(p) for o in self.watch.optimizers.values() for p in params_of(o)}
        ours = set() if module is None else {id(p) for p in module.parameters()}
        mine = [f for f in self.pending if module is None or f.module is module
                or ours & {id(p) for p in f.module.parameters()}]
        self.pending = [f for f in self.pending if f not in mine]
        self.evaluated_in_train += [f for f in mine
                                    if any(id(p) in held for p in f.module.parameters())]

    def findings(self) -> list[Finding]:
        self._flush()
        found = []
        if self.trained_in_eval:
            f, since = self.trained_in_eval[0]
            after = f" since its evaluation in step {since}" if since is not None else ""
            found.append(Finding(
                "eval-mode-training", "the model trains in eval() mode: dropout and batch "
                "norm act as in evaluation",
                f"in step(s) {steps([t.step for t, _ in self.trained_in_eval])} {f.name!r} ran in "
                f"eval mode{after} and backward trained it: {', '.join(f.switches[:4])} "
                f"{'act' if len(f.switches) > 1 else 'acts'} as in evaluation; call "
                f"{f.name}.train() before training"))
        if self.evaluated_in_train:
            f = self.evaluated_in_train[0]
            found.append(Finding(
                "train-mode-evaluation", "the model is evaluated in train() mode: dropout "
                "and batch norm act as in training",
                f"in step(s) {steps([t.step for t in self.evaluated_in_train])} {f.name!r} ran "
                f"under no_grad in training mode, with no backward after it: "
                f"{', '.join(f.switches[:4])} act as in training (random dropout, batch "
                f"statistics, running averages updated); call {f.name}.eval() to evaluate"))
        return found
