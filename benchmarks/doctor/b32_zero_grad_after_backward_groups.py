"""Two parameter groups (a slower body, a faster head) and zero_grad() called after
backward(), in a helper that reads as if it prepared the step.

bug: zero-grad-after-backward
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 5), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
body = nn.Sequential(nn.Linear(5, 16), nn.ReLU())
head = nn.Linear(16, 1)
optimizer = torch.optim.SGD([{"params": body.parameters(), "lr": 0.01},
                             {"params": head.parameters()}], lr=0.1, momentum=0.9)


def apply_update(optimizer):
    optimizer.zero_grad()
    optimizer.step()


for _ in range(3):
    for xb, yb in loader:
        loss = nn.functional.mse_loss(head(body(xb)), yb)
        loss.backward()
        apply_update(optimizer)
