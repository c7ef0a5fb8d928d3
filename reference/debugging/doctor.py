"""doctor: run a user's training loop and name the pitfalls it shows, with the evidence.

Two forms. A step function (``diagnose("my_step.py:step")``, or ``"package.module:step"``):
a function of no arguments that runs one training step and returns what the loop adds to
its running loss, called ``steps`` times::

    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

A step that calls ``optimizer.step()`` every k-th call (gradient accumulation) is a step
too. Or a whole script (``diagnose_script("train.py", args)``), run as ``dealias run``
runs it (``import torch`` resolving to manual; ``engine="torch"`` runs it on the real
torch) until every optimizer it steps has taken ``steps`` steps: a step there ends at each
optimizer's step.

Either way the loop runs under doctor_watch's Watch (both engines' documented hooks, a
function mode on torch, wrappers around the clipping functions and manual's losses), which
hands what it sees to the checks of doctor_checks.py, doctor_losses.py and doctor_order.py;
each names its pitfall in `dealias pitfalls`. The models and optimizers may be module
globals, locals of a function, or attributes of the user's objects; frozen parameters,
several optimizers, DataLoaders and schedulers all run as they are. The loop's warnings are
all kept and shown; a failure of doctor's own is reported as doctor's, never as the loop's.
"""

from __future__ import annotations

import importlib
import importlib.util
import runpy
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Group
from rich.text import Text

from reference.debugging.doctor_checks import Accumulation, Check, Finding, Gradients, Optimizers
from reference.debugging.doctor_events import Raised, Rebound, Stop, is_tensor
from reference.debugging.doctor_losses import Graphs, Losses
from reference.debugging.doctor_order import Clipping, Modes
from reference.debugging.doctor_watch import Watch
from reference.debugging.run import (
    MissingInManualError,
    NeedsRealTorchError,
    ScriptStopError,
    exit_status,
    print_script_traceback,
    redirected,
)

ENGINES = ("manual", "torch")
# a finding that another one explains is left out: (left out, explained by any of)
EXPLAINED = {"detached-loss": ("manual-update", "frozen-parameters")}


class DoctorError(ValueError):
    """The loop cannot be found, loaded or run: a usage mistake, reported in one line."""


@dataclass
class Diagnosis:
    target: str
    steps: int                          # steps run to the end
    watched: int                        # parameters watched
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None            # what the loop raised, if it raised
    returned: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)    # the loop's, with counts
    faults: list[str] = field(default_factory=list)      # doctor's own failures
    engine: str | None = None           # a script's engine
    status: int = 0                     # a script's exit status


def checks() -> list[Check]:
    return [Gradients(), Accumulation(), Optimizers(), Losses(), Graphs(), Clipping(), Modes()]


# -- a step function ---------------------------------------------------------------------

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
    watch = Watch(checks(), Path(module.__file__).resolve().parent)
    watch.name.user_modules = [module]
    for value in watch.scan().values():
        if is_tensor(value) and value.requires_grad and value.grad_fn is None:
            watch.params.setdefault(id(value), value)
    if not (watch.optimizers or watch.modules or watch.params):
        raise DoctorError(f"found no optimizer, model or tensor that requires grad among the "
                          f"globals of {target.rpartition(':')[0]}")
    diagnosis = Diagnosis(target, 0, 0)
    with watch.installed():
        for k in range(1, steps + 1):
            watch.call = k
            leaves = _global_leaves(module)
            try:
                returned = step()
            except Exception as error:  # the user's step failed: part of the diagnosis
                diagnosis.error = f"step {k}: {type(error).__name__}: {error}"
                watch.emit("raised", Raised(k, error))
                break
            finally:
                rebound = _rebound(module, leaves)
                if rebound:
                    watch.emit("rebound", Rebound(k, rebound))
            diagnosis.steps = k
            diagnosis.returned.append(returned)
            watch.end_of_step(k, returned)
    return _conclude(diagnosis, watch)


def _global_leaves(module: ModuleType) -> dict[str, Any]:
    return {name: v for name, v in vars(module).items()
            if is_tensor(v) and v.requires_grad and v.grad_fn is None}


def _rebound(module: ModuleType, leaves: dict[str, Any]) -> dict[str, Any]:
    """Globals that held a trainable leaf before the step and hold another tensor after it,
    one that is not a trainable leaf."""
    return {name: new for name, old in leaves.items()
            if (new := vars(module).get(name)) is not old and is_tensor(new)
            and not (new.requires_grad and new.is_leaf)}


# -- a script ------------------------------------------------------------------------------

