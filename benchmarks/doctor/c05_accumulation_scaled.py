"""Gradient accumulation over 4 batches, each loss divided by 4, the accumulated gradient
clipped before the step, and the gradients zeroed after it.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ACCUMULATE = 4
torch.manual_seed(0)
x, y = torch.randn(256, 6), torch.randint(0, 4, (256,))
loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 4))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

optimizer.zero_grad()
for i, (xb, yb) in enumerate(loader):
    loss = nn.functional.cross_entropy(model(xb), yb) / ACCUMULATE
    loss.backward()
    if (i + 1) % ACCUMULATE == 0:
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        optimizer.zero_grad()
