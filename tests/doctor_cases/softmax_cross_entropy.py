"""dealias doctor case: softmax outputs given to cross_entropy (buggy, buggy_imported_name),
sigmoid outputs (buggy_sigmoid), logits (fixed)."""

import torch
from torch.nn.functional import cross_entropy

torch.manual_seed(0)
model = torch.nn.Linear(4, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
x, y = torch.randn(24, 4), torch.randint(0, 3, (24,))
criterion = torch.nn.CrossEntropyLoss()


def _step(loss_of):
    optimizer.zero_grad()
    loss = loss_of(model(x))
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy():
    return _step(lambda logits: criterion(logits.softmax(dim=1), y))


def buggy_imported_name():
    return _step(lambda logits: cross_entropy(torch.softmax(logits, dim=1), y))


def buggy_sigmoid():
    return _step(lambda logits: criterion(torch.sigmoid(logits), y))


def fixed():
    return _step(lambda logits: criterion(logits, y))
