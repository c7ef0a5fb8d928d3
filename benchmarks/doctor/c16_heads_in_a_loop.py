"""One body, three heads, one loss per head, each backpropagated in a loop from the same line
(retain_graph for the shared body): three backward()s per step, a sum of three different
losses, not an accumulation.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 5), torch.randn(64, 3)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
body = nn.Sequential(nn.Linear(5, 16), nn.ReLU())
heads = nn.ModuleList([nn.Linear(16, 1) for _ in range(3)])
optimizer = torch.optim.Adam([*body.parameters(), *heads.parameters()], lr=1e-3)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        features = body(xb)
        for i, head in enumerate(heads):
            loss = nn.functional.mse_loss(head(features), yb[:, i:i + 1])
            loss.backward(retain_graph=True)
        optimizer.step()
