"""Whole training loops built from pairs: an MLP classifier and a small CNN on synthetic data
the test makes, trained for several epochs with SGD-momentum and with Adam. Both sides start
from the same seed (so the same weights) and see batches in the same shuffled order."""

from __future__ import annotations

import numpy as np
import pytest

import manual
import manual.data_loader
import manual.training_loop
import torch_native.data_loader
import torch_native.training_loop
from reference.convert import to_manual, to_numpy, to_torch
from reference.debugging.models import batches, build_model, build_optimizer
from reference.distance import normwise
from tests.helpers import assert_twins_agree

EPOCHS = 10


def train(model_name: str, optimizer_name: str, side: str, seed: int):
    """Per-epoch mean losses and the final weights of one side."""
    model, loss_fn = build_model(model_name, side, seed)
    optimizer = build_optimizer(optimizer_name, side, model.parameters())
    data = batches(model_name, seed, count=1, batch_size=24)[0]
    if side == "manual":
        dataset = manual.data_loader.TensorDataset(*(to_manual(a) for a in data))
        loader = manual.data_loader.DataLoader(dataset, batch_size=8, shuffle=True)
        fit = manual.training_loop.fit
    else:
        dataset = torch_native.data_loader.TensorDataset(*(to_torch(a) for a in data))
        loader = torch_native.data_loader.DataLoader(dataset, batch_size=8, shuffle=True)
        fit = torch_native.training_loop.fit
    losses = fit(model, loss_fn, optimizer, loader, EPOCHS)
    return np.float32(losses), {name: to_numpy(p) for name, p in model.named_parameters()}


@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
@pytest.mark.parametrize("model_name", ["mlp", "cnn"])
def test_training_runs_agree(model_name, optimizer_name):
    seed = 5
    m_losses, m_weights = train(model_name, optimizer_name, "manual", seed)
    t_losses, t_weights = train(model_name, optimizer_name, "torch", seed)
    assert m_losses[-1] < m_losses[0]  # it learns
    assert_twins_agree("epoch losses", "training", m_losses, t_losses, scale=normwise(t_losses))
    assert list(m_weights) == list(t_weights)
    for name in t_weights:
        assert_twins_agree(name, "training", m_weights[name], t_weights[name],
                           scale=normwise(t_weights[name]))
