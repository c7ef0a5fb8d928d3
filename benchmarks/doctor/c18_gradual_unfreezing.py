"""Gradual unfreezing with an optimizer per part: the backbone's optimizer is built from the
start, its parameters frozen for the first epoch and unfrozen after it; the head trains
throughout.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
head = nn.Linear(16, 3)
backbone.requires_grad_(False)
backbone_optimizer = torch.optim.SGD(backbone.parameters(), lr=0.01)
head_optimizer = torch.optim.SGD(head.parameters(), lr=0.1)

for epoch in range(4):
    if epoch == 1:
        backbone.requires_grad_(True)
    for xb, yb in loader:
        backbone_optimizer.zero_grad()
        head_optimizer.zero_grad()
        nn.functional.cross_entropy(head(backbone(xb)), yb).backward()
        backbone_optimizer.step()
        head_optimizer.step()
