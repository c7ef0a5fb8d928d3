"""benchmarks/bench.py's bookkeeping (not its timings): the order in which the sides take
turns, how a table row reads the rounds, and what the whole-process row runs and keeps."""

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).parents[1] / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["bench"]


def test_the_sides_take_turns_a_b_b_a_each_after_an_untimed_call(bench, monkeypatch):
    monkeypatch.setattr(bench, "PAUSE", 0)
    calls = []
    runs = {side: (lambda side=side: calls.append(side)) for side in ("manual", "torch")}
    seconds = bench.paired_seconds(runs, rounds=3, number=2)
    turns = ["manual", "torch", "torch", "manual", "manual", "torch"]
    assert calls == [side for side in turns for _ in range(3)]  # one untimed, two timed
    assert {side: len(times) for side, times in seconds.items()} == {"manual": 3, "torch": 3}


def test_a_row_is_the_median_of_the_rounds_ratios_with_their_middle_half(bench):
    row = bench.Row("w", manuals=[2.0, 3.0, 4.0, 9.0, 5.0], torches=[1.0, 1.0, 2.0, 3.0, 1.0])
    assert row.ratios == [2.0, 2.0, 3.0, 3.0, 5.0]
    assert row.ratio == 3.0                     # not median(manual) / median(torch) = 4.0
    assert (row.manual, row.torch) == (4.0, 1.0)
    assert row.spread == "2.00-4.00x"           # quartiles, Python's "exclusive" method
    assert bench.Row("w", [1.0, 3.0], [1.0, 1.0]).spread == "1.00-3.00x"  # few rounds: all


def test_counts_on_the_command_line_are_whole_numbers_of_at_least_1(bench):
    assert bench._positive("3") == 3
    for bad in ("0", "-1", "x", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
            bench._positive(bad)


def test_a_whole_process_takes_its_turns_with_no_untimed_run(bench, monkeypatch):
    monkeypatch.setattr(bench, "PAUSE", 0)
    calls = []
    runs = {side: (lambda side=side: calls.append(side)) for side in ("manual", "torch")}
    seconds = bench.paired_seconds(runs, rounds=3, number=1, warmup=False)
    assert calls == ["manual", "torch", "torch", "manual", "manual", "torch"]
    assert {side: len(times) for side, times in seconds.items()} == {"manual": 3, "torch": 3}


def test_a_process_keeps_the_cpu_time_of_each_run(bench):
    process = bench.Process([sys.executable, "-c", "sum(range(10**6))"])
    process()
    process()
    assert len(process.cpu) == 2 and all(seconds > 0 for seconds in process.cpu)


def test_the_cnn_script_runs_with_python_for_torch_and_dealias_run_for_manual(bench):
    script = str(bench.CNN_SCRIPT)
    assert bench.cnn_script("torch").command == [sys.executable, script, *bench.CNN_ARGS]
    assert bench.cnn_script("manual").command == [sys.executable, "-m", "reference", "run",
                                                  script, *bench.CNN_ARGS]
    assert bench.CNN_SCRIPT.is_file()
    assert not bench.WORKLOADS["CNN script (mnist_cnn.py), whole process"].warmup
