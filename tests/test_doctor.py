"""dealias doctor: every detection on a planted bug (tests/doctor_cases/), no finding on the
honest loops, the patched functions put back, and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import manual.cross_entropy
from reference.cli import main
from reference.debugging.doctor import DoctorError, diagnose
from reference.teaching.pitfalls import PITFALLS

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "doctor_cases"

PLANTED = [  # (case file:function, the pitfall doctor must name)
    ("forgotten_zero_grad.py:buggy", "forgotten-zero-grad"),
    ("on_the_gpu.py:buggy", "forgotten-zero-grad"),     # on CUDA where there is one
    ("manual_loop.py:buggy", "forgotten-zero-grad"),
    ("zero_grad_after_backward.py:buggy", "zero-grad-after-backward"),
    ("set_to_none.py:buggy", "set-to-none"),
    ("adam_weight_decay.py:buggy", "adam-weight-decay"),
    ("train_loss_graph.py:buggy", "train-loss-graph"),
    ("train_loss_graph.py:buggy_returns_tensor", "train-loss-graph"),
    ("mse_broadcast.py:buggy", "mse-broadcast"),
    ("softmax_cross_entropy.py:buggy", "softmax-cross-entropy"),
    ("softmax_cross_entropy.py:buggy_imported_name", "softmax-cross-entropy"),
    ("manual_loop.py:buggy_softmax", "softmax-cross-entropy"),
    ("manual_update.py:buggy_in_place", "manual-update"),
    ("manual_update.py:buggy_rebinding", "manual-update"),
]
CLEAN = [
    "forgotten_zero_grad.py:fixed", "forgotten_zero_grad.py:fixed_zeroing_after",
    "on_the_gpu.py:fixed",
    "zero_grad_after_backward.py:fixed", "set_to_none.py:fixed", "adamw.py:fixed",
    "train_loss_graph.py:fixed", "mse_broadcast.py:fixed", "softmax_cross_entropy.py:fixed",
    "manual_update.py:fixed", "manual_loop.py:fixed",
]


def case(target: str) -> str:
    return str(CASES / target)


@pytest.mark.parametrize("target, pitfall", PLANTED)
def test_planted_bug_is_named(target, pitfall):
    diagnosis = diagnose(case(target))
    named = [f.pitfall for f in diagnosis.findings]
    assert named == [pitfall], [f"{f.pitfall}: {f.evidence}" for f in diagnosis.findings]


@pytest.mark.parametrize("target", CLEAN)
def test_honest_loop_gives_no_finding(target):
    diagnosis = diagnose(case(target))
    assert diagnosis.findings == [] and diagnosis.error is None, diagnosis.findings
    assert diagnosis.steps == 5


def test_every_detection_listed_by_pitfalls_has_a_planted_case():
    watched = {name for name, p in PITFALLS.items() if p.doctor}
    assert watched == {pitfall for _, pitfall in PLANTED}


def test_evidence_carries_the_numbers():
    finding, = diagnose(case("forgotten_zero_grad.py:buggy"), steps=4).findings
    assert "steps 2-4" in finding.evidence
    norms = [float(n) for n in finding.evidence.rsplit(": ", 1)[1].split(", ")]
    assert len(norms) == 4 and norms[3] > 3 * norms[0]        # four gradients summed
    finding, = diagnose(case("train_loss_graph.py:buggy")).findings
    assert "'train_loss'" in finding.summary and "6, 10, 14, 18, 22" in finding.evidence
    finding, = diagnose(case("mse_broadcast.py:buggy")).findings
    assert finding.evidence.startswith("5 warning(s): Using a target size")


def test_a_step_that_raises_is_reported_with_its_step():
    diagnosis = diagnose(case("manual_update.py:buggy_rebinding"))
    assert diagnosis.steps == 1
    assert diagnosis.error.startswith("step 2: RuntimeError: element 0 of tensors")


def test_patched_functions_are_put_back():
    originals = (torch.nn.functional.cross_entropy, manual.cross_entropy.cross_entropy)
    diagnose(case("manual_loop.py:buggy_softmax"))
    diagnose(case("softmax_cross_entropy.py:buggy"))
    assert (torch.nn.functional.cross_entropy, manual.cross_entropy.cross_entropy) == originals


@pytest.mark.parametrize("target, message", [
    ("no_colon.py", "expected MODULE:FUNCTION"),
    ("missing.py:step", "no such file"),
    ("forgotten_zero_grad.py:stepp", "has no function 'stepp'; its functions: buggy, fixed"),
])
def test_a_target_that_cannot_be_loaded_is_a_doctor_error(target, message):
    with pytest.raises(DoctorError, match=message):
        diagnose(case(target))


def test_a_module_without_parameters_is_a_doctor_error(tmp_path):
    (tmp_path / "empty.py").write_text("def step():\n    return 0.0\n")
    with pytest.raises(DoctorError, match="found no optimizer, model or tensor"):
        diagnose(str(tmp_path / "empty.py") + ":step")


# -- the command line ----------------------------------------------------------------------

def test_doctor_names_the_pitfall_and_exits_1(capsys):
    assert main(["doctor", case("set_to_none.py:buggy")]) == 1
    out = capsys.readouterr().out
    assert "set-to-none:" in out and "see: dealias pitfalls set-to-none" in out


def test_doctor_on_an_honest_loop_exits_0(capsys):
    assert main(["doctor", case("forgotten_zero_grad.py:fixed"), "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 time(s)" in out and "no pitfall found" in out


def test_doctor_bad_target_is_one_line_and_status_2(capsys):
    assert main(["doctor", case("forgotten_zero_grad.py:nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no function 'nope'" in err


def test_doctor_help_shows_the_protocol_with_an_example(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["doctor", "--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0
    assert "def step():" in out and "return loss.item()" in out and "examples:" in out


def test_doctor_as_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "reference", "doctor", "tests/doctor_cases/mse_broadcast.py:buggy"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    assert "mse-broadcast:" in result.stdout and "Traceback" not in result.stderr


def test_a_module_or_file_imports_what_lies_beside_it(tmp_path, monkeypatch):
    """As ``python -m package.module`` and ``python FILE.py`` do: the current folder, or the
    file's, comes first on sys.path (the dealias script alone has neither)."""
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    package = tmp_path / "my_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    data = "x, y = torch.randn(16, 3), torch.randn(16, 1)"
    (package / "case_data.py").write_text(f"import torch\n{data}\n")
    case = (CASES / "forgotten_zero_grad.py").read_text()
    beside = case.replace(data, "from case_data import x, y")
    assert beside != case
    (package / "train.py").write_text(beside.replace("from case_data", "from my_package.case_data"))
    (package / "step.py").write_text(beside)
    monkeypatch.chdir(tmp_path)
    try:
        for target in ("my_package.train:buggy", str(package / "step.py") + ":buggy"):
            named = [f.pitfall for f in diagnose(target).findings]
            assert named == ["forgotten-zero-grad"], target
    finally:
        for name in ("my_package", "my_package.case_data", "my_package.train", "case_data"):
            sys.modules.pop(name, None)
