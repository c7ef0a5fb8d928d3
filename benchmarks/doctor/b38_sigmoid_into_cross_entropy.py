"""A multi-class model whose last activation is a sigmoid, its outputs given to cross_entropy
as if they were scores: squashed into (0, 1), the classes can hardly be told apart.

bug: softmax-cross-entropy
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(6, 16), nn.Linear(16, 4)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.relu(self.hidden(x))))


torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 4, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
