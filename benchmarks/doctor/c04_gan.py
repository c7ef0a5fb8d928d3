"""A small GAN in the DCGAN pattern: the discriminator's real and fake losses each get their
own backward() (their sum is the loss), then the generator's step; each optimizer zeroes
its own gradients.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
real_data = torch.randn(128, 3) * 0.5 + 1.0
loader = DataLoader(TensorDataset(real_data), batch_size=16, shuffle=True)
generator = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
discriminator = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
criterion = nn.BCEWithLogitsLoss()


def main():
    for epoch in range(2):
        for (real,) in loader:
            n = real.shape[0]
            opt_d.zero_grad()
            d_real = criterion(discriminator(real), torch.ones(n, 1))
            d_real.backward()
            fake = generator(torch.randn(n, 2))
            d_fake = criterion(discriminator(fake.detach()), torch.zeros(n, 1))
            d_fake.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = criterion(discriminator(fake), torch.ones(n, 1))
            g_loss.backward()
            opt_g.step()
        print(f"epoch {epoch}: d {d_real.item() + d_fake.item():.3f} g {g_loss.item():.3f}")


if __name__ == "__main__":
    main()
