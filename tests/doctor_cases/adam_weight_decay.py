"""dealias doctor case: Adam with weight_decay, L2 on the gradient (buggy). adamw.py is the
fix."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def buggy():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
