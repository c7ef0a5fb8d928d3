"""reference/ as a library: conversion, ULP distance, lockstep traces, compare_optimizers."""

from __future__ import annotations

import functools
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.sgd
from reference.convert import to_manual, to_numpy, to_torch
from reference.debugging.models import batches, build_side
from reference.debugging.optimizers import compare_optimizers, sgd_update
from reference.debugging.trace import trace
from reference.distance import distance, normwise, ulp_distance
from reference.scales import path_scales
from reference.tolerances import ON_CUDA, PIECES, TOLERANCES, tolerance

f32, f64 = np.float32, np.float64


@pytest.mark.parametrize("dtype", [f32, f64])
def test_ulp_distance_hand_cases(dtype):
    one = dtype(1)
    up = np.nextafter(one, dtype(2))
    down = np.nextafter(one, dtype(0))
    tiny = np.nextafter(dtype(0), dtype(1))                       # smallest subnormal
    cases = [
        (one, one, 0), (one, up, 1), (down, up, 2), (dtype(0), dtype(-0.0), 0),
        (tiny, -tiny, 2), (dtype(0), tiny, 1), (np.inf, np.inf, 0), (-np.inf, -np.inf, 0),
        (np.nan, np.nan, 0), (np.nan, one, np.inf), (one, -one, None),
        (np.finfo(dtype).max, np.inf, 1),
    ]
    for a, b, expected in cases:
        got = ulp_distance(np.array([a], dtype), np.array([b], dtype))[0]
        if expected is None:  # 1 and -1: every float between them, counted exactly
            bits = {f32: 0x3F800000, f64: 0x3FF0000000000000}[dtype]
            assert got == 2 * bits
        else:
            assert got == expected, (a, b)


@pytest.mark.parametrize("dtype", [f32, f64])
def test_ulp_distance_of_0_d_arrays_across_the_sign_is_silent(dtype):
    # the uint64 subtraction wraps past the sign on purpose; NumPy warns for 0-d operands
    nan = np.array(np.nan, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ulp_distance(np.array(-1, dtype), np.array(1, dtype)) == \
            ulp_distance(np.array([-1], dtype), np.array([1], dtype))[0]
        assert ulp_distance(nan, -nan) == 0


def test_normwise_scales_by_the_largest_finite_magnitude():
    x = np.float32([0.5, -np.inf, 0.85, np.nan])
    assert normwise(x).tolist() == [np.float32(0.85)] * 4
    near = x.copy()
    near[2] = np.nextafter(near[2], np.float32(1))   # 1 ULP up; the infinity and NaN as they are
    assert distance(near, x, normwise(x)).max_ulp == 1


def test_ulp_distance_needs_one_float_dtype():
    with pytest.raises(TypeError, match="float32 or float64"):
        ulp_distance(np.float32([1]), np.float64([1]))


def test_distance_reports_the_worst_element():
    expected = np.float32([[1, 2], [3, 4]])
    actual = expected.copy()
    actual[1, 0] = np.nextafter(np.float32(3), np.float32(4))
    gap = distance(actual, expected)
    assert (gap.max_ulp, gap.index, gap.expected) == (1, (1, 0), 3.0)
    assert gap.max_abs == pytest.approx(2.4e-7, rel=0.01)
    # against a scale: the same gap counted in ULPs of 4, the largest magnitude
    assert distance(actual, expected, normwise(expected)).max_ulp == 0.5


def test_conversion_round_trips_keep_values_and_dtype():
    for dtype in (f32, f64, np.int64):
        a = np.arange(6, dtype=dtype).reshape(2, 3)
        m, t = to_manual(a), to_torch(a)
        assert to_numpy(m).dtype == dtype and to_numpy(t).dtype == dtype
        np.testing.assert_array_equal(to_numpy(to_torch(m)), a)
        np.testing.assert_array_equal(to_numpy(to_manual(t)), a)
    assert to_torch(a, device="cpu").device.type == "cpu"
    assert to_manual(np.float32([1]), requires_grad=True).requires_grad


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_native_side_works_on_cuda():
    import torch_native.linear
    x = to_torch(np.ones((2, 3), f32), device="cuda")
    layer = torch_native.linear.Linear(3, 2).cuda()
    assert to_numpy(layer(x)).shape == (2, 2)


def test_every_tolerance_has_a_reason():
    for kind in TOLERANCES.values():
        for tol in kind.values():
            assert len(tol.reason) > 20
    assert all(PIECES[p] in TOLERANCES for p in PIECES)
    assert tolerance("sgd", f32).ulp == 0


def test_tolerances_follow_the_device_where_cuda_kernels_round_otherwise():
    # Adam's second moment: exact against torch's CPU kernels, not against its CUDA ones
    assert tolerance("adam_second_moment", f32).ulp == 0
    assert tolerance("adam_second_moment", f32, "cuda:0").ulp == 12
    assert "CUDA" in tolerance("adam", f64, "cuda").reason
    assert tolerance("sgd", f32, "cuda") is tolerance("sgd", f32)
    assert all(kind in TOLERANCES for kind in ON_CUDA.values())


def test_trace_of_two_honest_loops_agrees():
    sides = [build_side("linear", "sgd", side, seed=3) for side in ("manual", "torch")]
    report = trace(*sides, batches("linear", 3), steps=15)
    assert report.agree and len(report.rows) == 15
    assert all(set(row) == {"forward", "loss", "backward", "step"} for row in report.rows)


def test_trace_finds_a_planted_bug_at_the_right_step_and_stage():
    # the torch loop's optimizer skips the bias from step 4 on: a forgotten param group
    sides = [build_side("linear", "sgd", side, seed=1) for side in ("manual", "torch")]
    optimizer = sides[1].optimizer
    original_step, calls = optimizer.step, []

    def buggy_step():
        calls.append(1)
        if len(calls) >= 4:
            sides[1].model.bias.grad = None
        original_step()

    optimizer.step = buggy_step
    report = trace(*sides, batches("linear", 1), steps=10)
    assert not report.agree
    d = report.divergence
    assert (d.step, d.stage, d.tensor) == (4, "step", "bias")
    assert d.a != d.b and "step 4, step: bias" in str(d)


def test_trace_names_a_wrong_forward():
    sides = [build_side("linear", "sgd", side, seed=2) for side in ("manual", "torch")]
    sides[0].model.weight.array[0, 0] += 1e-3  # the manual loop starts from other weights
    report = trace(*sides, batches("linear", 2), steps=5)
    assert (report.divergence.step, report.divergence.stage) == (1, "forward")


def test_compare_optimizers_accepts_the_manual_twin_and_torch():
    result = compare_optimizers(functools.partial(manual.sgd.SGD, lr=0.1, momentum=0.9),
                                functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9), ulp=0)
    assert result.agree and len(result.largest) == 20 and max(result.largest) == 0


