"""benchmarks/doctor_bench.py: its loops say what they plant and cover every bug doctor
names, it runs and meets its target on a sample of them, and its verdicts (a bug named, a
miss, a false alarm, doctor's own failure, a skipped run) add up as it reports them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from reference.teaching.pitfalls import PITFALLS

_PATH = Path(__file__).parents[1] / "benchmarks" / "doctor_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("doctor_bench", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["doctor_bench"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["doctor_bench"]


def test_the_loops_plant_every_bug_doctor_names(bench):
    cases = bench.cases([])
    buggy = [c for c in cases if c.bug]
    assert len(buggy) >= 30 and len(cases) - len(buggy) >= 10
    assert {c.bug for c in buggy} == {name for name, p in PITFALLS.items() if p.doctor}
    assert all(set(c.engines) <= set(bench.ENGINES) for c in cases)


def test_it_runs_and_meets_its_target_on_a_sample(bench, capsys):
    assert bench.main(["b01", "b23", "b29", "c04", "c10", "m0"]) == 0
    out = capsys.readouterr().out
    assert "detection: 7 of 7 buggy runs named their bug (100.0%), 4 buggy loops" in out
    assert "false alarms: 0 of 5 clean runs (0.0%), 3 clean loops" in out
    assert out.rstrip().endswith("target (every bug named, no false alarm): met")


def test_the_verdicts_add_up(bench):
    outcome = bench.Outcome
    buggy = bench.Case(Path("b.py"), "forgotten-zero-grad", ("torch", "manual"))
    clean = bench.Case(Path("c.py"), None, ("torch",))
    named = outcome(buggy, "torch", ["forgotten-zero-grad", "nan-loss"])
    skipped = outcome(buggy, "manual", skipped="torch.nn.LSTM is not in manual yet")
    lines, met = bench.summary([named, skipped, outcome(clean, "torch")])
    assert met and lines[0].startswith("detection: 1 of 1 buggy runs named their bug (100.0%)")
    assert "skipped: b.py on manual: torch.nn.LSTM is not in manual yet" in lines
    lines, met = bench.summary([outcome(buggy, "torch", ["nan-loss"]),
                                outcome(clean, "torch", ["set-to-none"])])
    assert not met
    assert "missed: b.py on torch named ['nan-loss']" in lines
    assert "false alarm: c.py on torch named ['set-to-none']" in lines
    assert lines[1].startswith("false alarms: 1 of 1 clean runs (100.0%)")
    _, met = bench.summary([named, outcome(clean, "torch", problem="doctor's own failure")])
    assert not met


def test_a_loop_that_does_not_say_what_it_plants_is_refused(bench, tmp_path, monkeypatch):
    (tmp_path / "b99_unsaid.py").write_text('"""A loop."""\n')
    monkeypatch.setattr(bench, "FOLDER", tmp_path)
    with pytest.raises(SystemExit, match="b99_unsaid.py: its docstring has no 'bug:' line"):
        bench.cases([])
