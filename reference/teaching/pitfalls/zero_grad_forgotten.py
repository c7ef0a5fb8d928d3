"""1. Forgotten zero_grad(): every step's gradient adds onto the previous ones."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import grad_norm, regression


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    norms = []
    for _ in range(5):
        # no optimizer.zero_grad(): backward adds onto last step's .grad
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        norms.append(grad_norm(model))
        optimizer.step()
    return {"|grad| at step 1": norms[0], "|grad| at step 5": norms[-1],
            "growth (step 5 / step 1)": norms[-1] / norms[0], "loss at step 5": loss.item()}


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    norms = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        norms.append(grad_norm(model))
        optimizer.step()
    return {"|grad| at step 1": norms[0], "|grad| at step 5": norms[-1],
            "growth (step 5 / step 1)": norms[-1] / norms[0], "loss at step 5": loss.item()}


def symptom(numbers: dict) -> bool:
    """The gradient grows step after step although the loss is falling."""
    return numbers["growth (step 5 / step 1)"] > 2


PITFALL = Pitfall(
    name="forgotten-zero-grad",
    title="Forgotten zero_grad(): gradients accumulate across steps",
    explanation=(
        "backward() does not set .grad, it adds to it: the first backward stores a fresh "
        "gradient, every later one does `.grad += d(loss)/dp`. Without zero_grad() the "
        "gradient used at step k is the sum of the gradients of steps 1..k, so it grows "
        "about k-fold while the loss falls, and the step is as if the learning rate grew "
        "every step."),
    manual_ref="manual/backward.py, _accumulate: `t.grad.array += grad` (equation 5)",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("|grad| at step 1", "|grad| at step 5", "loss at step 5"),
    doctor="an optimizer that steps on a .grad it already stepped with, that backward "
           "added to: named per optimizer",
)
