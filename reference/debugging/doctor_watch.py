"""What doctor sees of a running loop: the engines' documented hooks, turned into events.

A Watch installs, for as long as the loop runs:

* both engines' hooks: the global module forward pre- and post-hooks, the global optimizer
  step pre- and post-hooks, backward's start and end (manual: graph.register_backward_hook
  and register_backward_post_hook; torch: a TorchFunctionMode, which also sees every torch
  function the loop calls: its losses, its arithmetic, the first non-finite result);
* wrappers around a few public functions whose arguments matter and that no hook shows:
  clip_grad_norm_ and clip_grad_value_ (both engines), and on manual, which has no function
  mode, the losses; the names are put back afterwards, the user's own bindings included;
* a warnings filter that records every warning with the step that raised it.

From those it keeps what the checks need (each backward's loss, the leaves its graph
reaches, their gradients before and after; each optimizer step's values and gradients
before and after; names for what the user's code holds, doctor_names.py) and hands every
event (doctor_events.py) to every check. A failure inside the watch or a check is doctor's
own: it is recorded, that check is switched off, and the loop runs on untouched.
"""

from __future__ import annotations

import functools
import importlib
import sys
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import GeneratorType
from typing import Any

import numpy as np
import torch
from torch.nn.modules import module as torch_module
from torch.optim import optimizer as torch_optimizer
from torch.overrides import TorchFunctionMode

import manual
from manual import graph as manual_graph
from manual import module as manual_module
from manual import optimizer as manual_optimizer
from reference.debugging.doctor_events import (
    Backward,
    Broadcast,
    Clip,
    Forward,
    Held,
    LossCall,
    Origin,
    Rebound,
    Step,
    StepEnd,
    Stop,
    Warned,
    column_against_row,
    finite,
    is_tensor,
    made_by,
    params_of,
    switches,
    tensors,
    values,
    walk,
)
from reference.debugging.doctor_names import Names
from reference.teaching.pitfalls._lib import graph_nodes

