"""doctor's detections of losses and graphs: checks (doctor_checks.py) that read the watch's
events (doctor_events.py) and name the pitfall they show, with the evidence.

* mse-broadcast             the warning about a target size different to the input size
* loss-broadcast            an operation of the loss broadcast (N, 1) against (N,) into (N, N)
* softmax-cross-entropy     cross_entropy given rows that are >= 0 and sum to one, or a
                            sigmoid's output
* nll-loss-input            nll_loss given rows that are not log-probabilities
* sigmoid-bce-with-logits   binary_cross_entropy_with_logits given a sigmoid's (or a
                            softmax's) output
* train-loss-graph          a loss returned with its graph, or a name whose graphs pile up:
                            a running total, a list or a dict of losses
* detached-loss             a backward whose graph reaches none of the trainable parameters
* nan-loss                  the loss or a parameter becomes NaN or inf: the first step, the
                            first module or operation that made one, a gradient before it
* manual-update             the in-place error on a leaf, or a global parameter rebound to a
                            tensor that no longer requires grad
"""

from __future__ import annotations

import numpy as np

from reference.debugging.doctor_checks import NO_GRAD_FN, Check, Finding, names, steps
from reference.debugging.doctor_events import (
    Backward,
    Broadcast,
    Held,
    LossCall,
    Origin,
    Raised,
    Rebound,
    Step,
    StepEnd,
    Warned,
    is_tensor,
    made_by,
    params_of,
)
from reference.teaching.pitfalls._lib import graph_nodes

# Rows of a softmax sum to one within a few float32 ULPs; logits summing to one within 1e-3
# on every row by chance is not a thing that happens. log_softmax's rows have a log-sum-exp
# of 0 within as little.
SUMS_TO_ONE = 1e-3
IN_PLACE_LEAF = "leaf Variable that requires grad is being used in an in-place operation"


def rows(x: np.ndarray) -> int:
    """The class axis of a loss's input: 1 for (N, C, ...), 0 for (C,)."""
    return 1 if x.ndim > 1 else 0


def probabilities(x: np.ndarray) -> bool:
    return bool(x.size and x.min() >= 0
                and np.all(np.abs(x.sum(axis=rows(x)) - 1) <= SUMS_TO_ONE))


def squashed(call: LossCall) -> bool:
    """Was the loss's input made by a sigmoid or a softmax (its graph says)?"""
    return any(f in call.made_by.lower() for f in ("sigmoid", "softmax"))


def log_sum_exp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=rows(x), keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    return (top + np.log(np.exp(x - top).sum(axis=rows(x), keepdims=True))).squeeze(rows(x))


