"""A tabular model as written today: an embedding for a categorical column, BatchNorm1d,
LayerNorm, GELU, Dropout; AdamW with OneCycleLR and clip_grad_norm_; a random validation
split; a checkpoint saved, then restored into a fresh model that goes on training."""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
n = 300
category = torch.randint(0, 12, (n,))
numbers = torch.randn(n, 5)
target = (numbers[:, 0] * 2 + (category % 3).float() - numbers[:, 1] ** 2).unsqueeze(1)
dataset = TensorDataset(category, numbers, target)
train_set, valid_set = random_split(dataset, [0.8, 0.2],
                                    generator=torch.Generator().manual_seed(42))


class Tabular(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 4)
        self.norm_in = nn.BatchNorm1d(5)
        self.body = nn.Sequential(nn.Linear(9, 32), nn.LayerNorm(32), nn.GELU(),
                                  nn.Dropout(0.1), nn.Linear(32, 1))
        nn.init.kaiming_normal_(self.body[0].weight, nonlinearity="relu")
        nn.init.zeros_(self.body[0].bias)

    def forward(self, category, numbers):
        return self.body(torch.cat([self.embed(category), self.norm_in(numbers)], dim=1))


def run(model, optimizer, scheduler, epochs):
    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    for epoch in range(epochs):
        model.train()
        for category, numbers, y in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(category, numbers), y)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
        model.eval()
        with torch.no_grad():
            c, x, y = (torch.stack([valid_set[i][k] for i in range(len(valid_set))])
                       for k in range(3))
            valid = F.mse_loss(model(c, x), y).item()
        print(f"epoch {epoch}: train {loss.item():.5f} valid {valid:.5f} "
              f"norm {float(norm):.4f} lr {scheduler.get_last_lr()[0]:.6f}")


model = Tabular()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
steps = 4 * len(DataLoader(train_set, batch_size=32))
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=steps)
run(model, optimizer, scheduler, 2)

path = os.path.join(tempfile.mkdtemp(), "tabular.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict()}, path)
restored = Tabular()
checkpoint = torch.load(path)
restored.load_state_dict(checkpoint["model"])
optimizer = torch.optim.AdamW(restored.parameters(), lr=1e-3, weight_decay=0.01)
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=steps)
scheduler.load_state_dict(checkpoint["scheduler"])
run(restored, optimizer, scheduler, 2)
