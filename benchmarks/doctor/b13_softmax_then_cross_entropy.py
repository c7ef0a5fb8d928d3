"""The classifier ends in a softmax and its probabilities go to cross_entropy, which applies
log-softmax again.

bug: softmax-cross-entropy
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 16)
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        return torch.softmax(self.out(torch.relu(self.hidden(x))), dim=1)


torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 4, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = Classifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
