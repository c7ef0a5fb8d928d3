"""softmax, log_softmax, Softmax and LogSoftmax against torch, to the bit, forward and backward,
along any dim; and the exp and log they use (manual/_parity/libm.py) against torch's kernels
and the system's libm."""

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
import manual.softmax
import torch_native.softmax
from manual._parity import libm
from reference.convert import to_numpy
from tests.strategies import arrays, dtypes
from tests.test_fuzz import _t, any_array, assert_same_outcome
from tests.test_nan import run_both, with_specials

FUNCTIONS = ("softmax", "log_softmax")
X86 = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
bit_exact = pytest.mark.skipif(not X86, reason="the kernels reproduced are torch's x86-64 "
                               "AVX2 and AVX512 builds (SLEEF and glibc with FMA)")


def assert_bits(label: str, manual_value, torch_value) -> None:
    """The same dtype, shape and bytes (a NaN for a NaN, whatever its payload)."""
    m, t = np.atleast_1d(to_numpy(manual_value)), np.atleast_1d(to_numpy(torch_value))
    assert (m.dtype, m.shape) == (t.dtype, t.shape), (
        f"{label}: {m.dtype}{m.shape} != {t.dtype}{t.shape}")
    if m.dtype.kind != "f":
        assert np.array_equal(m, t), f"{label}: {m} != {t}"
        return
    unsigned = f"u{m.itemsize}"
    same = (m.view(unsigned) == t.view(unsigned)) | (np.isnan(m) & np.isnan(t))
    differ = np.argwhere(~same)
    assert differ.size == 0, (f"{label}: {len(differ)} of {m.size} differ, first at "
                              f"{tuple(differ[0])}: manual {m[tuple(differ[0])]!r}, torch "
                              f"{t[tuple(differ[0])]!r}")


def twins(name: str):
    return getattr(manual.softmax, name), getattr(torch_native.softmax, name)


def test_hand_example():
    # x = [0, 0]: two equal scores share the probability: softmax [1/2, 1/2], and log_softmax
    # [-ln 2, -ln 2]; with dy = [1, 0], dx = dy - softmax sum(dy) = [1/2, -1/2]
    x = manual.tensor([[0.0, 0.0]], requires_grad=True)
    assert manual.softmax.softmax(x, 1).tolist() == [[0.5, 0.5]]
    y = manual.softmax.log_softmax(x, 1)
    assert y.tolist()[0] == pytest.approx([-math.log(2), -math.log(2)], rel=1e-7)
    y.backward(manual.tensor([[1.0, 0.0]]))
    assert x.grad.tolist() == [[0.5, -0.5]]
    # softmax's dx = y (dy - sum dy y) = [1/2 (1 - 1/2), 1/2 (0 - 1/2)] = [1/4, -1/4]
    x.grad = None
    manual.softmax.softmax(x, 1).backward(manual.tensor([[1.0, 0.0]]))
    assert x.grad.tolist() == [[0.25, -0.25]]


@st.composite
def shapes_and_dims(draw, max_numel: int = 300):
    """Up to 4 dims, sides up to 40 (across the 8 and 16 lanes of a vector, with every
    remainder), at most max_numel entries; and a dim, negative or not."""
    ndim = draw(st.integers(0, 4))
    sides = draw(st.lists(st.integers(0, 40), min_size=ndim, max_size=ndim))
    while math.prod(sides) > max_numel:
        sides[sides.index(max(sides))] //= 2
    n = max(ndim, 1)
    return tuple(sides), draw(st.integers(-n, n - 1))


def random_values(rng: np.random.Generator, dtype: np.dtype, shape: tuple[int, ...],
                  scale: float) -> np.ndarray:
    """Normal values with every last bit set at random (drawn arrays repeat a few values)."""
    return (rng.standard_normal(shape) * scale).astype(dtype)


@st.composite
def cases(draw):
    """x, the dim and dy: random scores up to 40 apart, or drawn ones (ties, zeros, up to 60
    apart, where float32's exp underflows past -104)."""
    dtype = draw(dtypes)
    shape, dim = draw(shapes_and_dims())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        x = random_values(rng, dtype, shape, draw(st.sampled_from([1.0, 8.0, 40.0])))
    else:
        x = draw(arrays(dtype, shape, bound=60))
    return x, dim, random_values(rng, dtype, shape, 1.0)


