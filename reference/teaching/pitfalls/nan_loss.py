"""12. A learning rate too large: each step overshoots further, the loss goes to inf, then nan."""

from __future__ import annotations

import math

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=2.0)   # past 2 / (the loss's curvature)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()                              # overshoots: |w| grows each step
        losses.append(loss.item())
    return _numbers(losses)


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.1)   # well below it
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return _numbers(losses)


def _numbers(losses: list[float]) -> dict:
    bad = [k for k, v in enumerate(losses, 1) if not math.isfinite(v)]
    return {"loss at step 1": losses[0], "loss at step 10": losses[9],
            "first step with a non-finite loss": bad[0] if bad else None,
            "loss after 60 steps": losses[-1]}


def symptom(numbers: dict) -> bool:
    """The loss stops being a number."""
    return numbers["first step with a non-finite loss"] is not None


PITFALL = Pitfall(
    name="nan-loss",
    title="The loss becomes inf, then nan: a learning rate too large (or a log of 0, ...)",
    explanation=(
        "SGD's step is p - lr g. For a quadratic loss with curvature h along a direction, the "
        "error there is multiplied by (1 - lr h) at every step: past lr = 2 / h that factor "
        "is below -1, and each step overshoots further than the last. The weights grow "
        "geometrically until float32 overflows to inf; then inf - inf is nan, and nan spreads "
        "to every parameter in one step. A log of 0 (or of a negative number), a division by "
        "0 or a sqrt at 0 in backward get there in one go. The first step where it happens, "
        "and the first module or operation that made a non-finite value, point at the cause."),
    manual_ref="manual/sgd.py, the update p - lr g; manual/pointwise.py, log and exp",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss at step 1", "first step with a non-finite loss"),
    doctor="a loss, a gradient or a parameter that becomes nan or inf: the first step, and the "
           "first module or operation that made one",
)
