"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and their modules: outputs, indices, gradients
and node names to the bit against torch, for every option; ties, NaN and infinities where
torch puts them; torch's refusals; a central-difference check and invariants without torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.pooling
import torch_native.pooling
from tests.strategies import FLOAT_DTYPES, arrays, dtypes
from tests.test_fuzz import FUZZ, _t, any_array, assert_same_outcome
from tests.test_nan import assert_same_specials, output_gradient, with_specials

M, T = manual.pooling, torch_native.pooling


def test_hand_example():
    # x = [[1, 2, 0, 5], [4, 3, 5, 1], [0, 0, 1, 1], [2, 0, 1, 1]], kernel 2: four windows
    x = manual.tensor([[[1.0, 2, 0, 5], [4, 3, 5, 1], [0, 0, 1, 1], [2, 0, 1, 1]]],
                      requires_grad=True)
    y, idx = M.max_pool2d(x, 2, return_indices=True)
    assert y.tolist() == [[[4.0, 5.0], [2.0, 1.0]]]
    assert idx.tolist() == [[[4, 3], [12, 10]]]   # h W + w; the tie of 5s keeps the first (3)
    y.sum().backward()
    assert x.grad.tolist() == [[[0.0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]]
    # avg: the window sums are 10, 11, 2, 4, each / 4; padding 1 with count_include_pad=False
    # divides the corner window [1] (one element inside x) by 1, not by 4
    assert M.avg_pool2d(x, 2).tolist() == [[[2.5, 2.75], [0.5, 1.0]]]
    corner = M.avg_pool2d(x, 2, padding=1, count_include_pad=False).array[0, 0, 0]
    assert corner == 1.0
    # adaptive to (1, 3) over 4 columns: cells of columns [0, 2), [1, 3), [2, 4), all 4 rows,
    # with sums 12, 12 and 15, each / 4 rows / 2 columns
    cells = M.adaptive_avg_pool2d(x, (1, 3)).array
    np.testing.assert_array_equal(cells, [[[12 / 4 / 2, 12 / 4 / 2, 15 / 4 / 2]]])
    x.grad = None
    M.adaptive_avg_pool2d(x, (1, 3)).sum().backward()   # the middle columns are in two cells
    assert x.grad.tolist()[0][0] == [0.125, 0.25, 0.25, 0.125]


# -- drawn cases --------------------------------------------------------------------------------

def pool_values(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Bounded floats, or a few values with many ties (and -0.0)."""
    ties = hnp.arrays(dtype, shape, elements=st.sampled_from([-1.0, -0.0, 0.0, 2.0]))
    return st.one_of(arrays(dtype, shape), ties)


def empty_window(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> bool:
    """Does some window along this axis miss the input (torch's dilated-padding hazard)?"""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return any(not any(0 <= s * i - p + d * u < size for u in range(k)) for i in range(out))


@st.composite
def window_cases(draw, dilated: bool):
    """x (batched or not), kernel, stride (or None), padding, dilation, ceil_mode, with at
    least one output pixel and no window outside x."""
    dtype = draw(dtypes)
    axes = []
    for _ in range(2):
        k, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)) if dilated else 1
        s, p = draw(st.integers(1, 3)), draw(st.integers(0, k // 2))
        axes.append((k, s, p, d, draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))))
    ceil_mode = draw(st.booleans())
    assume(not any(empty_window(n, k, s, p, d, ceil_mode) for k, s, p, d, n in axes))
    (kh, sh, ph, dh, h), (kw, sw, pw, dw, w) = axes
    x = draw(pool_values(dtype, draw(st.sampled_from([(), (1,), (2,)])) + (2, h, w)))
    pair = draw(st.booleans())  # an int where both axes agree, else a pair
    options = dict(kernel_size=kh if pair and kh == kw else (kh, kw),
                   stride=None if draw(st.booleans()) and (sh, sw) == (kh, kw) else (sh, sw),
                   padding=(ph, pw), ceil_mode=ceil_mode)
    if dilated:
        options["dilation"] = (dh, dw)
    return x, options


def run_twins(call_manual, call_torch, x: np.ndarray, nhwc: bool = False):
    """y on both sides, then backward with the same drawn dy; returns (y, dx) per side. With
    nhwc, x is held in NHWC memory and pooled as its (N, C, H, W) view: torch's channels_last
    (and dx is NHWC)."""
    sides = []
    for lib, call in ((manual, call_manual), (torch, call_torch)):
        held = np.empty(x.shape[:1] + x.shape[2:] + x.shape[1:2], x.dtype) if nhwc else x
        if nhwc:
            held[...] = x.transpose(0, 2, 3, 1)                     # (N, H, W, C), plain strides
        leaf = lib.tensor(held, requires_grad=True)
        out = call(leaf.permute(0, 3, 1, 2) if nhwc else leaf)
        y = out[0] if isinstance(out, tuple) else out
        dy = np.random.default_rng(0).uniform(-4, 4, tuple(y.shape)).astype(x.dtype)
        y.backward(lib.tensor(dy))
        sides.append((out, leaf.grad))
    return sides


def assert_same_bits(label: str, m, t) -> None:
    """Shape, dtype and every bit equal (-0.0 is not +0.0 here)."""
    mine = np.ascontiguousarray(m.detach().array if hasattr(m, "array") else m)
    theirs = np.ascontiguousarray(t.detach().numpy())
    assert mine.shape == theirs.shape and mine.dtype == theirs.dtype, (
        f"{label}: {mine.shape} {mine.dtype} != {theirs.shape} {theirs.dtype}")
    if mine.size == 0:
        return
    differ = np.argwhere(mine.view(np.uint8).reshape(*mine.shape, -1)
                         != theirs.view(np.uint8).reshape(*theirs.shape, -1))
    assert differ.size == 0, f"{label} differs at {differ[0][:-1]}: {mine} vs {theirs}"


def assert_twins_match(sides, node: str | None = None) -> None:
    (m_out, m_dx), (t_out, t_dx) = sides
    assert isinstance(m_out, tuple) == isinstance(t_out, tuple)  # indices when torch gives them
    m_all = m_out if isinstance(m_out, tuple) else (m_out,)
    t_all = t_out if isinstance(t_out, tuple) else (t_out,)
    assert len(m_all) == len(t_all)
    for label, m, t in zip(("y", "indices"), m_all, t_all):
        assert_same_bits(label, m, t)
    assert m_all[0].grad_fn.name() == type(t_all[0].grad_fn).__name__
    assert node is None or m_all[0].grad_fn.name() == node
    assert_same_bits("dx", m_dx, t_dx)


@given(window_cases(dilated=True), st.booleans())
@example((np.float32([[[[-np.inf, -np.inf], [1.0, 3.0]]]]), dict(kernel_size=2, stride=1,
                                                                  padding=1)), True)
def test_max_pool2d_matches_torch(case, return_indices):
    # values, indices (ties: the first in row-major order), gradients and node, to the bit
    x, options = case
    sides = run_twins(lambda t: M.max_pool2d(t, **options, return_indices=return_indices),
                      lambda t: T.max_pool2d(t, **options, return_indices=return_indices), x)
    assert_twins_match(sides, "MaxPool2DWithIndicesBackward0")


@given(window_cases(dilated=False), st.booleans(), st.sampled_from([None, 1, 3, -2]))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor_override):
    x, options = case
    options.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    sides = run_twins(lambda t: M.avg_pool2d(t, **options), lambda t: T.avg_pool2d(t, **options),
                      x)
    assert_twins_match(sides, "AvgPool2DBackward0")


