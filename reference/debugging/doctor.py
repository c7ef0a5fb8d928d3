"""doctor: run a user's training step a few times and name the pitfalls it shows.

The step is a function of no arguments that runs one training step (zero_grad, forward,
loss, backward, step) on a model and an optimizer kept as globals of its module, and
returns what the loop adds to its running loss (``loss.item()``)::

    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

``diagnose("my_step.py:step")`` (or ``"package.module:step"``) finds the optimizers among
the module's globals and watches their parameters (those of the models if there is no
optimizer, the global tensors that require grad if there is neither). Around each call it
records each parameter's value and ``.grad`` before and after, the gradient backward
brought in this step (a hook on each parameter), the warnings raised, what the step returned
and what the module's globals hold, and every input given to cross_entropy. From those:

* forgotten-zero-grad:      .grad after the step is the old .grad plus this step's gradient
* zero-grad-after-backward: backward made gradients, no parameter moved, .grad None or 0
* set-to-none:              a parameter that got no gradient moved (its .grad was zeros)
* adam-weight-decay:        Adam (not AdamW) with weight_decay > 0
* train-loss-graph:         a returned loss, or a global, that holds a graph
* mse-broadcast:            the warning about a target size different to the input size
* softmax-cross-entropy:    cross_entropy given rows that are >= 0 and sum to one
* manual-update:            the in-place error on a leaf, or a global parameter rebound to a
                            tensor that no longer requires grad

Torch loops and manual loops (manual/ modules and optimizers) are both watched.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from rich.console import Group
from rich.text import Text

import manual
import manual.adam
import manual.cross_entropy
from manual.module import Module as ManualModule
from manual.optimizer import Optimizer as ManualOptimizer
from reference.convert import to_numpy
from reference.teaching.pitfalls._lib import graph_nodes

# Rows of a softmax sum to one within a few float32 ULPs; logits summing to one within 1e-3
# on every row by chance is not a thing that happens.
SUMS_TO_ONE = 1e-3
# .grad is "the old grad plus this step's" when it is at least twice as close to that as to
# this step's gradient alone (an honest loop gives distance 0 to the latter).
CLOSER = 0.5
_IN_PLACE_LEAF = "leaf Variable that requires grad is being used in an in-place operation"


class DoctorError(ValueError):
    """The step cannot be found or loaded: a usage mistake, reported in one line."""


@dataclass(frozen=True)
class Finding:
    pitfall: str | None   # a name in reference.teaching.pitfalls.PITFALLS, or None
    summary: str
    evidence: str


@dataclass
class Diagnosis:
    target: str
    steps: int                          # steps run to the end
    watched: int                        # parameters watched
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None            # what the step raised, if it raised
    returned: list[Any] = field(default_factory=list)


@dataclass
class _Step:
    """What one call of the step did."""

    before: list[np.ndarray]
    after: list[np.ndarray]
    grad_before: list[np.ndarray | None]
    grad_after: list[np.ndarray | None]
    fresh: list[np.ndarray | None]      # what backward brought in, summed over its calls
    returned: Any
    graphs: dict[str, int]              # global name -> graph nodes it keeps


def load(target: str) -> tuple[ModuleType, Callable[[], Any]]:
    """``FILE.py:FUNCTION`` or ``package.module:FUNCTION`` -> (module, function)."""
    name, sep, function = target.rpartition(":")
    if not sep or not name or not function:
        raise DoctorError(f"expected MODULE:FUNCTION or FILE.py:FUNCTION, got {target!r}")
    module = _import(name)
    step = getattr(module, function, None)
    if not callable(step):
        found = sorted(n for n, v in vars(module).items()
                       if callable(v) and getattr(v, "__module__", None) == module.__name__
                       and not isinstance(v, type))
        raise DoctorError(f"{name} has no function {function!r}; its functions: "
                          f"{', '.join(found) or '(none)'}")
    return module, step


def _import(name: str) -> ModuleType:
    """Import FILE.py or package.module as Python runs them: ``python FILE.py`` puts the
    file's folder first on sys.path, ``python -m`` the current folder, so the modules beside
    it import too (and stay importable for the steps that follow)."""
    try:
        if name.endswith(".py") or "/" in name:
            path = Path(name)
            if not path.is_file():
                raise DoctorError(f"no such file: {name}")
            _first_on_path(path.resolve().parent)
            spec = importlib.util.spec_from_file_location(f"_dealias_doctor_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        _first_on_path(Path.cwd())
        return importlib.import_module(name)
    except DoctorError:
        raise
    except Exception as error:  # the user's module failed to import: say why, in one line
        raise DoctorError(f"cannot import {name}: {type(error).__name__}: {error}") from None


def _first_on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def diagnose(target: str, steps: int = 5) -> Diagnosis:
    """Run ``target``'s step ``steps`` times and return what it shows."""
    module, step = load(target)
    optimizers = [v for v in vars(module).values()
                  if isinstance(v, (torch.optim.Optimizer, ManualOptimizer))]
    params = _parameters(module, optimizers)
    if not params:
        raise DoctorError(f"found no optimizer, model or tensor that requires grad among the "
                          f"globals of {target.rpartition(':')[0]}")
    diagnosis = Diagnosis(target, 0, len(params))
    diagnosis.findings += _check_adam(optimizers)
    seen: list[_Step] = []
    caught: list[str] = []
    inputs: list[np.ndarray] = []
    with _watch_cross_entropy(module, inputs):
        for k in range(1, steps + 1):
            leaves = _global_leaves(module)
            try:
                with warnings.catch_warnings(record=True) as raised:
                    warnings.simplefilter("always")
                    seen.append(_run_step(step, params, module))
            except Exception as error:  # the user's step failed: part of the diagnosis
                diagnosis.error = f"step {k}: {type(error).__name__}: {error}"
                diagnosis.findings += _check_error(error, k)
                break
            finally:
                caught += [str(w.message) for w in raised]
                diagnosis.findings += _check_rebinding(module, leaves, k)
    diagnosis.steps = len(seen)
    diagnosis.returned = [s.returned for s in seen]
    checks = [_check_accumulation, _check_moved_without_grad, _check_graphs]
    if not any(f.pitfall == "manual-update" for f in diagnosis.findings):
        checks.append(_check_no_change)  # rebound globals are not the tensors watched
    for check in checks:
        diagnosis.findings += check(seen)
    diagnosis.findings += _check_warnings(caught) + _check_probabilities(inputs)
    return diagnosis


