"""A network is built and its optimizer made, then its head is replaced for a new task: the
new head is in no optimizer, the old one is stepped for nothing.

bug: parameters-not-in-optimizer
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        return self.head(self.features(x))


torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 5, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = Net(classes=10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
model.head = nn.Linear(16, 5)                      # the new task has 5 classes

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
