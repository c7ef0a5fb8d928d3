"""2. zero_grad() between backward() and step(): the gradient is gone before the step."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    start, losses = values(model.weight), []
    for _ in range(10):
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.zero_grad()   # wipes the gradient backward just made
        optimizer.step()        # every .grad is None: nothing to do
        losses.append(loss.item())
    moved = abs(values(model.weight) - start).max()
    return {"loss at step 1": losses[0], "loss at step 10": losses[-1],
            "largest weight change": float(moved)}


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    start, losses = values(model.weight), []
    for _ in range(10):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    moved = abs(values(model.weight) - start).max()
    return {"loss at step 1": losses[0], "loss at step 10": losses[-1],
            "largest weight change": float(moved)}


def symptom(numbers: dict) -> bool:
    """Not one weight moved in ten steps."""
    return numbers["largest weight change"] == 0


PITFALL = Pitfall(
    name="zero-grad-after-backward",
    title="zero_grad() between backward() and step(): nothing learns",
    explanation=(
        "zero_grad() sets every .grad to None (set_to_none=True, the default), and step() "
        "skips a parameter whose .grad is None. Called after backward() it throws the "
        "gradient away before step() reads it: every step is a no-op and the loss stays "
        "where it started. (With set_to_none=False the step reads zeros: the same, unless "
        "momentum or weight decay move the parameters.)"),
    manual_ref=("manual/zero_grad.py, `p.grad = None` (equation 1), and manual/sgd.py, "
                "SGD.step: `if p.grad is not None:`"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss at step 1", "loss at step 10", "largest weight change"),
    doctor="gradients that backward produced and that are None or zero when the optimizer "
           "steps",
)
