"""model.train() once before the loop, model.eval() for each epoch's validation: from the
second epoch on, training runs with dropout off.

bug: eval-mode-training
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(80, 6), torch.randint(0, 3, (80,))
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

model.train()
for epoch in range(4):
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x[64:]).argmax(dim=1) == y[64:]).float().mean().item()
    print(f"epoch {epoch}: accuracy {accuracy:.3f}")