def test_compare_optimizers_finds_where_a_custom_optimizer_departs():
    class SutskeverSGD(torch.optim.Optimizer):
        """Momentum as in the papers: lr inside the buffer. Same as torch's while lr is fixed."""

        def __init__(self, params, lr=0.1, momentum=0.9):
            super().__init__(params, {"lr": lr, "momentum": momentum})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    buf = self.state[p].setdefault("v", torch.zeros_like(p))
                    buf.mul_(group["momentum"]).add_(p.grad, alpha=group["lr"])
                    p.sub_(buf)
                if len(self.state) and self._step_count_ == 5:
                    group["lr"] *= 0.5  # a schedule: from step 6 the two momentums differ
            self._step_count_ += 1

        _step_count_ = 1

    reference = functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)

    class TorchWithSchedule(torch.optim.SGD):
        def step(self, closure=None):
            super().step(closure)
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls == 5:
                self.param_groups[0]["lr"] *= 0.5

    same_schedule = functools.partial(TorchWithSchedule, lr=0.1, momentum=0.9)
    result = compare_optimizers(SutskeverSGD, same_schedule, steps=20)
    assert not result.agree and result.step == 6
    assert "depart at step 6" in str(result)
    assert compare_optimizers(sgd_update(0.1), functools.partial(torch.optim.SGD, lr=0.1)).agree
    assert not compare_optimizers(sgd_update(0.1), reference).agree


def test_path_scales_add_up_how_far_each_parameter_travelled():
    # p goes 1 -> 0 -> -1: it ends where it started in magnitude, having travelled 2
    p = torch.tensor([1.0, -1.0], requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    (scale,) = path_scales(optimizer, [p])
    for _ in range(2):
        p.grad = torch.tensor([10.0, 0.0])
        optimizer.step()
    np.testing.assert_array_equal(scale, [3.0, 1.0])
    np.testing.assert_array_equal(p.detach().numpy(), [-1.0, -1.0])


@settings(max_examples=300)
@given(data=st.data(), dtype=st.sampled_from([f32, f64]), n=st.integers(0, 12),
       zero_scale=st.booleans())
def test_lockstep_largest_ulps_is_distances_max_ulp(data, dtype, n, zero_scale):
    """lockstep's shortcut for one scale gives distance()'s max_ulp exactly: nearby values,
    NaNs, infinities, signed zeros, and a scale of zero (quotients past float64's range)."""
    from reference.lockstep import _largest_ulps

    values = hnp.arrays(dtype, n, elements=st.floats(width=32 if dtype is f32 else 64))
    y = data.draw(values)
    x = y.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # distance's nanmax of only NaNs
        for i in data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if n else []:
            x[i] = data.draw(st.sampled_from([np.nextafter(y[i], dtype(np.inf)),
                                              y[i] * dtype(1.001), dtype(np.nan),
                                              dtype(-np.inf), dtype(-0.0)]))
        finite = np.abs(y[np.isfinite(y)])
        scale = np.asarray(0 if zero_scale or not finite.size else finite.max(), dtype)
        want = distance(x, y, scale).max_ulp
        assert _largest_ulps(x, y, scale) == want


def test_lockstep_measures_a_gradient_against_its_modules_largest():
    """A bias gradient that is noise around 0 (its terms cancel) passes against its module's
    weight gradient; the same bias gradient wrong by a thousandth of that scale does not."""
    from reference.lockstep import compare

    weight = np.float32([[0.5, -0.25], [0.125, 1.0]])
    torch_side = {"m.weight.grad": weight, "m.bias.grad": np.float32([3e-8, -1e-8])}
    noise = {"m.weight.grad": weight, "m.bias.grad": np.float32([-5e-8, 2e-8])}
    wrong = {"m.weight.grad": weight, "m.bias.grad": np.float32([1e-3, 2e-8])}
    assert compare(1, "grads", noise, torch_side)[1] is None
    divergence = compare(1, "grads", wrong, torch_side)[1]
    assert divergence is not None and divergence.tensor == "m.bias.grad"
    alone = {"bias.grad": np.float32([-5e-8, 2e-8])}  # no module to measure against: itself
    assert compare(1, "grads", alone, {"bias.grad": np.float32([3e-8, -1e-8])})[1] is not None