@st.composite
def adaptive_cases(draw):
    """x, any output size (None keeps x's), in the contiguous or the channels_last layout."""
    dtype = draw(dtypes)
    n, c, h, w = (draw(st.integers(1, 3)), draw(st.integers(1, 10)), draw(st.integers(1, 12)),
                  draw(st.integers(1, 12)))
    x = draw(arrays(dtype, (n, c, h, w)))
    size = draw(st.one_of(st.integers(1, 8), st.tuples(*[st.one_of(st.none(),
                                                                   st.integers(1, 8))] * 2)))
    return x, size, draw(st.booleans())


@given(adaptive_cases())
@example((np.float32(np.arange(2 * 9 * 5 * 7).reshape(2, 9, 5, 7) / 7), 1, True))
@example((np.float64(np.arange(2 * 5 * 9 * 9).reshape(2, 5, 9, 9) / 3), (3, 2), True))
def test_adaptive_avg_pool2d_matches_torch(case):
    # (1, 1) is torch's mean (its sum kernel's order); channels_last divides whole vectors of
    # channels once: the layouts differ in their last bits, each reproduced
    x, size, nhwc = case
    sides = run_twins(lambda t: M.adaptive_avg_pool2d(t, size),
                      lambda t: T.adaptive_avg_pool2d(t, size), x, nhwc)
    assert_twins_match(sides)


