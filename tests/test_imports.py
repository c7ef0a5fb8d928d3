"""manual is NumPy only: importing all of it leaves torch unimported; torch_native never
imports manual or reference."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import manual
import torch_native

ROOT = Path(__file__).resolve().parent.parent


def test_importing_manual_does_not_import_torch():
    modules = [f"manual.{m.name}" for m in pkgutil.iter_modules(manual.__path__)]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
    assert len(modules) >= 8


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_dependencies_point_one_way():
    allowed = {"manual", "numpy"} | set(sys.stdlib_module_names)
    for path in Path(manual.__path__[0]).glob("*.py"):
        assert _imports(path) <= allowed, path
    for path in Path(torch_native.__path__[0]).glob("*.py"):
        assert not _imports(path) & {"manual", "reference"}, path