class Losses(Check):
    """What the loss functions were given, and how the loss's arithmetic broadcast."""

    def __init__(self) -> None:
        self.sizes: list[str] = []                  # the target-size warnings
        self.broadcasts: list[Broadcast] = []
        self.calls: dict[str, int] = {}             # function -> calls
        self.softmaxed: list[LossCall] = []         # the first cross_entropy call given
        self.softmaxed_calls = 0                    # probabilities, and how many were
        self.not_log: list[np.ndarray] = []         # the first nll_loss input that is not
        self.not_log_steps: list[int] = []          # log-probabilities, and the steps
        self.sigmoided: list[LossCall] = []

    def warned(self, event: Warned) -> None:
        if "target size" in event.message and "input size" in event.message:
            self.sizes.append(event.message)

    def broadcast(self, event: Broadcast) -> None:
        self.broadcasts.append(event)

    def loss_call(self, event: LossCall) -> None:
        self.calls[event.function] = self.calls.get(event.function, 0) + 1
        x = event.input
        if not x.size or not np.isfinite(x).all():
            return
        if event.function == "cross_entropy" and (probabilities(x) or squashed(event)):
            self.softmaxed = self.softmaxed or [event]
            self.softmaxed_calls += 1
        elif event.function == "nll_loss" and np.abs(log_sum_exp(x)).max() > SUMS_TO_ONE:
            self.not_log = self.not_log or [x]
            self.not_log_steps.append(event.step)
        elif event.function == "binary_cross_entropy_with_logits" and squashed(event):
            self.sigmoided.append(event)

    def findings(self) -> list[Finding]:
        found = []
        if self.sizes:
            found.append(Finding("mse-broadcast", "the loss broadcasts its input against its "
                                 "target", f"{len(self.sizes)} warning(s): {self.sizes[0]}"))
        elif self.broadcasts:
            b = self.broadcasts[0]
            found.append(Finding(
                "loss-broadcast", "the loss's arithmetic broadcasts (N, 1) against (N,) into "
                "(N, N), silently",
                f"in step(s) {steps([e.step for e in self.broadcasts])} {b.op} made "
                f"{b.out} from {' and '.join(map(str, b.shapes))}: every output against "
                "every target; give both one shape (y.view(-1, 1) or out.squeeze(1))"))
        if self.softmaxed:
            call = self.softmaxed[0]
            sums = call.input.sum(axis=rows(call.input))
            what = (f"had rows >= 0 that sum to one ({sums.min():.7f} to {sums.max():.7f})"
                    if probabilities(call.input) else f"were made by {call.made_by}")
            found.append(Finding(
                "softmax-cross-entropy", "cross_entropy is given probabilities, not logits",
                f"{self.softmaxed_calls} of {self.calls['cross_entropy']} inputs to "
                f"cross_entropy {what}: it applies log-softmax itself, give it the raw "
                "outputs"))
        if self.not_log:
            x = self.not_log[0]
            what = (f"probabilities (rows >= 0 summing to {x.sum(axis=rows(x)).mean():.4g})"
                    if probabilities(x) else
                    f"rows whose log-sum-exp runs from {log_sum_exp(x).min():.4g} to "
                    f"{log_sum_exp(x).max():.4g}, where log-probabilities give 0")
            found.append(Finding(
                "nll-loss-input", "nll_loss is given something else than log-probabilities",
                f"in step(s) {steps(self.not_log_steps)} nll_loss was given {what}: "
                "it expects log_softmax's output (or use cross_entropy on the logits)"))
        if self.sigmoided:
            call = self.sigmoided[0]
            found.append(Finding(
                "sigmoid-bce-with-logits", "binary_cross_entropy_with_logits is given "
                "probabilities, not logits",
                f"in step(s) {steps([c.step for c in self.sigmoided])} its input was made by "
                f"{call.made_by} (values {call.input.min():.4g} to {call.input.max():.4g}): "
                "it applies the sigmoid itself, give it the raw outputs"))
        return found


