"""make mutation runs the suite in mutmut's copy of the project, which holds manual/ (the
mutated source), tests/ and the folders [tool.mutmut] also_copy names. A test that reads a
folder left out stops the run before its first mutant: every top-level folder of the project
that a test imports or names must be copied."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _folders_named(path: Path, folders: set[str]) -> set[str]:
    """The project's top-level folders a test file imports or names in a string."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value.strip("/").split("/")[0])
    return found & folders


def test_every_folder_the_tests_read_is_copied_for_mutation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    copied = {p.strip("/") for p in config["source_paths"] + config["also_copy"]} | {"tests"}
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
               and p.name not in ("build", "dist") and not p.name.endswith(".egg-info")}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == Path(__file__).name:  # its own strings are examples
            continue
        missing = _folders_named(path, folders) - copied
        assert not missing, f"{path.name} reads {sorted(missing)}, which make mutation omits"


def test_the_check_sees_a_folder_left_out(tmp_path):
    test = tmp_path / "test_x.py"
    test.write_text('PATH = ROOT / "benchmarks" / "bench.py"\nimport reference.cli\n')
    assert _folders_named(test, {"benchmarks", "reference", "docs"}) == {"benchmarks",
                                                                         "reference"}


def test_the_report_scores_each_module_and_counts_what_has_not_run(tmp_path, capsys):
    pytest.importorskip("mutmut")
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("report", ROOT / "docs" / "mutation_report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    (tmp_path / "manual" / "_parity").mkdir(parents=True)
    codes = {"sgd.py": [1, 1, 1, 0, None], "_parity/rounding.py": [1, 36, 33, None, None]}
    for name, exits in codes.items():
        (tmp_path / "manual" / f"{name}.meta").write_text(json.dumps(
            {"exit_code_by_key": {f"m{i}": code for i, code in enumerate(exits)}}))
    report.main(str(tmp_path))
    rows = capsys.readouterr().out.splitlines()[2:]
    assert rows == ["| `_parity/rounding.py` | 5 | 3 | 2 | 0 | 1 | 66.7% |",
                    "| `sgd.py` | 5 | 4 | 3 | 1 | 0 | 75.0% |",
                    "| `all of manual/` | 10 | 7 | 5 | 1 | 1 | 71.4% |"]


def test_functions_run_only_at_import_are_left_unmutated():
    """A function of manual/ called only at the top level of its own module runs once, when
    mutmut imports the project before forking per mutant: its mutants would never run. Each
    such function's def line says "# pragma: no mutate block", and no other's does."""
    at_import, marked, every_defined = set(), set(), set()
    top_by_module, inside_by_module = set(), set()   # module.function(...) from another module
    for path in sorted((ROOT / "manual").rglob("*.py")):
        text = path.read_text()
        tree = ast.parse(text)
        lines = text.split("\n")
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        every_defined |= defined
        marked |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                   and "# pragma: no mutate block" in lines[n.lineno - 1]}
        inside, top = set(), set()
        for node in tree.body:
            called = [n.func for n in ast.walk(node) if isinstance(n, ast.Call)]
            calls = {f.id for f in called if isinstance(f, ast.Name)}
            by_module = {f.attr for f in called
                         if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)}
            at_top = not isinstance(node, (ast.FunctionDef, ast.ClassDef))
            (top if at_top else inside).update(calls)
            (top_by_module if at_top else inside_by_module).update(by_module)
        at_import |= (defined & top) - inside
    at_import |= (every_defined & top_by_module) - inside_by_module
    assert at_import, "the scan finds the tables built at import"
    assert marked == at_import, (f"run only at import, yet mutated: {at_import - marked}; "
                                 f"left unmutated, yet called later: {marked - at_import}")
