"""dealias doctor case: clip_grad_norm_ before backward (buggy_before), given a generator the
optimizer used up (buggy_generator), and in its place (fixed)."""

import torch
from torch.nn.utils import clip_grad_norm_

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
x, y = torch.randn(16, 3), torch.randn(16, 1)
params = model.parameters()
used_up = torch.optim.SGD(params, lr=0.01)           # reads the generator to its end
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)


def buggy_before():
    optimizer.zero_grad()
    clip_grad_norm_(model.parameters(), max_norm=0.5)
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy_generator():
    used_up.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, max_norm=0.5)
    used_up.step()
    return loss.item()


def fixed():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    optimizer.step()
    return loss.item()