def assert_twins_match(name: str, x: np.ndarray, dim: int, dy: np.ndarray) -> None:
    """y, its node and dx, to the bit."""
    m_f, t_f = twins(name)
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m_y, t_y = m_f(m_x, dim), t_f(t_x, dim)
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
    assert_bits("y", m_y, t_y)
    m_y.backward(manual.tensor(dy))
    t_y.backward(torch.tensor(dy))
    assert_bits("dx", m_x.grad, t_x.grad)


@bit_exact
@given(cases(), st.sampled_from(FUNCTIONS))
def test_matches_torch_to_the_bit(case, name):
    assert_twins_match(name, *case)


@bit_exact
@settings(max_examples=40)
@given(dtypes, st.integers(1, 70), st.integers(1, 4), st.sampled_from(FUNCTIONS),
       st.integers(0, 2**32 - 1))
def test_rows_across_the_vector_widths(dtype, n, rows, name, seed):
    # along the last dim: rows shorter than a vector, of whole vectors, with a partial last
    # one; scores close together, so that the order of the lanes' sums shows in the last bits
    rng = np.random.default_rng(seed)
    x, dy = (random_values(rng, dtype, (rows, n), 1.0) for _ in range(2))
    assert_twins_match(name, x, -1, dy)


@bit_exact
@settings(max_examples=40)
@given(dtypes, st.integers(1, 3), st.integers(1, 6), st.integers(1, 40),
       st.sampled_from(FUNCTIONS), st.integers(0, 2**32 - 1))
def test_other_dims_across_the_vector_widths(dtype, outer, n, inner, name, seed):
    # along a dim with inner positions after it: SLEEF's exp on the first inner - inner % V,
    # glibc's on the rest, as torch's kernel splits them
    rng = np.random.default_rng(seed)
    x, dy = (random_values(rng, dtype, (outer, n, inner), 3.0) for _ in range(2))
    assert_twins_match(name, x, 1, dy)


@bit_exact
@settings(max_examples=30)
@given(st.sampled_from([np.int64, np.float32, np.float64]), st.sampled_from(["float32", "float64"]),
       st.sampled_from(FUNCTIONS), st.data())
def test_dtype_casts_first(x_dtype, to, name, data):
    # dtype= casts x before the kernel (ToCopyBackward0 below the softmax's node): an integer
    # x works, and the gradient comes back in x's dtype
    shape, dim = data.draw(shapes_and_dims(60))
    x = data.draw(arrays(np.dtype(x_dtype), shape) if x_dtype != np.int64 else
                  hnp.arrays(np.int64, shape, elements=st.integers(-20, 20)))
    grad = x_dtype != np.int64
    m_x, t_x = manual.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
    m_f, t_f = twins(name)
    m_y, t_y = m_f(m_x, dim, dtype=getattr(manual, to)), t_f(t_x, dim, dtype=getattr(torch, to))
    assert_bits("y", m_y, t_y)
    if grad:
        assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
        below = [type(f).__name__ for f, _ in t_y.grad_fn.next_functions]  # a leaf's is
        assert [e.name() if hasattr(e, "name") else "AccumulateGrad"    # AccumulateGrad
                for e in m_y.grad_fn.inputs] == below
        dy = np.linspace(-1, 1, x.size).reshape(x.shape).astype(to)
        m_y.backward(manual.tensor(dy))
        t_y.backward(torch.tensor(dy))
        assert_bits("dx", m_x.grad, t_x.grad)


@bit_exact
@pytest.mark.parametrize("ndim", range(5))
@pytest.mark.parametrize("name", FUNCTIONS)
def test_dim_none_warns_and_picks_torchs_dim(ndim, name):
    # dim=None: a UserWarning, then dim 0 for 0, 1 or 3 dims, else 1
    x = np.arange(2 * 3**ndim, dtype=np.float32)[: 3**ndim].reshape((3,) * ndim) / 7
    results = []
    for lib, f in zip((manual, torch), twins(name)):
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            results.append(f(lib.tensor(x)))
        assert [w.category for w in warned] == [UserWarning]
        assert str(warned[0].message) == (f"Implicit dimension choice for {name} has been "
                                          "deprecated. Change the call to include dim=X as "
                                          "an argument.")
    assert_bits("y", *results)
    chosen = 0 if ndim in (0, 1, 3) else 1
    assert_bits("y of the chosen dim", results[0], twins(name)[1](torch.tensor(x), chosen))


