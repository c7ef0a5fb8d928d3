"""dealias doctor case: a squared error written by hand with (16, 1) outputs and (16,) targets
(buggy), one shape (fixed), and a pairwise loss that broadcasts on purpose (fixed_pairwise)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16)


def _step(loss_of):
    optimizer.zero_grad()
    loss = loss_of(model(x))
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy():
    return _step(lambda out: ((out - y) ** 2).mean())


def fixed():
    return _step(lambda out: ((out.squeeze(1) - y) ** 2).mean())


def fixed_pairwise():
    """A ranking loss: every pair of scores, on purpose (both sides come from the model)."""
    def ranking(out):
        scores = out.squeeze(1)
        gaps = scores.unsqueeze(1) - scores        # (16, 1) - (16,): all pairs
        order = (y.unsqueeze(1) > y).float()
        return torch.relu(1 - gaps * (2 * order - 1)).mean()
    return _step(ranking)
