"""The loss goes through .item() (to be logged) and is rebuilt as a new tensor for backward:
backward reaches no parameter and nothing learns.

bug: detached-loss
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 5), torch.randint(0, 2, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        value = criterion(model(xb), yb).item()
        loss = torch.tensor(value, requires_grad=True)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {value:.4f}")
