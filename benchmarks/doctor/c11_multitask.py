"""A shared body with two heads, one loss per task summed into one backward(); each part
logged as a number in a dict of lists.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(64, 5)
labels, targets = torch.randint(0, 3, (64,)), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, labels, targets), batch_size=16, shuffle=True)
body = nn.Sequential(nn.Linear(5, 16), nn.ReLU())
classify, regress = nn.Linear(16, 3), nn.Linear(16, 1)
params = [*body.parameters(), *classify.parameters(), *regress.parameters()]
optimizer = torch.optim.Adam(params, lr=1e-3)
log = {"classify": [], "regress": []}

for _ in range(3):
    for xb, lb, tb in loader:
        optimizer.zero_grad()
        features = body(xb)
        classify_loss = nn.functional.cross_entropy(classify(features), lb)
        regress_loss = nn.functional.mse_loss(regress(features), tb)
        (classify_loss + 0.5 * regress_loss).backward()
        optimizer.step()
        log["classify"].append(classify_loss.item())
        log["regress"].append(regress_loss.detach())
