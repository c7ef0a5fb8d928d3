"""A Trainer object holding the model, the optimizer and a history of numbers; fit() and
evaluate() as methods, the mode set in each.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.history = {"train": [], "val": []}

    def step(self, xb, yb):
        self.optimizer.zero_grad()
        loss = nn.functional.cross_entropy(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def evaluate(self, xb, yb):
        self.model.eval()
        with torch.no_grad():
            return nn.functional.cross_entropy(self.model(xb), yb).item()

    def fit(self, loader, val, epochs):
        for _ in range(epochs):
            self.model.train()
            self.history["train"].append([self.step(xb, yb) for xb, yb in loader])
            self.history["val"].append(self.evaluate(*val))


def main():
    torch.manual_seed(0)
    x, y = torch.randn(80, 5), torch.randint(0, 3, (80,))
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    trainer = Trainer(model, lr=0.01)
    trainer.fit(DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16), (x[64:], y[64:]), 4)


if __name__ == "__main__":
    main()
