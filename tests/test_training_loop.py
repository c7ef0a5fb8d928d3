"""train_epoch and fit: the loop spelled out against the loop as written with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.linear
import manual.mse_loss
import manual.sgd
import manual.training_loop
import torch_native.linear
import torch_native.mse_loss
import torch_native.sgd
import torch_native.training_loop
from reference.distance import normwise
from reference.scales import path_scales
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, dtypes


def make_pair(n_in, n_out, dtype, seed, sgd_options):
    """The same Linear model and SGD on both sides, from one seed."""
    manual.manual_seed(seed)
    torch.manual_seed(seed)
    m_model = manual.linear.Linear(n_in, n_out)
    t_model = torch_native.linear.Linear(n_in, n_out).to(torch.float64 if dtype == np.float64
                                                           else torch.float32)
    if dtype == np.float64:
        for p in m_model.parameters():
            p.array = p.array.astype(np.float64)
    m_opt = manual.sgd.SGD(m_model.parameters(), **sgd_options)
    t_opt = torch_native.sgd.SGD(t_model.parameters(), **sgd_options)
    return (m_model, m_opt), (t_model, t_opt)


def test_hand_example():
    # one weight, one batch: w = 1, x = 2, y = 6: loss = (2 - 6)^2 = 16, dw = 2 (2-6) 2 = -16,
    # SGD lr 0.1: w = 1 + 1.6 = 2.6
    model = manual.linear.Linear(1, 1, bias=False)
    model.weight.array[...] = 1.0
    opt = manual.sgd.SGD(model.parameters(), lr=0.1)
    loader = [(manual.tensor([[2.0]]), manual.tensor([[6.0]]))]
    loss = manual.training_loop.train_epoch(model, manual.mse_loss.mse_loss, opt, loader)
    assert loss == 16.0
    assert model.weight.item() == pytest.approx(2.6)


@settings(max_examples=20)
@given(dtypes, st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.integers(0, 2**31),
       st.sampled_from([{"lr": 0.05}, {"lr": 0.05, "momentum": 0.9},
                        {"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}]),
       st.data())
def test_fit_matches_torch(dtype, n_in, n_out, n_batches, seed, sgd_options, data):
    batches = [(data.draw(arrays(dtype, (3, n_in), bound=2)),
                data.draw(arrays(dtype, (3, n_out), bound=2))) for _ in range(n_batches)]
    (m_model, m_opt), (t_model, t_opt) = make_pair(n_in, n_out, dtype, seed, sgd_options)
    m_loader = [(manual.tensor(x), manual.tensor(y)) for x, y in batches]
    t_loader = [(torch.tensor(x), torch.tensor(y)) for x, y in batches]
    travelled = path_scales(t_opt, list(t_model.parameters()))
    m_losses = manual.training_loop.fit(m_model, manual.mse_loss.mse_loss, m_opt, m_loader, 3)
    t_losses = torch_native.training_loop.fit(t_model, torch_native.mse_loss.mse_loss, t_opt,
                                              t_loader, 3)
    assert_twins_agree("epoch losses", "training_loop", np.array(m_losses, dtype),
                       np.array(t_losses, dtype), scale=normwise(np.array(t_losses, dtype)))
    for (name, m_p), t_p, scale in zip(m_model.named_parameters(), t_model.parameters(),
                                       travelled):
        assert_twins_agree(name, "training_loop", m_p, t_p, scale=normwise(scale))


def test_train_epoch_returns_the_mean_of_batch_losses():
    # torch-free: lr = 0 leaves the model as it is, so each batch loss is known in advance
    model = manual.linear.Linear(2, 1)
    opt = manual.sgd.SGD(model.parameters(), lr=0.0)
    loader = [(manual.tensor(np.float32([[1, 2]])), manual.tensor(np.float32([[k]])))
              for k in range(3)]
    expected = [manual.mse_loss.mse_loss(model(x), y).item() for x, y in loader]
    loss = manual.training_loop.train_epoch(model, manual.mse_loss.mse_loss, opt, loader)
    assert loss == sum(expected) / 3


def test_an_empty_loader_is_refused():
    model = manual.linear.Linear(2, 1)
    opt = manual.sgd.SGD(model.parameters())
    with pytest.raises(ValueError, match="no batches"):
        manual.training_loop.train_epoch(model, manual.mse_loss.mse_loss, opt, [])


def test_epoch_mean_is_over_batches_even_when_the_last_batch_is_smaller():
    # 5 items in batches of 2: the last batch holds one item, and the epoch loss is the mean
    # of the 3 batch losses (as both loops compute it), not the mean over the 5 items
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 2)).astype(np.float32), rng.standard_normal((5, 1))
    y = y.astype(np.float32)
    losses = []
    for lib, twin in ((manual, manual), (torch, torch_native)):
        (manual.manual_seed if lib is manual else torch.manual_seed)(4)
        model = twin.linear.Linear(2, 1)
        optimizer = twin.sgd.SGD(model.parameters(), lr=0.0)
        loader = [(lib.tensor(x[i:i + 2]), lib.tensor(y[i:i + 2])) for i in range(0, 5, 2)]
        batch_losses = [twin.mse_loss.mse_loss(model(a), b).item() for a, b in loader]
        epoch = twin.training_loop.train_epoch(model, twin.mse_loss.mse_loss, optimizer, loader)
        assert epoch == sum(batch_losses) / 3
        item_mean = sum(loss * len(b) for loss, (_, b) in zip(batch_losses, loader)) / 5
        assert epoch != pytest.approx(item_mean)
        losses.append(epoch)
    assert_twins_agree("epoch mean", "training", np.float32(losses[0]), np.float32(losses[1]),
                       scale=np.float32(abs(losses[1])))
