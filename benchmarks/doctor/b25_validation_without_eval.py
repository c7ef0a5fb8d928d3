"""Validation under torch.no_grad() after each epoch, without model.eval(): dropout still
drops, and the validation loss is noisy and too high.

bug: train-mode-evaluation
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def evaluate(model, loader):
    with torch.no_grad():
        losses = [nn.functional.mse_loss(model(xb), yb).item() for xb, yb in loader]
    return sum(losses) / len(losses)


def main():
    torch.manual_seed(0)
    x, y = torch.randn(96, 4), torch.randn(96, 1)
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=16)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(3):
        for xb, yb in train:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            optimizer.step()
        print(f"epoch {epoch}: validation {evaluate(model, val):.4f}")


if __name__ == "__main__":
    main()
