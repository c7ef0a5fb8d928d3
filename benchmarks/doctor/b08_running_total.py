"""The epoch's running loss adds the loss tensor, not loss.item(): the total keeps every
step's graph alive.

bug: train-loss-graph
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(96, 3), torch.randn(96, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

for epoch in range(3):
    running_loss = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        running_loss += loss
    print(f"epoch {epoch}: {running_loss.item() / len(loader):.4f}")
