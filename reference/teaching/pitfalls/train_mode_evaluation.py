"""17. An evaluation without model.eval(): dropout is on, and every evaluation differs."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import mlp, regression


def buggy(lib):
    _, x, y = regression(lib)
    model = mlp(lib, dropout=0.5)
    optimizer = lib.SGD(model.parameters(), lr=0.05)
    for _ in range(10):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        optimizer.step()
    with lib.no_grad():                     # no model.eval(): dropout drops half the units
        first = lib.mse_loss(model(x), y).item()
        second = lib.mse_loss(model(x), y).item()
    return {"validation loss": first, "the same, evaluated again": second,
            "gap": abs(first - second)}


def fixed(lib):
    _, x, y = regression(lib)
    model = mlp(lib, dropout=0.5)
    optimizer = lib.SGD(model.parameters(), lr=0.05)
    for _ in range(10):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        optimizer.step()
    model.eval()                            # dropout off: the whole model
    with lib.no_grad():
        first = lib.mse_loss(model(x), y).item()
        second = lib.mse_loss(model(x), y).item()
    return {"validation loss": first, "the same, evaluated again": second,
            "gap": abs(first - second)}


def symptom(numbers: dict) -> bool:
    """Two evaluations of one model on one batch disagree."""
    return numbers["gap"] > 0


PITFALL = Pitfall(
    name="train-mode-evaluation",
    title="Evaluating under no_grad() without model.eval(): dropout and batch norm train",
    explanation=(
        "no_grad() only stops the graph from being recorded; it does not change what the "
        "modules compute. In training mode dropout still zeroes random units (and scales the "
        "rest), so the validation loss is noisy and pessimistic, and batch norm still uses the "
        "batch's statistics and updates its running averages with the validation data. "
        "model.eval() switches them to evaluation; model.train() switches them back."),
    manual_ref=("manual/dropout.py, dropout(): a mask from the generator when training; "
                "manual/no_grad.py: grad mode only"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("validation loss",),
    doctor="a model with dropout or batch norm that runs in training mode under no_grad, with "
           "no backward after it",
)
