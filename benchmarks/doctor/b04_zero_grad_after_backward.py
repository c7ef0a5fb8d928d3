"""A small CNN classifier: optimizer.zero_grad() sits between loss.backward() and
optimizer.step(), so every step steps on nothing.

bug: zero-grad-after-backward
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.view(h.shape[0], -1))


torch.manual_seed(0)
images, labels = torch.randn(48, 1, 6, 6), torch.randint(0, 3, (48,))
loader = DataLoader(TensorDataset(images, labels), batch_size=12, shuffle=True)
model = SmallCNN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    for xb, yb in loader:
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
