"""20. clip_grad_norm_ given a generator the optimizer already used up: it clips nothing."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import grad_norm, regression


def buggy(lib):
    model, x, y = regression(lib)
    params = model.parameters()                  # a generator: it can be read once
    optimizer = lib.SGD(params, lr=0.01)         # ... here
    norms, used = [], []
    for _ in range(5):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        norms.append(float(lib.clip_grad_norm_(params, max_norm=0.5)))   # empty by now
        used.append(grad_norm(model))
        optimizer.step()
    return {"max_norm": 0.5, "total norm clip_grad_norm_ saw": max(norms),
            "largest |grad| a step used": max(used)}


def fixed(lib):
    model, x, y = regression(lib)
    params = list(model.parameters())            # a list: read as often as needed
    optimizer = lib.SGD(params, lr=0.01)
    norms, used = [], []
    for _ in range(5):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        norms.append(float(lib.clip_grad_norm_(params, max_norm=0.5)))
        used.append(grad_norm(model))
        optimizer.step()
    return {"max_norm": 0.5, "total norm clip_grad_norm_ saw": max(norms),
            "largest |grad| a step used": max(used)}


def symptom(numbers: dict) -> bool:
    """The clipping saw no gradient, and the steps used long ones."""
    return (numbers["total norm clip_grad_norm_ saw"] == 0
            and numbers["largest |grad| a step used"] > numbers["max_norm"])


PITFALL = Pitfall(
    name="clip-changes-nothing",
    title="Clipping that is given no gradient (a used-up generator, another model): a no-op",
    explanation=(
        "model.parameters() is a generator: the optimizer reads it to the end when it is "
        "built, and the same generator given to clip_grad_norm_ afterwards yields nothing. "
        "clip_grad_norm_ of no tensors returns a total norm of 0 and changes nothing, without "
        "a word; so does clipping the parameters of a model that is not the one trained, or "
        "clipping before any .grad exists. Give it list(model.parameters()), or "
        "model.parameters() called again."),
    manual_ref="manual/clip_grad.py, clip_grad_norm_: the gradients it is given, and no others",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("total norm clip_grad_norm_ saw", "largest |grad| a step used"),
    doctor="clip_grad_norm_ or clip_grad_value_ given no parameter with a .grad while the "
           "optimizer steps with gradients",
)
