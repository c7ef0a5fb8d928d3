"""9. Updating parameters by hand: in place outside no_grad, or by rebinding the name."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import line


def buggy(lib):
    x, y = line(lib)
    w = lib.tensor(0.0, requires_grad=True)
    b = lib.tensor(0.0, requires_grad=True)
    outcome = {}
    lib.mse_loss(w * x + b, y).backward()
    try:
        w -= 0.1 * w.grad                      # in place, while the graph is recorded
    except RuntimeError as error:
        outcome["w -= lr * w.grad, outside no_grad"] = f"RuntimeError: {error}"
    for step in range(1, 4):
        loss = lib.mse_loss(w * x + b, y)
        try:
            loss.backward()
        except RuntimeError as error:
            outcome["w = w - lr * w.grad, in no_grad"] = f"step {step}: RuntimeError: {error}"
            break
        with lib.no_grad():
            w = w - 0.1 * w.grad               # a new tensor: requires_grad=False
            b = b - 0.1 * b.grad
    return outcome


def fixed(lib):
    x, y = line(lib)
    w = lib.tensor(0.0, requires_grad=True)
    b = lib.tensor(0.0, requires_grad=True)
    for _ in range(20):
        loss = lib.mse_loss(w * x + b, y)
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad                  # in place: w stays the same leaf
            b -= 0.1 * b.grad
        w.grad = None                          # what zero_grad() does
        b.grad = None
    return {"loss after 20 steps": loss.item(), "w.requires_grad at the end": w.requires_grad}


def symptom(numbers: dict) -> bool:
    """The loop stopped with an error."""
    return any("Error" in str(value) for value in numbers.values())


PITFALL = Pitfall(
    name="manual-update",
    title="Updating parameters by hand outside no_grad(), or with w = w - lr * w.grad",
    explanation=(
        "A parameter is a leaf: a tensor the user made, with requires_grad=True, where "
        "backward() stores .grad. Changing it in place while the graph is being recorded "
        "would change a value the graph depends on, so it is an error. `w = w - lr * w.grad` "
        "is not an update but a new tensor bound to the old name: made under no_grad() it "
        "records nothing and has requires_grad=False, so the next backward() finds nothing "
        "to differentiate (or, if other parameters remain, w silently stops learning and "
        "w.grad is None). Update in place, under no_grad(): `w -= lr * w.grad`."),
    manual_ref=("manual/tensor.py, Tensor._update_in_place (the leaf error) and record() "
                "(no node while grad mode is off); manual/backward.py, _initial_gradient"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("w -= lr * w.grad, outside no_grad", "w = w - lr * w.grad, in no_grad",
            "loss after 20 steps", "w.requires_grad at the end"),
    doctor="the in-place error, and a module global that no longer requires grad",
)
