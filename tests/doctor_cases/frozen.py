"""dealias doctor case: the head frozen where the body was meant (buggy), the body frozen with
the head trained (fixed), and a frozen body whose parameters the optimizer holds too
(fixed_all_parameters: torch's optimizers skip them)."""

import torch
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(16, 3), torch.randn(16, 1)
body, head = nn.Linear(3, 8), nn.Linear(8, 1)
for p in head.parameters():                       # meant body.parameters()
    p.requires_grad_(False)
optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
model[0].requires_grad_(False)
head_only = torch.optim.SGD(model[2].parameters(), lr=0.1)
everything = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def buggy():
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(head(torch.relu(body(x))), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    head_only.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    head_only.step()
    return loss.item()


def fixed_all_parameters():
    everything.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    everything.step()
    return loss.item()
