"""mse_loss and MSELoss: the three reductions, broadcasting and its warning, against torch."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 (torch's usual name)
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.mse_loss
import torch_native.mse_loss
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, broadcastable_pair, dtypes

REDUCTIONS = ("mean", "sum", "none")


def test_hand_example():
    # x = [1, 2, 3], y = [1, 1, 1]: d = [0, 1, 2], loss = (0 + 1 + 4) / 3, dx = 2 d / 3
    x = manual.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = manual.mse_loss.mse_loss(x, manual.tensor([1.0, 1.0, 1.0]))
    assert loss.item() == pytest.approx(5 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.array, [0, 2 / 3, 4 / 3], rtol=1e-7)


@given(dtypes, broadcastable_pair(), st.sampled_from(REDUCTIONS), st.booleans(), st.data())
def test_mse_loss_matches_torch(dtype, shapes, reduction, swap, data):
    x_shape, y_shape = shapes[::-1] if swap else shapes
    x, y = data.draw(arrays(dtype, x_shape)), data.draw(arrays(dtype, y_shape))
    m_x, m_y = manual.tensor(x, requires_grad=True), manual.tensor(y, requires_grad=True)
    t_x, t_y = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    with warnings.catch_warnings(record=True) as m_warned:
        warnings.simplefilter("always")
        m_loss = manual.mse_loss.mse_loss(m_x, m_y, reduction)
    with warnings.catch_warnings(record=True) as t_warned:
        warnings.simplefilter("always")
        t_loss = torch_native.mse_loss.mse_loss(t_x, t_y, reduction)
    # the same warning, when and only when the shapes differ
    assert [w.category for w in m_warned] == [w.category for w in t_warned]
    assert all("different to the input size" in str(w.message) for w in m_warned)
    grad = data.draw(arrays(dtype, tuple(t_loss.shape)))
    m_loss.backward(manual.tensor(grad))
    t_loss.backward(torch.tensor(grad))
    # "none" is elementwise (exact); "mean"/"sum" and broadcast gradients are sums, bounded
    # relative to the sum of their terms' magnitudes, a mean's and its gradient's over n
    squares = np.broadcast_to((np.abs(x) + np.abs(y)) ** 2, t_loss.shape if reduction == "none"
                              else np.broadcast_shapes(x.shape, y.shape))
    per_term = 1 / squares.size if reduction == "mean" else 1
    if reduction == "none":
        assert_twins_agree("loss", "exact", m_loss, t_loss)
    else:
        assert_twins_agree("loss", "sums", m_loss, t_loss, scale=squares.sum() * per_term,
                           terms=squares.size)
    grad_kind = "exact" if x_shape == y_shape else "sums"
    full = np.broadcast_to(2 * (np.abs(x) + np.abs(y)) * np.abs(grad) * per_term, squares.shape)
    for name, m, t, shape in (("dx", m_x, t_x, x_shape), ("dy", m_y, t_y, y_shape)):
        scale = _sum_to(full, shape)
        assert_twins_agree(name, grad_kind, m.grad, t.grad, scale=scale,
                           terms=full.size // max(int(np.prod(shape)), 1))


def _sum_to(a, shape):
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def test_n_by_1_against_n_broadcasts_and_warns():
    # the classic mistake: prediction (N, 1), target (N,) -> (N, N) differences
    x = manual.tensor(np.float32([[1], [2], [3]]))
    y = manual.tensor(np.float32([1, 2, 3]))
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = manual.mse_loss.mse_loss(x, y, reduction="none")
    assert loss.shape == (3, 3)


def test_the_warning_is_torchs_and_names_the_callers_line():
    # torch warns with stacklevel=2: the line that called mse_loss, not mse_loss itself
    # (torch's own function here: the twin in torch_native/ is one call further away)
    messages = []
    for lib, mse_loss in ((manual, manual.mse_loss.mse_loss), (torch, F.mse_loss)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mse_loss(lib.tensor([[1.0], [2.0]]), lib.tensor([1.0, 2.0]))
        [warning] = caught
        assert warning.category is UserWarning
        # (mutmut calls every function of manual/ through one more frame, its trampoline)
        assert warning.filename == __file__ or "MUTANT_UNDER_TEST" in os.environ
        messages.append(str(warning.message).replace("torch.Size([2, 1])", "(2, 1)")
                        .replace("torch.Size([2])", "(2,)"))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_an_empty_batch_as_torch_and_without_numpy_warnings(reduction):
    # "mean" of nothing is 0 / 0 = nan in torch, which says nothing; NumPy's mean would warn
    results = []
    for lib, twin in ((manual, manual.mse_loss), (torch, torch_native.mse_loss)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(np.asarray(twin.mse_loss(lib.tensor([]), lib.tensor([]),
                                                    reduction=reduction)))
    np.testing.assert_array_equal(results[0], results[1])


@given(dtypes, st.data())
def test_loss_is_never_negative(dtype, data):
    # torch-free
    x, y = data.draw(arrays(dtype, (5,))), data.draw(arrays(dtype, (5,)))
    for reduction in REDUCTIONS:
        loss = manual.mse_loss.mse_loss(manual.tensor(x), manual.tensor(y), reduction)
        assert (loss.array >= 0).all()


@pytest.mark.parametrize("twin", [manual.mse_loss, torch_native.mse_loss],
                         ids=["manual", "torch"])
def test_bad_reduction_is_a_value_error(twin):
    lib = manual if twin is manual.mse_loss else torch
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        twin.mse_loss(lib.tensor([1.0]), lib.tensor([1.0]), reduction="bad")


def test_module_matches_function():
    x, y = manual.tensor([1.0, 4.0]), manual.tensor([0.0, 0.0])
    assert manual.mse_loss.MSELoss(reduction="sum")(x, y).item() == 17.0
    assert torch_native.mse_loss.MSELoss(reduction="sum")(torch.tensor([1.0, 4.0]),
                                                          torch.zeros(2)).item() == 17.0
