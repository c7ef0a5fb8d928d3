"""A Trainer object holds the model, the optimizer and the data; its step forgets
self.optimizer.zero_grad().

bug: forgotten-zero-grad
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def step(self, xb, yb):
        loss = self.criterion(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            losses = [self.step(xb, yb) for xb, yb in loader]
            print(f"epoch {epoch}: {sum(losses) / len(losses):.4f}")


def main():
    torch.manual_seed(0)
    x = torch.randn(96, 5)
    y = torch.randint(0, 3, (96,))
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
    Trainer(model, lr=0.01).fit(DataLoader(TensorDataset(x, y), batch_size=16), epochs=2)


if __name__ == "__main__":
    main()
