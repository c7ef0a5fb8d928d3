"""A loop written against manual itself (no torch at all), as the book writes it:
zero_grad, forward, loss, backward, step, the loss kept as a number.

bug: none
engines: manual
"""

import numpy as np

import manual
from manual.cross_entropy import CrossEntropyLoss
from manual.linear import Linear
from manual.sgd import SGD

manual.manual_seed(0)
rng = np.random.default_rng(0)
x = manual.tensor(rng.standard_normal((64, 4)).astype(np.float32))
y = manual.tensor(rng.integers(0, 3, 64))
model = Linear(4, 3)
criterion = CrossEntropyLoss()
optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(2):
    total = 0.0
    for i in range(0, 64, 8):
        optimizer.zero_grad()
        loss = criterion(model(x[i:i + 8]), y[i:i + 8])
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: {total / 8:.4f}")
