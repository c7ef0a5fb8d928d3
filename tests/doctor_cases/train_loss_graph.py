"""dealias doctor case: a running total of loss tensors (buggy), of loss.item() (fixed)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(16, 3), torch.randn(16, 1)
train_loss = 0.0


def _loss():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def buggy():
    global train_loss
    train_loss += _loss()
    return train_loss.item()


def buggy_returns_tensor():
    return _loss()


def fixed():
    global train_loss
    train_loss += _loss().item()
    return train_loss
