"""A regressor with an auxiliary head used for a warm-up of three steps only; gradients are
zeroed with set_to_none=False, so momentum and weight decay keep moving the dropped head.

bug: set-to-none
"""

import torch
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(32, 4), torch.randn(32, 1)
body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
head, aux_head = nn.Linear(8, 1), nn.Linear(8, 1)
params = [*body.parameters(), *head.parameters(), *aux_head.parameters()]
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3)

for step in range(12):
    optimizer.zero_grad(set_to_none=False)
    features = body(x)
    loss = nn.functional.mse_loss(head(features), y)
    if step < 3:                                     # warm-up: the auxiliary loss too
        loss = loss + 0.5 * nn.functional.mse_loss(aux_head(features), y)
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
