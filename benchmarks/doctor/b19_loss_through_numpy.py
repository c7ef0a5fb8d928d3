"""The error is computed in NumPy (as in the code it was ported from) and wrapped back into a
tensor: backward starts from a leaf that no parameter made.

bug: detached-loss
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 3), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def main():
    for _ in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            pred = model(xb).detach().numpy()
            error = float(((pred - yb.numpy()) ** 2).mean())
            loss = torch.tensor(error, requires_grad=True)
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    main()
