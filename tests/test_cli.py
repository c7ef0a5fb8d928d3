"""The dealias command line, in-process and as a subprocess: the numbers it claims, exit
statuses, and one-line errors without tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import manual.linear
import reference.debugging.models
from reference.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reference", *args], capture_output=True,
                          text=True, timeout=120)


def test_demo_prints_the_books_fit():
    result = run("demo", "--every", "5000")
    assert result.returncode == 0, result.stderr
    finals = {way: (float(w), float(b)) for way, w, b in re.findall(
        r"^\s+(hand-derived|manual engine|torch)\s+w = ([-\d.]+), b = ([-\d.]+)",
        result.stdout, re.M)}
    assert set(finals) == {"hand-derived", "manual engine", "torch"}
    for w, b in finals.values():
        assert (round(w, 4), round(b, 4)) == (5.3671, -17.3012)
    assert "80.364342" in result.stdout and "2.927648" in result.stdout
    assert "Traceback" not in result.stderr


def test_demo_with_adam_and_a_plot(tmp_path, capsys):
    target = tmp_path / "curves.png"
    assert main(["demo", "--epochs", "300", "--optimizer", "adam", "--plot", str(target)]) == 0
    out = capsys.readouterr().out
    assert target.stat().st_size > 1000 and "loss curves written" in out
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_pairs_lists_every_piece(capsys):
    assert main(["pairs"]) == 0
    out = capsys.readouterr().out
    for piece in ("linear", "mse_loss", "sgd", "zero_grad", "backward", "training_loop"):
        assert f"manual/{piece}.py" in out and f"torch_native/{piece}.py" in out


def test_show_puts_twins_side_by_side():
    result = run("show", "sgd")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # plain text when not a terminal
    lines = result.stdout.splitlines()
    assert any("class SGD(Optimizer):" in line and "class SGD(torch.optim.SGD):" in line
               for line in lines)


def test_show_points_to_the_parity_module_and_prints_it(capsys):
    assert main(["show", "linear"]) == 0
    assert "manual/_parity/linear.py" in capsys.readouterr().out
    assert main(["show", "linear", "--parity"]) == 0
    out = capsys.readouterr().out
    assert "linear at torch's edges" in out and "def vector_weight" in out
    assert main(["show", "sgd", "--parity"]) == 0  # its fused multiply-add, shared
    assert "def fused_add" in capsys.readouterr().out
    assert main(["show", "zero_grad", "--parity"]) == 0
    assert "zero_grad has no parity module" in capsys.readouterr().out


def test_check_agrees_on_honest_twins(capsys):
    assert main(["check", "linear", "sgd", "--examples", "5", "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"sgd\s+.\s*float64\s+.\s*5\s+.\s*0\s+.\s*0\s+.\s*0\s+.\s*agree", out)


def test_check_names_a_broken_twin(monkeypatch, capsys):
    honest = manual.linear.linear

    def broken(input, weight, bias=None):  # off by one part in a thousand
        return honest(input, weight, bias) * 1.001

    monkeypatch.setattr(manual.linear, "linear", broken)
    assert main(["check", "linear", "mse_loss", "--examples", "3"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREE" in out and "linear (float32) disagrees" in out
    assert "mse_loss (float32) disagrees" not in out


def test_trace_agrees_then_reports_a_planted_bug(monkeypatch, capsys):
    assert main(["trace", "--steps", "5"]) == 0
    assert "agree for all 5 steps" in capsys.readouterr().out
    honest = reference.debugging.models.build_optimizer

    def planted(name, side, params, lr=None):  # the manual loop's lr is 1% off
        lr = reference.debugging.models.DEFAULT_LR[name] if lr is None else lr
        return honest(name, side, params, lr * (1.01 if side == "manual" else 1))

    monkeypatch.setattr(reference.debugging.models, "build_optimizer", planted)
    assert main(["trace", "--steps", "5"]) == 1
    out = capsys.readouterr().out
    assert "part at step 1, step:" in out


@pytest.mark.parametrize("args, message", [
    (["show", "nope"], "unknown piece 'nope'; choose from:"),
    (["check", "nope"], "unknown piece 'nope'; choose from:"),
    (["check", "--examples", "0"], "0 is not positive"),
    (["trace", "--model", "rnn"], "invalid choice: 'rnn'"),
    (["demo", "--plot", "/no/such/folder/x.png"], "cannot write to folder"),
    (["demo", "--plot", "curves.txt"], "must end in .png, .svg or .pdf"),
    (["frobnicate"], "invalid choice"),
    (["run", "--steps", "3", "tests/scripts/poly_fit.py"],
     "--steps is an option of --compare: dealias run --compare [--steps N] [--drift] SCRIPT.py"),
    (["run", "--compare", "no_such_script.py"], "no_such_script.py: no such file"),
])
def test_user_mistakes_are_one_line_errors(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "trace"])
def test_a_device_torch_lacks_is_a_usage_error(command, capsys):
    assert main([command, "--device", "gpu0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"dealias {command}: error: --device gpu0: not a torch device (e.g. " \
                          "cpu, cuda, cuda:1)"
    if not torch.cuda.is_available():
        assert main([command, "--device", "cuda"]) == 2
        err = capsys.readouterr().err
        assert "--device cuda: not usable here" in err and len(err.strip().splitlines()) == 1


def test_help_has_examples():
    result = run("--help")
    assert result.returncode == 0 and "examples:" in result.stdout and "dealias check" in \
        result.stdout


def test_the_dealias_script_is_installed():
    script = str(Path(sys.executable).with_name("dealias"))
    result = subprocess.run([script, "pairs"], capture_output=True, text=True)
    assert result.returncode == 0 and "sgd" in result.stdout


def test_plot_without_matplotlib_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main(["demo", "--epochs", "2", "--plot", str(tmp_path / "x.png")]) == 2
    assert "needs matplotlib: pip install 'dealias[plot]'" in capsys.readouterr().err
