"""dealias run: a user's unmodified torch script on the manual engine.

The script runs as ``python SCRIPT.py ARGS`` would run it (``__name__`` is ``"__main__"``,
``sys.argv`` is its own, its folder first on ``sys.path``), except that ``import torch`` and
every form of it (``import torch.nn as nn``, ``from torch.utils.data import DataLoader``,
``torch.optim.lr_scheduler.StepLR``) resolve to manual's torch-shaped namespaces: the real
torch computes nothing for it.

* A name manual lacks stops the script with one line naming it (``torch.nn.LSTM is not in
  manual yet``), never a silent fall back to the real torch; ``hasattr(torch, name)`` is
  False for it, as a script that probes for a feature expects. So does a method of torch's
  class that manual's lacks (``torch.Tensor.topk``), and an option manual does not do yet
  (``embedding(sparse=True)``: manual's NotInManualError).
* A library that needs the real torch (torchvision, say: its distribution requires torch)
  is refused the same way.
* The exit status is the script's own.

``redirected()`` is the machinery as a context manager; ``run_script`` runs a script under
it; ``ScriptStopError`` carries a one-line reason to the command line.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import runpy
import subprocess
import sys
import traceback
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from manual._parity.engine import NotInManualError

# torch's modules that a script may import, and manual's namespace for each
NAMESPACES = {
    "torch": "manual",
    "torch.nn": "manual.nn",
    "torch.nn.functional": "manual.nn.functional",
    "torch.nn.init": "manual.nn.init",
    "torch.nn.utils": "manual.nn.utils",
    "torch.optim": "manual.optim",
    "torch.optim.lr_scheduler": "manual.optim.lr_scheduler",
    "torch.utils": "manual.utils",
    "torch.utils.data": "manual.utils.data",
    "torch.cuda": "manual.cuda",
    "torch.backends": "manual.backends",
    "torch.backends.cudnn": "manual.backends.cudnn",
    "torch.backends.mps": "manual.backends.mps",
    "torch.accelerator": "manual.accelerator",
}


# torch's functions that share a name with a piece module of manual (``manual.softmax`` is the
# lesson file): torch.X is torch.nn.functional.X for these, so the view hands out that one
SAME_AS_FUNCTIONAL = frozenset({"softmax", "conv2d", "conv_transpose2d"})


class ScriptStopError(Exception):
    """The script cannot go on on manual: one line for the user, exit status 2."""


class NeedsRealTorchError(ImportError):
    """A library that needs the real torch: an ImportError, so that a script that can do
    without it (``try: import torchvision``) goes on; otherwise it stops the script."""


class MissingInManualError(AttributeError):
    """A torch name manual lacks. An AttributeError, so that ``hasattr`` is False for it;
    reaching it stops the script."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not in manual yet")
        self.torch_name = name


class TorchView(types.ModuleType):
    """A torch module as the script sees it: manual's namespace under torch's name."""

    def __init__(self, torch_name: str, namespace: types.ModuleType) -> None:
        super().__init__(torch_name, namespace.__doc__)
        self.__path__: list[str] = []  # a package: ``import torch.nn`` looks inside it
        self._namespace = namespace
        if torch_name == "torch":
            self.__version__ = _torch_version()

    def __getattr__(self, name: str) -> Any:
        child = f"{self.__name__}.{name}"
        if child in NAMESPACES:
            return importlib.import_module(child)
        if name.startswith("__") or not hasattr(self._namespace, name):
            raise MissingInManualError(child)
        value = getattr(self._namespace, name)
        if isinstance(value, types.ModuleType):  # a piece module, not one of torch's names
            if self.__name__ == "torch" and name in SAME_AS_FUNCTIONAL:
                return getattr(importlib.import_module("manual.nn.functional"), name)
            raise MissingInManualError(child)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._namespace)) | {n.rsplit(".", 1)[1] for n in NAMESPACES
                                                   if n.startswith(self.__name__ + ".")})


