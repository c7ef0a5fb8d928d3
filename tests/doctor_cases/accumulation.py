"""dealias doctor case: gradient accumulation over 4 calls, optimizer.step() every 4th:
without loss / 4 (buggy), with it (fixed); and a step that sums two losses by two backward()s
from two lines, as a GAN's discriminator does (fixed_two_losses)."""

import torch

torch.manual_seed(0)
K = 4
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(64, 3), torch.randn(64, 1)
calls = 0


def _micro(divide):
    global calls
    i = calls % 16
    calls += 1
    loss = torch.nn.functional.mse_loss(model(x[4 * i:4 * i + 4]), y[4 * i:4 * i + 4])
    (loss / K if divide else loss).backward()
    if calls % K == 0:
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


def buggy():
    return _micro(divide=False)


def fixed():
    return _micro(divide=True)


def fixed_two_losses():
    optimizer.zero_grad()
    real = torch.nn.functional.mse_loss(model(x[:32]), y[:32])
    real.backward()
    fake = torch.nn.functional.mse_loss(model(x[32:]), torch.zeros(32, 1))
    fake.backward()
    optimizer.step()
    return real.item() + fake.item()
