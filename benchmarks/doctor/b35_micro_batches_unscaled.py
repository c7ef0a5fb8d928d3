"""Each batch split into 4 micro-batches to save memory, each micro-batch's mean loss
backpropagated as it is: the step's gradient is 4 times the batch's.

bug: unscaled-accumulation
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

MICRO = 4
torch.manual_seed(0)
x, y = torch.randn(128, 5), torch.randn(128, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        size = xb.shape[0] // MICRO
        for i in range(MICRO):
            part = slice(i * size, (i + 1) * size)
            loss = nn.functional.mse_loss(model(xb[part]), yb[part])
            loss.backward()
        optimizer.step()
