"""Names for what a user's loop holds, found where its code holds them.

doctor names a parameter, a module or an optimizer the way the user's code reaches it:
``model.fc.weight``, ``opt_g``, ``trainer.optimizer``, ``history['train']``. Names reads,
at the moment it is asked, the globals of the user's modules, the locals of the user's
frames on the stack (outermost first: a script's top level, its main(), a Trainer's
method), and the attributes and items of the user's own objects and containers, DEPTH
levels down. The user's code is what lies under the folder of the script or step, other
than this project's packages and installed ones.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from reference.debugging.doctor_events import is_module, is_optimizer, is_scheduler, is_tensor

REPO = Path(__file__).resolve().parents[2]
OURS = tuple(REPO / folder for folder in ("reference", "manual", "torch_native"))
HOLDERS = (list, tuple, dict, deque)
DEPTH = 2          # how far below a global or a local the attributes and items are read


@dataclass
class Found:
    """What one look found, with the name it was found under."""

    modules: list[tuple[str, Any]] = field(default_factory=list)
    optimizers: list[tuple[str, Any]] = field(default_factory=list)
    schedulers: list[tuple[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)   # tensors and containers


class Names:
    """The first name each object was found under, and where to look for more."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.user_modules: list[ModuleType] = []
        self.named: dict[int, tuple[Any, str]] = {}     # id -> (object kept alive, name)

    def __call__(self, obj: Any) -> str:
        if id(obj) in self.named:
            return self.named[id(obj)][1]
        if is_tensor(obj):
            return f"a {tuple(obj.shape)} tensor"
        return type(obj).__name__

    def give(self, obj: Any, name: str) -> None:
        """Name ``obj`` unless it has a name already."""
        if id(obj) not in self.named:
            self.named[id(obj)] = (obj, name)

    def module(self, module: Any, name: str) -> None:
        """Name a module, its submodules and its parameters after it."""
        self.give(module, name)
        name = self(module)
        for sub, m in module.named_modules():
            self.give(m, f"{name}.{sub}" if sub else name)
        for pname, p in module.named_parameters():
            self.give(p, f"{name}.{pname}")

    def look(self) -> Found:
        """The user's modules' globals and its frames' locals, and below them."""
        found, seen = Found(), set()
        spaces = [vars(m) for m in self.user_modules] + [f.f_locals for f in self.frames()]
        for space in spaces:
            for name, value in list(space.items()):
                if not name.startswith("__"):
                    self._visit(name, value, 0, found, seen)
        return found

    def _visit(self, path: str, value: Any, depth: int, found: Found, seen: set[int]) -> None:
        if id(value) in seen or isinstance(value, (ModuleType, type)) or inspect.isroutine(value):
            return
        seen.add(id(value))
        if is_optimizer(value):
            found.optimizers.append((path, value))
        elif is_scheduler(value):
            found.schedulers.append((path, value))
        elif is_module(value):
            found.modules.append((path, value))
        elif is_tensor(value):
            found.values[path] = value
        elif isinstance(value, HOLDERS) and len(value) <= 100_000:
            found.values[path] = value
            if depth < DEPTH:
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, item in list(items)[:1000]:
                    self._visit(f"{path}[{key!r}]", item, depth + 1, found, seen)
        elif depth < DEPTH and self._users(value):
            for attr, item in list(vars(value).items()):
                self._visit(f"{path}.{attr}", item, depth + 1, found, seen)

    def _users(self, value: Any) -> bool:
        """An object of a class the user's code defines."""
        module = type(value).__module__
        if not hasattr(value, "__dict__"):
            return False
        if module == "__main__" or module in {m.__name__ for m in self.user_modules}:
            return True
        return _inside(getattr(sys.modules.get(module), "__file__", None) or "", self.folder)

    def frames(self) -> list[FrameType]:
        """The user's frames on the stack, outermost first."""
        frames, frame = [], inspect.currentframe()
        while frame is not None:
            if _inside(frame.f_code.co_filename, self.folder):
                frames.append(frame)
            frame = frame.f_back
        return frames[::-1]

    def site(self) -> tuple[str, int] | None:
        """The user's innermost line running now: its file's name and the line."""
        frames = self.frames()
        return (Path(frames[-1].f_code.co_filename).name, frames[-1].f_lineno) if frames else None


@functools.lru_cache(maxsize=4096)
def _inside(filename: str, folder: Path) -> bool:
    """Is ``filename`` the user's code: under ``folder``, not ours, not an installed one?"""
    path = Path(filename)
    if not path.is_absolute() and not path.exists():
        return False
    path = path.resolve()
    return (path.is_relative_to(folder) and "site-packages" not in path.parts
            and not any(path.is_relative_to(ours) for ours in OURS))