# the losses whose input and reduction the checks read (torch.nn.functional's names)
LOSSES = ("cross_entropy", "nll_loss", "binary_cross_entropy_with_logits",
          "binary_cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
CLIPS = ("clip_grad_norm_", "clip_grad_value_")
KEPT_LOSSES = 4    # the latest loss calls kept, for the backward that starts from one


class _Functions(TorchFunctionMode):
    """torch's function calls, for the watch: backward's start and end, and every result."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if self.watch.busy:
            return func(*args, **kwargs)
        if func is torch.Tensor.backward:
            self.watch.on_backward(args[0])
            out = func(*args, **kwargs)
            self.watch.after_backward(args[0])
            return out
        out = func(*args, **kwargs)
        self.watch.on_function(func, args, kwargs, out)
        return out


class Watch:
    """The hooks' shared state: what the loop holds and did so far, and the checks."""

    def __init__(self, checks: list[Any], folder: Path, limit: int | None = None) -> None:
        self.checks = list(checks)
        self.name = Names(folder)       # names for what the user's code holds
        self.limit = limit              # a script: stop once every optimizer took this many
        self.call: int | None = None    # a step function: the call in progress
        self.optimizers: dict[int, Any] = {}
        self.stepped: dict[int, int] = {}               # optimizer id -> steps taken
        self.roots: dict[int, Any] = {}                 # outermost modules called
        self.modules: dict[int, Any] = {}               # every module found or called
        self.params: dict[int, Any] = {}                # every trainable leaf seen
        self.schedulers: dict[int, Any] = {}
        self.losses: deque[LossCall] = deque(maxlen=KEPT_LOSSES)
        self.leaves: dict[str, Any] = {}        # a script's trainable leaves, by name
        self.open_steps: dict[int, Step] = {}
        self.open_backward: Backward | None = None
        self.started = self.backwards = 0   # backwards started, and run to their end
        self.calls: list[Any] = []      # the modules whose forward is running, outermost first
        self.busy = self.in_loss = False
        self.origin_step = 0            # the step whose first non-finite value is known
        self.warnings: list[Warned] = []
        self.faults: list[str] = []
        for check in self.checks:
            check.watch = self

    # -- where the loop is -------------------------------------------------------------------

    def step(self) -> int:
        """The step in progress: the call of a step function; in a script, one more than
        the fewest steps any optimizer has taken (without one, the latest backward)."""
        if self.call is not None:
            return self.call
        if self.stepped:
            return 1 + min(self.stepped.values())
        return 1 if self.optimizers else max(self.started, 1)

    def done(self) -> bool:
        if self.limit is None:
            return False
        if self.stepped:
            return min(self.stepped.values()) >= self.limit
        return self.backwards >= (10 if self.optimizers else 1) * self.limit

    # -- doctor's own failures ---------------------------------------------------------------

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Doctor's code inside the loop: torch calls it makes pass the function mode by,
        and a failure is recorded as doctor's, never raised into the loop."""
        busy, self.busy = self.busy, True
        try:
            yield
        except Exception as error:  # noqa: BLE001 (doctor's own failure: reported, not raised)
            self.fault(what, error)
        finally:
            self.busy = busy

    def fault(self, what: str, error: BaseException) -> None:
        frame = traceback.extract_tb(error.__traceback__)[-1:] or [None]
        where = f" ({Path(frame[0].filename).name}:{frame[0].lineno})" if frame[0] else ""
        line = f"{what}: {type(error).__name__}: {error}{where}"
        if line not in self.faults:
            self.faults.append(line)

    def emit(self, kind: str, event: Any) -> None:
        """Hand ``event`` to every check; a check that fails is switched off."""
        with self.guard(kind):
            for check in list(self.checks):
                try:
                    getattr(check, kind)(event)
                except Exception as error:  # noqa: BLE001 (doctor's own failure)
                    self.fault(f"the check {type(check).__name__}, on {kind}", error)
                    self.checks.remove(check)

    # -- what the user's code holds ---------------------------------------------------------

    def _module(self, module: Any, name: str) -> None:
        self.modules.setdefault(id(module), module)
        self.name.module(module, name)

    def _optimizer(self, optimizer: Any, name: str | None = None) -> None:
        """Register an optimizer (and its parameters) the first time it is seen; one seen
        by a hook is looked for in the user's code first, for its name."""
        if name is not None:
            self.name.give(optimizer, name)
        if id(optimizer) in self.optimizers:
            return
        self.optimizers[id(optimizer)] = optimizer
        if name is None:
            self.scan()
            self.name.give(optimizer, f"{type(optimizer).__name__} #{len(self.optimizers)}")
        for i, p in enumerate(params_of(optimizer)):
            self.name.give(p, f"parameter {i} of {self.name(optimizer)} {tuple(p.shape)}")
            self.params.setdefault(id(p), p)

    def scan(self) -> dict[str, Any]:
        """Look at what the user's code holds now (doctor_names.py): register and name its
        modules and tensors (first: they name the parameters), optimizers and schedulers;
        return the tensors and containers found, by name."""
        found = self.name.look()
        for path, module in found.modules:
            self._module(module, path)
        for path, value in found.values.items():
            if is_tensor(value):
                self.name.give(value, path)
        for path, optimizer in found.optimizers:
            self._optimizer(optimizer, path)
        for path, scheduler in found.schedulers:
            self.name.give(scheduler, path)
            self.schedulers.setdefault(id(scheduler), scheduler)
        return found.values

    def holders(self) -> dict[str, Held]:
        """The names whose values keep graphs: a tensor with one, or a container of them."""
        out = {}
        for path, value in self.scan().items():
            if is_tensor(value):
                if value.grad_fn is not None:
                    nodes = walk(value)[1]
                    out[path] = Held(False, 1, graph_nodes(value),
                                     frozenset(map(id, nodes)), (value.grad_fn,))
                continue
            items = list(value.values() if isinstance(value, dict) else value)
            graphs = tuple(t for t in items if is_tensor(t) and t.grad_fn is not None)
            if graphs:
                out[path] = Held(True, len(graphs), sum(graph_nodes(t) for t in graphs),
                                 frozenset(map(id, graphs)), graphs)
        return out

    # -- the engines' hooks ------------------------------------------------------------------

    def before_forward(self, module: Any, args: Any) -> None:
        if not self.calls:
            if _grad(module) and self.done():
                raise Stop
            with self.guard("a module's forward"):
                if id(module) not in self.roots:
                    self.roots[id(module)] = module
                    self.scan()
                    self._module(module, type(module).__name__)
                    for p in module.parameters():
                        self.params.setdefault(id(p), p)
        self.calls.append(module)

    def after_forward(self, module: Any, args: Any, output: Any) -> None:
        while self.calls and self.calls.pop() is not module:   # calls that raised
            pass
        with self.guard("a module's forward"):
            if self.origin_step != self.step() and not all(map(finite, tensors(output))) and (
                    all(map(finite, tensors(args)))):
                self.origin(f"the output of {self.name(module)} ({type(module).__name__})")
            if not self.calls:
                self.emit("forward", Forward(self.step(), module, self.name(module),
                                             _grad(module), module.training,
                                             switches(module, self.name(module))))

    def origin(self, where: str) -> None:
        self.origin_step = self.step()
        self.emit("origin", Origin(self.step(), where))

    def on_backward(self, loss: Any) -> None:
        if self.done():
            raise Stop
        self.started += 1
        with self.guard("a backward"):
            self.calls = []
            if not self.stepped:
                found = self.scan()             # the optimizers, before they step
                if self.call is None and not self.optimizers:
                    self._rebound(found)
            leaves, nodes = walk(loss)
            for p in leaves.values():
                self.params.setdefault(id(p), p)
            source = next((c for c in self.losses if c.output is loss), None)
            self.open_backward = Backward(
                self.step(), loss, values(loss), leaves, [n.name() for n in nodes[:6]],
                self.name.site(), source, bool(self.open_steps),
                {pid: values(p.grad) for pid, p in leaves.items()})
            for node in nodes:
                if isinstance(node, manual_graph.Node):
                    self._node_broadcast(node)
            self.emit("backward", self.open_backward)

    def _rebound(self, found: dict[str, Any]) -> None:
        """A script that updates its tensors by hand: the names that held a trainable leaf
        at the last backward and hold another tensor, not a trainable leaf, now."""
        rebound = {path: new for path, old in self.leaves.items()
                   if (new := found.get(path)) is not old and is_tensor(new)
                   and not (new.requires_grad and new.is_leaf)}
        if rebound:
            self.emit("rebound", Rebound(self.step() - 1, rebound))
        self.leaves = {path: t for path, t in found.items()
                       if is_tensor(t) and t.requires_grad and t.is_leaf}

    def _node_broadcast(self, node: Any) -> None:
        """A manual node with one operand from the model and one from outside the graph."""
        shapes = [tuple(edge.shape) for edge in node.inputs if edge is not None]
        if len(node.inputs) == 2 and len(shapes) == 1 and column_against_row(
                tuple(node.shape), shapes[0], None):
            self.emit("broadcast", Broadcast(self.step(), node.name(), shapes,
                                             tuple(node.shape)))

    def after_backward(self, loss: Any) -> None:
        with self.guard("a backward"):
            event, self.open_backward = self.open_backward, None
            if event is None or event.loss is not loss:
                return
            event.after = {pid: values(p.grad) for pid, p in event.reached.items()}
            self.backwards += 1
            self.emit("backward_end", event)
            if self.call is None and not self.optimizers:
                self.end_of_step(event.step, None)

    def before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        with self.guard("an optimizer step"):
            self.calls = []
            self._optimizer(optimizer)
            params = params_of(optimizer)
            event = Step(self.step(), optimizer, self.name(optimizer),
                         self.stepped.get(id(optimizer), 0) + 1, params,
                         [values(p) for p in params], [values(p.grad) for p in params],
                         [g["lr"] for g in optimizer.param_groups])
            self.open_steps[id(optimizer)] = event
            self.emit("step_pre", event)

    def after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        with self.guard("an optimizer step"):
            event = self.open_steps.pop(id(optimizer), None)
            if event is None:
                return
            event.after = [values(p) for p in event.params]
            step = self.step()
            self.stepped[id(optimizer)] = event.count
            self.emit("step_post", event)
            if self.call is None and self.step() > step:
                self.end_of_step(step, None)

    def end_of_step(self, step: int, returned: Any) -> None:
        with self.guard("the end of a step"):
            self.emit("step_end", StepEnd(step, returned, self.holders()))

    def on_function(self, func: Any, args: Any, kwargs: Any, out: Any) -> None:
        """A torch function's result: a loss call, a broadcast, a first non-finite value."""
        name = getattr(func, "__name__", "")
        if name in LOSSES:
            self.on_loss(name, args, kwargs, out)
        if (not isinstance(out, torch.Tensor) or not out.is_floating_point()
                or name.startswith("__get") or name.startswith("__set")):
            return
        with self.guard("a torch function"):
            operands = sorted((a for a in args[:2] if isinstance(a, torch.Tensor)),
                              key=lambda a: not a.requires_grad)     # the model's first
            if (len(operands) == 2 and torch.is_grad_enabled()
                    and operands[0].requires_grad and not operands[1].requires_grad
                    and column_against_row(tuple(out.shape), tuple(operands[0].shape),
                                           tuple(operands[1].shape))):
                self.emit("broadcast", Broadcast(self.step(), name,
                                                 [tuple(a.shape) for a in operands],
                                                 tuple(out.shape)))
            if self.origin_step != self.step() and not finite(out) and all(
                    map(finite, tensors(args))):
                inside = (f", in {self.name(self.calls[-1])} ({type(self.calls[-1]).__name__})"
                          if self.calls else "")
                self.origin(f"torch.{name}{inside}")

    def on_loss(self, function: str, args: Any, kwargs: Any, out: Any) -> None:
        with self.guard("a loss function"):
            reduction = kwargs.get("reduction") or next(
                (a for a in args[2:] if isinstance(a, str)), "mean")
            call = LossCall(self.step(), function, values(args[0]), made_by(args[0]),
                            reduction, out)
            self.losses.append(call)
            self.emit("loss_call", call)

    def on_clip(self, function: str, params: list[Any], args: Any, kwargs: Any) -> None:
        with self.guard("clipping"):
            threshold = args[0] if args else kwargs.get("max_norm", kwargs.get("clip_value"))
            grads = [values(p.grad) for p in params if p.grad is not None]
            norm = float(np.sqrt(sum(float(np.sum(g ** 2)) for g in grads)))
            self.emit("clip", Clip(self.step(), function, float(threshold), len(params),
                                   len(grads), norm))

    def warned(self, message: Any, category: type, filename: str, lineno: int,
               file: Any = None, line: str | None = None) -> None:
        with self.guard("a warning"):
            event = Warned(self.step(), category.__name__, str(message))
            self.warnings.append(event)
            self.emit("warned", event)

    # -- installing it -----------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[None]:
        """The hooks, the wrappers, the warnings filter and torch's function mode, for as
        long as the loop runs; all taken off again afterwards."""
        with ExitStack() as stack:
            handles = [torch_module.register_module_forward_pre_hook(self.before_forward),
                       torch_module.register_module_forward_hook(self.after_forward),
                       torch_optimizer.register_optimizer_step_pre_hook(self.before_step),
                       torch_optimizer.register_optimizer_step_post_hook(self.after_step),
                       manual_module.register_module_forward_pre_hook(self.before_forward),
                       manual_module.register_module_forward_hook(self.after_forward),
                       manual_optimizer.register_optimizer_step_pre_hook(self.before_step),
                       manual_optimizer.register_optimizer_step_post_hook(self.after_step),
                       manual_graph.register_backward_hook(self.on_backward),
                       manual_graph.register_backward_post_hook(self.after_backward)]
            for handle in handles:
                stack.callback(handle.remove)
            stack.enter_context(self._wrapped())
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("always")
            warnings.showwarning = self.warned   # catch_warnings puts the original back
            stack.enter_context(_Functions(self))
            yield

    @contextmanager
    def _wrapped(self) -> Iterator[None]:
        """Every binding of the watched functions, in the libraries' modules and the user's,
        replaced by a wrapper that tells the watch; put back afterwards."""
        wrappers = {id(f): self._wrapper(kind, name, f) for kind, name, f in _watched()}
        owners = [m for n, m in list(sys.modules.items())
                  if n.split(".")[0] == "manual" or n.startswith("torch.nn.utils")]
        saved = []
        for owner in [*owners, *self.name.user_modules]:
            for attr, value in list(vars(owner).items()):
                if id(value) in wrappers and wrappers[id(value)].__wrapped__ is value:
                    saved.append((owner, attr, value))
                    setattr(owner, attr, wrappers[id(value)])
        try:
            yield
        finally:
            for owner, attr, value in reversed(saved):
                setattr(owner, attr, value)

    def _wrapper(self, kind: str, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if kind == "clip":
            @functools.wraps(function)
            def clip(parameters: Any, *args: Any, **kwargs: Any) -> Any:
                params = [parameters] if is_tensor(parameters) else list(parameters)
                self.on_clip(name, params, args, kwargs)
                if isinstance(parameters, GeneratorType):   # a generator still, for its warning
                    return function((p for p in params), *args, **kwargs)
                return function(parameters if is_tensor(parameters) else params, *args,
                                **kwargs)
            return clip

        @functools.wraps(function)
        def loss(*args: Any, **kwargs: Any) -> Any:
            if self.in_loss:                 # a loss that another one calls
                return function(*args, **kwargs)
            self.in_loss = True
            try:
                out = function(*args, **kwargs)
            finally:
                self.in_loss = False
            self.on_loss(name, args, kwargs, out)
            return out
        return loss


def _grad(module: Any) -> bool:
    if isinstance(module, torch.nn.Module):
        return torch.is_grad_enabled()
    return manual.is_grad_enabled()


def _watched() -> list[tuple[str, str, Callable[..., Any]]]:
    """(kind, name, function): the clipping functions of both engines, and manual's losses
    (torch's reach the function mode)."""
    found = [("clip", name, getattr(torch.nn.utils, name)) for name in CLIPS]
    for piece, kind, names in (("manual.nn.utils", "clip", CLIPS),
                               ("manual.clip_grad", "clip", CLIPS),
                               ("manual.nn.functional", "loss", LOSSES),
                               *((f"manual.{name}", "loss", (name,)) for name in LOSSES)):
        try:
            module = importlib.import_module(piece)
        except Exception:  # noqa: BLE001 (a piece manual does not have, or not yet working)
            continue
        found += [(kind, name, getattr(module, name)) for name in names if hasattr(module, name)]
    unique = {id(f): (kind, name, f) for kind, name, f in found}
    return list(unique.values())
