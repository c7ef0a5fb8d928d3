"""A network with batch norm put in eval mode after loading its weights, then fine-tuned
without model.train(): batch norm uses its stale running statistics throughout.

bug: eval-mode-training
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 5), torch.randint(0, 2, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
model.load_state_dict(model.state_dict())           # "pretrained" weights
model.eval()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
