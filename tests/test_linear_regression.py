"""The thermometer of "Deep Learning with PyTorch", chapter 5: the book's numbers, and the
hand-derived gradient against autograd."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual.linear_regression as hand
import torch_native.linear_regression as auto
from reference.distance import normwise
from tests.helpers import assert_twins_agree

T_U = np.float32(hand.T_U) * np.float32(0.1)  # the book's t_un: readings scaled by 0.1
T_C = np.float32(hand.T_C)
START = np.float32([1.0, 0.0])


def loss_at(params) -> float:
    w, b = np.asarray(params)
    return float(hand.loss_fn(hand.model(T_U, w, b), T_C))


def test_the_books_numbers():
    assert f"{loss_at(START):.6f}" == "80.364342"           # epoch 1
    params = hand.training_loop(5000, 1e-2, START, T_U, T_C)
    np.testing.assert_array_equal(np.round(np.asarray(params), 4), np.float32([5.3671, -17.3012]))
    # the book prints the loss of epoch 5000, computed before that epoch's update
    before_last = hand.training_loop(4999, 1e-2, START, T_U, T_C)
    assert f"{loss_at(before_last):.6f}" == "2.927648"


def test_the_books_numbers_with_autograd():
    params = auto.training_loop(5000, 1e-2, torch.tensor(START), torch.tensor(T_U),
                                torch.tensor(T_C))
    np.testing.assert_array_equal(np.round(params.numpy(), 4), np.float32([5.3671, -17.3012]))


@st.composite
def points(draw):
    w = draw(st.floats(-3, 3, width=32))
    b = draw(st.floats(-3, 3, width=32))
    return np.float32(w), np.float32(b)


@given(points())
def test_hand_derived_derivatives_match_autograd(point):
    w, b = point
    t_u, t_c = T_U, T_C
    tw, tb, ttu, ttc = (torch.tensor(v) for v in (w, b, t_u, t_c))
    t_p = hand.model(t_u, w, b)
    assert_twins_agree("model", "exact", t_p, auto.model(ttu, tw, tb))
    n = len(t_u)
    assert_twins_agree("loss_fn", "sums", hand.loss_fn(t_p, t_c),
                       auto.loss_fn(torch.tensor(t_p), ttc), scale=((t_p - t_c) ** 2).mean(),
                       terms=n)
    assert_twins_agree("dloss_fn", "reordered", hand.dloss_fn(t_p, t_c),
                       auto.dloss_fn(torch.tensor(t_p), ttc))
    assert_twins_agree("dmodel_dw", "exact", hand.dmodel_dw(t_u, w, b), auto.dmodel_dw(ttu, tw, tb))
    assert_twins_agree("dmodel_db", "exact", np.broadcast_to(np.float32(hand.dmodel_db(t_u, w, b)),
                                                             t_u.shape),
                       auto.dmodel_db(ttu, tw, tb))
    # sums of n terms; each term is also within 5u of the other side's (the "reordered"
    # formula's 3u, then the product by t_u rounding on each side), 2.5 ULP of the scale in
    # all: counted as two terms more (2 x 2 ULP)
    scale = np.stack([np.abs(hand.dloss_fn(t_p, t_c) * t_u).sum(),
                      np.abs(hand.dloss_fn(t_p, t_c)).sum()])
    assert_twins_agree("grad_fn", "sums", hand.grad_fn(t_u, t_c, t_p, w, b),
                       auto.grad_fn(ttu, ttc, torch.tensor(t_p), tw, tb), scale=scale,
                       terms=n + 2)


def test_training_loops_agree():
    for n_epochs in (1, 100, 5000):
        params = hand.training_loop(n_epochs, 1e-2, START, T_U, T_C)
        expected = auto.training_loop(n_epochs, 1e-2, torch.tensor(START), torch.tensor(T_U),
                                      torch.tensor(T_C))
        assert_twins_agree(f"params after {n_epochs}", "linear_regression", params, expected,
                           scale=normwise(expected))


def test_gradient_descent_lowers_the_loss():
    # torch-free: every epoch at this learning rate lowers the loss
    params, losses = START, []
    for _ in range(50):
        losses.append(loss_at(params))
        params = np.asarray(hand.training_loop(1, 1e-2, params, T_U, T_C))
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
