"""A convolutional autoencoder as tutorials write it: Conv2d down, ConvTranspose2d up, MSE
against the input, Adam; synthetic 16x16 images of blobs."""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
grid = torch.linspace(-1, 1, 16)
centres = torch.rand(64, 2) * 1.6 - 0.8
images = torch.exp(-((grid.view(1, 16, 1) - centres[:, 0].view(-1, 1, 1)) ** 2
                     + (grid.view(1, 1, 16) - centres[:, 1].view(-1, 1, 1)) ** 2) * 8)
loader = DataLoader(TensorDataset(images.unsqueeze(1)), batch_size=16, shuffle=True)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = AutoEncoder()
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    total = 0.0
    for (batch,) in loader:
        optimizer.zero_grad()
        loss = criterion(model(batch), batch)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    print(f"epoch {epoch}: reconstruction loss {total / len(loader.dataset):.6f}")
