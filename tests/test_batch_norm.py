"""batch_norm, BatchNorm1d and BatchNorm2d: outputs, the three gradients and the running
statistics against torch, to the bit (torch on one thread, tests/conftest.py), for (N, C),
(N, C, L) and (N, C, H, W) inputs, in training and eval; the modules' state; NaN and
infinities; arbitrary calls refused alike; and checks that need no torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.batch_norm
import torch_native.batch_norm
from manual._parity.batch_norm import fused_sum
from manual._parity.rounding import fma
from reference.convert import to_numpy
from tests.strategies import arrays, dtypes
from tests.test_fuzz import FUZZ, _t, any_array, assert_same_outcome
from tests.test_nan import assert_same_specials, output_gradient, with_specials

TWINS = {manual: manual.batch_norm, torch: torch_native.batch_norm}
LIB_DTYPES = {manual: {np.dtype(np.float32): manual.float32, np.dtype(np.float64): manual.float64},
              torch: {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}}


def assert_same_bits(label: str, m: Any, t: Any) -> None:
    """Same shape, dtype and bytes: torch's value to the bit (and the sign of each zero)."""
    m, t = to_numpy(m), to_numpy(t)
    assert (m.shape, m.dtype) == (t.shape, t.dtype), f"{label}: {m.shape} {m.dtype}, torch " \
                                                     f"{t.shape} {t.dtype}"
    if m.tobytes() != t.tobytes():
        flat_m, flat_t = m.reshape(-1), t.reshape(-1)
        i = next(i for i in range(m.size) if flat_m[i:i + 1].tobytes() != flat_t[i:i + 1].tobytes())
        at = np.unravel_index(i, m.shape)
        raise AssertionError(f"{label} differs at {at}: manual {m[at]!r}, torch {t[at]!r}")


def test_hand_example():
    # one channel, x = 0, 1, 2, 3: mean 1.5, var 1.25; with eps = 2.75, sqrt(var + eps) = 2
    # y = (x - 1.5) / 2 * 2 + 1 = -0.5, 0.5, 1.5, 2.5; momentum 0.5: running_mean 0.75,
    # running_var (1 + 5/3) / 2 (the unbiased variance: 5 / 3)
    x = manual.tensor([[0.0], [1.0], [2.0], [3.0]], requires_grad=True)
    w = manual.tensor([2.0], requires_grad=True)
    b = manual.tensor([1.0], requires_grad=True)
    rm, rv = manual.tensor([0.0]), manual.tensor([1.0])
    y = manual.batch_norm.batch_norm(x, rm, rv, w, b, training=True, momentum=0.5, eps=2.75)
    assert y.tolist() == [[-0.5], [0.5], [1.5], [2.5]]
    assert rm.tolist() == [0.75] and rv.tolist() == pytest.approx([4 / 3])
    y.backward(manual.tensor([[1.0], [0.0], [0.0], [0.0]]))
    # xhat = -0.75, -0.25, 0.25, 0.75; db = 1, dw = -0.75;
    # dx = w invstd (dy - db / 4 - xhat dw / 4) with w invstd = 1
    assert b.grad.tolist() == [1.0] and w.grad.tolist() == [-0.75]
    assert x.grad.tolist() == [[0.609375], [-0.296875], [-0.203125], [-0.109375]]
    assert y.grad_fn.name() == "NativeBatchNormBackward0"


# -- the function against torch -----------------------------------------------------------

