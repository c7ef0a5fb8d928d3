"""A regression dataset whose targets are (N,), a model whose outputs are (N, 1): MSELoss
broadcasts them to (N, N) (with torch's warning) and the model learns the mean.

bug: mse-broadcast
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(64, 3)
y = x[:, 0] * 2.0 - x[:, 1]                       # (64,)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Linear(3, 1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
