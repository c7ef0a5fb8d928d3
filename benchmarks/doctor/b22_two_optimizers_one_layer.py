"""A larger learning rate for the last layer, by a second optimizer: but the first one was
given all of the model's parameters, so the last layer is stepped twice.

bug: duplicate-parameters
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
head_optimizer = torch.optim.SGD(model[2].parameters(), lr=0.1)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        head_optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        head_optimizer.step()