class _TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and its modules as manual's views, refuses the rest of torch and the
    libraries that need the real torch."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        top = fullname.partition(".")[0]
        if top == "torch":
            if fullname not in NAMESPACES:
                raise MissingInManualError(fullname)
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if top not in sys.stdlib_module_names and _needs_real_torch(top):
            raise NeedsRealTorchError(f"{top} needs the real torch, which manual cannot stand in "
                                 f"for (its package requires torch)", name=top)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return TorchView(spec.name, importlib.import_module(NAMESPACES[spec.name]))

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the view is complete when made."""


@cache
def _needs_real_torch(top: str) -> bool:
    """Does the distribution that provides ``top`` require torch unconditionally?"""
    for dist in _distributions().get(top, ()):
        if dist == "dealias":
            return False
        for requirement in importlib.metadata.requires(dist) or ():
            name = requirement.split(";")[0].strip()
            if ";" not in requirement and _requirement_name(name) == "torch":
                return True
    return False


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _requirement_name(requirement: str) -> str:
    for stop in "<>=!~[ (":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def _torch_version() -> str:
    """The version scripts print: the torch this project mirrors, marked as manual."""
    try:
        return importlib.metadata.version("torch").split("+")[0] + "+manual"
    except importlib.metadata.PackageNotFoundError:
        return "0+manual"


@contextmanager
def redirected() -> Iterator[None]:
    """Inside, ``import torch`` (and its submodules) is manual; outside, as it was."""
    saved = {name: module for name, module in sys.modules.items()
             if name == "torch" or name.startswith("torch.")}
    for name in saved:
        del sys.modules[name]
    finder = _TorchFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def run_script(script: str | Path, args: Sequence[str]) -> int:
    """Run ``script`` with ``args`` on manual, as Python would; its exit status."""
    path = Path(script)
    if not path.is_file():
        raise ScriptStopError(f"{script}: no such file")
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with redirected():
            runpy.run_path(str(path), run_name="__main__")
        return 0
    except SystemExit as stop:
        return exit_status(stop.code)
    except (MissingInManualError, NeedsRealTorchError, ScriptStopError,
            NotInManualError) as stop:
        raise ScriptStopError(str(stop)) from None
    except AttributeError as error:
        missing = _missing_attribute(error)
        if missing is None:
            print_script_traceback(path)
            return 1
        raise ScriptStopError(f"{missing} is not in manual yet") from None
    except ImportError as error:
        missing = _missing_import(error)
        if missing is None:
            print_script_traceback(path)
            return 1
        raise ScriptStopError(f"{missing} is not in manual yet") from None
    except BaseException:  # noqa: BLE001 (the script's own failure, reported as Python would)
        print_script_traceback(path)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


def _missing_import(error: ImportError) -> str | None:
    """``from torch.nn import LSTM`` fails as an ImportError: the torch name it lacked."""
    if isinstance(error.__context__, MissingInManualError):
        return error.__context__.torch_name
    if error.name and error.name.partition(".")[0] == "torch":
        return error.name
    return None


def _missing_attribute(error: AttributeError) -> str | None:
    """``x.topk(1)`` on a manual tensor (or a method of a manual module, optimizer, ...) that
    torch's class has: its torch name, ``torch.Tensor.topk``. None for an attribute torch's
    class lacks too: the script's own mistake, reported as Python reports it."""
    obj, name = getattr(error, "obj", None), getattr(error, "name", None)
    if obj is None or not name:
        return None
    owner = next((path for cls in type(obj).__mro__ if (path := _torch_path(cls))), None)
    if owner is None or not _torch_has(owner, name):
        return None
    return f"{owner}.{name}"


def _torch_path(cls: type) -> str | None:
    """torch's path of a manual class (manual.nn.Linear: torch.nn.Linear), or None."""
    if not cls.__module__.startswith("manual"):
        return None
    for torch_path, namespace in NAMESPACES.items():
        if getattr(importlib.import_module(namespace), cls.__name__, None) is cls:
            return f"{torch_path}.{cls.__name__}"
    return None


@lru_cache
def _torch_has(owner: str, name: str) -> bool:
    """Whether torch's ``owner`` has ``name``, asked of the real torch in a process of its
    own (here ``import torch`` is manual)."""
    probe = ("import functools, sys, torch; owner = functools.reduce(getattr, "
             "sys.argv[1].split('.')[1:], torch); print(hasattr(owner, sys.argv[2]))")
    result = subprocess.run([sys.executable, "-I", "-c", probe, owner, name],
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() == "True"


def exit_status(code: Any) -> int:
    """SystemExit's code as Python turns it into a status: None 0, an int itself, else 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def print_script_traceback(path: Path) -> None:
    """The traceback Python would print, from the script's first frame on."""
    kind, error, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)
    start = next((i for i, f in enumerate(frames)
                  if Path(f.filename).resolve() == path.resolve()), 0)
    lines = traceback.format_list(frames[start:])
    sys.stderr.write("Traceback (most recent call last):\n" + "".join(lines)
                     + "".join(traceback.format_exception_only(kind, error)))
