"""dealias doctor case: a step that raises a warning of its own every call, beside an honest
loop (fixed)."""

import warnings

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def fixed():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    warnings.warn("the learning rate looks small", UserWarning, stacklevel=2)
    return loss.item()
