"""A small GAN, one optimizer per network: the discriminator's is zeroed each step, the
generator's never.

bug: forgotten-zero-grad
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
            fake = generator(torch.randn(real.shape[0], 2))
            opt_d.zero_grad()
            d_loss = (criterion(discriminator(real), torch.ones(real.shape[0], 1))
                      + criterion(discriminator(fake.detach()), torch.zeros(real.shape[0], 1)))
            d_loss.backward()
            opt_d.step()
            g_loss = criterion(discriminator(fake), torch.ones(real.shape[0], 1))
            g_loss.backward()
            opt_g.step()
        print(f"epoch {epoch}: d {d_loss.item():.3f} g {g_loss.item():.3f}")


if __name__ == "__main__":
    main()
