"""Validation in eval mode but with grad mode on (no no_grad: wasteful, not wrong), and
model.train() back before the next epoch; the validation losses kept as numbers.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(80, 4), torch.randn(80, 1)
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
validation = []

for _ in range(4):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        optimizer.step()
    model.eval()
    validation.append(nn.functional.mse_loss(model(x[64:]), y[64:]).item())
