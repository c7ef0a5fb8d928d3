"""To save memory the evaluation switches the model's requires_grad off, and nothing switches
it back: the next epoch's backward has no parameter to reach.

bug: frozen-parameters
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(80, 4), torch.randn(80, 1)
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

for epoch in range(3):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    model.requires_grad_(False)
    print(f"epoch {epoch}: {nn.functional.mse_loss(model(x[64:]), y[64:]).item():.4f}")
