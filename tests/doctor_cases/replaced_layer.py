"""dealias doctor case: a head replaced after the optimizer was built (buggy), before it was
built (fixed)."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


torch.manual_seed(0)
x, y = torch.randn(16, 3), torch.randn(16, 1)
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model.head = nn.Linear(8, 1)                      # too late: the optimizer has the old head
rebuilt = Net()
rebuilt.head = nn.Linear(8, 1)
rebuilt_optimizer = torch.optim.SGD(rebuilt.parameters(), lr=0.1)


def buggy():
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    rebuilt_optimizer.zero_grad()
    loss = nn.functional.mse_loss(rebuilt(x), y)
    loss.backward()
    rebuilt_optimizer.step()
    return loss.item()
