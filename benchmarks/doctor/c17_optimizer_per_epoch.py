"""A fresh optimizer built at the start of each epoch (a restart of its momentum), each one
over all of the model's parameters: never two at a time.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 4), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

for epoch in range(4):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05 / (epoch + 1), momentum=0.9)
    for xb, yb in loader:
        optimizer.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        optimizer.step()
