"""Distillation: a frozen teacher in eval mode, called under no_grad; the student trained on
the labels and on the teacher's outputs.

bug: none
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
teacher = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
teacher.requires_grad_(False)
teacher.eval()
student = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
optimizer = torch.optim.SGD(student.parameters(), lr=0.05)

for _ in range(3):
    for xb, yb in loader:
        with torch.no_grad():
            soft = teacher(xb)
        optimizer.zero_grad()
        out = student(xb)
        loss = nn.functional.cross_entropy(out, yb) + nn.functional.mse_loss(out, soft)
        loss.backward()
        optimizer.step()