@bit_exact
@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
def test_modules(module):
    m_cls, t_cls = getattr(manual.softmax, module), getattr(torch_native.softmax, module)
    for dim in (1, -1, None):
        m, t = m_cls(dim), t_cls(dim)
        assert repr(m) == repr(t)                                 # "Softmax(dim=1)"
        assert list(m.state_dict()) == list(t.state_dict()) == []
        x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
        with warnings.catch_warnings(record=True) as m_warned, warnings.catch_warnings():
            warnings.simplefilter("always")
            m_y = m(manual.tensor(x))
        with warnings.catch_warnings(record=True) as t_warned:
            warnings.simplefilter("always")
            t_y = t(torch.tensor(x))
        assert [str(w.message) for w in m_warned] == [str(w.message) for w in t_warned]
        assert_bits(f"{module}({dim})", m_y, t_y)
    assert repr(m_cls()) == repr(t_cls()) and m_cls().dim is None


# -- without torch ------------------------------------------------------------------------------

@settings(max_examples=30)
@given(cases())
def test_probabilities_and_logs_agree(case):
    # each slice of softmax holds numbers in [0, 1] summing to 1 (n terms, each within an ULP or
    # two: n ULP of 1), and exp(log_softmax) is softmax, to a few ULP of 1
    x, dim, _ = case
    if x.size == 0:
        return
    p = manual.softmax.softmax(manual.tensor(x), dim).array
    logp = manual.softmax.log_softmax(manual.tensor(x), dim).array
    eps, n = np.finfo(x.dtype).eps, x.shape[dim] if x.ndim else 1
    assert ((p >= 0) & (p <= 1)).all() and (logp <= 0).all()
    assert np.abs(p.sum(axis=dim if x.ndim else None) - 1).max() <= 2 * n * eps
    assert np.abs(np.exp(logp.astype(np.float64)) - p).max() <= 8 * n * eps


@settings(max_examples=20)
@given(st.sampled_from(FUNCTIONS), st.data())
def test_gradient_matches_central_differences(name, data):
    # float64, f(x) = sum(dy * y(x)): (f(x + h e_k) - f(x - h e_k)) / 2h against dx_k
    shape, dim = data.draw(shapes_and_dims(24))
    x = data.draw(arrays(np.dtype(np.float64), shape, bound=4.0))
    dy = data.draw(arrays(np.dtype(np.float64), shape))
    f = getattr(manual.softmax, name)
    leaf = manual.tensor(x, requires_grad=True)
    f(leaf, dim).backward(manual.tensor(dy))
    h = 1e-6
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        up, down = (float((f(manual.tensor(x + s.reshape(shape)), dim).array * dy).sum())
                    for s in (step, -step))
        assert (up - down) / (2 * h) == pytest.approx(leaf.grad.array.reshape(-1)[k], abs=1e-6)


def test_huge_and_tiny_scores_stay_finite():
    # subtracting the max first: scores of 1e4 (exp overflows) and -1e4 (exp underflows)
    x = manual.tensor(np.float32([[1e4, 1e4 - 1, -1e4]]))
    p = manual.softmax.softmax(x, 1).array
    assert np.isfinite(p).all() and p[0, 2] == 0 and p[0, 0] == pytest.approx(1 / (1 + np.e ** -1))
    assert np.isfinite(manual.softmax.log_softmax(x, 1).array).all()


# -- NaN and infinities, and arbitrary calls ------------------------------------------------------

@settings(max_examples=30)
@given(dtypes, st.sampled_from(FUNCTIONS), st.data())
def test_nan_and_infinities_where_torch_puts_them(dtype, name, data):
    shape, dim = data.draw(shapes_and_dims(80))
    x = data.draw(with_specials(dtype, shape))
    m_f, t_f = twins(name)
    run_both(lambda t: m_f(t, dim), lambda t: t_f(t, dim), [x], f"{name} dim {dim}")


