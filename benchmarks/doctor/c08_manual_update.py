"""Linear regression with hand-written parameters and a hand-written SGD update, in place
under no_grad(), the gradients cleared after each step.

bug: none
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
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.grad = None
    b.grad = None
print(f"loss {loss.item():.5f}")
