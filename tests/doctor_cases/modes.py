"""dealias doctor case: train() and eval(): a model left in eval mode trained (buggy_training),
an evaluation in training mode (buggy_evaluation), and both modes set (fixed)."""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(16, 3), torch.randn(16, 1)
x_val, y_val = torch.randn(8, 3), torch.randn(8, 1)
validation = []


def _train():
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy_training():
    loss = _train()
    model.eval()                                  # and never model.train() again
    with torch.no_grad():
        validation.append(nn.functional.mse_loss(model(x_val), y_val).item())
    return loss


def buggy_evaluation():
    loss = _train()
    with torch.no_grad():                         # no model.eval()
        validation.append(nn.functional.mse_loss(model(x_val), y_val).item())
    return loss


def fixed():
    model.train()
    loss = _train()
    model.eval()
    with torch.no_grad():
        validation.append(nn.functional.mse_loss(model(x_val), y_val).item())
    return loss
