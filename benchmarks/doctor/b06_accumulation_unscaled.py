"""Gradient accumulation over 4 batches of a DataLoader, one optimizer step every 4th: each
batch's mean loss goes to backward() as it is, not divided by 4.

bug: unscaled-accumulation
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ACCUMULATE = 4
torch.manual_seed(0)
x, y = torch.randn(256, 6), torch.randint(0, 4, (256,))
loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 4))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

optimizer.zero_grad()
for i, (xb, yb) in enumerate(loader):
    loss = criterion(model(xb), yb)
    loss.backward()
    if (i + 1) % ACCUMULATE == 0:
        optimizer.step()
        optimizer.zero_grad()
