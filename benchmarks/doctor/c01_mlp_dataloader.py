"""The textbook loop: an MLP with dropout, a shuffled DataLoader, SGD with momentum,
train() and eval() around each epoch's validation, losses kept as numbers.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(80, 4)
y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.1 * torch.randn(80, 1)
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
history = []

for epoch in range(4):
    model.train()
    total = 0.0
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    history.append(total / len(train))
    model.eval()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(x[64:]), y[64:]).item()
    print(f"epoch {epoch}: train {history[-1]:.4f} val {val:.4f}")
