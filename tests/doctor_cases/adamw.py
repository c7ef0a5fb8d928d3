"""dealias doctor case: AdamW, decoupled weight decay (the fix of adam_weight_decay.py)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def fixed():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
