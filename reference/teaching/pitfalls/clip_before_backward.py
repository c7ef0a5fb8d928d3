"""19. clip_grad_norm_ before backward(): it clips nothing the step uses."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import grad_norm, regression


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    used = []
    for _ in range(5):
        optimizer.zero_grad()
        lib.clip_grad_norm_(model.parameters(), max_norm=0.5)   # the .grad are None here
        lib.mse_loss(model(x), y).backward()
        used.append(grad_norm(model))          # what the step is about to use
        optimizer.step()
    return {"max_norm": 0.5, "largest |grad| a step used": max(used)}


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    used = []
    for _ in range(5):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        lib.clip_grad_norm_(model.parameters(), max_norm=0.5)   # between backward and step
        used.append(grad_norm(model))
        optimizer.step()
    return {"max_norm": 0.5, "largest |grad| a step used": max(used)}


def symptom(numbers: dict) -> bool:
    """A step used a gradient longer than max_norm."""
    return numbers["largest |grad| a step used"] > 1.001 * numbers["max_norm"]


PITFALL = Pitfall(
    name="clip-before-backward",
    title="clip_grad_norm_ before backward() (or after step()): the step is never clipped",
    explanation=(
        "clip_grad_norm_ scales the .grad tensors that exist when it is called, in place, "
        "by min(max_norm / N, 1), N their total norm. Before backward() they are None (after "
        "zero_grad()) or last step's, already used; backward() then writes this step's "
        "gradient, unclipped, and step() uses it. After step() it clips a gradient that was "
        "already used. Its place is between backward() and step()."),
    manual_ref="manual/clip_grad.py, clip_grad_norm_, equations 1 to 5",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("largest |grad| a step used",),
    doctor="clip_grad_norm_ or clip_grad_value_ followed by a backward before the next "
           "optimizer step",
)
