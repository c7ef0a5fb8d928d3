"""bce against torch: binary_cross_entropy and binary_cross_entropy_with_logits, BCELoss and
BCEWithLogitsLoss, every reduction, weights and pos_weights that broadcast, mixed dtypes,
forward and backward to the bit (but binary_cross_entropy's target gradient, whose log is
MKL's in torch); the libm functions and the sum they use, checked without torch."""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.bce
import torch_native.bce
from manual._parity import bce as parity
from tests.helpers import assert_twins_agree
from tests.strategies import dtypes
from tests.test_fuzz import _t, any_array, assert_same_outcome, shapes
from tests.test_nan import run_both, with_specials
from tests.test_softmax import X86, assert_bits, bit_exact

REDUCTIONS = ("none", "mean", "sum")
TWINS = ((manual, manual.bce), (torch, torch_native.bce))


def test_hand_example():
    # x = [0.5, 0.9], y = [1, 0]: l = [-log 0.5, -log 0.1], "mean" their half-sum; dx =
    # (x - y) / (x (1 - x)) / 2 = [-1, 5]; dy = -logit(x) / 2 = [0, -log 9 / 2]
    x, y = manual.tensor([0.5, 0.9], requires_grad=True), manual.tensor([1.0, 0.0],
                                                                        requires_grad=True)
    loss = manual.bce.binary_cross_entropy(x, y)
    assert loss.item() == pytest.approx((math.log(2) + math.log(10)) / 2, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.array, [-1.0, 5.0], rtol=1e-5)
    np.testing.assert_allclose(y.grad.array, [0.0, -math.log(9) / 2], rtol=1e-5, atol=1e-7)
    # logits z = [0, 2], y = [1, 0]: l = [log 2, log(1 + e^2)]; dz = (sigmoid(z) - y) / 2
    z = manual.tensor([0.0, 2.0], requires_grad=True)
    loss = manual.bce.binary_cross_entropy_with_logits(z, manual.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx((math.log(2) + math.log1p(math.e**2)) / 2, rel=1e-6)
    loss.backward()
    sigmoid_2 = 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(z.grad.array, [-0.25, sigmoid_2 / 2], rtol=1e-6)


# -- drawn cases --------------------------------------------------------------------------------

def _shape(draw) -> tuple[int, ...]:
    """Up to 3 dims of up to 5 (empty ones too), or one long dim past torch's first flushes."""
    if draw(st.booleans()):
        return (draw(st.integers(1, 3000)),)
    return draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))


