"""dealias run: users' torch scripts, unmodified, on the manual engine and compared with torch.

Each script in tests/scripts/ is written as users write them (the MNIST example, the stages
of "What is torch.nn really?", a conv autoencoder, the polynomial fit with a hand-written
update, a tabular model with part 2's pieces), on synthetic data. Each runs with ``python``
(torch) and with ``dealias run`` (manual): the printed numbers must agree to 1%; and
``dealias run --compare`` must find every step in agreement. A script that uses a name
manual lacks stops with one line naming it, exit status 2.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "scripts"
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")

# (script, its arguments, optimizer steps that run --compare compares)
RUNS = [
    ("poly_fit.py", [], 300),
    ("mnist_cnn.py", ["--epochs", "1", "--train-size", "96", "--test-size", "64",
                      "--batch-size", "32", "--log-interval", "1"], 3),
    ("nn_really.py", [], 40),
    ("conv_autoencoder.py", [], 16),
    ("tabular.py", [], 30),
]


def _start(*command: str) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


@pytest.mark.parametrize(("script", "args", "steps"), RUNS, ids=[r[0] for r in RUNS])
def test_the_script_prints_the_same_numbers_on_manual_as_on_torch(script, args, steps):
    path = str(SCRIPTS / script)
    runs = [_start(sys.executable, path, *args),  # both at once: two cores
            _start(sys.executable, "-m", "reference", "run", path, *args)]
    (torch_out, torch_err), (manual_out, manual_err) = (run.communicate() for run in runs)
    assert runs[0].returncode == 0, torch_err
    assert runs[1].returncode == 0, manual_err
    theirs, mine = _numbers(torch_out), _numbers(manual_out)
    assert len(mine) == len(theirs) > 0, (manual_out, torch_out)
    for a, b in zip(mine, theirs):
        assert a == pytest.approx(b, rel=0.01, abs=1e-6), (a, b, manual_out, torch_out)


@pytest.mark.parametrize(("script", "args", "steps"), RUNS, ids=[r[0] for r in RUNS])
def test_run_compare_finds_every_step_in_agreement(script, args, steps):
    result = subprocess.run([sys.executable, "-m", "reference", "run", "--compare",
                             "--steps", str(steps), str(SCRIPTS / script), *args], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"every step agrees: {steps} steps compared" in result.stdout


def test_a_name_manual_lacks_is_one_line_and_exit_2():
    for command in (["run"], ["run", "--compare"]):
        result = subprocess.run([sys.executable, "-m", "reference", *command,
                                 str(SCRIPTS / "uses_lstm.py")], cwd=ROOT, capture_output=True,
                                text=True)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"dealias {command[0]}: error: torch.nn.LSTM is not in manual yet"]


def test_the_script_gets_its_own_argv_name_and_exit_status(tmp_path):
    script = tmp_path / "probe.py"
    (tmp_path / "helper_module.py").write_text("VALUE = 41\n")
    script.write_text(
        "import sys\nimport torch\nfrom helper_module import VALUE\n"
        "print(__name__, sys.argv[1:], VALUE + 1, torch.__version__.endswith('manual'))\n"
        "print(hasattr(torch, 'compile'), torch.cuda.is_available())\n"
        "sys.exit(3)\n")
    result = subprocess.run([sys.executable, "-m", "reference", "run", str(script), "a", "-b"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 3
    assert result.stdout.splitlines() == ["__main__ ['a', '-b'] 42 True", "False False"]


def test_a_library_that_needs_the_real_torch_is_refused(tmp_path, monkeypatch):
    from reference.debugging import run

    (tmp_path / "a_torch_library.py").write_text("import torch\n")
    script = tmp_path / "uses_a_library.py"
    script.write_text("import torch\nimport a_torch_library\n")
    requirements = {"a-torch-library": ["torch>=2.0", "numpy"], "optional": ["torch; extra"]}
    monkeypatch.setattr(run, "_distributions", lambda: {"a_torch_library": ["a-torch-library"],
                                                        "optional_torch": ["optional"]})
    monkeypatch.setattr(run.importlib.metadata, "requires", lambda dist: requirements[dist])
    run._needs_real_torch.cache_clear()
    try:
        assert not run._needs_real_torch("optional_torch")  # torch only as an extra
        with pytest.raises(run.ScriptStopError, match="a_torch_library needs the real torch"):
            run.run_script(script, [])
    finally:
        run._needs_real_torch.cache_clear()


def test_the_script_failing_prints_its_traceback_and_exits_1(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("import torch\n\n\ndef f():\n    raise ValueError('the script is wrong')\n"
                      "\n\nf()\n")
    result = subprocess.run([sys.executable, "-m", "reference", "run", str(script)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "fails.py" in result.stderr and "ValueError: the script is wrong" in result.stderr
    assert "runpy" not in result.stderr  # the script's frames only


def test_a_long_comparison_is_shown_as_a_summary_with_each_stages_largest_gap():
    from rich.console import Console

    from reference.debugging import compare

    rows = [(step, {stage: 1.0 for stage in compare.STAGES}, None) for step in range(1, 101)]
    rows[56][1]["grads"] = 40.0                       # step 57's gradients, the worst
    shown = [rows[i][0] for i in compare._shown(rows)]
    assert shown == [1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 57, 60, 65, 70, 75,
                     80, 85, 90, 95, 100]
    assert compare._largest(rows)["grads"] == (40.0, 57)
    assert compare._largest(rows)["loss"] == (1.0, 1)  # the first step of a tie
    assert [rows[i][0] for i in compare._shown(rows[:40])] == list(range(1, 41))
    console = Console(width=200, record=True)
    console.print(compare._table("train.py", rows, drift=False))
    text = console.export_text()
    assert ("25 of 100 steps shown: the first, every 5-th, each stage's largest and the last"
            in " ".join(text.split()))  # the title, wrapped to the table's width
    assert re.search(r"│\s+57 │\s+1 │\s+1 │\s+40 │", text)


@pytest.mark.parametrize(("body", "stop"), [
    ("torch.ones(3).topk(1)", "torch.Tensor.topk is not in manual yet"),
    ("torch.nn.Linear(2, 2).half()", "torch.nn.Linear.half is not in manual yet"),
    ("torch.nn.Embedding(5, 3, sparse=True)(torch.tensor([1]))",
     "embedding(sparse=True) is not in manual yet: torch's gradient of weight is then a sparse"),
    ("torch.load(__file__, weights_only=False)",
     "load(weights_only=False) is not in manual yet: manual reads weights only"),
])
def test_a_method_or_an_option_manual_lacks_is_one_line(tmp_path, body, stop):
    from reference.debugging import run

    script = tmp_path / "uses_it.py"
    script.write_text(f"import torch\n{body}\n")
    with pytest.raises(run.ScriptStopError) as stopped:
        run.run_script(script, [])
    assert str(stopped.value).startswith(stop)


def test_an_attribute_torch_lacks_too_is_the_scripts_own_mistake(tmp_path, capsys):
    from reference.debugging import run

    script = tmp_path / "typo.py"
    script.write_text("import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.wieght\n")
    assert run.run_script(script, []) == 1
    assert "AttributeError: 'Linear' object has no attribute 'wieght'" in capsys.readouterr().err


def test_torch_functions_named_as_a_piece_module_are_torchs_functions(tmp_path, capsys):
    """``manual.softmax`` is the lesson file; ``torch.softmax`` in a script is the function."""
    from reference.debugging import run

    script = tmp_path / "softmax.py"
    script.write_text("import torch\nx = torch.tensor([[0.0, 0.0], [1.0, 1.0]])\n"
                      "print(torch.softmax(x, dim=1).tolist(),\n"
                      "      torch.log_softmax(x, 1)[0, 0].item())\n"
                      "w = torch.ones(1, 1, 1, 1)\n"
                      "print(torch.conv2d(torch.ones(1, 1, 2, 2), w).sum().item())\n"
                      "print(torch.conv_transpose2d(torch.ones(1, 1, 2, 2), w).sum().item())\n")
    assert run.run_script(script, []) == 0
    assert capsys.readouterr().out.split("\n")[:3] == [
        "[[0.5, 0.5], [0.5, 0.5]] -0.6931471824645996", "4.0", "4.0"]


def test_run_compare_names_the_step_where_the_engines_part(tmp_path):
    """A script that computes something else on manual from its third step on (a stand-in
    for a wrong twin): --compare stops there, naming the step, the stage and the tensor."""
    script = tmp_path / "parts.py"
    script.write_text(
        "import torch\n"
        "on_manual = type(torch.zeros(1)).__module__.startswith('manual')\n"
        "torch.manual_seed(0)\n"
        "model = torch.nn.Linear(3, 1)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "x, y = torch.randn(8, 3), torch.randn(8, 1)\n"
        "for step in range(1, 6):\n"
        "    opt.zero_grad()\n"
        "    loss = ((model(x) - y) ** 2).mean()\n"
        "    if on_manual and step >= 3:\n"
        "        loss = loss * 1.001\n"
        "    loss.backward()\n"
        "    opt.step()\n")
    result = subprocess.run([sys.executable, "-m", "reference", "run", "--compare", str(script)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the engines part: step 3, loss: loss 0" in " ".join(result.stdout.split())
    assert "every step agrees" not in result.stdout


ACCUMULATES = """import torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 4), torch.randn(32, 3)
for i in range(8):  # a bias before batch norm: its gradient is 0 by cancellation, and noise
    torch.nn.functional.mse_loss(model(x), y).backward()
    if (i + 1) % 4 == 0:  # four backwards a step
        opt.step()
        opt.zero_grad()
"""


def test_run_compare_counts_optimizer_steps_and_takes_a_cancelled_gradient_as_noise(tmp_path):
    """Two optimizer steps of four backwards each are two steps (the optimizer is known from
    its construction); the bias before batch norm, whose gradient is rounding noise on both
    engines, is measured against its module's gradients and agrees."""
    script = tmp_path / "accumulates.py"
    script.write_text(ACCUMULATES)
    result = subprocess.run([sys.executable, "-m", "reference", "run", "--compare", str(script)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every step agrees: 2 steps compared" in result.stdout
