"""nll_loss and NLLLoss against torch, to the bit: every input rank, weights, ignore_index,
every reduction, forward and backward; torch's order of summation checked without torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.nll_loss
import manual.softmax
import torch_native.nll_loss
from manual._parity import nll_loss as parity
from tests.strategies import arrays, dtypes
from tests.test_fuzz import _t, any_array, assert_same_outcome, shapes
from tests.test_nan import run_both, with_specials
from tests.test_softmax import assert_bits, bit_exact

REDUCTIONS = ("none", "mean", "sum")


def test_hand_example():
    # log-probabilities x = [[-1, -2, -3], [-4, -5, -6]], classes t = [0, 2]:
    # loss_i = -x_it = [1, 6]; "sum" 7, "mean" 7 / 2; with w = [1, 1, 2]: [1, 12] and "mean"
    # 13 / (1 + 2), whose gradient puts -w_t / 3 at each (i, t_i): -1/3 and -2/3
    x = manual.tensor([[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0]], requires_grad=True)
    t = manual.tensor([0, 2])
    f = manual.nll_loss.nll_loss
    assert f(x, t, reduction="none").tolist() == [1.0, 6.0]
    assert f(x, t, reduction="sum").item() == 7.0 and f(x, t).item() == 3.5
    w = manual.tensor([1.0, 1.0, 2.0])
    loss = f(x, t, w)
    assert loss.item() == pytest.approx(13 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.array, [[-1 / 3, 0, 0], [0, 0, -2 / 3]], rtol=1e-7)
    # ignoring class 2: only the first sample counts, D = 1
    assert f(x, t, w, ignore_index=2).item() == 1.0


@st.composite
def cases(draw, max_samples: int = 300):
    """x (C,), (N, C) with N up to max_samples (past the first flushes of torch's sums, at 16
    and 256), or (N, C, d1, ...) up to 3 more dims; targets in [0, C), none, some or all set
    to ignore_index; maybe a weight; a reduction."""
    dtype = draw(dtypes)
    n_classes = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["unbatched", "batch", "batch", "spatial"]))
    if kind == "unbatched":
        x_shape, t_shape = (n_classes,), draw(st.sampled_from([(), (1,)]))
    elif kind == "batch":
        n = draw(st.integers(0, max_samples))
        x_shape, t_shape = (n, n_classes), (n,)
    else:
        spatial = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3)))
        n = draw(st.integers(0, 3))
        x_shape, t_shape = (n, n_classes) + spatial, (n,) + spatial
    ignore_index = draw(st.sampled_from([-100, 0, 1]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))  # values with every last bit
    t = rng.integers(0, n_classes, t_shape)
    t[rng.random(t_shape) < draw(st.sampled_from([0, 0.2, 1]))] = ignore_index
    weight = rng.uniform(0, 2, n_classes).astype(dtype) if draw(st.booleans()) else None
    reduction = draw(st.sampled_from(REDUCTIONS))
    x = (rng.standard_normal(x_shape) * 4).astype(dtype)
    return x, t, weight, ignore_index, reduction


def _call(lib, case, x):
    _, t, weight, ignore_index, reduction = case
    f = (manual if lib is manual else torch_native).nll_loss.nll_loss
    w = None if weight is None else lib.tensor(weight)
    return f(x, lib.tensor(t), w, ignore_index=ignore_index, reduction=reduction)


@bit_exact
@given(cases(), st.data())
def test_matches_torch_to_the_bit(case, data):
    x = case[0]
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):  # every target ignored: 0 / 0 = nan, as torch
        m_y = _call(manual, case, m_x)
    t_y = _call(torch, case, t_x)
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
    assert_bits("loss", m_y, t_y)
    grad = data.draw(arrays(x.dtype, tuple(t_y.shape)))
    if x.ndim == 1 and case[1].ndim == 1 and x.shape[0] != 1:  # torch's backward refuses it
        with pytest.raises(RuntimeError, match="size mismatch"):
            m_y.backward(manual.tensor(grad))
        return
    with np.errstate(all="ignore"):
        m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    assert_bits("dx", m_x.grad, t_x.grad)


@bit_exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "weighted", "ignored"), [
    (4096, False, 0.0), (4097, True, 0.3), (65537, False, 0.5), (70001, True, 0.0)])
def test_long_sums_match_torch(n, weighted, ignored, dtype):
    # past 16^3 and 16^4 samples, where the fourth and fifth partial sums fill
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3)).astype(dtype)
    t = np.where(rng.random(n) < ignored, -100, rng.integers(0, 3, n))
    w = rng.uniform(0, 2, 3).astype(dtype) if weighted else None
    for reduction in ("mean", "sum"):
        case = (x, t, w, -100, reduction)
        assert_bits(reduction, _call(manual, case, manual.tensor(x)),
                    _call(torch, case, torch.tensor(x)))


def _serial_sums(values: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """torch's loop in nll_loss_out_frame, transcribed one sample at a time (adding, where
    torch subtracts the unsigned term)."""
    partial = [values.dtype.type(0)] * 8
    for b in range(len(values)):
        if not kept[b]:
            continue
        partial[0] = partial[0] + values[b]
        for j in range(7):
            if b & (15 << (4 * j)):
                break
            partial[j + 1] = partial[j + 1] + partial[j]
            partial[j] = values.dtype.type(0)
    total = values.dtype.type(0)
    for p in partial:
        total = total + p
    return total


def _assert_cascade_is_the_loop(dtype: np.dtype, n: int, ignored: float, seed: int) -> None:
    """Values over seven orders of magnitude, so that every grouping rounds its own way."""
    rng = np.random.default_rng(seed)
    values = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dtype)
    kept = rng.random(n) >= ignored
    assert_bits("sum", parity.cascade_sum(values, kept), _serial_sums(values, kept))


@settings(max_examples=25)
@given(dtypes, st.integers(0, 600), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_cascade_sum_is_torchs_loop(dtype, n, ignored, seed):
    # without torch: the vectorised sums against the loop as torch's source writes it
    _assert_cascade_is_the_loop(dtype, n, ignored, seed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [300, 5000, 70000])
@pytest.mark.parametrize("ignored", [0.0, 0.3, 0.7])
def test_long_cascade_sums_are_torchs_loop(dtype, n, ignored):
    # past the third, fourth and fifth levels (16^2, 16^3, 16^4), with ignored samples at
    # some of the flushing positions, which then do not flush
    _assert_cascade_is_the_loop(dtype, n, ignored, n)


@settings(max_examples=20)
@given(cases(max_samples=12))
def test_gradient_is_the_slope(case):
    # without torch: the loss is linear in x, so a central difference is exact in float64:
    # (L(x + e_k) - L(x - e_k)) / 2 against dx_k, with dL/dloss = 1 summed over "none"
    x, t, weight, ignore_index, reduction = case
    x = x.astype(np.float64)
    w = None if weight is None else manual.tensor(weight.astype(np.float64))
    kept_weight = (t != ignore_index).sum() if weight is None else sum(
        weight[c] for c in t.reshape(-1) if c != ignore_index)
    if (x.ndim == 1 and t.ndim == 1 and x.shape[0] != 1) or (reduction == "mean" and
                                                             kept_weight == 0):
        return  # torch's backward refuses the first; the second's loss is nan everywhere

    def total(values):
        with np.errstate(all="ignore"):
            loss = manual.nll_loss.nll_loss(manual.tensor(values), manual.tensor(t), w,
                                            ignore_index=ignore_index, reduction=reduction)
        return loss.array.sum(dtype=np.float64)

    leaf = manual.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        loss = manual.nll_loss.nll_loss(leaf, manual.tensor(t), w, ignore_index=ignore_index,
                                        reduction=reduction)
        loss.backward(manual.tensor(np.ones(loss.shape)))
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = 1.0
        slope = (total(x + step.reshape(x.shape)) - total(x - step.reshape(x.shape))) / 2
        expected = leaf.grad.array.reshape(-1)[k]
        assert slope == pytest.approx(expected, rel=1e-12, abs=1e-12, nan_ok=True)


@bit_exact
@settings(max_examples=30)
@given(st.integers(0, 40), st.integers(1, 12), st.data())
def test_after_log_softmax_it_is_cross_entropy(n, n_classes, data):
    # nll_loss(log_softmax(x, 1), t) is torch's cross_entropy(x, t), to the bit
    x = data.draw(arrays(np.dtype(np.float32), (n, n_classes), bound=30))
    t = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, n_classes - 1)))
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        m_loss = manual.nll_loss.nll_loss(manual.softmax.log_softmax(m_x, 1), manual.tensor(t))
        m_loss.backward()
    t_loss = torch.nn.functional.cross_entropy(t_x, torch.tensor(t))
    t_loss.backward()
    assert_bits("loss", m_loss, t_loss)
    assert_bits("dx", m_x.grad, t_x.grad)


@bit_exact
@pytest.mark.parametrize("legacy", [dict(), dict(size_average=False), dict(reduce=False),
                                    dict(size_average=True, reduce=True)], ids=str)
def test_module_and_legacy_arguments(legacy):
    weight = np.float32([0.5, 1.0, 2.0])
    made = []
    for lib, ns in ((manual, manual.nll_loss), (torch, torch_native.nll_loss)):
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            module = ns.NLLLoss(lib.tensor(weight), ignore_index=1, **legacy)
            y = module(lib.tensor(np.float32([[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]])),
                       lib.tensor([0, 1, 2]))
        made.append((module, y, [(w.category, str(w.message)) for w in warned]))
    (m, m_y, m_warned), (t, t_y, t_warned) = made
    assert m_warned == t_warned and repr(m) == repr(t) == "NLLLoss()"
    assert m.reduction == t.reduction and m.ignore_index == t.ignore_index == 1
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
    assert_bits("weight", m.state_dict()["weight"], t.state_dict()["weight"])
    assert_bits("loss", m_y, t_y)
    assert list(manual.nll_loss.NLLLoss().state_dict()) == []


@pytest.mark.parametrize("twin", [manual.nll_loss, torch_native.nll_loss], ids=["manual", "torch"])
def test_elementwise_mean_is_mean_with_a_warning(twin):
    lib = manual if twin is manual.nll_loss else torch
    x, t = lib.tensor(np.float32([[-1, -2]])), lib.tensor([1])
    with pytest.warns(UserWarning, match="elementwise_mean"):
        assert float(twin.nll_loss(x, t, reduction="elementwise_mean")) == 2.0


# -- NaN and infinities, and arbitrary calls ------------------------------------------------------

@settings(max_examples=30)
@given(dtypes, st.sampled_from(REDUCTIONS), st.booleans(), st.data())
def test_nan_and_infinities_where_torch_puts_them(dtype, reduction, weighted, data):
    x = data.draw(with_specials(dtype, (5, 3)))
    t = np.array([0, 2, -100, 1, 2])
    w = data.draw(with_specials(dtype, (3,))) if weighted else None

    def build(ns, lib):
        return lambda logp: ns.nll_loss(logp, lib.tensor(t), None if w is None
                                        else lib.tensor(w), reduction=reduction)

    run_both(build(manual.nll_loss, manual), build(torch_native.nll_loss, torch), [x],
             f"nll_loss {reduction}")


@st.composite
def arbitrary_calls(draw):
    x = draw(any_array(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=3)))
    n_classes = x.shape[0 if x.ndim == 1 else 1] if x.ndim else 1
    like = x.shape[:1] + x.shape[2:] if x.ndim > 1 else draw(st.sampled_from([(), (1,), (2,)]))
    target = draw(st.one_of(
        hnp.arrays(draw(st.sampled_from([np.int64, np.uint8])), like,
                   elements=st.integers(0, n_classes)),
        any_array(st.one_of(st.just(like), shapes))))
    weight = draw(st.none() | any_array(st.sampled_from([(n_classes,), (n_classes + 1,), ()])))
    options = dict(ignore_index=draw(st.sampled_from([-100, 0, 1])),
                   reduction=draw(st.sampled_from(["mean", "sum", "none", "avg"])))
    if draw(st.booleans()):
        options.update(size_average=draw(st.booleans()), reduce=draw(st.booleans()))
    return x, target, weight, options


@settings(max_examples=40)
@given(arbitrary_calls())
def test_arbitrary_calls_agree_or_are_refused_alike(args):
    x, target, weight, options = args
    assert_same_outcome("exact", lambda ns: ns.nll_loss.nll_loss(
        _t(ns, x, grad=x.dtype.kind == "f"), _t(ns, target), _t(ns, weight), **options))
