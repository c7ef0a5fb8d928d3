"""dealias doctor case: a generator and a discriminator, each with its optimizer: the
generator's never zeroes its gradients (buggy), both do (fixed)."""

import torch
from torch import nn

torch.manual_seed(0)
generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
discriminator = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
criterion = nn.BCEWithLogitsLoss()
real = torch.randn(16, 3)


def _step(zero_generator):
    z = torch.randn(16, 2)
    opt_d.zero_grad()
    fake = generator(z)
    d_loss = (criterion(discriminator(real), torch.ones(16, 1))
              + criterion(discriminator(fake.detach()), torch.zeros(16, 1)))
    d_loss.backward()
    opt_d.step()
    if zero_generator:
        opt_g.zero_grad()
    g_loss = criterion(discriminator(fake), torch.ones(16, 1))
    g_loss.backward()
    opt_g.step()
    return d_loss.item() + g_loss.item()


def buggy():
    return _step(zero_generator=False)


def fixed():
    return _step(zero_generator=True)
