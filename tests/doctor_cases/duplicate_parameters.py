"""dealias doctor case: the bias in two optimizers (buggy), each parameter in one (fixed)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
weights = torch.optim.SGD(model.parameters(), lr=0.1)    # meant [model.weight]
bias = torch.optim.Adam([model.bias], lr=0.01)
other = torch.nn.Linear(3, 1)
other_weights = torch.optim.SGD([other.weight], lr=0.1)
other_bias = torch.optim.Adam([other.bias], lr=0.01)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def buggy():
    weights.zero_grad()
    bias.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    weights.step()
    bias.step()
    return loss.item()


def fixed():
    other_weights.zero_grad()
    other_bias.zero_grad()
    loss = torch.nn.functional.mse_loss(other(x), y)
    loss.backward()
    other_weights.step()
    other_bias.step()
    return loss.item()
