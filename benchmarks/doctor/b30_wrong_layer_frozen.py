"""Fine-tuning meant to freeze the backbone and train the new head; the freezing loop runs
over the head instead, and the optimizer's parameters never get a gradient.

bug: frozen-parameters
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 2, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = Model()
for p in model.head.parameters():                  # meant model.backbone.parameters()
    p.requires_grad = False
optimizer = torch.optim.Adam(model.head.parameters(), lr=1e-2)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
