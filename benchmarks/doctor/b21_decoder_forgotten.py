"""An autoencoder whose optimizer was given the encoder's parameters only: the decoder gets
gradients and never changes.

bug: parameters-not-in-optimizer
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
data = torch.randn(64, 8)
loader = DataLoader(TensorDataset(data), batch_size=16, shuffle=True)
encoder = nn.Sequential(nn.Linear(8, 4), nn.ReLU())
decoder = nn.Linear(4, 8)
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)

for _ in range(3):
    for (xb,) in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(decoder(encoder(xb)), xb)
        loss.backward()
        optimizer.step()
