"""dealias doctor case: a running total of loss tensors (buggy), losses kept in a list
(buggy_list) or a dict (buggy_dict), and the same with loss.item() (fixed, fixed_list)."""

import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(16, 3), torch.randn(16, 1)
train_loss = 0.0
history = {"train": []}
losses = []


def _loss():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def buggy():
    global train_loss
    train_loss += _loss()
    return train_loss.item()


def buggy_returns_tensor():
    return _loss()


def fixed():
    global train_loss
    train_loss += _loss().item()
    return train_loss


def buggy_list():
    losses.append(_loss())
    return losses[-1].item()


def buggy_dict():
    history["train"].append(_loss())
    return history["train"][-1].item()


def fixed_list():
    losses.append(_loss().item())
    return losses[-1]
