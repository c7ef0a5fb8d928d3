"""dealias doctor case, a whole script: a small GAN, one optimizer per network, watched as
the script creates them. The generator's optimizer zeroes its gradients only when the
script is given --zero-generator; it prints "done" when it runs to its end."""

import argparse

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--zero-generator", action="store_true")
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()

torch.manual_seed(0)
generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
discriminator = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
real = torch.randn(64, 3)


def d_loss(fake):
    return (nn.functional.mse_loss(discriminator(real[:16]), torch.ones(16, 1))
            + nn.functional.mse_loss(discriminator(fake.detach()), torch.zeros(16, 1)))


for epoch in range(args.epochs):
    for _ in range(4):
        fake = generator(torch.randn(16, 2))
        opt_d.zero_grad()
        d_loss(fake).backward()
        opt_d.step()
        if args.zero_generator:
            opt_g.zero_grad()
        g_loss = nn.functional.mse_loss(discriminator(fake), torch.ones(16, 1))
        g_loss.backward()
        opt_g.step()
    print(f"epoch {epoch}: {g_loss.item():.4f}")
print("done")
