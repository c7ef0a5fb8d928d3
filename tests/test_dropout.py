"""dropout: the mask drawn by hand (manual/dropout.py) against torch's F.dropout and nn.Dropout
(torch_native/dropout.py).

From the same seed, the twins must give the same output and the same gradient to the bit,
leave the same node on top, and leave the generator in the same state (torch's 5056 bytes):
a mask that takes one word too many or too few fails even when its values agree.
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
import manual.dropout
import torch_native.dropout
from tests.strategies import arrays, dtypes
from tests.test_fuzz import any_array, assert_same_outcome
from tests.test_nan import run_both, with_specials

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
# 0 and 1 take their own paths; 0.15 and 0.47 are where 1 / float32(q) != float32(1 / q)
probabilities = st.one_of(st.sampled_from([0.0, 0.15, 0.47, 0.5, 1.0]),
                          st.floats(0, 1, allow_subnormal=False))


def _seed(seed: int) -> None:
    manual.manual_seed(seed)
    torch.manual_seed(seed)


def _same_bits(label: str, m, t) -> None:
    m, t = np.asarray(m), np.asarray(t.detach() if hasattr(t, "detach") else t)
    assert m.shape == t.shape and m.dtype == t.dtype, (label, m.shape, t.shape, m.dtype, t.dtype)
    assert m.tobytes() == t.tobytes(), (label, m, t)


def _same_generator() -> None:
    _same_bits("generator state", manual.get_rng_state().array, torch.get_rng_state().numpy())


def test_hand_example_seed_0():
    # MT19937 seeded with 0 starts 2357136044, 2546248239, 3071714933, 3626093760, 2588848963,
    # 3684848379, 2340255427, 3638918503. Element j takes words 2j, 2j + 1 as one 53-bit u
    # whose top 21 bits are the low 21 bits of word 2j: u < 1/2 exactly when bit 20 of word
    # 2j is 0. Those bits are 1, 1, 0, 1: only x[2] is kept, and scaled by 1 / (1 - 1/2) = 2.
    for side, lib in ((manual.dropout, manual), (torch_native.dropout, torch)):
        lib.manual_seed(0)
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = side.dropout(x, p=0.5)
        assert y.tolist() == [0.0, 0.0, 6.0, 0.0]
        y.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 2.0, 0.0]          # dy noise: the same mask
    _same_generator()


@st.composite
def dropout_cases(draw):
    dtype = draw(dtypes)
    shape = draw(shapes)
    return (draw(seeds), draw(arrays(dtype, shape)), draw(probabilities), draw(st.booleans()),
            draw(arrays(dtype, shape)))


@given(dropout_cases())
@example((0, np.ones((3, 7), np.float32), 0.15, True, np.ones((3, 7), np.float32)))
@example((5, np.ones(0, np.float64), 0.5, True, np.ones(0, np.float64)))
def test_output_gradient_node_and_generator_are_torchs(case):
    seed, x, p, training, grad = case
    _seed(seed)
    m_x, t_x = manual.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m_y = manual.dropout.dropout(m_x, p, training)
    t_y = torch_native.dropout.dropout(t_x, p, training)
    _same_bits("y", m_y.array, t_y)
    _same_generator()
    assert (m_y is m_x) == (t_y is t_x)                   # x itself when nothing is dropped
    t_name = None if t_y.grad_fn is None else type(t_y.grad_fn).__name__
    assert (None if m_y.grad_fn is None else m_y.grad_fn.name()) == t_name
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    _same_bits("dx", m_x.grad.array, t_x.grad)


@given(seeds, st.sampled_from([np.float32, np.float64]), probabilities,
       st.sampled_from(["no grad", "non-leaf"]))
@settings(max_examples=30)
def test_in_place_writes_into_x_as_torch(seed, dtype, p, kind):
    x = np.linspace(-2, 2, 12).astype(dtype).reshape(3, 4)
    _seed(seed)
    sides = []
    for side, lib in ((manual.dropout, manual), (torch_native.dropout, torch)):
        leaf = lib.tensor(x, requires_grad=kind == "non-leaf")
        target = leaf * 1 if kind == "non-leaf" else leaf   # a tensor inside the graph, or not
        y = side.dropout(target, p, inplace=True)
        assert y is target                                   # always x itself
        name = None if y.grad_fn is None else (y.grad_fn.name() if lib is manual
                                               else type(y.grad_fn).__name__)
        if kind == "non-leaf":
            y.sum().backward()
        sides.append((y, name, leaf.grad))
    (m_y, m_name, m_grad), (t_y, t_name, t_grad) = sides
    _same_bits("x after", m_y.array, t_y)
    _same_generator()
    assert m_name == t_name
    if kind == "non-leaf":
        _same_bits("dx", m_grad.array, t_grad)


@given(seeds, st.floats(0, 1), st.lists(st.sampled_from(["train", "eval"]), max_size=4))
@settings(max_examples=30)
def test_module_draws_a_new_mask_each_call_and_none_in_eval(seed, p, modes):
    _seed(seed)
    m, t = manual.dropout.Dropout(p), torch_native.dropout.Dropout(p)
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict()) == []
    x = np.arange(1, 21, dtype=np.float32).reshape(4, 5)
    for mode in modes:
        for module in (m, t):
            getattr(module, mode)()
        assert m.training == t.training
        _same_bits(mode, m(manual.tensor(x)).array, t(torch.tensor(x)))
        _same_generator()


# -- without torch: what dropout must do whatever torch does --------------------------------

@given(seeds, st.sampled_from([0.1, 0.3, 0.5, 0.8]))
@settings(max_examples=20)
def test_each_element_is_dropped_or_scaled_and_the_mask_is_fair(seed, p):
    manual.manual_seed(seed)
    x = np.linspace(0.5, 2, 4000).astype(np.float32)               # no zeros
    y = manual.dropout.dropout(manual.tensor(x), p).array
    kept = y != 0
    scale = np.float32(1) / np.float32(1 - p)                       # (3) in x's dtype
    np.testing.assert_array_equal(y[kept], x[kept] * scale)         # (4)
    # the kept count is Binomial(4000, 1 - p): within 5 standard deviations of its mean
    assert abs(kept.sum() - 4000 * (1 - p)) <= 5 * math.sqrt(4000 * p * (1 - p))


@given(seeds, st.sampled_from([0.2, 0.5]))
@settings(max_examples=20)
def test_gradient_is_the_central_difference_with_the_same_mask(seed, p):
    # y is elementwise and linear in x once the mask is fixed (the same seed), so dx for
    # dy = 1 is (y(x + h) - y(x - h)) / 2h; with x in sixteenths, h = 2^-10 and 1 / (1 - p)
    # = 1.25 or 2, every step of it is exact in float64
    x = np.arange(-15, 15).reshape(5, 6) / 16

    def run(values: np.ndarray, requires_grad: bool = False):
        manual.manual_seed(seed)
        leaf = manual.tensor(values, requires_grad=requires_grad)
        return leaf, manual.dropout.dropout(leaf, p)

    leaf, y = run(x, requires_grad=True)
    y.sum().backward()
    h = 2.0**-10
    difference = (run(x + h)[1].array - run(x - h)[1].array) / (2 * h)
    np.testing.assert_array_equal(leaf.grad.array, difference)


def test_p_zero_eval_and_an_empty_x_return_x_itself_and_draw_nothing():
    x = manual.tensor(np.ones(3, np.float32), requires_grad=True)
    manual.manual_seed(1)
    state = manual.get_rng_state().array.copy()
    for y in (manual.dropout.dropout(x, 0.0), manual.dropout.dropout(x, 0.7, training=False),
              manual.dropout.dropout(x, 1.0, training=False)):
        assert y is x
    empty = manual.tensor(np.ones((2, 0), np.float32))
    assert manual.dropout.dropout(empty, 0.5) is empty
    assert manual.dropout.dropout(x, 1.0).tolist() == [0.0, 0.0, 0.0]   # x 0: no draws
    np.testing.assert_array_equal(manual.get_rng_state().array, state)


# -- NaN and infinity -------------------------------------------------------------------------

@settings(max_examples=30)
@given(dtypes.flatmap(lambda d: with_specials(d, (3, 5))), st.sampled_from([0.3, 0.5, 1.0]))
def test_nan_and_infinities_where_torch_puts_them(x, p):
    # a dropped NaN or inf is x 0 = NaN, and so is dy 0 for an infinite dy (run_both's dy)
    def build(side, lib):
        def call(t):
            lib.manual_seed(3)
            return side.dropout(t, p)
        return call

    run_both(build(manual.dropout, manual), build(torch_native.dropout, torch), [x],
             f"dropout p={p}")


# -- fuzz: any shape, dtype and options ---------------------------------------------------------

options = st.fixed_dictionaries({
    "p": st.sampled_from([0.0, 0.3, 1.0, 1, True, -0.5, 1.5, float("nan")]),
    "training": st.sampled_from([True, False, 1]),
    "inplace": st.booleans(),
})


@settings(max_examples=40)
@given(any_array(), options)
@example(np.arange(4), {"p": 0.3, "training": True, "inplace": False})  # drawn, then refused
def test_fuzz_both_succeed_and_agree_or_both_refuse(x, kwargs):
    def call(ns):
        ns.lib.manual_seed(11)
        return ns.dropout.dropout(ns.lib.tensor(np.array(x)), **kwargs)

    assert_same_outcome("exact", call)
    _same_generator()  # an integer x is refused after its draws, on both sides


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_refusals(twin):
    side = manual.dropout if twin is manual else torch_native.dropout
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        side.Dropout(1.5)
    with pytest.raises(RuntimeError, match="but got nan"):
        side.dropout(twin.ones(2), float("nan"), training=False)
