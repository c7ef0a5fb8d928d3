"""A learned temperature lives outside the model but in the optimizer; the loop zeroes the
gradients with model.zero_grad(), which never reaches the temperature.

bug: forgotten-zero-grad
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 4, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
log_temperature = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.Adam([*model.parameters(), log_temperature], lr=1e-2)

for _ in range(3):
    for xb, yb in loader:
        model.zero_grad()
        logits = model(xb) / log_temperature.exp()
        loss = nn.functional.cross_entropy(logits, yb)
        loss.backward()
        optimizer.step()