# -- what to watch -----------------------------------------------------------------------

def _is_tensor(v: Any) -> bool:
    return isinstance(v, (torch.Tensor, manual.Tensor))


def _parameters(module: ModuleType, optimizers: list[Any]) -> list[Any]:
    """The optimizers' parameters; else the models'; else global leaves that require grad."""
    found = [p for o in optimizers for g in o.param_groups for p in g["params"]]
    if not found:
        models = [v for v in vars(module).values()
                  if isinstance(v, (torch.nn.Module, ManualModule))]
        found = [p for m in models for p in m.parameters()]
    if not found:
        found = list(_global_leaves(module).values())
    unique: dict[int, Any] = {}
    for p in found:
        unique.setdefault(id(p), p)
    return list(unique.values())


def _global_leaves(module: ModuleType) -> dict[str, Any]:
    return {name: v for name, v in vars(module).items()
            if _is_tensor(v) and v.requires_grad and v.grad_fn is None}


def _values(t: Any) -> np.ndarray | None:
    if t is None:
        return None
    return np.array(to_numpy(t), dtype=np.float64)          # any torch device


# -- one step, watched -------------------------------------------------------------------

def _run_step(step: Callable[[], Any], params: list[Any], module: ModuleType) -> _Step:
    before = [_values(p) for p in params]
    grad_before = [_values(p.grad) for p in params]
    fresh: list[np.ndarray | None] = [None] * len(params)
    with _hooks(params, fresh):
        returned = step()
    graphs = {name: graph_nodes(v) for name, v in vars(module).items()
              if _is_tensor(v) and v.grad_fn is not None}
    return _Step(before, [_values(p) for p in params], grad_before,
                 [_values(p.grad) for p in params], fresh, returned, graphs)


@contextmanager
def _hooks(params: list[Any], fresh: list[np.ndarray | None]) -> Iterator[None]:
    """Add up, per parameter, every gradient backward brings it: a ``register_hook`` on each
    parameter that requires grad (torch's tensors and manual's have the same hook)."""
    def record(i: int, grad: Any) -> None:
        grad = np.asarray(to_numpy(grad), dtype=np.float64)
        fresh[i] = grad if fresh[i] is None else fresh[i] + grad

    handles = [p.register_hook(lambda g, i=i: record(i, g))
               for i, p in enumerate(params) if p.requires_grad]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def _watch_cross_entropy(module: ModuleType, inputs: list[np.ndarray]) -> Iterator[None]:
    """Replace cross_entropy (torch's, manual's, and the module's own names for them) by
    one that keeps a copy of its input, and put them back afterwards."""
    originals = [(torch.nn.functional, "cross_entropy"),
                 (manual.cross_entropy, "cross_entropy")]
    functions = {id(getattr(owner, name)) for owner, name in originals}
    originals += [(module, name) for name, v in vars(module).items() if id(v) in functions]
    saved = [(owner, name, getattr(owner, name)) for owner, name in originals]
    for owner, name, function in saved:
        setattr(owner, name, _recording(function, inputs))
    try:
        yield
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)


