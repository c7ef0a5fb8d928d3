"""11. Momentum as in the papers (Sutskever) vs as in torch: equal until lr changes."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import gap, regression


def buggy(lib):
    mine, x, y = regression(lib)
    theirs, _, _ = regression(lib)                 # the same seed: the same start
    optimizer = lib.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    velocity, gaps = {}, []
    for lr in [0.1] * 5 + [0.01] * 5:              # lr drops tenfold at step 6
        optimizer.param_groups[0]["lr"] = lr
        for model in (mine, theirs):
            model.zero_grad()
            lib.mse_loss(model(x), y).backward()
        with lib.no_grad():
            for name, p in mine.named_parameters():
                velocity[name] = 0.9 * velocity.get(name, 0) + lr * p.grad   # paper
                p -= velocity[name]
        optimizer.step()
        gaps.append(gap(mine, theirs))
    return {"gap from torch's SGD after step 5": gaps[4], "after step 10": gaps[9]}


def fixed(lib):
    mine, x, y = regression(lib)
    theirs, _, _ = regression(lib)
    optimizer = lib.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    velocity, gaps = {}, []
    for lr in [0.1] * 5 + [0.01] * 5:
        optimizer.param_groups[0]["lr"] = lr
        for model in (mine, theirs):
            model.zero_grad()
            lib.mse_loss(model(x), y).backward()
        with lib.no_grad():
            for name, p in mine.named_parameters():
                velocity[name] = 0.9 * velocity.get(name, 0) + p.grad        # torch
                p -= lr * velocity[name]
        optimizer.step()
        gaps.append(gap(mine, theirs))
    return {"gap from torch's SGD after step 5": gaps[4], "after step 10": gaps[9]}


def symptom(numbers: dict) -> bool:
    """After the lr drop the hand-written momentum leaves torch's far behind (rounding
    alone keeps the gap near 1e-7)."""
    return numbers["after step 10"] > 1e-3


PITFALL = Pitfall(
    name="momentum",
    title="Momentum as in the papers (Sutskever) vs as in torch: the same until lr changes",
    explanation=(
        "Sutskever et al. put lr inside the velocity, v = mu v + lr g, p = p - v; torch "
        "keeps the buffer in gradient units, b = mu b + g, and multiplies the whole of it "
        "by the current lr, p = p - lr b. With a constant lr, v = lr b at every step and the "
        "two agree. When lr drops tenfold, torch's next step shrinks tenfold at once "
        "(the old velocity is rescaled too); the paper's keeps its old velocity, which "
        "decays by mu per step. Reproducing torch's SGD by hand needs torch's form."),
    manual_ref="manual/sgd.py, equations 3 and 5, and the note 'torch's momentum is not "
               "Sutskever's'",
    buggy=buggy, fixed=fixed, symptom=symptom,
    labels=("as in the paper (Sutskever)", "as in torch"),
)
