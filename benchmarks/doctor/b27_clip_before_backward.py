"""Gradient clipping placed right after zero_grad(), before loss.backward(): it clips the
None gradients, and every step uses the unclipped ones.

bug: clip-before-backward
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = 5 * torch.randn(64, 4), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
