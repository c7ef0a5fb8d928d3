"""dealias doctor case on the manual engine: zero_grad() forgotten (buggy), softmax outputs
given to cross_entropy (buggy_softmax), and the honest loop (fixed)."""

import numpy as np

import manual
from manual.cross_entropy import CrossEntropyLoss
from manual.linear import Linear
from manual.sgd import SGD

manual.manual_seed(0)
model = Linear(4, 3)
optimizer = SGD(model.parameters(), lr=0.1)
criterion = CrossEntropyLoss()
_rng = np.random.default_rng(0)
x = manual.tensor(_rng.standard_normal((24, 4)).astype(np.float32))
y = manual.tensor(_rng.integers(0, 3, 24))


def buggy():
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def buggy_softmax():
    optimizer.zero_grad()
    e = model(x).exp()
    loss = criterion(e / e.sum(dim=1, keepdim=True), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def fixed():
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