def values(draw: Any, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """Half the time hypothesis' own bounded floats (zeros, repeats, short fractions), half
    the time normal draws from a drawn seed, scaled: values whose sums and products round."""
    if draw(st.booleans()):
        return draw(arrays(dtype, shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal(shape) * draw(st.sampled_from([1.0, 0.01, 7.3]))).astype(dtype)


LAYOUTS = {"(N, C)": 0, "(N, C, L)": 1, "(N, C, H, W)": 2}


@st.composite
def batch_norm_cases(draw):
    """x of one of the three layouts, optional w, b and running statistics, the options."""
    dtype = draw(dtypes)
    spatial = draw(st.sampled_from([(), (1,), (2,), (3,), (7,), (9,), (17,), (1, 1), (2, 3),
                                    (3, 3), (4, 5)]))
    shape = (draw(st.integers(2, 6)), draw(st.integers(1, 11))) + spatial
    c = shape[1]
    x = values(draw, dtype, shape) + dtype.type(draw(st.sampled_from([0, 3, -40])))
    training = draw(st.booleans())
    stats = not training or draw(st.booleans())
    rm = values(draw, dtype, (c,)) if stats else None
    rv = np.abs(values(draw, dtype, (c,))) + dtype.type(0.25) if stats else None
    w = values(draw, dtype, (c,)) if draw(st.booleans()) else None
    b = values(draw, dtype, (c,)) if draw(st.booleans()) else None
    options = dict(training=training, momentum=draw(st.sampled_from([0.1, 0.0, 1.0, 0.37])),
                   eps=draw(st.sampled_from([1e-5, 1e-3, 0.5])))
    return x, rm, rv, w, b, options, values(draw, dtype, shape)


def run_function(lib: Any, case: tuple) -> dict[str, Any]:
    """batch_norm and its backward on one side: every result, by name."""
    x, rm, rv, w, b, options, dy = case
    leaves = [None if a is None else lib.tensor(a, requires_grad=True) for a in (x, w, b)]
    stats = [None if a is None else lib.tensor(a) for a in (rm, rv)]
    y = TWINS[lib].batch_norm(leaves[0], *stats, *leaves[1:], **options)
    y.backward(lib.tensor(dy))
    node = y.grad_fn.name() if lib is manual else type(y.grad_fn).__name__
    named = zip(("dx", "dw", "db", "running_mean", "running_var"),
                [t.grad if t is not None else None for t in leaves] + stats)
    return {"y": y, "node": node, **{k: v for k, v in named if v is not None}}


@given(batch_norm_cases())
def test_batch_norm_matches_torch(case):
    m, t = run_function(manual, case), run_function(torch, case)
    assert m.keys() == t.keys() and m.pop("node") == t.pop("node")
    for label in t:
        assert_same_bits(label, m[label], t[label])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 37), (3, 19, 121), (5, 3, 29), (8, 4, 7, 9),
                                   (16, 2, 8, 8), (16, 64, 5), (2, 64, 3), (4, 9, 5, 3)], ids=str)
def test_larger_batches_match_torch(shape, dtype):
    # many rows (the (N, C) kernel's sums), long and odd image rows (full, partial and
    # fused lanes), more channels than a vector holds
    rng = np.random.default_rng(sum(shape))
    c = shape[1]
    per_channel = (c,) + (1,) * (len(shape) - 2)                 # a scale and offset each
    x = (rng.standard_normal(shape) * rng.uniform(0.1, 5, per_channel)
         + rng.uniform(-50, 50, per_channel)).astype(dtype)
    for training in (True, False):
        case = (x, rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype),
                rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype),
                dict(training=training, momentum=0.1, eps=1e-5),
                rng.standard_normal(shape).astype(dtype))
        m, t = run_function(manual, case), run_function(torch, case)
        for label in ("y", "dx", "dw", "db", "running_mean", "running_var"):
            assert_same_bits(f"{label} (training={training})", m[label], t[label])


# -- the modules ----------------------------------------------------------------------------