@settings(max_examples=10)
@given(st.sampled_from(FLOAT_DTYPES), st.integers(1, 3), st.integers(20, 70))
def test_global_average_of_large_planes(dtype, n, side):
    # the cascade of torch's sum kernel: 16-step blocks and 4 levels, only reached by long rows
    x = np.random.default_rng(side).standard_normal((n, 3, side, side + 1)).astype(dtype)
    for nhwc in (False, True):
        sides = run_twins(lambda t: M.adaptive_avg_pool2d(t, 1),
                          lambda t: T.adaptive_avg_pool2d(t, 1), x, nhwc)
        assert_twins_match(sides, "AsStridedBackward1" if nhwc else "MeanBackward1")


@pytest.mark.parametrize("nhwc", [False, True])
def test_global_average_of_a_plane_of_a_million_values(nhwc):
    # past 2^20 values a row, the cascade of torch's sum kernel flushes every 2^5 steps
    x = (np.random.default_rng(5).standard_normal((1, 1, 1025, 1024)) * 100).astype(np.float32)
    sides = run_twins(lambda t: M.adaptive_avg_pool2d(t, 1),
                      lambda t: T.adaptive_avg_pool2d(t, 1), x, nhwc)
    assert_twins_match(sides, "AsStridedBackward1" if nhwc else "MeanBackward1")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("channels", [3, 4, 5, 8, 9, 16, 17, 33, 40, 70])
def test_global_average_channels_last_across_the_vector_widths(dtype, channels):
    # channels_last sums the channels in blocks of 4 vectors, then vectors, then one at a
    # time (4 at a time below one vector): every block size and remainder, to the bit
    x = (np.random.default_rng(channels).standard_normal((2, channels, 13, 11)) * 100)
    sides = run_twins(lambda t: M.adaptive_avg_pool2d(t, 1),
                      lambda t: T.adaptive_avg_pool2d(t, 1), x.astype(dtype), nhwc=True)
    assert_twins_match(sides, "AsStridedBackward1")


@pytest.mark.parametrize(("x", "call", "expected"), [
    (np.float32([[[-1e-45]]]), lambda ns, t: ns.avg_pool2d(t, 1, divisor_override=8),
     "+0.0: 0 + (-0.0)"),
    (np.int64([[[-7, 0], [0, 0]]]), lambda ns, t: ns.avg_pool2d(t, 2, divisor_override=2),
     "-3: -7 / 2 toward zero"),
    (np.int64([[[-5, -9], [-7, -5]]]), lambda ns, t: ns.max_pool2d(t, 2, return_indices=True)[1],
     "0: the first -5"),
    (np.float64([[[np.nan, 1], [np.nan, 2]]]),
     lambda ns, t: ns.max_pool2d(t, 2, return_indices=True)[1], "2: the last NaN"),
    (np.float32([[[-np.inf, -np.inf], [-np.inf, 1]]]),
     lambda ns, t: ns.max_pool2d(t, 2, 2, 1, return_indices=True)[1], "the first tap inside"),
], ids=["avg-minus-zero", "avg-int-truncates", "max-int-tie", "max-last-nan", "max-all-inf"])
def test_corners_as_torch(x, call, expected):
    assert_same_bits(expected, call(M, manual.tensor(x)), call(T, torch.tensor(x)))


# -- without torch --------------------------------------------------------------------------------

@settings(max_examples=20)
@given(st.sampled_from(["max", "avg", "adaptive"]), st.integers(2, 6), st.integers(2, 6),
       st.integers(0, 2**32 - 1))
def test_gradients_by_central_differences(kind, h, w, seed):
    # L = sum(g y): dL/dx by (L(x + e) - L(x - e)) / 2e in float64. L is linear near x (max's
    # values are 0.1 apart, so a step of 1e-3 moves no argmax): the slope is exact up to
    # rounding, about 1e-16 |L| / 1e-3, well under 1e-9
    rng = np.random.default_rng(seed)
    x = rng.permutation(h * w * 2).reshape(1, 2, h, w) / 10.0
    pool = {"max": lambda t: M.max_pool2d(t, 2, 1, 1, ceil_mode=True),
            "avg": lambda t: M.avg_pool2d(t, 2, 1, 1, count_include_pad=False),
            "adaptive": lambda t: M.adaptive_avg_pool2d(t, (3, 2))}[kind]
    leaf = manual.tensor(x, requires_grad=True)
    y = pool(leaf)
    g = rng.uniform(-1, 1, y.shape)
    y.backward(manual.tensor(g))
    step = 1e-3
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = step
        slope = (np.sum(g * pool(manual.tensor(x + e)).array)
                 - np.sum(g * pool(manual.tensor(x - e)).array)) / (2 * step)
        assert abs(slope - leaf.grad.array[i]) <= 1e-9, (kind, i, slope, leaf.grad.array[i])


