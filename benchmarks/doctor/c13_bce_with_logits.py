"""A binary classifier trained with BCEWithLogitsLoss on its raw outputs; the sigmoid only
turns them into probabilities for the accuracy, under no_grad.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(80, 4)
y = (x[:, :1] + x[:, 1:2] > 0).float()
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for _ in range(3):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = ((torch.sigmoid(model(x[64:])) > 0.5).float() == y[64:]).float().mean()
