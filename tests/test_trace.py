"""dealias trace and reference.debugging.trace: teacher-forced lockstep of two loops.

Two correct loops agree at every step when each step starts from the same state, even at a
large learning rate over hundreds of steps; left free they drift, which is reported and is
never a failure. A planted bug is found at its step and stage; a custom optimizer whose
state keys are not torch's is forced and compared by position.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch

import manual
from reference.cli import main
from reference.debugging.models import batches, build_side
from reference.debugging.optimizers import compare_optimizers
from reference.debugging.trace import Side, trace


def test_two_correct_loops_agree_for_500_steps_at_a_large_learning_rate():
    sides = [build_side("mlp", "sgd", side, seed=0, lr=0.5) for side in ("manual", "torch")]
    free = build_side("mlp", "sgd", "manual", seed=0, lr=0.5)
    report = trace(*sides, batches("mlp", 0), steps=500, free=free)
    assert report.agree and len(report.rows) == 500
    assert max(max(row.values()) for row in report.rows) <= 16  # a few ULP per step
    assert max(report.drift) > 1000  # free, they part: drift, reported, not a failure


def test_running_free_reports_drift_and_never_fails():
    sides = [build_side("mlp", "sgd", side, seed=0, lr=0.5) for side in ("manual", "torch")]
    report = trace(*sides, batches("mlp", 0), steps=200, forced=False)
    assert report.agree and len(report.rows) == 200
    assert max(report.rows[-1].values()) > 256  # past the per-step bound, and still no verdict


class DampedFirstStep(torch.optim.Optimizer):
    """SGD with momentum whose buffer is dampened on the first step too (torch's is a copy
    of the first gradient): a bug at step 1, stage step."""

    def __init__(self, params, lr=0.05, momentum=0.9, dampening=0.5):
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                buf = self.state[p].setdefault("velocity", torch.zeros_like(p))  # not torch's key
                buf.mul_(group["momentum"]).add_(p.grad, alpha=1 - group["dampening"])
                p.add_(buf, alpha=-group["lr"])


class AdamBiasOffByOne(torch.optim.Optimizer):
    """Adam whose bias corrections count steps from 0: c = 1 - beta^(t-1), off by one."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                t = state["t"] = state.get("t", 0) + 1
                m = state.setdefault("m", torch.zeros_like(p))
                v = state.setdefault("v", torch.zeros_like(p))
                m.lerp_(p.grad, 1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                c1, c2 = 1 - b1 ** max(t - 1, 1), 1 - b2 ** max(t - 1, 1)  # the bug: t - 1
                denom = (v.sqrt() / math.sqrt(c2)).add_(group["eps"])  # torch's arithmetic
                p.addcdiv_(m, denom, value=-group["lr"] / c1)


def _torch_side(model: str, optimizer_class: type, seed: int = 0) -> Side:
    reference = build_side(model, "sgd", "torch", seed=seed)
    reference.optimizer = optimizer_class(reference.model.parameters())
    return reference


@pytest.mark.parametrize(("planted", "reference", "step"), [
    (DampedFirstStep, functools.partial(torch.optim.SGD, lr=0.05, momentum=0.9), 1),
    (AdamBiasOffByOne, functools.partial(torch.optim.Adam, lr=0.01), 2),
])
def test_a_planted_bug_is_found_at_its_step_and_stage(planted, reference, step):
    buggy = _torch_side("linear", planted)
    correct = _torch_side("linear", reference)
    report = trace(buggy, correct, batches("linear", 0), steps=20)
    assert not report.agree
    assert (report.divergence.step, report.divergence.stage) == (step, "step")


def test_a_custom_optimizer_with_other_state_names_is_forced_and_compared_by_position():
    class Momentum(torch.optim.Optimizer):  # torch's SGD with momentum, its buffer renamed
        def __init__(self, params):
            super().__init__(params, {"lr": 0.05, "momentum": 0.9})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if "v" not in self.state[p]:
                        self.state[p]["v"] = p.grad.clone()
                    else:
                        self.state[p]["v"].mul_(0.9).add_(p.grad)
                    p.add_(self.state[p]["v"], alpha=-0.05)

    custom = _torch_side("mlp", Momentum)
    correct = _torch_side("mlp", functools.partial(torch.optim.SGD, lr=0.05, momentum=0.9))
    report = trace(custom, correct, batches("mlp", 0), steps=30)
    assert report.agree and len(report.rows) == 30
    custom.optimizer.state[custom.model[0].weight]["v"].mul_(2)  # the state is compared too
    assert not trace(custom, correct, batches("mlp", 0), steps=1, forced=True).agree


def test_compare_optimizers_on_your_own_parameters_and_gradients():
    manual.manual_seed(0)
    model = manual.nn.Linear(3, 2)
    rng = np.random.default_rng(0)
    grads = [[rng.standard_normal(p.shape).astype(np.float32) for p in model.parameters()]
             for _ in range(6)]
    same = compare_optimizers(functools.partial(manual.optim.SGD, lr=0.1, momentum=0.9),
                              functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9),
                              params=list(model.parameters()), grads=grads, ulp=0)
    assert same.agree and same.steps == 6
    at_values = compare_optimizers(functools.partial(torch.optim.SGD, lr=0.1),
                                   functools.partial(torch.optim.SGD, lr=0.1, momentum=0.5),
                                   params=list(model.parameters()),
                                   grads=lambda step, values: [v * 2 for v in values])
    assert not at_values.agree and at_values.step == 2  # momentum shows from the 2nd step


@pytest.mark.parametrize("device", ["meta", "banana"])
def test_a_bad_device_is_one_line_exit_2(device, capsys):
    assert main(["trace", "--device", device, "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"--device {device}" in err
