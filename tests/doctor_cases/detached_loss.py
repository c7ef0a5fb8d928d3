"""dealias doctor case: a loss rebuilt from .item() (buggy), from .detach() (buggy_detach),
and the loss itself (fixed)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def buggy():
    optimizer.zero_grad()
    value = torch.nn.functional.mse_loss(model(x), y).item()
    loss = torch.tensor(value, requires_grad=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy_detach():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x).detach(), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
