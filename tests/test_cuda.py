"""The twins with torch's side on a CUDA device: skipped where torch sees none.

The manual twins follow torch's CPU kernels; these tests run every equivalence check with
the torch side on the GPU, and pin down the CUDA kernels that round otherwise (the reason
for each entry of reference.tolerances.ON_CUDA) and those that round the same way.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

import manual.sgd
from manual._parity.rounding import fma
from reference import checks
from reference.cli import main
from reference.convert import to_numpy
from reference.debugging import models, trace
from reference.debugging.doctor import diagnose

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

f32, f64 = np.float32, np.float64
N = 1_000_000  # elements per kernel test: enough for every rounding case to occur


def _cuda(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, device="cuda")


def _draw(dtype, count: int = 3, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(N).astype(dtype) for _ in range(count)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("piece", sorted(checks.CHECKS))
def test_every_check_agrees_with_torch_on_cuda(piece, dtype):
    result = checks.run(piece, 30, dtype, device="cuda")
    assert result.ok, f"{result.worst.label}: {result.worst.distance}"


def test_a_broken_twin_is_caught_on_cuda(monkeypatch):
    # SGD rounding twice, p - lr g, as the blog posts write it: torch's CUDA kernel fuses
    def twice(a, b, alpha):
        return a + a.dtype.type(alpha) * b

    monkeypatch.setattr(manual.sgd, "fused_add", twice)
    result = checks.run("sgd", 30, "float32", device="cuda")
    assert not result.ok and result.worst.distance.max_ulp >= 1


@pytest.mark.parametrize("dtype", [f32, f64])
def test_add_with_alpha_on_cuda_is_one_fused_multiply_add(dtype):
    p, g, _ = _draw(dtype)
    alpha = dtype(-0.1)
    out = to_numpy(_cuda(p).add_(_cuda(g), alpha=float(alpha)))
    np.testing.assert_array_equal(out, fma(alpha, g, p))
    assert (out != p + alpha * g).any()           # two roundings would differ


@pytest.mark.parametrize("dtype", [f32, f64])
def test_addcmul_on_cuda_rounds_the_product_of_the_tensors_first(dtype):
    # CPU: fma(value * t1, t2, self), as manual/adam.py; CUDA: fma(value, t1 * t2, self)
    a, b, c = _draw(dtype)
    value = dtype(0.001)
    out = to_numpy(_cuda(a).addcmul_(_cuda(b), _cuda(c), value=float(value)))
    np.testing.assert_array_equal(out, fma(value, b * c, a))
    assert (out != fma(value * b, c, a)).any()    # the CPU kernel's rounding differs


@pytest.mark.parametrize("dtype", [f32, f64])
def test_addcdiv_on_cuda_rounds_the_quotient_first(dtype):
    # CPU: self + (value * t1) / t2, three roundings; CUDA: fma(value, t1 / t2, self)
    a, b, c = _draw(dtype)
    c = np.abs(c) + dtype(0.1)
    value = dtype(-0.001)
    out = to_numpy(_cuda(a).addcdiv_(_cuda(b), _cuda(c), value=float(value)))
    np.testing.assert_array_equal(out, fma(value, b / c, a))
    assert (out != a + (value * b) / c).any()     # the CPU kernel's rounding differs


@pytest.mark.parametrize("dtype", [f32, f64])
def test_lerp_and_scalar_mul_on_cuda_round_as_on_the_cpu(dtype):
    a, b, _ = _draw(dtype)
    for weight in (0.1, 0.9):
        w = dtype(weight)
        expected = fma(w, b - a, a) if weight < 0.5 else fma(w - 1, b - a, b)
        np.testing.assert_array_equal(to_numpy(_cuda(a).lerp_(_cuda(b), weight)), expected)
    np.testing.assert_array_equal(to_numpy(_cuda(a).mul_(0.999)), a * dtype(0.999))


@pytest.mark.parametrize("dtype", [f32, f64])
def test_sqrt_on_cuda_is_correctly_rounded(dtype):
    x = np.abs(_draw(dtype)[0]) + dtype(0.5)
    np.testing.assert_array_equal(to_numpy(_cuda(x).sqrt()), np.sqrt(x))


def test_tf32_matrix_products_are_caught(monkeypatch):
    # torch.backends.cuda.matmul.allow_tf32 (or set_float32_matmul_precision("high")) keeps
    # 10 of a float32's 23 fraction bits in each factor: about 1000 ULP of the scale apart
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", True)
    result = checks.run("linear", 10, "float32", device="cuda")
    assert not result.ok and result.worst.distance.max_ulp > 100


@pytest.mark.parametrize("model", ["linear", "mlp", "cnn"])
def test_trace_with_the_torch_loop_on_cuda_agrees(model):
    sides = [models.build_side(model, "sgd", side, seed=2, device="cuda")
             for side in ("manual", "torch")]
    assert next(sides[1].model.parameters()).is_cuda
    report = trace.trace(*sides, models.batches(model, 2), steps=10)
    assert report.agree, report.divergence


def test_doctor_watches_a_loop_on_cuda():
    target = str(Path(__file__).parent / "doctor_cases" / "on_the_gpu.py")
    buggy = diagnose(f"{target}:buggy")
    assert [f.pitfall for f in buggy.findings] == ["forgotten-zero-grad"]
    assert buggy.error is None and buggy.steps == 5     # on_the_gpu.py takes CUDA here
    assert diagnose(f"{target}:fixed").findings == []


def test_the_command_line_runs_the_torch_side_on_cuda(capsys):
    assert main(["check", "sgd", "adam", "--device", "cuda", "--examples", "5"]) == 0
    assert "torch on cuda" in capsys.readouterr().out
    assert main(["trace", "--model", "cnn", "--device", "cuda", "--steps", "3"]) == 0
    assert "manual vs torch on cuda" in capsys.readouterr().out
