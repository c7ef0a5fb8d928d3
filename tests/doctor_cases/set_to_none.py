"""dealias doctor case: a head that leaves the loss after two steps, with grads zeroed
(buggy: momentum keeps moving it) or set to None (fixed: it stays put)."""

import torch

torch.manual_seed(0)
model, head = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD([*model.parameters(), *head.parameters()], lr=0.1, momentum=0.9)
x, y = torch.randn(16, 3), torch.randn(16, 1)
calls = 0


def _step(set_to_none):
    global calls
    calls += 1
    optimizer.zero_grad(set_to_none=set_to_none)
    out = model(x) + head(x) if calls <= 2 else model(x)
    loss = torch.nn.functional.mse_loss(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy():
    return _step(set_to_none=False)


def fixed():
    return _step(set_to_none=True)
