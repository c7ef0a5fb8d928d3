"""dealias doctor case: a learning rate far too large (buggy_lr), a log of 0 in a loss written
by hand (buggy_log), and the honest loop (fixed)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
fast = torch.optim.SGD(model.parameters(), lr=1e3)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def buggy_lr():
    fast.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    fast.step()
    return loss.item()


def buggy_log():
    optimizer.zero_grad()
    loss = -torch.log(torch.relu(model(x))).mean()    # relu's zeros: log 0 = -inf
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
