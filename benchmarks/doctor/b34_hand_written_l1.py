"""A mean absolute error written by hand on (N, 1) outputs and (N,) targets: (N, N),
silently.

bug: loss-broadcast
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(96, 4)
y = x[:, 0] - 0.5 * x[:, 3]                         # (96,)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for _ in range(4):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = torch.abs(model(xb) - yb).mean()
        loss.backward()
        optimizer.step()
