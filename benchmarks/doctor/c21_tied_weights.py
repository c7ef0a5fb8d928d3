"""A language-model-like network whose output layer shares the embedding's weight (tied
weights): one tensor, listed once by parameters(), in one optimizer.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Tied(nn.Module):
    def __init__(self, vocabulary, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, dim)
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, vocabulary, bias=False)
        self.out.weight = self.embedding.weight

    def forward(self, tokens):
        return self.out(torch.relu(self.hidden(self.embedding(tokens))))


torch.manual_seed(0)
tokens = torch.randint(0, 20, (64,))
targets = (tokens + 1) % 20
loader = DataLoader(TensorDataset(tokens, targets), batch_size=16, shuffle=True)
model = Tied(20, 8)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for _ in range(3):
    for tb, nb in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(tb), nb).backward()
        optimizer.step()
