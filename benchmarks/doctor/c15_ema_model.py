"""An exponential moving average of the weights kept in a second model, updated under
no_grad after each step, and evaluated in eval mode.

bug: none
"""

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(80, 4), torch.randn(80, 1)
loader = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
ema = copy.deepcopy(model)
ema.requires_grad_(False)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for _ in range(3):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        optimizer.step()
        with torch.no_grad():
            for p, q in zip(model.parameters(), ema.parameters()):
                q.mul_(0.9).add_(0.1 * p)
    ema.eval()
    with torch.no_grad():
        val = nn.functional.mse_loss(ema(x[64:]), y[64:]).item()
