"""embedding: the lookup and the adds of its gradient by hand (manual/embedding.py) against
torch's F.embedding and nn.Embedding (torch_native/embedding.py).

The forward copies rows and the backward adds rows of dy one at a time in the order of the
indices, as torch does: outputs, gradients, rows scaled by max_norm and initial weights must
agree to the bit ("exact"). The one exception is max_norm with a float32 W and a norm_type
other than 0, 1, 2 and +-inf, where torch's powf is not reproduced (its bound is below).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.embedding
import torch_native.embedding
from reference.distance import distance
from tests.strategies import arrays, dtypes
from tests.test_fuzz import any_array, assert_same_outcome, values
from tests.test_nan import run_both, with_specials

index_dtypes = st.sampled_from([np.int64, np.int32])
index_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
EXACT_NORMS = (2.0, 1.0, 0.0, math.inf, -math.inf)       # summed and compared without pow


def _varied(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    """Like tests.strategies.arrays, but every element drawn on its own (no array filled
    with one value), so that the rows a repeated index adds up differ."""
    elements = st.floats(-8, 8, width=8 * np.dtype(dtype).itemsize, allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=elements, fill=st.nothing())


def _same_bits(label: str, m, t) -> None:
    m, t = np.asarray(m), np.asarray(t.detach() if hasattr(t, "detach") else t)
    assert m.shape == t.shape and m.dtype == t.dtype, (label, m.shape, t.shape, m.dtype, t.dtype)
    assert m.tobytes() == t.tobytes(), (label, m, t)


def _both(*arrays_: np.ndarray, grad: bool = False) -> tuple[list, list]:
    return ([manual.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays_],
            [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays_])


def test_hand_example():
    # W has rows 0, 1, 2 = [1, 2], [3, 4], [5, 6]; i = [[2, 0], [2, 1]] looks up rows
    # 2, 0, 2, 1. With dy = 1 everywhere, dW adds a row of ones per lookup: row 2 twice.
    # padding_idx = 2 leaves row 2 without a gradient; scale_grad_by_freq divides each add
    # by how often its row is looked up (row 2: twice 1/2).
    w = np.float32([[1, 2], [3, 4], [5, 6]])
    i = np.int64([[2, 0], [2, 1]])
    for options, row_2 in (({}, 2.0), ({"padding_idx": 2}, 0.0),
                           ({"scale_grad_by_freq": True}, 1.0)):
        for side, lib in ((manual.embedding, manual), (torch_native.embedding, torch)):
            weight = lib.tensor(w, requires_grad=True)
            y = side.embedding(lib.tensor(i), weight, **options)
            assert y.tolist() == [[[5, 6], [1, 2]], [[5, 6], [3, 4]]]
            y.sum().backward()
            assert weight.grad.tolist() == [[1, 1], [1, 1], [row_2, row_2]]


@st.composite
def lookups(draw):
    """W (V, D), indices in [0, V) (few rows, so repeats are common), padding_idx in
    [-V, V) or None, scale_grad_by_freq, and dy."""
    dtype = draw(dtypes)
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(0, 6))
    w = draw(arrays(dtype, (rows, cols)))
    shape = draw(index_shapes)
    i = draw(hnp.arrays(draw(index_dtypes), shape, elements=st.integers(0, rows - 1)))
    options = {"padding_idx": draw(st.one_of(st.none(), st.integers(-rows, rows - 1))),
               "scale_grad_by_freq": draw(st.booleans())}
    return w, i, options, draw(_varied(dtype, shape + (cols,)))


@given(lookups())
@example((np.float32([[1, 2], [3, 4]]), np.int64([1, 1, 1, 0]),
          {"padding_idx": -2, "scale_grad_by_freq": True}, np.float32([[0.1, 3]] * 4)))
@example((np.float32([[1, 2], [3, 4]]), np.int64([1, 0, 1, 1]),
          {"padding_idx": None, "scale_grad_by_freq": False},
          np.float32([[0.1, 3], [1, 1], [2**-20, 7], [1e-3, -1]])))
def test_lookup_and_gradient_are_torchs(case):
    w, i, options, grad = case
    (m_i, m_w), (t_i, t_w) = _both(i, w, grad=True)
    m_y = manual.embedding.embedding(m_i, m_w, **options)
    t_y = torch_native.embedding.embedding(t_i, t_w, **options)
    _same_bits("y", m_y.array, t_y)
    assert m_y.grad_fn.name() == type(t_y.grad_fn).__name__
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    _same_bits("dW", m_w.grad.array, t_w.grad)


@st.composite
def renorms(draw, exact: bool = True):
    """W with rows of various lengths, indices, max_norm and norm_type: any norm_type for
    float64, and for float32 those computed without pow (or, exact=False, only with pow)."""
    dtype = draw(dtypes) if exact else np.dtype(np.float32)
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 20))
    w = draw(_varied(dtype, (rows, cols))) / 2                     # in [-4, 4]
    i = draw(hnp.arrays(np.int64, draw(index_shapes), elements=st.integers(0, rows - 1)))
    powers = st.sampled_from([3.0, 0.5, 1.5, -1.0, 2.5])
    norm = draw(st.sampled_from(EXACT_NORMS) if dtype == np.float32 and exact else (
        powers if not exact else st.one_of(st.sampled_from(EXACT_NORMS), powers)))
    return w, i, draw(st.floats(0.0625, 8.0)), norm, draw(arrays(dtype, i.shape + (cols,)))


# a row whose 2-norm in float32 needs torch's 8 lanes (4 lanes give 1 ULP less)
LANES_MATTER = np.float32([[0.0945729985833168, 3.6037094593048096, -2.8467230796813965,
                            3.589195489883423, -1.5053483247756958, -0.6133884191513062,
                            2.6216206550598145, -0.7264069318771362, 0.39674949645996094,
                            -3.779527187347412, 2.028104782104492, 0.3051465153694153,
                            -1.362146258354187, 2.307429552078247, -1.5744413137435913,
                            -0.37201687693595886]])


@given(renorms())
@example((np.float32([[3, 4], [0.3, 0.4]]), np.int64([0, 1, 0]), 1.0, 2.0,
          np.ones((3, 2), np.float32)))
@example((LANES_MATTER, np.int64([0]), 1.0, 2.0, np.ones((1, 16), np.float32)))
def test_max_norm_scales_the_rows_looked_up_as_torch(case):
    w, i, max_norm, norm_type, grad = case
    (m_i, m_w), (t_i, t_w) = _both(i, w, grad=True)
    m_y = manual.embedding.embedding(m_i, m_w, max_norm=max_norm, norm_type=norm_type)
    t_y = torch_native.embedding.embedding(t_i, t_w, max_norm=max_norm, norm_type=norm_type)
    _same_bits("W after", m_w.array, t_w)
    _same_bits("y", m_y.array, t_y)
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    _same_bits("dW", m_w.grad.array, t_w.grad)


def _powf_bound(cols: int, p: float) -> float:
    """ULPs between the twins' rows for a float32 p-norm, p not 0, 1, 2 or +-inf.

    torch's powf and the twin's pow rounded from double are both within 1 ULP of |x|^p, so
    each term differs by at most 2u of itself (u = 2^-24); the sums of D positive terms, each
    add rounded, then differ by at most 2u + 2(D - 1)u = 2Du of the sum; the 1/p-th power
    multiplies that by |1/p| and both sides round it (2u more), the double max_norm / (r +
    1e-7) carries it, and rounding the factor and the product adds 2u: (2D / |p| + 4)u of
    the row's values, at most (2D / |p| + 4) ULP. A row within that of max_norm may be
    scaled on one side only: off by r / max_norm - 1, the same bound.
    """
    return 2 * cols / abs(p) + 4


@given(renorms(exact=False))
@settings(max_examples=30)
def test_max_norm_with_powf_is_within_its_bound(case):
    w, i, max_norm, norm_type, _ = case
    (m_i, m_w), (t_i, t_w) = _both(i, w)
    manual.embedding.embedding(m_i, m_w, max_norm=max_norm, norm_type=norm_type)
    torch_native.embedding.embedding(t_i, t_w, max_norm=max_norm, norm_type=norm_type)
    gap = distance(m_w.array, t_w.numpy())
    assert gap.max_ulp <= _powf_bound(w.shape[1], norm_type), gap


@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (5, 3), (10, 3), (4, 4), (100, 7)])
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_initial_weights_and_generator_are_torchs(shape, padding_idx):
    # fewer than 16 elements are drawn one at a time and an odd count leaves a value cached:
    # two modules in a row check that the second takes it as torch's does
    manual.manual_seed(7)
    torch.manual_seed(7)
    for _ in range(2):
        m = manual.embedding.Embedding(*shape, padding_idx=padding_idx)
        t = torch_native.embedding.Embedding(*shape, padding_idx=padding_idx)
        _same_bits("weight", m.weight.array, t.weight)
        _same_bits("generator", manual.get_rng_state().array, torch.get_rng_state().numpy())
    assert repr(m) == repr(t) and m.padding_idx == t.padding_idx
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]


@pytest.mark.parametrize("options", [
    {}, {"padding_idx": 1, "max_norm": 2.0}, {"norm_type": 1.0, "scale_grad_by_freq": True},
    {"sparse": True, "dtype": "float64"}, {"_freeze": True}])
def test_module_state_and_calls_as_torch(options):
    kwargs = dict(options)
    dtype = kwargs.pop("dtype", "float32")
    m = manual.embedding.Embedding(4, 3, dtype=getattr(np, dtype), **kwargs)
    t = torch_native.embedding.Embedding(4, 3, dtype=getattr(torch, dtype), **kwargs)
    assert repr(m) == repr(t)
    assert m.weight.requires_grad == t.weight.requires_grad
    m.load_state_dict(t.state_dict())
    _same_bits("loaded", m.weight.array, t.weight)
    i = np.int64([[3, 1], [1, 1]])
    with manual.no_grad(), torch.no_grad():  # a sparse gradient is torch's only (see below)
        _same_bits("y", m(manual.tensor(i)).array, t(torch.tensor(i)))
    _same_bits("weight after", m.weight.array, t.weight)
    if m.weight.requires_grad and not kwargs.get("sparse"):  # the module's options reach
        dy = np.arange(12, dtype=dtype).reshape(2, 2, 3)      # the gradient too
        m(manual.tensor(i)).backward(manual.tensor(dy))
        t(torch.tensor(i)).backward(torch.tensor(dy))
        _same_bits("weight.grad", m.weight.grad.array, t.weight.grad)
    elif kwargs.get("sparse"):
        with pytest.raises(NotImplementedError, match="sparse"):
            m(manual.tensor(i))


def test_from_pretrained_holds_the_table_frozen_unless_told():
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    for freeze in (True, False):
        m = manual.embedding.Embedding.from_pretrained(manual.tensor(w), freeze, padding_idx=1)
        t = torch_native.embedding.Embedding.from_pretrained(torch.tensor(w), freeze,
                                                             padding_idx=1)
        assert repr(m) == repr(t) and m.weight.requires_grad == t.weight.requires_grad
        _same_bits("weight", m.weight.array, t.weight)  # the padding row kept as given


def test_sparse_gradients_are_refused_only_where_one_would_be_made():
    i, w = np.int64([0, 2]), np.ones((3, 2), np.float32)
    with pytest.raises(NotImplementedError, match="sparse"):
        manual.embedding.embedding(manual.tensor(i), manual.tensor(w, requires_grad=True),
                                   sparse=True)
    with manual.no_grad():
        y = manual.embedding.embedding(manual.tensor(i), manual.tensor(w, requires_grad=True),
                                       sparse=True)
    _same_bits("y", y.array, torch_native.embedding.embedding(torch.tensor(i),
                                                              torch.tensor(w), sparse=True))


# -- without torch: what a lookup must do whatever torch does ---------------------------------

@given(lookups())
@settings(max_examples=30)
def test_gradient_is_the_central_difference(case):
    # L = sum(c y) is linear in W: dL/dW[k, d] = (L(W + h e_kd) - L(W - h e_kd)) / 2h. In
    # float64 with W, c in sixteenths and h = 2^-4 every term is exact, so the differences
    # are exact; scale_grad_by_freq's 1/c(k) is not part of L's derivative and is left out
    w, i, options, _ = case
    w = np.round(w.astype(np.float64) * 16) / 16
    c = np.round(np.linspace(-2, 2, i.size * w.shape[1]) * 16).reshape(i.shape + w.shape[1:]) / 16
    padding_idx = options["padding_idx"]

    def loss(table: np.ndarray) -> float:
        y = manual.embedding.embedding(manual.tensor(i), manual.tensor(table), padding_idx)
        return float((y.array * c).sum())

    weight = manual.tensor(w, requires_grad=True)
    (manual.embedding.embedding(manual.tensor(i), weight, padding_idx) *
     manual.tensor(c)).sum().backward()
    h = 2.0**-4
    expected = np.zeros_like(w)
    for k, d in np.ndindex(*w.shape):
        step = np.zeros_like(w)
        step[k, d] = h
        expected[k, d] = (loss(w + step) - loss(w - step)) / (2 * h)
    if padding_idx is not None:
        expected[padding_idx] = 0                                   # (3) the padding row
    np.testing.assert_array_equal(weight.grad.array, expected)


@given(renorms(exact=False))
@settings(max_examples=20)
def test_max_norm_leaves_no_row_looked_up_longer_than_max_norm(case):
    w, i, max_norm, _, _ = case
    weight = manual.tensor(w.astype(np.float64))
    manual.embedding.embedding(manual.tensor(i), weight, max_norm=max_norm)
    norms = np.linalg.norm(weight.array, axis=1)
    looked_up = np.isin(np.arange(len(w)), i)
    assert (norms[looked_up] <= max_norm * (1 + 1e-12)).all()
    np.testing.assert_array_equal(weight.array[~looked_up], w[~looked_up])  # others untouched


# -- NaN and infinity -------------------------------------------------------------------------

@settings(max_examples=30)
@given(dtypes.flatmap(lambda d: with_specials(d, (4, 3))), st.sampled_from([None, 1]),
       st.sampled_from([None, 1.0]))
def test_nan_and_infinities_where_torch_puts_them(w, padding_idx, max_norm):
    i = [[0, 2], [2, 1], [1, 1]]

    def build(side, lib):
        def call(weight):
            return side.embedding(lib.tensor(i), weight, padding_idx, max_norm)
        return call

    run_both(build(manual.embedding, manual), build(torch_native.embedding, torch), [w],
             f"embedding padding_idx={padding_idx} max_norm={max_norm}")


# -- fuzz: any shape, dtype and options ---------------------------------------------------------

@st.composite
def fuzz_args(draw):
    w = draw(any_array())
    rows = w.shape[0] if w.ndim else 1
    others = st.sampled_from([np.dtype(t) for t in (np.float32, np.int16, np.bool_)])
    i = draw(st.one_of(hnp.arrays(st.sampled_from([np.int64, np.int32]), index_shapes,
                                  elements=st.integers(-1, rows)),
                       any_array(index_shapes, others)))  # refused: not Long or Int
    options = {"padding_idx": draw(st.one_of(st.none(), st.integers(-rows - 1, rows))),
               "max_norm": draw(st.sampled_from([None, 1.0])),
               "norm_type": draw(st.sampled_from([2.0, 1.0, math.inf, 3.0])),
               "scale_grad_by_freq": draw(st.booleans()), "sparse": draw(st.booleans())}
    return w, i, options


@settings(max_examples=40)
@given(fuzz_args())
def test_fuzz_both_succeed_and_agree_or_both_refuse(args):
    w, i, options = args
    if w.dtype == np.float32 and options["norm_type"] == 3.0:
        options["norm_type"] = 2.0                        # powf: bounded, tested above

    def call(ns):
        weight = ns.lib.tensor(np.array(w))
        return ns.embedding.embedding(ns.lib.tensor(np.array(i)), weight, **options), weight

    assert_same_outcome("exact", call)


@given(index_shapes.flatmap(lambda s: values(np.dtype(np.int64), s)))
@settings(max_examples=20)
def test_fuzz_the_module_as_torch(i):
    def call(ns):
        ns.lib.manual_seed(2)
        return ns.embedding.Embedding(3, 2, padding_idx=-1)(ns.lib.tensor(np.array(i)))

    assert_same_outcome("exact", call)


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_refusals(twin):
    side = manual.embedding if twin is manual else torch_native.embedding
    w = twin.ones(4, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        side.embedding(twin.tensor([4]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        side.Embedding(4, 3, padding_idx=-5)
