"""A binary cross-entropy written by hand on sigmoid outputs: on large inputs the sigmoid is
exactly 1 in float32, log(1 - p) is -inf, and 0 * -inf is nan.

bug: nan-loss
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = 40 * torch.randn(64, 4)                         # unnormalised features
y = (x[:, :1] > 0).float()
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        p = torch.sigmoid(model(xb))
        loss = -(yb * torch.log(p) + (1 - yb) * torch.log(1 - p)).mean()
        loss.backward()
        optimizer.step()
