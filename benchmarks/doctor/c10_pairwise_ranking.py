"""A ranking model trained on every pair of a batch: the pairwise differences broadcast
(N, 1) against (N,) on purpose, both sides from the model's scores.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(64, 4)
relevance = x @ torch.tensor([1.0, -1.0, 0.5, 0.0])
loader = DataLoader(TensorDataset(x, relevance), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for _ in range(3):
    for xb, rb in loader:
        optimizer.zero_grad()
        scores = model(xb).squeeze(1)                       # (16,)
        gaps = scores.unsqueeze(1) - scores                 # (16, 16): every pair
        order = (rb.unsqueeze(1) > rb).float()              # 1 where i should rank above j
        loss = (torch.relu(1.0 - gaps) * order).sum() / order.sum()
        loss.backward()
        optimizer.step()