@settings(max_examples=40)
@given(any_array(), st.sampled_from(FUNCTIONS), st.sampled_from([None, "float32", "float64",
                                                                 "int64"]), st.data())
def test_arbitrary_calls_agree_or_are_refused_alike(x, name, dtype, data):
    n = max(x.ndim, 1)
    dim = data.draw(st.one_of(st.integers(-n - 1, n), st.none(), st.just(1.0)))

    def call(ns):
        kind = None if dtype is None else getattr(ns.lib, dtype)
        return getattr(ns.softmax, name)(_t(ns, x), dim, dtype=kind)

    assert_same_outcome("exact", call)


# -- exp and log: SLEEF's and glibc's --------------------------------------------------------------

def test_capability_is_torchs():
    assert libm.capability() == torch.backends.cpu.get_cpu_capability()
    assert libm.lanes(np.float32) == (16 if libm.capability() == "AVX512" else 8)
    assert libm.lanes(np.float64, avx512_kernel=False) == 4


def _torch_kernel_exp(y: np.ndarray) -> np.ndarray:
    """torch's Vectorized::exp, read out of log_softmax's backward: with dy one-hot on entry
    0 of each row (a sum of 1), every other entry is fma(-exp(y), 1, 0) = -exp(y) (+0 for an
    exp of 0, hence 0 - that)."""
    rows = np.concatenate([np.zeros((len(y), 1), y.dtype), y[:, None]], axis=1)
    dy = np.zeros_like(rows)
    dy[:, 0] = 1
    out = torch._log_softmax_backward_data(torch.tensor(dy), torch.tensor(rows), 1,
                                           torch.float32 if y.dtype == np.float32 else
                                           torch.float64)
    return 0 - out.numpy()[:, 1]


@bit_exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sleef_exp_is_torchs(dtype):
    rng = np.random.default_rng(0)
    edge = 104.0 if dtype == np.float32 else 1000.0
    y = np.concatenate([rng.uniform(-edge - 2, 90, 40000), rng.uniform(-1, 1, 10000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -edge, 88.72, 709.78, 1e-30]])
    y = y.astype(dtype)
    assert_bits("exp", libm.sleef_exp(y), _torch_kernel_exp(y))


@bit_exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sleef_log_is_torchs(dtype):
    # log_softmax of a row [0, x], x <= 0: (0 - 0) - log(1 + exp(x)), the sum in order
    x = -np.random.default_rng(1).exponential(4, 20000).astype(dtype)
    rows = np.stack([np.zeros_like(x), x], axis=1)
    y0 = torch.log_softmax(torch.tensor(rows), 1).numpy()[:, 0]
    assert_bits("log", 0 - libm.sleef_log(dtype(1) + libm.sleef_exp(x)), y0)


def _libm():
    path = ctypes.util.find_library("m")
    return ctypes.CDLL(path) if path else None


@pytest.mark.skipif(_libm() is None or not X86, reason="glibc's libm on x86-64")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["exp", "log"])
def test_glibc_is_the_systems(name, dtype):
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2**32 if dtype == np.float32 else 2**63, 6000, dtype=np.uint64)
    # float64's fused multiply-adds change about 1 result in 2000: 20000 numbers
    values = np.concatenate([rng.uniform(-110, 110, 8000), rng.uniform(-800, 800, 8000),
                             rng.uniform(0.9, 1.1, 8000), [0.0, -0.0, 1.0, np.inf, -np.inf]])
    with np.errstate(over="ignore"):
        values = values.astype(dtype)
    x = np.concatenate([(bits.astype(np.uint32) if dtype == np.float32 else bits).view(dtype),
                        values])                                  # any bits, then numbers
    function = getattr(_libm(), name + ("f" if dtype == np.float32 else ""))
    kind = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    function.restype, function.argtypes = kind, [kind]
    with np.errstate(all="ignore"):
        expected = np.array([function(float(v)) for v in x], dtype)
    assert_bits(name, getattr(libm, "glibc_" + name)(x), expected)
