"""Linear regression with hand-written parameters, updated as w = w - lr * w.grad under
no_grad(): the name now holds a new tensor that requires no grad, and the next backward has
nothing to reach.

bug: manual-update
"""

import torch

torch.manual_seed(0)
x = torch.randn(64, 3)
y = x @ torch.tensor([[2.0], [-1.0], [0.5]]) + 0.3
w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)

for _ in range(30):
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w = w - 0.1 * w.grad
        b = b - 0.1 * b.grad
