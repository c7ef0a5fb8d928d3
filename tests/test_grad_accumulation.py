"""grad_accumulation: k micro-batches with loss / k give the full-batch step; without the
division the gradient is k times too large."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.grad_accumulation
import manual.linear
import manual.mse_loss
import manual.sgd
import torch_native.grad_accumulation
import torch_native.linear
import torch_native.mse_loss
import torch_native.sgd
from reference.distance import normwise
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, dtypes


def model_and_optimizer(lib, seed, n_in, n_out, dtype, lr=0.1):
    (manual.manual_seed if lib is manual else torch.manual_seed)(seed)
    linear, sgd = (manual.linear, manual.sgd) if lib is manual else \
        (torch_native.linear, torch_native.sgd)
    model = linear.Linear(n_in, n_out)
    if dtype == np.float64:
        model = model.double() if lib is torch else _double(model)
    return model, sgd.SGD(model.parameters(), lr=lr)


def _double(model):
    for p in model.parameters():
        p.array = p.array.astype(np.float64)
    return model


def test_hand_example():
    # w = 0, two micro-batches x = 1, y = 2 and x = 3, y = 4: full-batch MSE gradient is
    # mean(2 (w x - y) x) = (2*(-2)*1 + 2*(-4)*3) / 2 = -14; SGD lr 0.1 gives w = 1.4
    model = manual.linear.Linear(1, 1, bias=False)
    model.weight.array[...] = 0.0
    opt = manual.sgd.SGD(model.parameters(), lr=0.1)
    micro = [(manual.tensor([[1.0]]), manual.tensor([[2.0]])),
             (manual.tensor([[3.0]]), manual.tensor([[4.0]]))]
    loss = manual.grad_accumulation.accumulation_step(model, manual.mse_loss.mse_loss, opt,
                                                      micro)
    assert loss == pytest.approx((4 + 16) / 2)
    assert model.weight.grad.item() == pytest.approx(-14)
    assert model.weight.item() == pytest.approx(1.4)


@st.composite
def cases(draw):
    dtype = draw(dtypes)
    k, size = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    x = draw(arrays(dtype, (k * size, n_in), bound=2))
    y = draw(arrays(dtype, (k * size, n_out), bound=2))
    return dtype, k, size, x, y, draw(st.integers(0, 2**31))


def micro_batches(lib, x, y, k, size):
    convert = manual.tensor if lib is manual else torch.tensor
    return [(convert(x[j * size:(j + 1) * size]), convert(y[j * size:(j + 1) * size]))
            for j in range(k)]


@settings(max_examples=40)
@given(cases())
def test_accumulation_equals_the_full_batch_step(case):
    dtype, k, size, x, y, seed = case
    # torch-free: the manual accumulation against one manual step on the whole batch
    model, opt = model_and_optimizer(manual, seed, x.shape[1], y.shape[1], dtype)
    manual.grad_accumulation.accumulation_step(model, manual.mse_loss.mse_loss, opt,
                                               micro_batches(manual, x, y, k, size))
    full, full_opt = model_and_optimizer(manual, seed, x.shape[1], y.shape[1], dtype)
    full_opt.zero_grad()
    y_hat = full(manual.tensor(x))
    manual.mse_loss.mse_loss(y_hat, manual.tensor(y)).backward()
    full_opt.step()
    # the k partial sums are added in another order than the one full sum: the scale of
    # dW = dy^T x is |dy|^T |x|, of db the sum of |dy|, with dy = 2 (y_hat - y) / N
    dy = np.abs(2 * (y_hat.array - y) / y.size)
    scales = {"weight": dy.T @ np.abs(x), "bias": dy.sum(axis=0)}
    for (name, p), q in zip(model.named_parameters(), full.parameters()):
        assert_twins_agree(f"{name}.grad", "sums", p.grad, q.grad.array, scale=scales[name])
        assert_twins_agree(name, "training", p, q.array, scale=normwise(q.array))


@settings(max_examples=40)
@given(cases())
def test_accumulation_matches_torch(case):
    dtype, k, size, x, y, seed = case
    results = []
    for lib, twin, loss_fn in ((manual, manual.grad_accumulation, manual.mse_loss.mse_loss),
                               (torch, torch_native.grad_accumulation,
                                torch_native.mse_loss.mse_loss)):
        model, opt = model_and_optimizer(lib, seed, x.shape[1], y.shape[1], dtype)
        for _ in range(2):  # the second step starts with the first step's grads still there
            loss = twin.accumulation_step(model, loss_fn, opt, micro_batches(lib, x, y, k,
                                                                             size))
        results.append((loss, [np.asarray(p.detach()) for p in model.parameters()]))
    (m_loss, m_params), (t_loss, t_params) = results
    assert_twins_agree("loss", "training", np.asarray(m_loss, dtype), np.asarray(t_loss, dtype),
                       scale=normwise(np.asarray(t_loss, dtype)))
    for i, (mp, tp) in enumerate(zip(m_params, t_params)):
        assert_twins_agree(f"param {i}", "training", mp, tp, scale=normwise(tp))


@pytest.mark.parametrize("lib", [manual, torch], ids=["manual", "torch"])
def test_without_the_division_the_gradient_is_k_times_too_large(lib):
    k, size = 4, 2
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((k * size, 3)), rng.standard_normal((k * size, 1))
    x, y = x.astype(np.float32), y.astype(np.float32)
    loss_fn = manual.mse_loss.mse_loss if lib is manual else torch_native.mse_loss.mse_loss
    model, opt = model_and_optimizer(lib, 0, 3, 1, np.float32)
    opt.zero_grad()
    for data, labels in micro_batches(lib, x, y, k, size):
        loss_fn(model(data), labels).backward()            # the bug: no division by k
    wrong = np.asarray(model.weight.grad)
    full, _ = model_and_optimizer(lib, 0, 3, 1, np.float32)
    convert = manual.tensor if lib is manual else torch.tensor
    loss_fn(full(convert(x)), convert(y)).backward()
    np.testing.assert_allclose(wrong, k * np.asarray(full.weight.grad), rtol=1e-5)