def diagnose_script(script: str, args: Sequence[str] = (), steps: int = 10,
                    engine: str = "manual") -> Diagnosis:
    """Run ``script`` with ``args`` on ``engine`` until every optimizer it steps has taken
    ``steps`` steps (or it ends), and return what it shows."""
    path = Path(script)
    if not path.is_file():
        raise DoctorError(f"no such file: {script}")
    if engine not in ENGINES:
        raise DoctorError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    watch = Watch(checks(), path.resolve().parent, limit=steps)
    diagnosis = Diagnosis(str(script), 0, 0, engine=engine)
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with watch.installed(), redirected() if engine == "manual" else nullcontext():
            runpy.run_path(str(path), run_name="__main__")
    except Stop:
        pass
    except SystemExit as stop:
        diagnosis.status = exit_status(stop.code)
    except (MissingInManualError, NeedsRealTorchError, ScriptStopError) as stop:
        raise DoctorError(f"{stop} (doctor it on torch: --engine torch)") from None
    except Exception as error:  # the script's own failure: part of the diagnosis
        missing = _missing(error) if engine == "manual" else None
        if missing:
            raise DoctorError(f"{missing} is not in manual yet (doctor it on torch: "
                              "--engine torch)") from None
        print_script_traceback(path)
        diagnosis.error = f"step {watch.step()}: {type(error).__name__}: {error}"
        watch.emit("raised", Raised(watch.step(), error))
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    diagnosis.steps = min(watch.stepped.values()) if watch.stepped else watch.backwards
    return _conclude(diagnosis, watch)


def _missing(error: Exception) -> str | None:
    """``from torch.nn import LSTM`` fails as an ImportError: the torch name manual lacks."""
    if not isinstance(error, ImportError):
        return None
    if isinstance(error.__context__, MissingInManualError):
        return error.__context__.torch_name
    if error.name and error.name.partition(".")[0] == "torch":
        return error.name
    return None


# -- the findings and the report -----------------------------------------------------------

def _conclude(diagnosis: Diagnosis, watch: Watch) -> Diagnosis:
    """Collect the checks' findings (a finding another one explains is left out), the
    loop's warnings and doctor's own failures."""
    found: list[Finding] = []
    for check in watch.checks:
        try:
            found += check.findings()
        except Exception as error:  # noqa: BLE001 (doctor's own failure: reported)
            watch.fault(f"the check {type(check).__name__}, on its findings", error)
    named = {f.pitfall for f in found}
    diagnosis.findings = [f for f in found
                          if not named & set(EXPLAINED.get(f.pitfall or "", ()))]
    diagnosis.watched = len(watch.params)
    counts: dict[tuple[str, str], list[int]] = {}
    for w in watch.warnings:
        counts.setdefault((w.category, w.message), []).append(w.step)
    diagnosis.warnings = [f"{category}: {message} ({len(ks)} time(s), first in step {ks[0]})"
                          for (category, message), ks in counts.items()]
    diagnosis.faults = list(watch.faults)
    return diagnosis


def report(diagnosis: Diagnosis) -> Group:
    """A line on what ran, then one block per finding (or a line saying there are none),
    the loop's warnings, and doctor's own failures if any."""
    ran = (f"ran {diagnosis.target} {diagnosis.steps} time(s)" if diagnosis.engine is None
           else f"ran {diagnosis.target} on {diagnosis.engine} for {diagnosis.steps} step(s)")
    parts: list[Any] = [Text(f"{ran}, watching {diagnosis.watched} parameter(s)")]
    if diagnosis.error:
        what = "step" if diagnosis.engine is None else "script"
        parts.append(Text(f"the {what} raised at {diagnosis.error}", style="red"))
    if diagnosis.status:
        parts.append(Text(f"the script exited with status {diagnosis.status}", style="red"))
    if not diagnosis.findings:
        parts.append(Text("no pitfall found", style="green"))
    for f in diagnosis.findings:
        name = f.pitfall or "(not a listed pitfall)"
        body = Text.assemble((f"{name}: ", "bold red"), f.summary, "\n  ", f.evidence)
        if f.pitfall:
            body.append(f"\n  see: dealias pitfalls {f.pitfall}", style="dim")
        parts.append(body)
    if diagnosis.warnings:
        parts.append(Text("warnings the loop raised:\n  " + "\n  ".join(diagnosis.warnings),
                          style="yellow"))
    if diagnosis.faults:
        parts.append(Text("doctor's own failures (doctor's bugs, not your loop's): some "
                          "checks did not run to the end:\n  " + "\n  ".join(diagnosis.faults),
                          style="magenta"))
    return Group(*parts)


__all__ = ["Diagnosis", "DoctorError", "Finding", "diagnose", "diagnose_script", "load",
           "report"]
