"""Mean teacher: the teacher (an average of the student's weights) runs in training mode,
dropout on, under no_grad, inside each training step; the student learns from the labels
and from the teacher's outputs.

bug: none
"""

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(64, 4), torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
student = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
teacher = copy.deepcopy(student)
teacher.requires_grad_(False)
optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)

for _ in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        with torch.no_grad():
            target = teacher(xb)
        out = student(xb)
        loss = nn.functional.mse_loss(out, yb) + nn.functional.mse_loss(out, target)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for t, s in zip(teacher.parameters(), student.parameters()):
                t.mul_(0.99).add_(0.01 * s)
