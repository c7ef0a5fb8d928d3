"""5. Adam's weight_decay is L2 added to the gradient; AdamW's is decoupled (default 0.01)."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    x = x * lib.tensor([1.0, 1.0, 0.0])        # feature 2 is dead: its weight gets grad 0
    optimizer = lib.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    start = values(model.weight)[0, 2]
    for _ in range(10):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        optimizer.step()                       # g = 0 + 0.01 w, then normalised by Adam
    moved = abs(values(model.weight)[0, 2] - start) / 10
    return {"dead weight at start": float(start),
            "its change per step / lr": float(moved / 0.01)}


def fixed(lib):
    model, x, y = regression(lib)
    x = x * lib.tensor([1.0, 1.0, 0.0])
    optimizer = lib.AdamW(model.parameters(), lr=0.01)   # weight_decay=0.01 by default
    start = values(model.weight)[0, 2]
    for _ in range(10):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        optimizer.step()                       # w = w (1 - lr 0.01), then Adam's step
    moved = abs(values(model.weight)[0, 2] - start) / 10
    return {"dead weight at start": float(start),
            "its change per step / lr": float(moved / 0.01)}


def symptom(numbers: dict) -> bool:
    """A weight with no gradient moves by about lr each step, whatever weight_decay is."""
    return numbers["its change per step / lr"] > 0.5


PITFALL = Pitfall(
    name="adam-weight-decay",
    title="Adam's weight_decay is L2 on the gradient; AdamW's is decoupled (and 0.01 by default)",
    explanation=(
        "Adam adds lambda p to the gradient before the moments: the decay goes through m and "
        "v and is divided by sqrt(v) like the gradient, so a weight whose gradient is 0 gets "
        "m = lambda p, v = (lambda p)^2 and moves by about lr every step, however small "
        "lambda is. AdamW multiplies p by (1 - lr lambda) and leaves m and v alone: the "
        "same weight shrinks by lr lambda |p|. The two are different optimizers, and "
        "AdamW(params) decays with lambda = 0.01 unless told weight_decay=0."),
    manual_ref="manual/adam.py, equation 3 (Adam: g = g + lambda p; AdamW: p = p (1 - gamma "
               "lambda)) and the class defaults of Adam and AdamW",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("dead weight at start", "its change per step / lr"),
    labels=("Adam(weight_decay=0.01)", "AdamW() (decoupled, 0.01)"),
    doctor="an Adam optimizer (not AdamW) with weight_decay > 0",
)
