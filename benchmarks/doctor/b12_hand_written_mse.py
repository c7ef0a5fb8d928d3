"""A squared error written by hand, with (N, 1) predictions and (N,) targets: it broadcasts to
(N, N) silently, no warning at all.

bug: loss-broadcast
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def main():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x.sum(dim=1)                               # (64,)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            pred = model(xb)
            loss = ((pred - yb) ** 2).mean()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    main()
