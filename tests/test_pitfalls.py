"""The pitfalls: each buggy loop shows its symptom on both engines, its fix shows none, and
the two engines report the same numbers; then `dealias pitfalls`."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from reference.cli import main
from reference.teaching.pitfalls import ENGINES, PITFALLS, Run, run
from tests.helpers import assert_twins_agree

ROOT = Path(__file__).resolve().parent.parent


@cache
def ran(name: str, which: str, engine: str) -> Run:
    return run(PITFALLS[name], which, engine)


def test_the_pitfalls_of_the_issues_are_there():
    assert list(PITFALLS) == [
        "forgotten-zero-grad", "zero-grad-after-backward", "set-to-none",
        "unscaled-accumulation", "adam-weight-decay", "train-loss-graph", "mse-broadcast",
        "softmax-cross-entropy", "manual-update", "epoch-mean", "momentum",
        # the bugs of real loops that doctor names (tests/test_doctor.py)
        "nan-loss", "detached-loss", "parameters-not-in-optimizer", "duplicate-parameters",
        "eval-mode-training", "train-mode-evaluation", "scheduler-before-optimizer",
        "clip-before-backward", "clip-changes-nothing", "frozen-parameters", "loss-broadcast",
        "nll-loss-input", "sigmoid-bce-with-logits"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", PITFALLS)
def test_buggy_loop_shows_the_symptom(name, engine):
    result = ran(name, "buggy", engine)
    assert PITFALLS[name].symptom(result.numbers), f"{name} on {engine}: {result.numbers}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", PITFALLS)
def test_fixed_loop_does_not(name, engine):
    result = ran(name, "fixed", engine)
    assert not PITFALLS[name].symptom(result.numbers), f"{name} on {engine}: {result.numbers}"


@pytest.mark.parametrize("which", ["buggy", "fixed"])
@pytest.mark.parametrize("name", PITFALLS)
def test_both_engines_report_the_same_numbers(name, which):
    manual_numbers = ran(name, which, "manual").numbers
    torch_numbers = ran(name, which, "torch").numbers
    assert manual_numbers.keys() == torch_numbers.keys()
    for key in PITFALLS[name].shared:
        if key not in manual_numbers:
            continue
        m, t = manual_numbers[key], torch_numbers[key]
        if isinstance(m, float):  # float32 work, summed in float64 by the loop: compare
            assert_twins_agree(f"{name} {which}: {key}", "training",  # as float32
                               np.float32(m), np.float32(t))
        else:
            assert m == t, f"{name} {which}: {key}: manual {m!r}, torch {t!r}"


def test_the_symptoms_in_numbers():
    """The headline number of each pitfall, as the explanations state it."""
    growth = ran("forgotten-zero-grad", "buggy", "torch").numbers["growth (step 5 / step 1)"]
    assert 4 < growth < 5                          # five gradients summed, each a bit smaller
    ratio = "|accumulated grad| / |full-batch grad|"
    assert ran("unscaled-accumulation", "buggy", "manual").numbers[ratio] == pytest.approx(4)
    assert ran("unscaled-accumulation", "fixed", "manual").numbers[ratio] == pytest.approx(1)
    assert ran("zero-grad-after-backward", "buggy", "manual").numbers[
        "largest weight change"] == 0.0
    assert ran("set-to-none", "fixed", "torch").numbers[
        "head's change after it left the loss"] == 0.0
    floor = np.log(1 + 2 / np.e)                   # log(1 + (C - 1)/e), C = 3
    assert ran("softmax-cross-entropy", "buggy", "torch").numbers[
        "floor log(1 + 2/e)"] == pytest.approx(floor, abs=1e-4)
    per_lr = ran("adam-weight-decay", "buggy", "manual").numbers["its change per step / lr"]
    assert per_lr == pytest.approx(1, abs=0.02)    # Adam's decay: about lr a step
    nodes = ran("train-loss-graph", "buggy", "torch").numbers
    assert nodes["after step 10"] > 5 * nodes["graph nodes kept after step 1"]


def test_the_symptoms_of_the_bugs_doctor_names_in_numbers():
    """The headline numbers of the pitfalls `dealias doctor` names, as they state them."""
    for engine in ENGINES:
        assert ran("nan-loss", "buggy", engine).numbers[
            "first step with a non-finite loss"] == 31            # lr 2.0: inf at step 31
        assert ran("duplicate-parameters", "buggy", engine).numbers[
            "bias's move / (lr grad)"] == pytest.approx(2)       # stepped twice
        assert ran("scheduler-before-optimizer", "buggy", engine).numbers[
            "lr of steps 1-3"] == "0.05, 0.025, 0.0125"          # 0.1 never used
        assert ran("nll-loss-input", "buggy", engine).numbers["loss after 50 steps"] < 0
        assert ran("clip-changes-nothing", "buggy", engine).numbers[
            "total norm clip_grad_norm_ saw"] == 0.0
    detached = ran("detached-loss", "buggy", "manual").numbers
    assert detached["largest weight change"] == 0.0
    assert ran("sigmoid-bce-with-logits", "buggy", "torch").numbers[
        "smallest predicted probability"] > 0.5 > ran("sigmoid-bce-with-logits", "fixed",
                                                      "torch").numbers[
        "smallest predicted probability"]


def test_the_scheduler_warns_on_both_engines_and_only_when_buggy():
    for engine in ENGINES:
        assert any("before `optimizer.step()`" in w
                   for w in ran("scheduler-before-optimizer", "buggy", engine).warnings)
        assert not ran("scheduler-before-optimizer", "fixed", engine).warnings


def test_mse_broadcast_warns_on_both_engines_and_only_when_buggy():
    for engine in ENGINES:
        assert any("target size" in w for w in ran("mse-broadcast", "buggy", engine).warnings)
        assert not any("target size" in w
                       for w in ran("mse-broadcast", "fixed", engine).warnings)


def test_manual_update_fails_with_torchs_messages_on_both_engines():
    for engine in ENGINES:
        numbers = ran("manual-update", "buggy", engine).numbers
        assert "leaf Variable that requires grad" in numbers["w -= lr * w.grad, outside no_grad"]
        assert numbers["w = w - lr * w.grad, in no_grad"].startswith("step 2: RuntimeError: "
                                                                   "element 0 of tensors")


@pytest.mark.parametrize("name", PITFALLS)
def test_loops_are_written_once_and_explained_by_a_manual_file(name):
    pitfall = PITFALLS[name]
    for which in ("buggy", "fixed"):
        source = pitfall.source(which)
        assert source.startswith(f"def {which}(lib):")
        assert not re.search(r"\b(torch|manual|torch_native)\.", source), source
    files = re.findall(r"manual/\w+\.py", pitfall.manual_ref)
    assert files and all((ROOT / f).is_file() for f in files), pitfall.manual_ref


# -- the command line ----------------------------------------------------------------------

def test_pitfalls_lists_every_name(capsys):
    assert main(["pitfalls"]) == 0
    out = capsys.readouterr().out
    for name in PITFALLS:
        assert name in out


def test_pitfalls_name_shows_both_loops_and_the_numbers(capsys):
    assert main(["pitfalls", "unscaled-accumulation"]) == 0
    out = capsys.readouterr().out
    assert any("def buggy(lib):" in line and "def fixed(lib):" in line
               for line in out.splitlines())
    assert "manual/grad_accumulation.py" in out
    row = next(line for line in out.splitlines() if line.startswith(" |accumulated grad|"))
    assert row.split()[-4:] == ["4", "4", "1", "1"]
    shows = next(line for line in out.splitlines() if "shows the bug" in line)
    assert shows.split()[-4:] == ["yes", "yes", "no", "no"]


def test_pitfalls_unknown_name_is_one_line_and_status_2(capsys):
    assert main(["pitfalls", "forgot-zero-grad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown pitfall 'forgot-zero-grad'" in err
    assert "forgotten-zero-grad" in err


def test_pitfalls_as_a_subprocess():
    result = subprocess.run([sys.executable, "-m", "reference", "pitfalls", "momentum"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "as in the paper (Sutskever)" in result.stdout and "as in torch" in result.stdout
    assert "\x1b[" not in result.stdout and "Traceback" not in result.stderr
