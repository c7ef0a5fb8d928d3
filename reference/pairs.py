"""The pair registry: every manual/X.py that has a torch_native/X.py, found from the files.

A pair's public names are the top-level functions, classes and assignments of its files whose
names do not start with an underscore, in the order the file defines them.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

import manual
import torch_native

MANUAL_DIR = Path(manual.__file__).parent
NATIVE_DIR = Path(torch_native.__file__).parent


@dataclass(frozen=True)
class Pair:
    """One piece: its two files, and what each defines."""

    name: str

    @property
    def manual_path(self) -> Path:
        return MANUAL_DIR / f"{self.name}.py"

    @property
    def native_path(self) -> Path:
        return NATIVE_DIR / f"{self.name}.py"

    @cached_property
    def summary(self) -> str:
        """The first line of the manual twin's docstring."""
        doc = ast.get_docstring(ast.parse(self.manual_path.read_text())) or ""
        first_paragraph = doc.strip().split("\n\n")[0].replace("``", "")  # no reST markup
        return " ".join(first_paragraph.split())

    @cached_property
    def parity_paths(self) -> list[Path]:
        """The parity modules its manual twin imports (manual/_parity/*.py; the shared dtypes
        and engine modules, which every piece leans on, left out): how it matches torch at
        the edges, its rounding (rounding.py) and libm (libm.py) included."""
        shared = {"dtypes", "engine"}
        found = []
        for node in ast.walk(ast.parse(self.manual_path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "manual._parity":
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "manual._parity."):
                found.append(node.module.rsplit(".", 1)[1])
        names = dict.fromkeys(n for n in found if n not in shared)
        return [MANUAL_DIR / "_parity" / f"{n}.py" for n in names]

    def manual_module(self) -> ModuleType:
        return importlib.import_module(f"manual.{self.name}")

    def native_module(self) -> ModuleType:
        return importlib.import_module(f"torch_native.{self.name}")

    def public_names(self, side: str) -> list[str]:
        """Names the file at ``side`` ("manual" or "native") defines, in order."""
        path = self.manual_path if side == "manual" else self.native_path
        return public_names(path)


def public_names(path: Path) -> list[str]:
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found = [node.name]
        elif isinstance(node, ast.Assign):  # ``a = ...`` and ``a, b = ...``
            targets = [e for t in node.targets
                       for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            found = [t.id for t in targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found = [node.target.id]
        else:
            found = []
        names += [name for name in found if not name.startswith("_")]
    return names


# The engine's files have no twin: torch's engine is C++. The pieces run on them.
ENGINE = ("tensor", "graph", "pointwise", "comparison", "reduction", "indexing", "blas", "creation",
          "device", "module", "optimizer")
# torch's answers on a machine without a GPU (torch.cuda, torch.accelerator): nothing to pair
NO_GPU = ("cuda", "accelerator")


def discover() -> dict[str, Pair]:
    """Every piece with both twins, by name, in alphabetical order."""
    names = sorted(p.stem for p in MANUAL_DIR.glob("*.py") if not p.stem.startswith("_"))
    return {name: Pair(name) for name in names if (NATIVE_DIR / f"{name}.py").exists()}


def unpaired() -> list[Path]:
    """Files of either package that lack a twin (the engine's files have none by design)."""
    lonely = []
    for here, there in ((MANUAL_DIR, NATIVE_DIR), (NATIVE_DIR, MANUAL_DIR)):
        for path in sorted(here.glob("*.py")):
            if not path.stem.startswith("_") and path.stem not in ENGINE + NO_GPU and \
                    not (there / path.name).exists():
                lonely.append(path)
    return lonely
