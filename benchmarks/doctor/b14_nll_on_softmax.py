"""nll_loss given softmax's probabilities where it expects log_softmax's log-probabilities.

bug: nll-loss-input
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(F.softmax(model(xb), dim=1), yb)
        loss.backward()
        optimizer.step()
