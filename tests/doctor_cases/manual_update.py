"""dealias doctor case: a hand-written update of global w and b: in place outside no_grad
(buggy_in_place), rebinding the names (buggy_rebinding), in place under no_grad (fixed)."""

import torch

torch.manual_seed(0)
w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
x, y = torch.randn(16, 3), torch.randn(16, 1)


def _loss():
    return torch.nn.functional.mse_loss(x @ w + b, y)


def buggy_in_place():
    global w
    loss = _loss()
    loss.backward()
    w -= 0.1 * w.grad
    return loss.item()


def buggy_rebinding():
    global w, b
    loss = _loss()
    loss.backward()
    with torch.no_grad():
        w = w - 0.1 * w.grad
        b = b - 0.1 * b.grad
    return loss.item()


def fixed():
    global w, b
    loss = _loss()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.grad, b.grad = None, None
    return loss.item()