def _suffix(draw, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape`` without growing it: a suffix, some dims 1."""
    suffix = shape[draw(st.integers(0, len(shape))):]
    return tuple(1 if draw(st.booleans()) else n for n in suffix)


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """[0, 1] with every last bit, exact 0s and 1s, and values near 0 and near 1."""
    kind, x = rng.random(shape), rng.random(shape)
    x = np.where(kind < 0.2, x**20, np.where(kind < 0.4, 1 - x**20, x))
    return np.where(kind > 0.95, 0.0, np.where(kind > 0.9, 1.0, x))


def _weight(draw, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray | None:
    if draw(st.booleans()):
        return None
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    return rng.uniform(0, 3, _suffix(draw, shape)).astype(dtype)


@st.composite
def probability_cases(draw):
    """x and y in [0, 1] of one shape and dtype, maybe a weight, a reduction."""
    dtype, shape = draw(dtypes), _shape(draw)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x, y = (_probabilities(rng, shape).astype(dtype) for _ in range(2))
    return x, y, dict(weight=_weight(draw, rng, shape),
                      reduction=draw(st.sampled_from(REDUCTIONS)))


@st.composite
def logit_cases(draw):
    """Logits of any size (|z| up to 100s), y in [0, 1] (maybe of another float dtype), a
    weight and a pos_weight that broadcast, a reduction."""
    dtype, shape = draw(dtypes), _shape(draw)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = (rng.standard_normal(shape) * draw(st.sampled_from([1, 10, 100]))).astype(dtype)
    y = _probabilities(rng, shape).astype(draw(st.sampled_from([dtype, np.float32, np.float64])))
    options = dict(weight=_weight(draw, rng, shape), pos_weight=_weight(draw, rng, shape),
                   reduction=draw(st.sampled_from(REDUCTIONS)))
    return z, y, options


def _run(lib, function: str, x, y, options, grad_rng_seed: int = 0, target_grad: bool = True):
    """The loss on one side, and its backward with a drawn gradient: (loss, dx, dy)."""
    twin = manual.bce if lib is manual else torch_native.bce
    leaves = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=target_grad)
    given = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()}
    loss = getattr(twin, function)(*leaves, **given)
    dtype = np.asarray(loss.detach()).dtype
    g = np.random.default_rng(grad_rng_seed).standard_normal(tuple(loss.shape)).astype(dtype)
    loss.backward(lib.tensor(g))
    return loss, leaves[0].grad, leaves[1].grad


@bit_exact
@given(probability_cases(), st.integers(0, 2**16))
def test_binary_cross_entropy_matches_torch(case, seed):
    x, y, options = case
    m_loss, m_dx, m_dy = _run(manual, "binary_cross_entropy", x, y, options, seed)
    t_loss, t_dx, t_dy = _run(torch, "binary_cross_entropy", x, y, options, seed)
    assert m_loss.grad_fn.name() == t_loss.grad_fn.name() == "BinaryCrossEntropyBackward0"
    assert_bits("loss", m_loss, t_loss)
    assert_bits("dx", m_dx, t_dx)
    # torch's logit calls MKL's vector log (1 ULP from glibc's), then rounds up to 3 times
    assert_twins_agree("dy", "bce_logit", m_dy, t_dy)


@bit_exact
@given(logit_cases(), st.integers(0, 2**16))
def test_with_logits_matches_torch(case, seed):
    z, y, options = case
    m_loss, m_dz, m_dy = _run(manual, "binary_cross_entropy_with_logits", z, y, options, seed)
    t_loss, t_dz, t_dy = _run(torch, "binary_cross_entropy_with_logits", z, y, options, seed)
    assert m_loss.grad_fn.name() == t_loss.grad_fn.name()
    assert_bits("loss", m_loss, t_loss)  # its dtype the target's, as torch computes in place
    assert_bits("dz", m_dz, t_dz)
    assert_bits("dy", m_dy, t_dy)


@bit_exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [4095, 4097, 65537, 300001])
def test_long_sums_match_torch(n, dtype):
    # past 16^3 and 16^4 vectors: torch's cascade flushes its third and fourth levels
    rng = np.random.default_rng(n)
    x, y = rng.random(n).astype(dtype), rng.random(n).astype(dtype)
    for reduction in ("sum", "mean"):
        for function in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
            options = dict(reduction=reduction)
            m = _run(manual, function, x, y, options, target_grad=False)[0]
            assert_bits(f"{function} {reduction}", m,
                        _run(torch, function, x, y, options, target_grad=False)[0])


@bit_exact
@pytest.mark.parametrize("layout", ["transposed", "transposed and strided"])
@pytest.mark.parametrize("function", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_views_are_summed_in_torchs_memory_order(function, layout):
    # the loss is laid out as the input (as the target, for the logits), and summed along
    # its memory, not row by row: losses over orders of magnitude, where the two orders
    # differ for some of these seeds
    for seed in range(6):
        rng = np.random.default_rng(seed)
        base_x = rng.random((74, 53)) ** 8 if function == "binary_cross_entropy" else \
            rng.standard_normal((74, 53)) * 10.0 ** rng.uniform(-2, 3, (74, 53))
        base_x, base_y = base_x.astype(np.float32), rng.random((74, 53)).astype(np.float32)
        results = []
        for lib, twin in TWINS:
            x = lib.tensor(base_x, requires_grad=True)
            view = (lambda t: t.t()) if layout == "transposed" else (lambda t: t.t()[:, ::2])
            loss = getattr(twin, function)(view(x), view(lib.tensor(base_y)), reduction="sum")
            loss.backward()
            results.append((loss, x.grad))
        assert_bits(f"loss, seed {seed}", results[0][0], results[1][0])
        assert_bits(f"dx, seed {seed}", results[0][1], results[1][1])


@bit_exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_sigmoid_is_torchs_kernel(dtype):
    # SLEEF's exp and log1p in every lane, over the whole range of logits and the specials
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.integers(-3, 3, 20000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 88.7, -88.7, 104, -104, 800]])
    z = z.astype(dtype)
    assert_bits("log_sigmoid", parity.log_sigmoid(z),
                torch.nn.functional.logsigmoid(torch.tensor(z)))


def _libm():
    path = ctypes.util.find_library("m")
    return ctypes.CDLL(path) if path else None


@pytest.mark.skipif(_libm() is None or not X86, reason="glibc's libm on x86-64")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log1p_is_the_systems(dtype):
    # without torch: glibc's log1pf, and log1p's FMA build, on every path of [-1, 0]
    rng = np.random.default_rng(1)
    a = -np.concatenate([rng.random(20000), rng.random(2000) ** 30, 1 - rng.random(2000) ** 30,
                         rng.random(500) * 2.0**-20, rng.random(500) * 2.0**-29,
                         [0.0, 1.0, 0.5, 0.75, 1 - 2.0**-20, 0.2929, 0.29289321881345]])
    a = a.astype(dtype)
    name = "log1pf" if dtype == np.float32 else "log1p"
    function = getattr(_libm(), name)
    kind = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    function.restype, function.argtypes = kind, [kind]
    expected = np.array([function(float(v)) for v in a], dtype)
    assert_bits(name, parity.log1p(a), expected)


def _sum_as_written(values: np.ndarray) -> np.ndarray:
    """torch's SumKernel.cpp for one contiguous row, transcribed loop by loop: vectors of V
    lanes (scalars for a row shorter than V) in row_sum, then the tail, then the lanes."""
    lanes = 32 // values.itemsize
    width = lanes if len(values) >= lanes else 1
    whole = len(values) - len(values) % width
    items = values[:whole].reshape(-1, width)
    acc = _row_sum_as_written(items)
    total = values.dtype.type(0)
    for value in (*values[whole:], *acc) if width > 1 else acc:
        total = total + value
    return np.asarray(values.dtype.type(0) + total)


def _row_sum_as_written(items: np.ndarray) -> np.ndarray:
    """row_sum: multi_row_sum over rows of 4 items, leftovers into the first of 4 partials."""
    size = len(items) // 4
    power = max(4, (1 if size <= 2 else (size - 1).bit_length()) // 4)
    step, acc, i = 1 << power, np.zeros((4, 4, items.shape[1]), items.dtype), 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = acc[0] + items[4 * i:4 * i + 4]
            i += 1
        for j in range(1, 4):
            acc[j], acc[j - 1] = acc[j] + acc[j - 1], 0
            if i & ((step - 1) << (j * power)):
                break
    for k in range(i, size):
        acc[0] = acc[0] + items[4 * k:4 * k + 4]
    partial = ((acc[0] + acc[1]) + acc[2]) + acc[3]
    for item in items[4 * size:]:
        partial[0] = partial[0] + item
    return ((partial[0] + partial[1]) + partial[2]) + partial[3]


@settings(max_examples=25)
@given(dtypes, st.integers(0, 5000), st.integers(0, 2**32 - 1))
def test_the_sum_is_torchs_loop(dtype, n, seed):
    # without torch: the vectorised cascade against the loops as torch's source writes them,
    # on values over seven orders of magnitude, so that every grouping rounds its own way
    rng = np.random.default_rng(seed)
    values = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dtype)
    assert_bits("sum", parity.torch_sum(values), _sum_as_written(values))


@settings(max_examples=20)
@given(st.sampled_from(["binary_cross_entropy", "binary_cross_entropy_with_logits"]),
       st.integers(0, 2**32 - 1), st.booleans())
def test_gradients_are_the_slopes(function, seed, weighted):
    # without torch: central differences of the summed loss in float64, for x and y
    rng = np.random.default_rng(seed)
    shape = (3, 2)
    x = rng.uniform(0.05, 0.95, shape) if function == "binary_cross_entropy" else \
        rng.standard_normal(shape) * 3
    y = rng.uniform(0.05, 0.95, shape)
    options = dict(reduction="sum", weight=rng.uniform(0.5, 2, 2) if weighted else None)
    if function.endswith("logits") and weighted:
        options["pos_weight"] = rng.uniform(0.5, 3, (3, 1))

    def total(x_values, y_values):
        given = {k: (manual.tensor(v) if isinstance(v, np.ndarray) else v)
                 for k, v in options.items()}
        return getattr(manual.bce, function)(manual.tensor(x_values), manual.tensor(y_values),
                                             **given).item()

    loss, dx, dy = _run(manual, function, x, y, dict(options))
    g = np.random.default_rng(0).standard_normal(())  # the gradient _run drew for ()
    h = 1e-6
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        step = step.reshape(shape)
        slope_x = (total(x + step, y) - total(x - step, y)) / (2 * h)
        slope_y = (total(x, y + step) - total(x, y - step)) / (2 * h)
        assert g * slope_x == pytest.approx(dx.array.reshape(-1)[k], rel=1e-6, abs=1e-8)
        assert g * slope_y == pytest.approx(dy.array.reshape(-1)[k], rel=1e-6, abs=1e-8)


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1))
def test_sigmoid_outputs_given_as_logits_never_predict_below_a_half(seed):
    # without torch, the quirk of (5): with_logits(sigmoid(out), y) is binary cross-entropy
    # of sigmoid(sigmoid(out)), in [0.5, sigmoid(1)]: a target 0 costs at least log 2
    out = np.random.default_rng(seed).standard_normal(8) * 20
    p = manual.sigmoid(manual.tensor(out))
    zeros = manual.tensor(np.zeros(8))
    bug = manual.bce.binary_cross_entropy_with_logits(p, zeros, reduction="none").array
    assert (bug >= math.log(2)).all()
    twice = manual.sigmoid(p)
    np.testing.assert_allclose(
        bug, manual.bce.binary_cross_entropy(twice, zeros, reduction="none").array, rtol=1e-12)
    assert (twice.array >= 0.5).all() and (twice.array <= 1 / (1 + math.exp(-1))).all()


# -- the modules, the legacy arguments, the graph -------------------------------------------------

@bit_exact
@pytest.mark.parametrize("legacy", [dict(), dict(size_average=False), dict(reduce=False),
                                    dict(size_average=True, reduce=True)], ids=str)
@pytest.mark.parametrize("logits", [False, True], ids=["BCELoss", "BCEWithLogitsLoss"])
def test_modules_and_legacy_arguments(legacy, logits):
    weight, pos_weight = np.float32([0.5, 2.0]), np.float32([3.0, 1.0])
    x = np.float32([[0.2, 0.9], [0.6, 0.1]])
    made = []
    for lib, ns in TWINS:
        buffers = dict(weight=lib.tensor(weight))
        if logits:
            buffers["pos_weight"] = lib.tensor(pos_weight)
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            module = (ns.BCEWithLogitsLoss if logits else ns.BCELoss)(**buffers, **legacy)
            y = module(lib.tensor(x), lib.tensor(x[::-1].copy()))
        made.append((module, y, [(w.category, str(w.message)) for w in warned]))
    (m, m_y, m_warned), (t, t_y, t_warned) = made
    assert m_warned == t_warned and repr(m) == repr(t)
    assert m.reduction == t.reduction
    assert list(m.state_dict()) == list(t.state_dict()) == list(buffers)
    for name in buffers:
        assert_bits(name, m.state_dict()[name], t.state_dict()[name])
    assert_bits("loss", m_y, t_y)


@pytest.mark.parametrize(("lib", "twin"), TWINS, ids=["manual", "torch"])
def test_elementwise_mean_is_mean_with_a_warning(lib, twin):
    x, y = lib.tensor(np.float32([0.5, 0.5])), lib.tensor(np.float32([1, 0]))
    with pytest.warns(UserWarning, match="elementwise_mean"):
        loss = twin.binary_cross_entropy(x, y, reduction="elementwise_mean")
    assert float(loss) == pytest.approx(math.log(2))


@bit_exact
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("function", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_empty_inputs_as_torch_and_without_numpy_warnings(function, reduction):
    # "mean" of nothing is 0 / 0 = NaN in torch, which says nothing; "sum" is 0
    results = []
    for lib, twin in TWINS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            empty = lib.tensor(np.zeros((0, 3), np.float32))
            results.append(getattr(twin, function)(empty, empty, reduction=reduction))
    assert_bits(reduction, *results)


@pytest.mark.parametrize("function", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_a_target_changed_in_place_before_backward_is_refused(function):
    # torch's node saves the target: changing it in place makes the gradient wrong
    errors = []
    for lib, twin in TWINS:
        x = lib.tensor(np.float32([0.25, 0.5]), requires_grad=True)
        y = lib.tensor(np.float32([0.0, 1.0]))
        loss = getattr(twin, function)(x, y)
        y.mul_(0.5)
        with pytest.raises(RuntimeError) as error:
            loss.backward()
        errors.append(str(error.value))
    assert all("modified by an inplace operation" in e for e in errors)


# -- NaN and infinities, and arbitrary calls -----------------------------------------------------

@settings(max_examples=30)
@given(dtypes, st.sampled_from(REDUCTIONS), st.data())
def test_nan_and_infinities_where_torch_puts_them(dtype, reduction, data):
    # binary_cross_entropy refuses them in x and y: here they come from w and the gradient
    unit = st.floats(0, 1, width=8 * np.dtype(dtype).itemsize)
    x, y = (data.draw(hnp.arrays(dtype, (2, 3), elements=unit)) for _ in range(2))
    w = data.draw(with_specials(dtype, (3,)))
    p = data.draw(with_specials(dtype, (2, 1)))
    for function, arrays, extra in (("binary_cross_entropy", [x, y], {}),
                                    ("binary_cross_entropy_with_logits",
                                     [data.draw(with_specials(dtype, (2, 3))), y],
                                     {"pos_weight": p})):
        def build(ns, lib, function=function, extra=extra):
            given = {k: lib.tensor(v) for k, v in extra.items()}
            return lambda a, b: getattr(ns, function)(a, b, lib.tensor(w), reduction=reduction,
                                                      **given)
        run_both(build(manual.bce, manual), build(torch_native.bce, torch), arrays,
                 f"{function} {reduction}")


@st.composite
def arbitrary_calls(draw):
    """Any shapes and dtypes (floats mostly in [0, 1] for binary_cross_entropy), weights of
    any shape or none, any reduction or legacy arguments."""
    logits = draw(st.booleans())
    x = draw(any_array())
    y = draw(any_array(st.one_of(st.just(x.shape), shapes)))
    if not logits and draw(st.integers(0, 3)):
        x, y = (np.abs(a) / 2 if a.dtype.kind == "f" else a for a in (x, y))
    like = st.one_of(st.just(x.shape[1:]), st.just(x.shape), shapes)
    options = dict(weight=draw(st.none() | any_array(like)),
                   reduction=draw(st.sampled_from(["mean", "sum", "none", "avg"])))
    if logits:
        options["pos_weight"] = draw(st.none() | any_array(like))
    if draw(st.integers(0, 4)) == 0:
        options.update(size_average=draw(st.booleans()), reduce=draw(st.booleans()))
    return logits, x, y, options


@settings(max_examples=40)
@given(arbitrary_calls())
def test_arbitrary_calls_agree_or_are_refused_alike(args):
    logits, x, y, options = args
    name = "binary_cross_entropy_with_logits" if logits else "binary_cross_entropy"

    def call(ns):
        given = {k: _t(ns, v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        return getattr(ns.bce, name)(_t(ns, x, grad=x.dtype.kind == "f"), _t(ns, y), **given)
    assert_same_outcome("exact", call)