@st.composite
def module_cases(draw):
    """A module's options, and up to three steps (the first in training, then training or
    eval), each with its x and dy."""
    dtype = draw(dtypes)
    two_d = draw(st.booleans())
    c = draw(st.integers(1, 9))
    options = dict(momentum=draw(st.sampled_from([0.1, None, 0.5])), affine=draw(st.booleans()),
                   track_running_stats=draw(st.booleans()), bias=draw(st.booleans()),
                   eps=draw(st.sampled_from([1e-5, 0.1])))
    steps = []
    for step in range(draw(st.integers(1, 3))):
        spatial = (draw(st.integers(1, 4)), draw(st.integers(1, 4))) if two_d else \
            draw(st.sampled_from([(), (1,), (5,)]))
        shape = (draw(st.integers(2, 5)), c) + spatial
        training = step == 0 or draw(st.booleans())            # the first step trains
        steps.append((training, values(draw, dtype, shape) + dtype.type(2),
                      values(draw, dtype, shape)))
    return dtype, two_d, c, options, steps


def run_module(lib: Any, case: tuple) -> dict[str, Any]:
    dtype, two_d, c, options, steps = case
    twin = TWINS[lib]
    module = (twin.BatchNorm2d if two_d else twin.BatchNorm1d)(c, dtype=LIB_DTYPES[lib][dtype],
                                                                  **options)
    out = {"repr": repr(module)}
    for i, (training, x, dy) in enumerate(steps):
        module.train(training)
        xt = lib.tensor(x, requires_grad=True)
        y = module(xt)
        y.backward(lib.tensor(dy))
        out[f"y{i}"], out[f"dx{i}"] = y, xt.grad
    state = module.state_dict()
    out["keys"] = list(state)
    out.update({f"state {k}": v for k, v in state.items()})
    out.update({f"grad {k}": p.grad for k, p in module.named_parameters()})
    return out


@settings(max_examples=40)
@given(module_cases())
def test_modules_match_torch(case):
    m, t = run_module(manual, case), run_module(torch, case)
    assert m.keys() == t.keys()
    for label in ("repr", "keys"):
        assert m.pop(label) == t.pop(label)
    for label in t:
        assert_same_bits(label, m[label], t[label])


def test_module_state_as_torch():
    for lib in TWINS:
        bn = TWINS[lib].BatchNorm1d(3)
        assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                         "num_batches_tracked"]
        nbt = bn.num_batches_tracked
        assert to_numpy(nbt).dtype == np.int64 and to_numpy(nbt).shape == ()
        quiet = TWINS[lib].BatchNorm2d(3, affine=False, track_running_stats=False)
        assert list(quiet.state_dict()) == [] and quiet.running_mean is None
        assert list(quiet.parameters()) == []
        assert list(TWINS[lib].BatchNorm1d(2, bias=False).state_dict())[:2] == [
            "weight", "running_mean"]
    # a state dict saved by torch loads into the manual module, num_batches_tracked too
    t_bn = torch_native.batch_norm.BatchNorm1d(2)
    t_bn(torch.tensor([[1.0, 2.0], [3.0, 5.0]]))
    m_bn = manual.batch_norm.BatchNorm1d(2)
    m_bn.load_state_dict(t_bn.state_dict())
    for key, value in t_bn.state_dict().items():
        assert_same_bits(key, m_bn.state_dict()[key], value)


def test_construction_draws_nothing():
    # torch's batch norm starts w = 1, b = 0: the generator is left as it was
    manual.manual_seed(3)
    torch.manual_seed(3)
    manual.batch_norm.BatchNorm2d(4)
    torch_native.batch_norm.BatchNorm2d(4)
    assert_same_bits("generator state", manual.get_rng_state().array,
                     torch.get_rng_state().numpy())


def test_eval_without_buffers_uses_the_batch():
    # track_running_stats=False: the batch's own statistics in eval too, as torch
    x = np.float32([[1, 2], [3, 7], [4, 0]])
    outs = []
    for lib in TWINS:
        bn = TWINS[lib].BatchNorm1d(2, track_running_stats=False).eval()
        outs.append(bn(lib.tensor(x)))
    assert_same_bits("y", *outs)
    assert np.abs(to_numpy(outs[0]).mean(axis=0)).max() < 1e-6