class Graphs(Check):
    """What backward starts from and reaches, what the loop keeps, and non-finite values."""

    def __init__(self) -> None:
        self.returned: list[int] = []               # graph nodes of each tensor returned
        self.last: dict[str, tuple[Held, int]] = {}     # name -> what it held, and for how
        self.sizes: dict[str, list[int]] = {}           # many steps it kept more; its sizes
        self.piled: dict[str, bool] = {}                # names that piled up: a container?
        self.detached: list[tuple[int, str]] = []
        self.refused = ""                           # backward's error on such a loss
        self.losses: dict[int, float] = {}          # step -> its first loss
        self.origins: dict[int, str] = {}
        self.nonfinite: list[tuple[int, str]] = []  # a loss or a parameter: a finding
        self.bad_grads: list[tuple[int, str]] = []  # a gradient: evidence (a skipped AMP step
                                                    # leaves the parameters finite)
        self.updated: list[Finding] = []

    # what the loop keeps

    def step_end(self, event: StepEnd) -> None:
        if is_tensor(event.returned) and event.returned.grad_fn is not None:
            self.returned.append(graph_nodes(event.returned))
        for name, held in event.holders.items():
            before, streak = self.last.get(name, (None, 0))
            streak = streak + 1 if before is not None and held.keeps(before) else 0
            self.last[name] = (held, streak)
            self.sizes.setdefault(name, []).append(held.graphs if held.container
                                                   else held.nodes)
            if streak >= 2:                 # three steps in a row, each keeping more
                self.piled.setdefault(name, held.container)

    # backward, and what it reaches

    def backward(self, event: Backward) -> None:
        value = float(event.value.sum())
        self.losses.setdefault(event.step, value)
        if not np.isfinite(event.value).all():
            made = " <- ".join(event.nodes[:3])
            self.nonfinite.append((event.step, f"the loss was {value} at step {event.step}"
                                   + (f" (made by {made})" if made else "")))
        trained = self._trainable()
        if trained and not trained & event.reached.keys():
            how = (f"made by {made_by(event.loss)}" if event.loss.grad_fn is not None else
                   "a new leaf" if event.loss.requires_grad else "no graph at all")
            self.detached.append((event.step, f"backward started from a tensor ({value:.4g}, "
                                  f"{how}) whose graph reaches none of the {len(trained)} "
                                  "trainable parameters"))

    def _trainable(self) -> set[int]:
        params = [p for o in self.watch.optimizers.values() for p in params_of(o)]
        params += [p for m in self.watch.roots.values() for p in m.parameters()]
        params = params or list(self.watch.params.values())
        return {id(p) for p in params if p.requires_grad}

    def backward_end(self, event: Backward) -> None:
        for pid, grad in event.after.items():
            if grad is not None and not np.isfinite(grad).all() and np.isfinite(
                    event.value).all():
                self.bad_grads.append((event.step, f"the gradient of "
                                       f"{self.watch.name(event.reached[pid])!r} was already "
                                       f"non-finite after step {event.step}'s backward, from "
                                       "a finite loss"))
                return

    def step_post(self, event: Step) -> None:
        for p, before, after in zip(event.params, event.before, event.after):
            if np.isfinite(before).all() and not np.isfinite(after).all():
                self.nonfinite.append((event.step, f"{self.watch.name(p)!r} became non-finite "
                                       f"in step {event.step}'s {event.name}.step() (its "
                                       f"largest |value| before: {np.abs(before).max():.4g})"))
                return

    def origin(self, event: Origin) -> None:
        self.origins.setdefault(event.step, event.where)

    # errors and rebinding

    def raised(self, event: Raised) -> None:
        message = f"step {event.step} raised {type(event.error).__name__}: {event.error}"
        if isinstance(event.error, RuntimeError) and IN_PLACE_LEAF in str(event.error):
            self.updated.append(Finding("manual-update", "a parameter is updated in place "
                                        "outside no_grad()", message))
        elif NO_GRAD_FN in str(event.error):
            self.refused = message

    def rebound(self, event: Rebound) -> None:
        name, new = next(iter(event.names.items()))
        were = (", ".join(repr(n) for n in event.names)
                + (" was" if len(event.names) == 1 else " were"))
        self.updated.append(Finding(
            "manual-update", f"{were} replaced by tensors that are not trainable leaves",
            f"after step {event.step}, {name} has requires_grad={new.requires_grad}, is_leaf="
            f"{new.is_leaf}: `{name} = {name} - lr * {name}.grad` makes a new tensor; update in "
            f"place under no_grad(): `{name} -= lr * {name}.grad`"))

    def findings(self) -> list[Finding]:
        return [*self._kept(), *self._detached(), *self._nan(), *self.updated[:1]]

    def _kept(self) -> list[Finding]:
        found = []
        if self.returned:
            found.append(Finding("train-loss-graph", "the step returns a loss that holds its "
                                 "graph", f"step() returned a tensor with a grad_fn "
                                 f"({self.returned[-1]} graph nodes); a running total of it "
                                 "keeps every step's graph: return loss.item()"))
        for name, container in self.piled.items():
            sizes = ", ".join(map(str, self.sizes[name]))
            if container:
                found.append(Finding(
                    "train-loss-graph", f"{name!r} keeps every step's loss with its graph",
                    f"tensors with a graph it holds after each step: {sizes} ("
                    f"{self.last[name][0].nodes} graph nodes kept alive): keep loss.item(), "
                    "not loss"))
            else:
                found.append(Finding(
                    "train-loss-graph", f"{name!r} keeps every step's graph",
                    f"graph nodes it keeps after each step: {sizes}: add loss.item(), not "
                    "loss"))
        return found

    def _detached(self) -> list[Finding]:
        if not self.detached and not self.refused:
            return []
        evidence = self.refused
        if self.detached:
            k, what = self.detached[0]
            trained = [self.watch.name(self.watch.params[pid]) for pid in self._trainable()
                       if pid in self.watch.params]
            evidence = (f"in step(s) {steps([s for s, _ in self.detached])}: {what}"
                        f"{f' ({names(trained)})' if trained else ''}"
                        + (f"; {self.refused}" if self.refused else ""))
        return [Finding(
            "detached-loss", "the loss has no path to the parameters: backward trains nothing",
            evidence + "; a loss rebuilt from .item(), NumPy or .detach() carries no gradient "
            "back")]

    def _nan(self) -> list[Finding]:
        if not self.nonfinite:
            return []
        k, what = self.nonfinite[0]
        where = self.origins.get(k)
        losses = [f"{v:.4g}" for s, v in sorted(self.losses.items()) if s <= k][-6:]
        evidence = what + (f"; the first non-finite value of step {k}: {where}" if where else "")
        evidence += "".join(f"; {grad}" for s, grad in self.bad_grads[:1] if s <= k)
        return [Finding("nan-loss", "the loss or the parameters become NaN or inf",
                        evidence + f"; the loss at each step up to it: {', '.join(losses)}")]