def max_by_definition(x: np.ndarray, k, s, p, d, out) -> tuple[np.ndarray, np.ndarray]:
    """Each window's largest tap inside x, and the first such tap's h W + w, one window at a
    time (no NaN in x)."""
    planes = x.reshape(-1, *x.shape[-2:])
    y, idx = np.empty((len(planes), *out), x.dtype), np.empty((len(planes), *out), np.int64)
    for n, i, j in np.ndindex(len(planes), *out):
        taps = [(s[0] * i - p[0] + d[0] * u, s[1] * j - p[1] + d[1] * v)
                for u in range(k[0]) for v in range(k[1])]
        taps = [(a, b) for a, b in taps if 0 <= a < x.shape[-2] and 0 <= b < x.shape[-1]]
        best = max(planes[n][tap] for tap in taps)
        a, b = next(tap for tap in taps if planes[n][tap] == best)
        y[n, i, j], idx[n, i, j] = best, a * x.shape[-1] + b
    return y.reshape(*x.shape[:-2], *out), idx.reshape(*x.shape[:-2], *out)


def _pairs(options: dict) -> list[tuple[int, int]]:
    values = [options["kernel_size"], options["stride"] or options["kernel_size"],
              options["padding"], options.get("dilation", 1)]
    return [v if isinstance(v, tuple) else (v, v) for v in values]


@given(window_cases(dilated=True))
def test_max_pool2d_by_its_definition(case):
    # y and idx as the definition gives them, window by window; dx sums to the sum of dy
    x, options = case
    leaf = manual.tensor(x, requires_grad=True)
    y, idx = M.max_pool2d(leaf, **options, return_indices=True)
    expected = max_by_definition(x, *_pairs(options), y.shape[-2:])
    np.testing.assert_array_equal(y.array, expected[0])
    np.testing.assert_array_equal(idx.array, expected[1])
    y.sum().backward()
    assert leaf.grad.array.sum() == y.array.size


def test_avg_pool2d_of_a_constant_is_the_constant():
    x = manual.tensor(np.full((2, 3, 5, 7), 1.5, np.float32))
    for options in (dict(kernel_size=3), dict(kernel_size=(2, 3), stride=1, padding=1,
                                              count_include_pad=False, ceil_mode=True)):
        assert np.all(M.avg_pool2d(x, **options).array == 1.5)
    assert np.all(M.adaptive_avg_pool2d(x, (3, 4)).array == 1.5)


def test_a_window_that_misses_the_input_is_refused():
    # height 1, kernel 2, dilation 2, padding 1: the window's taps are rows -1 and 1, both
    # outside; torch returns -inf and an index outside the plane there, and its backward
    # writes outside the gradient (so torch's side is not run here)
    x = manual.tensor(np.ones((1, 1, 1, 4), np.float32))
    with pytest.raises(RuntimeError, match="a window holds no element of the input"):
        M.max_pool2d(x, 2, stride=1, padding=1, dilation=2)


# -- NaN, infinities, arbitrary calls, modules ----------------------------------------------------

@settings(max_examples=30)
@given(dtypes.flatmap(lambda d: with_specials(d, (2, 2, 4, 5))),
       st.sampled_from(["max", "max-padded", "avg", "avg-padded", "adaptive", "mean"]))
def test_nan_and_infinities_where_torch_puts_them(x, kind):
    calls = {"max": lambda ns, t: ns.max_pool2d(t, 2), "avg": lambda ns, t: ns.avg_pool2d(t, 2),
             "max-padded": lambda ns, t: ns.max_pool2d(t, 3, 2, 1, ceil_mode=True),
             "avg-padded": lambda ns, t: ns.avg_pool2d(t, 3, 2, 1, ceil_mode=True),
             "adaptive": lambda ns, t: ns.adaptive_avg_pool2d(t, (3, 2)),
             "mean": lambda ns, t: ns.adaptive_avg_pool2d(t, 1)}
    sides = []
    for lib, ns in ((manual, M), (torch, T)):
        leaf = lib.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):
            y = calls[kind](ns, leaf)
            y.backward(lib.tensor(output_gradient(tuple(y.shape)).astype(x.dtype)))
        sides.append((y, leaf.grad))
    (m_y, m_dx), (t_y, t_dx) = sides
    assert_same_specials(f"{kind} y", m_y.detach(), t_y)
    assert_same_specials(f"{kind} dx", m_dx, t_dx)


