"""dealias doctor case: nll_loss given softmax's probabilities (buggy), raw logits
(buggy_logits), log_softmax's log-probabilities (fixed)."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
model = torch.nn.Linear(4, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
x, y = torch.randn(24, 4), torch.randint(0, 3, (24,))


def _step(scores_of):
    optimizer.zero_grad()
    loss = F.nll_loss(scores_of(model(x)), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy():
    return _step(lambda logits: F.softmax(logits, dim=1))


def buggy_logits():
    return _step(lambda logits: logits)


def fixed():
    return _step(lambda logits: F.log_softmax(logits, dim=1))
