"""dealias doctor: every detection on a planted bug (tests/doctor_cases/) and no finding on the
honest loops, step functions and whole scripts on both engines, doctor's own failures kept
apart from the loop's, the loop's warnings kept, the patched functions put back, and the
command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import manual.clip_grad
import manual.cross_entropy
import manual.nn.utils
from reference.cli import main
from reference.debugging import doctor_order, doctor_watch
from reference.debugging.doctor import DoctorError, diagnose, diagnose_script, report
from reference.teaching.pitfalls import PITFALLS

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "doctor_cases"

PLANTED = [  # (case file:function, the pitfall doctor must name)
    ("forgotten_zero_grad.py:buggy", "forgotten-zero-grad"),
    ("on_the_gpu.py:buggy", "forgotten-zero-grad"),     # on CUDA where there is one
    ("manual_loop.py:buggy", "forgotten-zero-grad"),
    ("several_optimizers.py:buggy", "forgotten-zero-grad"),
    ("on_an_object.py:buggy", "forgotten-zero-grad"),
    ("zero_grad_after_backward.py:buggy", "zero-grad-after-backward"),
    ("set_to_none.py:buggy", "set-to-none"),
    ("accumulation.py:buggy", "unscaled-accumulation"),
    ("adam_weight_decay.py:buggy", "adam-weight-decay"),
    ("train_loss_graph.py:buggy", "train-loss-graph"),
    ("train_loss_graph.py:buggy_returns_tensor", "train-loss-graph"),
    ("train_loss_graph.py:buggy_list", "train-loss-graph"),
    ("train_loss_graph.py:buggy_dict", "train-loss-graph"),
    ("mse_broadcast.py:buggy", "mse-broadcast"),
    ("loss_broadcast.py:buggy", "loss-broadcast"),
    ("softmax_cross_entropy.py:buggy", "softmax-cross-entropy"),
    ("softmax_cross_entropy.py:buggy_imported_name", "softmax-cross-entropy"),
    ("softmax_cross_entropy.py:buggy_sigmoid", "softmax-cross-entropy"),
    ("manual_loop.py:buggy_softmax", "softmax-cross-entropy"),
    ("nll_loss_input.py:buggy", "nll-loss-input"),
    ("nll_loss_input.py:buggy_logits", "nll-loss-input"),
    ("sigmoid_bce.py:buggy", "sigmoid-bce-with-logits"),
    ("manual_update.py:buggy_in_place", "manual-update"),
    ("manual_update.py:buggy_rebinding", "manual-update"),
    ("nan_loss.py:buggy_log", "nan-loss"),
    ("detached_loss.py:buggy", "detached-loss"),
    ("detached_loss.py:buggy_detach", "detached-loss"),
    ("replaced_layer.py:buggy", "parameters-not-in-optimizer"),
    ("duplicate_parameters.py:buggy", "duplicate-parameters"),
    ("frozen.py:buggy", "frozen-parameters"),
    ("modes.py:buggy_training", "eval-mode-training"),
    ("modes.py:buggy_evaluation", "train-mode-evaluation"),
    ("scheduler_order.py:buggy", "scheduler-before-optimizer"),
    ("clipping.py:buggy_before", "clip-before-backward"),
    ("clipping.py:buggy_generator", "clip-changes-nothing"),
]
CLEAN = [
    "forgotten_zero_grad.py:fixed", "forgotten_zero_grad.py:fixed_zeroing_after",
    "on_the_gpu.py:fixed", "manual_loop.py:fixed", "several_optimizers.py:fixed",
    "on_an_object.py:fixed", "zero_grad_after_backward.py:fixed", "set_to_none.py:fixed",
    "accumulation.py:fixed", "accumulation.py:fixed_two_losses", "adamw.py:fixed",
    "train_loss_graph.py:fixed", "train_loss_graph.py:fixed_list", "mse_broadcast.py:fixed",
    "loss_broadcast.py:fixed", "loss_broadcast.py:fixed_pairwise",
    "softmax_cross_entropy.py:fixed", "nll_loss_input.py:fixed", "sigmoid_bce.py:fixed",
    "manual_update.py:fixed", "nan_loss.py:fixed", "detached_loss.py:fixed",
    "replaced_layer.py:fixed", "duplicate_parameters.py:fixed", "frozen.py:fixed",
    "frozen.py:fixed_all_parameters", "modes.py:fixed", "scheduler_order.py:fixed",
    "clipping.py:fixed", "warnings_kept.py:fixed",
]


def case(target: str) -> str:
    return str(CASES / target)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These tensors are tiny: a second thread costs more than it saves."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("target, pitfall", PLANTED)
def test_planted_bug_is_named(target, pitfall):
    diagnosis = diagnose(case(target))
    named = [f.pitfall for f in diagnosis.findings]
    assert named == [pitfall], [f"{f.pitfall}: {f.evidence}" for f in diagnosis.findings]
    assert diagnosis.faults == []


@pytest.mark.parametrize("target", CLEAN)
def test_honest_loop_gives_no_finding(target):
    diagnosis = diagnose(case(target))
    assert diagnosis.findings == [] and diagnosis.error is None, diagnosis.findings
    assert diagnosis.steps == 5 and diagnosis.faults == []


def test_every_detection_listed_by_pitfalls_has_a_planted_case():
    watched = {name for name, p in PITFALLS.items() if p.doctor}
    assert watched == {pitfall for _, pitfall in PLANTED}


# -- the evidence ---------------------------------------------------------------------------

def test_evidence_carries_the_numbers():
    finding, = diagnose(case("forgotten_zero_grad.py:buggy"), steps=4).findings
    assert "steps 2-4" in finding.evidence and "'model.weight'" in finding.evidence
    norms = [float(n) for n in finding.evidence.rsplit(": ", 1)[1].split(", ")]
    assert len(norms) == 4 and norms[3] > 3 * norms[0]        # four gradients summed
    finding, = diagnose(case("train_loss_graph.py:buggy")).findings
    assert "'train_loss'" in finding.summary and "6, 10, 14, 18, 22" in finding.evidence
    finding, = diagnose(case("train_loss_graph.py:buggy_list")).findings
    assert "'losses'" in finding.summary and ": 1, 2, 3, 4, 5 (" in finding.evidence
    finding, = diagnose(case("mse_broadcast.py:buggy")).findings
    assert finding.evidence.startswith("5 warning(s): Using a target size")


def test_several_optimizers_name_the_one_that_does_not_zero():
    finding, = diagnose(case("several_optimizers.py:buggy")).findings
    assert "'opt_g'" in finding.summary and "'opt_d'" not in finding.summary
    assert "'generator.0.weight'" in finding.evidence


def test_objects_name_what_they_hold():
    finding, = diagnose(case("on_an_object.py:buggy")).findings
    assert "'trainer.optimizer'" in finding.summary
    assert "'trainer.model.weight'" in finding.evidence


@pytest.mark.parametrize("target, words", [
    ("accumulation.py:buggy", ["after 4 backward()s", "accumulation.py:", "mse_loss's mean",
                               "not divided by 4"]),
    ("replaced_layer.py:buggy", ["'model.head.weight'", "replaced after the optimizer"]),
    ("duplicate_parameters.py:buggy", ["'model.bias' is held by 'weights' and by 'bias'",
                                       "step(s) 1-5"]),
    ("frozen.py:buggy", ["'optimizer' holds 2", "'head.weight'", "'body.weight'"]),
    ("modes.py:buggy_training", ["step(s) 2-5", "'model' ran in eval mode",
                                 "model.2 (Dropout)", "model.train()"]),
    ("modes.py:buggy_evaluation", ["'model' ran under no_grad in training mode",
                                   "model.eval()"]),
    ("scheduler_order.py:buggy", ["step 1: UserWarning: Detected call of", "'scheduler'",
                                  "(StepLR) of 'optimizer'"]),
    ("clipping.py:buggy_before", ["clip_grad_norm_(0.5) ran before a backward()",
                                  "saw 0 of 2 parameters"]),
    ("clipping.py:buggy_generator", ["was given 0 parameters", "used up"]),
    ("loss_broadcast.py:buggy", ["made (16, 16) from (16, 1) and (16,)"]),
    ("nll_loss_input.py:buggy", ["given probabilities"]),
    ("nll_loss_input.py:buggy_logits", ["log-sum-exp"]),
    ("sigmoid_bce.py:buggy", ["made by SigmoidBackward0"]),
    ("softmax_cross_entropy.py:buggy_sigmoid", ["5 of 5 inputs to cross_entropy were made "
                                                "by SigmoidBackward0"]),
    ("detached_loss.py:buggy", ["step(s) 1-5", "a new leaf", "'model.weight'"]),
    ("detached_loss.py:buggy_detach", ["no graph at all", "raised RuntimeError: element 0"]),
    ("nan_loss.py:buggy_log", ["the loss was inf at step 1", "torch.log", "LogBackward0"]),
])
def test_each_finding_says_which_parameter_optimizer_and_step(target, words):
    finding, = diagnose(case(target)).findings
    for word in words:
        assert word in finding.summary + " " + finding.evidence, finding.evidence


def test_a_diverging_loop_names_the_first_non_finite_step():
    finding, = diagnose(case("nan_loss.py:buggy_lr"), steps=10).findings
    assert finding.pitfall == "nan-loss"
    assert "the loss was inf at step 7" in finding.evidence
    assert "torch.mse_loss" in finding.evidence and "1.951e+34, inf" in finding.evidence


# -- whole scripts --------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["torch", "manual"])
def test_a_script_is_watched_for_its_first_steps_on_either_engine(engine, capsys):
    diagnosis = diagnose_script(case("script_gan.py"), [], steps=3, engine=engine)
    finding, = diagnosis.findings
    assert finding.pitfall == "forgotten-zero-grad" and "'opt_g'" in finding.summary
    assert diagnosis.steps == 3 and diagnosis.engine == engine
    assert "done" not in capsys.readouterr().out             # stopped after 3 steps


@pytest.mark.parametrize("engine", ["torch", "manual"])
def test_a_scripts_own_arguments_reach_it(engine, capsys):
    diagnosis = diagnose_script(case("script_gan.py"), ["--zero-generator", "--epochs", "1"],
                                steps=10, engine=engine)
    assert diagnosis.findings == [] and diagnosis.error is None and diagnosis.faults == []
    assert diagnosis.steps == 4 and "done" in capsys.readouterr().out   # ran to its end


@pytest.mark.parametrize("engine", ["torch", "manual"])
def test_a_script_that_rebinds_its_parameters_is_named_and_one_that_updates_in_place_not(
        engine, capsys):
    bench = ROOT / "benchmarks" / "doctor"
    diagnosis = diagnose_script(str(bench / "b39_update_rebinds.py"), engine=engine)
    finding, = diagnosis.findings
    assert finding.pitfall == "manual-update" and "'w', 'b' were replaced" in finding.summary
    assert diagnosis.error.startswith("step 2: RuntimeError: element 0 of tensors")
    diagnosis = diagnose_script(str(bench / "c08_manual_update.py"), engine=engine)
    assert diagnosis.findings == [] and diagnosis.error is None and diagnosis.steps == 10


def test_a_script_that_raises_is_reported_with_its_step(capsys):
    diagnosis = diagnose_script(case("script_raises.py"), engine="torch")
    assert diagnosis.error == "step 3: IndexError: list index out of range"
    assert "Traceback" in capsys.readouterr().err and diagnosis.faults == []


def test_a_script_manual_cannot_run_is_a_doctor_error():
    with pytest.raises(DoctorError, match="torch.nn.LSTM is not in manual yet .*--engine torch"):
        diagnose_script(case("script_lstm.py"))
    with pytest.raises(DoctorError, match="no such file"):
        diagnose_script(case("no_such_script.py"))


# -- doctor's own failures and the loop's warnings -----------------------------------------

def test_a_failing_check_is_doctors_failure_not_the_loops(monkeypatch):
    def broken(self, event):
        raise KeyError("planted")

    monkeypatch.setattr(doctor_order.Clipping, "step_pre", broken)
    diagnosis = diagnose(case("forgotten_zero_grad.py:buggy"))
    assert diagnosis.error is None and diagnosis.steps == 5
    assert [f.pitfall for f in diagnosis.findings] == ["forgotten-zero-grad"]
    fault, = diagnosis.faults
    assert fault.startswith("the check Clipping, on step_pre: KeyError: 'planted'")


def test_a_failing_hook_is_doctors_failure_not_the_loops(monkeypatch):
    def broken(self):
        raise ValueError("planted")

    monkeypatch.setattr(doctor_watch.Watch, "holders", broken)
    diagnosis = diagnose(case("train_loss_graph.py:fixed"))
    assert diagnosis.error is None and diagnosis.steps == 5 and diagnosis.findings == []
    assert diagnosis.faults == ["the end of a step: ValueError: planted (test_doctor.py:"
                                f"{broken.__code__.co_firstlineno + 1})"]
    text = _text(report(diagnosis))
    assert "doctor's own failures" in text and "the step raised" not in text


def test_the_loops_warnings_are_kept_and_shown():
    diagnosis = diagnose(case("warnings_kept.py:fixed"))
    assert diagnosis.warnings == ["UserWarning: the learning rate looks small (5 time(s), "
                                  "first in step 1)"]
    assert "the learning rate looks small" in _text(report(diagnosis))
    diagnosis = diagnose(case("scheduler_order.py:buggy"))
    assert any("Detected call of `lr_scheduler.step()`" in w for w in diagnosis.warnings)


def _text(group) -> str:
    return "\n".join(str(part) for part in group.renderables)


def test_patched_functions_are_put_back():
    def bound():
        return (torch.nn.functional.cross_entropy, manual.cross_entropy.cross_entropy,
                torch.nn.utils.clip_grad_norm_, torch.nn.utils.clip_grad.clip_grad_norm_,
                manual.nn.utils.clip_grad_norm_, manual.clip_grad.clip_grad_norm_)

    originals = bound()
    diagnose(case("manual_loop.py:buggy_softmax"))
    diagnose(case("clipping.py:fixed"))
    diagnose_script(case("script_gan.py"), steps=1)
    assert bound() == originals


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


def test_doctor_on_a_script_with_its_arguments(capsys):
    assert main(["doctor", "--steps", "2", "--engine", "torch", case("script_gan.py")]) == 1
    out = capsys.readouterr().out
    assert "on torch for 2 step(s)" in out and "forgotten-zero-grad:" in out
    assert main(["doctor", case("script_gan.py"), "--zero-generator", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "on manual for 4 step(s)" in out and "no pitfall found" in out


def test_doctor_exits_3_when_only_doctor_failed(capsys, monkeypatch):
    def broken(self):
        raise ValueError("planted")

    monkeypatch.setattr(doctor_watch.Watch, "holders", broken)
    assert main(["doctor", case("forgotten_zero_grad.py:fixed")]) == 3
    assert "doctor's own failures" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["forgotten_zero_grad.py:nope"], "has no function 'nope'"),
    (["--engine", "torch", "forgotten_zero_grad.py:fixed"], "--engine is for a whole script"),
    (["script_lstm.py"], "torch.nn.LSTM is not in manual yet"),
])
def test_doctor_usage_errors_are_one_line_and_status_2(argv, message, capsys):
    argv = [*argv[:-1], case(argv[-1])]
    assert main(["doctor", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_doctor_help_shows_the_protocol_with_an_example(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["doctor", "--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0
    assert "def step():" in out and "return loss.item()" in out and "examples:" in out
    assert "dealias doctor train.py" in out


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
    source = (CASES / "forgotten_zero_grad.py").read_text()
    beside = source.replace(data, "from case_data import x, y")
    assert beside != source
    (package / "train.py").write_text(beside.replace("from case_data",
                                                     "from my_package.case_data"))
    (package / "step.py").write_text(beside)
    monkeypatch.chdir(tmp_path)
    try:
        for target in ("my_package.train:buggy", str(package / "step.py") + ":buggy"):
            named = [f.pitfall for f in diagnose(target).findings]
            assert named == ["forgotten-zero-grad"], target
    finally:
        for name in ("my_package", "my_package.case_data", "my_package.train", "case_data"):
            sys.modules.pop(name, None)