def _recording(function: Callable[..., Any], inputs: list[np.ndarray]) -> Callable[..., Any]:
    def cross_entropy(input: Any, *args: Any, **kwargs: Any) -> Any:
        inputs.append(_values(input))
        return function(input, *args, **kwargs)
    return cross_entropy


# -- the checks --------------------------------------------------------------------------

def _norm(a: np.ndarray | None) -> float:
    return 0.0 if a is None else float(np.linalg.norm(a))


def _check_accumulation(seen: list[_Step]) -> list[Finding]:
    """.grad after = .grad before + this step's gradient, with .grad before not zero."""
    hits = []
    for k, s in enumerate(seen, 1):
        for before, after, fresh in zip(s.grad_before, s.grad_after, s.fresh):
            if before is None or after is None or fresh is None or _norm(before) == 0:
                continue
            if _norm(after - before - fresh) <= CLOSER * _norm(after - fresh):
                hits.append(k)
                break
    if not hits:
        return []
    norms = ", ".join(f"{_norm(s.grad_after[0]):.4g}" for s in seen)
    return [Finding("forgotten-zero-grad",
                    "gradients accumulate across steps: zero_grad() is not called",
                    f"in steps {_steps(hits)} .grad was the previous .grad plus this step's "
                    f"gradient; |grad| of the first parameter after each step: {norms}")]


def _check_no_change(seen: list[_Step]) -> list[Finding]:
    got = [k for k, s in enumerate(seen, 1) if any(_norm(f) > 0 for f in s.fresh)]
    moved = any(not np.array_equal(b, a) for s in seen for b, a in zip(s.before, s.after))
    if not got or moved:
        return []
    wiped = all(_norm(g) == 0 for s in seen for g in s.grad_after)
    largest = max(_norm(f) for s in seen for f in s.fresh)
    evidence = (f"backward produced gradients in step(s) {_steps(got)} (largest |grad| "
                f"{largest:.4g}) but no parameter changed in {len(seen)} step(s)")
    if wiped:
        return [Finding("zero-grad-after-backward", "nothing learns: the gradients are "
                        "cleared between backward() and step()",
                        evidence + "; .grad was None or zero when each step returned")]
    return [Finding(None, "nothing learns: the parameters never change",
                    evidence + "; .grad was not zero: is lr 0, or is the optimizer built "
                    "over other parameters?")]


def _check_moved_without_grad(seen: list[_Step]) -> list[Finding]:
    for k, s in enumerate(seen, 1):
        for i, (b, a, f, g) in enumerate(zip(s.before, s.after, s.fresh, s.grad_after)):
            if _norm(f) == 0 and g is not None and not np.array_equal(b, a):
                return [Finding("set-to-none", "a parameter that got no gradient still moved",
                                f"parameter {i} {tuple(b.shape)} got no gradient in step {k} "
                                f"but moved by up to {np.abs(a - b).max():.4g}: its .grad was "
                                "zeros, not None, so momentum or weight decay moved it")]
    return []


def _check_graphs(seen: list[_Step]) -> list[Finding]:
    found = []
    graphs = [graph_nodes(s.returned) for s in seen if _is_tensor(s.returned)]
    if any(graphs):
        found.append(Finding("train-loss-graph", "the step returns a loss that holds its graph",
                             f"step() returned a tensor with a grad_fn ({graphs[-1]} graph "
                             "nodes); a running total of it keeps every step's graph: return "
                             "loss.item()"))
    for name in seen[-1].graphs if len(seen) > 1 else []:
        sizes = [s.graphs.get(name, 0) for s in seen]
        if sizes[-1] > sizes[0] > 0:
            found.append(Finding("train-loss-graph", f"the global {name!r} keeps every "
                                 "step's graph", f"graph nodes it keeps after each step: "
                                 f"{', '.join(map(str, sizes))}: add loss.item(), not loss"))
    return found


