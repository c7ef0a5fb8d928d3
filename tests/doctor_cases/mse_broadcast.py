"""dealias doctor case: MSE of (16, 1) outputs against (16,) targets (buggy), (16, 1) (fixed)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16)


def _step(target):
    optimizer.zero_grad()
    loss = torch.nn.MSELoss()(model(x), target)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy():
    return _step(y)


def fixed():
    return _step(y.unsqueeze(1))
