"""A loop written against manual itself (no torch at all): its running loss adds the tensor,
keeping every step's graph.

bug: train-loss-graph
engines: manual
"""

import numpy as np

import manual
from manual.linear import Linear
from manual.mse_loss import mse_loss
from manual.sgd import SGD

manual.manual_seed(0)
rng = np.random.default_rng(0)
x = manual.tensor(rng.standard_normal((64, 3)).astype(np.float32))
y = manual.tensor(rng.standard_normal((64, 1)).astype(np.float32))
model = Linear(3, 1)
optimizer = SGD(model.parameters(), lr=0.05)

for epoch in range(2):
    running = 0.0
    for i in range(0, 64, 8):
        optimizer.zero_grad()
        loss = mse_loss(model(x[i:i + 8]), y[i:i + 8])
        loss.backward()
        optimizer.step()
        running = running + loss
    print(f"epoch {epoch}: {running.item() / 8:.4f}")