# -- checks that need no torch --------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(3, 2), (2, 3, 4), (2, 2, 2, 3)], ids=str)
def test_gradients_by_central_differences(shape, training):
    # d/dp of sum(y dy), by (f(p + h) - f(p - h)) / 2h in float64, for x, w and b
    rng = np.random.default_rng(len(shape))
    c = shape[1]
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)

    def loss(x_, w_, b_):
        y = manual.batch_norm.batch_norm(manual.tensor(x_), manual.tensor(rm),
                                         manual.tensor(rv), manual.tensor(w_),
                                         manual.tensor(b_), training, 0.0, 1e-5)
        return float((y.array * dy).sum())

    leaves = [manual.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = manual.batch_norm.batch_norm(leaves[0], manual.tensor(rm), manual.tensor(rv),
                                     *leaves[1:], training, 0.0, 1e-5)
    y.backward(manual.tensor(dy))
    arrays = [x, w, b]
    for i, leaf in enumerate(leaves):
        numeric = np.zeros_like(arrays[i])
        for index in np.ndindex(arrays[i].shape):
            plus, minus = ([a.copy() for a in arrays] for _ in range(2))
            plus[i][index] += 1e-6
            minus[i][index] -= 1e-6
            numeric[index] = (loss(*plus) - loss(*minus)) / 2e-6
        np.testing.assert_allclose(leaf.grad.array, numeric, rtol=1e-5, atol=1e-6)


def test_training_output_and_running_statistics():
    # per channel, y has mean b and variance w^2 var / (var + eps); with momentum 1 the
    # running statistics become the batch mean and the unbiased variance
    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 3, 4)) * np.array([[1.0], [3.0], [0.5]]) + 2.0
    w, b = np.array([2.0, -1.0, 0.5]), np.array([0.0, 1.0, -3.0])
    rm, rv = manual.tensor(np.zeros(3)), manual.tensor(np.ones(3))
    y = manual.batch_norm.batch_norm(manual.tensor(x), rm, rv, manual.tensor(w),
                                     manual.tensor(b), True, 1.0, 1e-5).array
    var = x.var(axis=(0, 2))
    np.testing.assert_allclose(y.mean(axis=(0, 2)), b, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2)), w**2 * var / (var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(rm.array, x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rv.array, x.var(axis=(0, 2), ddof=1), rtol=1e-12)


def test_fused_sums_round_once():
    # acc = fma(a, b, acc) row by row (the (N, C) kernel's sums): 1 + u v, with u v =
    # 2^-24 (1 + 4688 2^-46), lies just above halfway between 1 and 1 + 2^-23 but lands
    # exactly on it when added in double; rounded once, it is 1 + 2^-23
    u, v = ((2**23 + 2896) * 2.0**-35, (2**23 - 2895) * 2.0**-35)
    a, b = np.float32([[1.0], [u]]), np.float32([[1.0], [v]])
    assert fused_sum(a, b).tolist() == [1 + 2**-23]
    rng = np.random.default_rng(9)  # and as one rounding.fma per row, at every magnitude
    a, b = (rng.standard_normal((300, 40)) * 2.0 ** rng.integers(-60, 60, (300, 40))
            for _ in range(2))
    expected = np.zeros(40, np.float32)
    for row_a, row_b in zip(a.astype(np.float32), b.astype(np.float32)):
        expected = fma(row_a, row_b, expected)
    assert_same_bits("sum", fused_sum(a.astype(np.float32), b.astype(np.float32)), expected)


# -- NaN and infinities -----------------------------------------------------------------------

@st.composite
def special_cases(draw):
    dtype = draw(dtypes)
    shape = (draw(st.integers(2, 4)), draw(st.integers(1, 3))) + draw(
        st.sampled_from([(), (3,), (2, 2)]))
    c = shape[1]
    return (draw(with_specials(dtype, shape)), draw(with_specials(dtype, (c,))),
            np.abs(draw(with_specials(dtype, (c,)))), draw(with_specials(dtype, (c,))),
            draw(with_specials(dtype, (c,))),
            dict(training=draw(st.booleans()), momentum=0.1, eps=1e-5),
            output_gradient(shape).astype(dtype))


@settings(max_examples=40)
@given(special_cases())
def test_nan_and_infinities_where_torch_puts_them(case):
    m, t = run_function(manual, case), run_function(torch, case)
    assert m.pop("node") == t.pop("node")
    for label in t:
        assert_same_specials(label, m[label], t[label])


# -- anything else: refused alike, or the same results ------------------------------------------

@st.composite
def fuzz_args(draw):
    x = draw(any_array(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)))
    c = x.shape[1] if x.ndim > 1 else 0
    per_channel = st.one_of(st.just((c,)), st.sampled_from([(), (2,), (c, 1), (0,)]))
    params = [draw(st.one_of(st.none(), any_array(per_channel))) for _ in range(4)]
    options = dict(training=draw(st.booleans()), momentum=draw(st.sampled_from([0.1, 0.6])),
                   eps=draw(st.sampled_from([1e-5, 0.0, -1.0])))
    return x, params, options


