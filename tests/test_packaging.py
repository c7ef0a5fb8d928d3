"""Packaging: ``pip install .`` (not editable) carries every package and subpackage, found by
setuptools rather than listed, with the reading room's stylesheet.

The wheel is built from this checkout and installed into a folder of its own; Python then
imports the installed copy, not the checkout, and the command line runs from it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _packages(folder: Path) -> set[str]:
    return {str(p.parent.relative_to(folder)).replace("/", ".")
            for p in folder.rglob("__init__.py")}


def test_the_installed_copy_has_every_package_and_runs(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(wheels)], check=True)
    (wheel,) = wheels.glob("dealias-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", str(wheel), "--no-deps", "-q",
                    "--target", str(target)], check=True)
    source = {p for p in _packages(ROOT) if p.split(".")[0] in
              ("manual", "torch_native", "reference")}
    assert source <= _packages(target), sorted(source - _packages(target))
    assert (target / "reference/teaching/site_assets/site.css").is_file()
    code = ("import manual, manual.nn.functional, manual.optim.lr_scheduler, "
            "manual.utils.data, reference.cli; print(manual.__file__)")
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip().startswith(str(target))
    pairs = subprocess.run([sys.executable, "-m", "reference", "pairs"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert pairs.returncode == 0 and "conv2d" in pairs.stdout, pairs.stderr
