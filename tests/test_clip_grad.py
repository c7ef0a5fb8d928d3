"""clip_grad: manual/clip_grad.py against torch.nn.utils's clipping, to the bit.

The total norm (returned) and every clipped gradient must be torch's bits, for norm types
2, 1 and inf, float32 and float64, gradients of many sizes (the lanes of torch's sum of
squares and their tail), some parameters without a gradient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.clip_grad as mc
import torch_native.clip_grad as tc
from tests.test_nan import assert_same_specials, with_specials

sizes = st.one_of(st.integers(1, 40), st.sampled_from([63, 64, 65, 257, 1000]))
norms = st.sampled_from([2.0, 1.0, math.inf])
dtypes = st.sampled_from([np.float32, np.float64])


def _params(lib, grads):
    params = []
    for g in grads:
        p = lib.zeros(len(g) if g is not None else 3, dtype=lib.float32)
        if g is not None:
            p = lib.tensor(np.zeros_like(g), requires_grad=True)
            p.grad = lib.tensor(g.copy())
        params.append(p)
    return params


def test_hand_example_the_total_norm_of_two_gradients():
    # g1 = (3, 4), g2 = (12,): norms 5 and 12, total sqrt(25 + 144) = 13; max_norm 6.5 gives
    # c = 6.5 / (13 + 1e-6), so g1 -> about (1.5, 2), g2 -> about (6,)
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, [np.float32([3, 4]), np.float32([12])])
        total = side.clip_grad_norm_(params, 6.5)
        assert float(total) == 13.0
        np.testing.assert_allclose(np.asarray(params[0].grad), [1.5, 2.0], rtol=1e-6)


@st.composite
def gradient_lists(draw):
    dtype = draw(dtypes)
    elements = st.floats(-4, 4, width=32 if dtype == np.float32 else 64, allow_subnormal=False)
    grads = draw(st.lists(st.one_of(st.none(), sizes.flatmap(
        lambda n: hnp.arrays(dtype, n, elements=elements))), min_size=1, max_size=4))
    return grads


@given(gradient_lists(), norms, st.sampled_from([0.01, 0.5, 1.0, 1e3]), st.booleans())
def test_the_total_norm_and_the_clipped_gradients_are_torchs_bits(grads, norm_type, max_norm,
                                                                   one_tensor):
    got = []
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, grads)
        target = params[0] if one_tensor else params
        total = side.clip_grad_norm_(target, max_norm, norm_type)
        kept = params[:1] if one_tensor else params
        got.append((np.asarray(total).tobytes(), str(np.asarray(total).dtype),
                    [None if p.grad is None else np.asarray(p.grad).tobytes() for p in params],
                    len(kept)))
    assert got[0] == got[1]


@given(gradient_lists(), st.sampled_from([0.0, 0.25, 3.0]))
def test_clip_by_value_is_torchs(grads, value):
    got = []
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, grads)
        if all(g is None for g in grads):
            with pytest.raises(RuntimeError, match="nested_tensorlist"):
                side.clip_grad_value_(params, value)
            got.append("refused")
            continue
        side.clip_grad_value_(params, value)
        got.append([None if p.grad is None else np.asarray(p.grad).tobytes() for p in params])
    assert got[0] == got[1]


@given(st.data(), norms, dtypes)
def test_nan_and_inf_where_torch_puts_them(data, norm_type, dtype):
    g = data.draw(with_specials(np.dtype(dtype), (5,)))
    out = []
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, [g])
        total = side.clip_grad_norm_(params, 1.0, norm_type)
        out.append((total, params[0].grad))
    assert_same_specials("total", out[0][0], out[1][0])
    assert_same_specials("grad", out[0][1], out[1][1])


def test_refusals_and_warnings_as_torch():
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, [np.float32([np.inf, 1.0])])
        with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
            side.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
        with pytest.warns(UserWarning, match="empty generator"):
            assert float(side.clip_grad_norm_((p for p in []), 1.0)) == 0.0


@given(gradient_lists(), norms)
def test_without_torch_the_clipped_norm_is_at_most_max_norm(grads, norm_type):
    params = _params(manual, grads)
    total = float(mc.clip_grad_norm_(params, 0.5, norm_type))
    after = [np.abs(p.grad.array.astype(np.float64)) for p in params if p.grad is not None]
    if after and total > 0.5:
        flat = np.concatenate(after)
        norm = flat.max() if norm_type == math.inf else (flat**norm_type).sum()**(1 / norm_type)
        assert norm <= 0.5 * (1 + 1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_norm_of_every_length_is_torchs_bits(dtype):
    # each length from 1 to 79: whole lanes, and every tail (rounded and fused squares)
    from manual._parity.clip_grad import vector_norm

    rng = np.random.default_rng(0)
    for n in range(1, 80):
        for _ in range(4):
            x = rng.standard_normal(n).astype(dtype)
            for q in (2.0, 1.0, math.inf):
                mine = np.asarray(vector_norm(x, q))
                theirs = torch.linalg.vector_norm(torch.from_numpy(x), q).numpy()
                assert mine.tobytes() == theirs.tobytes(), (n, q)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize(("dtype", "size", "value"), [
    (np.float32, 20, 3e38), (np.float32, 2, 3e38), (np.float32, 20, 1e30),
    (np.float64, 9, 1e300), (np.float64, 2, 1.7e308)])
def test_a_norm_past_the_dtypes_range_is_inf_silently_as_torch(norm_type, dtype, size, value):
    """Finite gradients whose norm overflows: the total is inf and every gradient becomes 0,
    with no warning (RuntimeWarnings are errors in the tests)."""
    g = np.full(size, value, dtype)
    out = []
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, [g])
        out.append((np.asarray(side.clip_grad_norm_(params, 1.0, norm_type)).tobytes(),
                    np.asarray(params[0].grad).tobytes()))
    assert out[0] == out[1]


@pytest.mark.parametrize("sizes", [[1], [0], [1, 0, 3], [0, 0]], ids=str)
def test_gradients_of_one_element_or_none_clip_as_torch(sizes):
    """A gradient of one element is its own norm (|g|), an empty one adds nothing."""
    out = []
    for lib, side in ((manual, mc), (torch, tc)):
        params = _params(lib, [np.full(n, -3.0, np.float32) for n in sizes])
        total = side.clip_grad_norm_(params, 1.0)
        out.append((np.asarray(total).tobytes(),
                    [np.asarray(p.grad).tobytes() for p in params]))
    assert out[0] == out[1]
