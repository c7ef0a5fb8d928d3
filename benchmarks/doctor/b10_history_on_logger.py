"""A logger object keeps a history dict of losses per split: it is handed the loss tensor,
so the history holds every step's graph.

bug: train-loss-graph
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Logger:
    def __init__(self):
        self.history = {"train": [], "val": []}

    def log(self, split, value):
        self.history[split].append(value)


torch.manual_seed(0)
x, y = torch.randn(80, 4), torch.randn(80, 1)
train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=8, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
logger = Logger()

for _ in range(2):
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        logger.log("train", loss)
    with torch.no_grad():
        logger.log("val", nn.functional.mse_loss(model(x[64:]), y[64:]).item())