numbers = st.one_of(st.integers(-1, 3), st.tuples(st.integers(-1, 3), st.integers(-1, 3)),
                    st.sampled_from([(), (2,), (1, 2, 3), None]))
plausible = {"kernel_size": st.integers(1, 3), "stride": st.sampled_from([None, 1, 2]),
             "padding": st.integers(0, 1), "dilation": st.integers(1, 2)}


@st.composite
def fuzz_calls(draw):
    """Any input and options (half of them plausible: 3 or 4 dims and small sizes), with any
    dtype: the twins agree, or refuse with the same exception class."""
    tame = draw(st.booleans())
    dims = dict(min_dims=3, max_dims=4, min_side=1) if tame else dict(min_dims=0, max_dims=5,
                                                                      min_side=0)
    x = draw(any_array(hnp.array_shapes(**dims, max_side=4)))
    kind = draw(st.sampled_from(["max", "avg", "adaptive"]))
    if kind == "adaptive":
        one = st.integers(1, 5) if tame else st.integers(-1, 5)
        size = draw(st.one_of(one, st.tuples(*[st.one_of(st.none(), one)] * 2),
                              st.sampled_from([(), (2,), (1, 2, 3)])))
        return x, kind, dict(output_size=size)
    names = ["kernel_size", "stride", "padding"] + (["dilation"] if kind == "max" else [])
    options = {name: draw(plausible[name] if tame else numbers) for name in names}
    options["ceil_mode"] = draw(st.booleans())
    if kind == "max":
        options["return_indices"] = draw(st.booleans())
        assume(not _dilated_hazard(x, options))
    else:
        options.update(count_include_pad=draw(st.booleans()),
                       divisor_override=draw(st.sampled_from([None, 0, 2, -3])))
    return x, kind, options


def _dilated_hazard(x: np.ndarray, options: dict) -> bool:
    """A call whose windows miss the input: torch accepts it but writes outside the gradient in
    backward; the manual twin refuses it (see the refusal test), so it is kept out."""
    try:
        with np.errstate(all="ignore"):
            M.max_pool2d(manual.tensor(x), **options)
    except RuntimeError as error:
        return "holds no element" in str(error)
    except Exception:  # noqa: BLE001 (any other refusal is compared with torch's)
        return False
    return False


@FUZZ
@given(fuzz_calls())
def test_arbitrary_calls_agree_or_are_refused_alike(call):
    x, kind, options = call
    function = {"max": "max_pool2d", "avg": "avg_pool2d", "adaptive": "adaptive_avg_pool2d"}[kind]
    assert_same_outcome("exact", lambda ns: getattr(ns.pooling, function)(_t(ns, x), **options))


@pytest.mark.parametrize("build", [
    lambda ns: ns.MaxPool2d(2), lambda ns: ns.MaxPool2d((3, 2), 2, 1, 2, True, True),
    lambda ns: ns.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda ns: ns.AvgPool2d((2, 1), divisor_override=3), lambda ns: ns.AdaptiveAvgPool2d(1),
    lambda ns: ns.AdaptiveAvgPool2d((None, 3)),
], ids=["max", "max-all-options", "avg", "avg-divisor", "adaptive-1", "adaptive-none"])
def test_modules_as_torch(build):
    # repr, no parameters, an empty state_dict, and the functional's results and gradients
    m_module, t_module = build(M), build(T)
    assert repr(m_module) == repr(t_module)
    assert list(m_module.parameters()) == list(t_module.parameters()) == []
    assert dict(m_module.state_dict()) == dict(t_module.state_dict()) == {}
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype(np.float32)
    sides = run_twins(m_module, t_module, x)
    assert_twins_match(sides)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_the_functions_defaults_are_torchs(kind):
    # stride the kernel, no padding, floor sizes, padding counted in the average, no indices
    x = np.random.default_rng(8).standard_normal((2, 3, 8, 8)).astype(np.float32)
    name = f"{kind}_pool2d"
    for args in ((3,), (3, 2, 1)):
        sides = run_twins(lambda t, args=args: getattr(M, name)(t, *args),
                          lambda t, args=args: getattr(T, name)(t, *args), x)
        assert_twins_match(sides)