@FUZZ
@given(fuzz_args())
def test_arbitrary_calls_refused_or_agree(args):
    x, (rm, rv, w, b), options = args

    def call(ns):
        stats = [_t(ns, rm), _t(ns, rv)]
        y = ns.batch_norm.batch_norm(_t(ns, x), *stats, _t(ns, w), _t(ns, b), **options)
        return [y] + [s for s in stats if s is not None]

    assert_same_outcome("exact", call)


@FUZZ
@given(st.booleans(), st.booleans(), st.booleans(), st.data())
def test_modules_on_any_input(two_d, training, fits, data):
    # half the time an input the module takes (its ranks, its C, float32), else anything
    ranks = [4] if two_d else [2, 3]
    rank = data.draw(st.sampled_from(ranks if fits else [0, 1, 2, 3, 4, 5]))
    x = data.draw(any_array(hnp.array_shapes(min_dims=rank, max_dims=rank, min_side=0,
                                             max_side=3),
                            st.just(np.dtype(np.float32)) if fits else None))
    c = x.shape[1] if fits else data.draw(st.integers(0, 4))

    def call(ns):
        module = (ns.batch_norm.BatchNorm2d if two_d else ns.batch_norm.BatchNorm1d)(c)
        y = module.train(training)(_t(ns, x))
        return [y, module.running_mean, module.running_var, module.num_batches_tracked]

    assert_same_outcome("exact", call)


def test_empty_batch_as_torch():
    # no values: torch returns x.clone() * w[0] + b[0], its nodes, and updates nothing
    for lib in TWINS:
        x = lib.tensor(np.zeros((0, 3), np.float32), requires_grad=True)
        w = lib.tensor(np.ones(3, np.float32), requires_grad=True)
        y = TWINS[lib].batch_norm(x, None, None, w, None, True)
        name = y.grad_fn.name() if lib is manual else type(y.grad_fn).__name__
        assert tuple(y.shape) == (0, 3) and name == "MulBackward0"
        y.sum().backward()
        assert_same_bits("dw", w.grad, np.zeros(3, np.float32))


@pytest.mark.parametrize("options", [{}, {"momentum": None}],
                         ids=["defaults", "cumulative-average"])
def test_running_statistics_over_steps_as_torch(options):
    """The defaults (momentum 0.1) and momentum=None (the cumulative average, 1 / batches
    seen): running mean, variance and the batch count after three training steps."""
    rng = np.random.default_rng(3)
    steps = [(True, rng.standard_normal((6, 4)).astype(np.float32) * 3 + 1,
              rng.standard_normal((6, 4)).astype(np.float32)) for _ in range(3)]
    case = (np.dtype(np.float32), False, 4, options, steps)
    m, t = run_module(manual, case), run_module(torch, case)
    for label in ("state running_mean", "state running_var", "state num_batches_tracked",
                  "y2", "dx2"):
        assert_same_bits(label, m[label], t[label])
