"""dealias doctor case: binary_cross_entropy_with_logits given sigmoid outputs (buggy), the
logits (fixed)."""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
logits = nn.Linear(3, 1)
x = torch.randn(16, 3)
y = (x[:, :1] > 0).float()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD([*model.parameters(), *logits.parameters()], lr=0.5)


def buggy():
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    optimizer.zero_grad()
    loss = criterion(logits(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