def _check_warnings(caught: list[str]) -> list[Finding]:
    sizes = [m for m in caught if "target size" in m and "input size" in m]
    if not sizes:
        return []
    return [Finding("mse-broadcast", "the loss broadcasts its input against its target",
                    f"{len(sizes)} warning(s): {sizes[0]}")]


def _check_probabilities(inputs: list[np.ndarray]) -> list[Finding]:
    hits = [x for x in inputs if x.size and _rows_are_probabilities(x)]
    if not hits:
        return []
    axis = 1 if hits[0].ndim > 1 else 0
    sums = hits[0].sum(axis=axis)
    return [Finding("softmax-cross-entropy", "cross_entropy is given probabilities, not logits",
                    f"{len(hits)} of {len(inputs)} inputs to cross_entropy had rows >= 0 that "
                    f"sum to one ({sums.min():.7f} to {sums.max():.7f}): it applies "
                    "log-softmax itself, give it the raw outputs")]


def _rows_are_probabilities(x: np.ndarray) -> bool:
    axis = 1 if x.ndim > 1 else 0
    return bool(x.min() >= 0 and np.all(np.abs(x.sum(axis=axis) - 1) <= SUMS_TO_ONE))


def _check_adam(optimizers: list[Any]) -> list[Finding]:
    found = []
    for o in optimizers:
        coupled = (isinstance(o, torch.optim.Adam) and not isinstance(o, torch.optim.AdamW)
                   or isinstance(o, manual.adam.Adam) and not isinstance(o, manual.adam.AdamW))
        decay = [g["weight_decay"] for g in o.param_groups
                 if g["weight_decay"] and not g.get("decoupled_weight_decay", False)]
        if coupled and decay:
            found.append(Finding("adam-weight-decay", "Adam's weight_decay is L2 on the "
                                 "gradient, not AdamW's decoupled decay",
                                 f"{type(o).__name__}(weight_decay={decay[0]:g}): the decay is "
                                 "normalised with the gradient; for decoupled decay use AdamW"))
    return found


def _check_error(error: Exception, k: int) -> list[Finding]:
    if isinstance(error, RuntimeError) and _IN_PLACE_LEAF in str(error):
        return [Finding("manual-update", "a parameter is updated in place outside no_grad()",
                        f"step {k} raised RuntimeError: {error}")]
    return []


def _check_rebinding(module: ModuleType, leaves: dict[str, Any], k: int) -> list[Finding]:
    """Globals that held a trainable leaf before step k and hold another tensor after it."""
    rebound = {name: new for name, old in leaves.items()
               if (new := vars(module).get(name)) is not old and _is_tensor(new)
               and not (new.requires_grad and new.is_leaf)}
    if not rebound:
        return []
    name, new = next(iter(rebound.items()))
    return [Finding("manual-update", f"{_names(rebound)} replaced by tensors that are not "
                    "trainable leaves", f"after step {k}, {name} has requires_grad="
                    f"{new.requires_grad}, is_leaf={new.is_leaf}: `{name} = {name} - lr * "
                    f"{name}.grad` makes a new tensor; update in place under no_grad(): "
                    f"`{name} -= lr * {name}.grad`")]


def _names(names: dict[str, Any]) -> str:
    return ", ".join(repr(n) for n in names) + (" was" if len(names) == 1 else " were")


def _steps(ks: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    parts = []
    for _, run in itertools.groupby(enumerate(ks), lambda pair: pair[1] - pair[0]):
        run = [k for _, k in run]
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(parts)


# -- the report ------------------------------------------------------------------------

def report(diagnosis: Diagnosis) -> Group:
    """A line on what ran, then one block per finding (or a line saying there are none)."""
    parts: list[Any] = [Text(f"ran {diagnosis.target} {diagnosis.steps} time(s), watching "
                             f"{diagnosis.watched} parameter(s)")]
    if diagnosis.error:
        parts.append(Text(f"the step raised at {diagnosis.error}", style="red"))
    if not diagnosis.findings:
        parts.append(Text("no pitfall found", style="green"))
    for f in diagnosis.findings:
        name = f.pitfall or "(not a listed pitfall)"
        body = Text.assemble((f"{name}: ", "bold red"), f.summary, "\n  ", f.evidence)
        if f.pitfall:
            body.append(f"\n  see: dealias pitfalls {f.pitfall}", style="dim")
        parts.append(body)
    return Group(*parts)


__all__ = ["Diagnosis", "DoctorError", "Finding", "diagnose", "load", "report"]
