"""A bag-of-words classifier: an embedding table averaged over each sequence, AdamW,
gradients clipped by value before the step.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class BagOfWords(nn.Module):
    def __init__(self, vocabulary, dim, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.embedding(tokens).mean(dim=1))


torch.manual_seed(0)
tokens, labels = torch.randint(0, 50, (64, 7)), torch.randint(0, 2, (64,))
loader = DataLoader(TensorDataset(tokens, labels), batch_size=16, shuffle=True)
model = BagOfWords(50, 8, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)

for _ in range(3):
    for tb, lb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(tb), lb)
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        optimizer.step()
