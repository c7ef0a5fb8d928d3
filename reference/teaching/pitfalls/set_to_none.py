"""3. zero_grad(set_to_none=False): a parameter left out of the loss keeps moving."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    head = lib.Linear(3, 1)                  # in the loss for 3 steps, then left out
    params = [*model.parameters(), *head.parameters()]
    optimizer = lib.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)
    for step in range(6):
        optimizer.zero_grad(set_to_none=False)   # head's .grad becomes zeros, not None
        out = model(x) + head(x) if step < 3 else model(x)
        lib.mse_loss(out, y).backward()
        optimizer.step()                     # zeros are a gradient: momentum, decay go on
        if step == 2:
            parked = values(head.weight)     # where head is when it leaves the loss
    return {"head's change after it left the loss": float(abs(values(head.weight)
                                                              - parked).max())}


def fixed(lib):
    model, x, y = regression(lib)
    head = lib.Linear(3, 1)
    params = [*model.parameters(), *head.parameters()]
    optimizer = lib.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)
    for step in range(6):
        optimizer.zero_grad()                # set_to_none=True: head's .grad is None
        out = model(x) + head(x) if step < 3 else model(x)
        lib.mse_loss(out, y).backward()
        optimizer.step()                     # a None grad: head is skipped
        if step == 2:
            parked = values(head.weight)
    return {"head's change after it left the loss": float(abs(values(head.weight)
                                                              - parked).max())}


def symptom(numbers: dict) -> bool:
    """A parameter that no longer gets a gradient still moved."""
    return numbers["head's change after it left the loss"] > 0


PITFALL = Pitfall(
    name="set-to-none",
    title="set_to_none=True (default) vs zeroed grads: momentum and decay stop, or go on",
    explanation=(
        "zero_grad() either sets .grad to None (the default) or fills it with zeros. step() "
        "skips a parameter whose .grad is None, so its momentum buffer and weight decay "
        "stop too; a zero .grad is a gradient like any other: the buffer keeps pushing "
        "(b = mu b + 0) and the decay keeps shrinking (g = 0 + lambda p). A layer that "
        "leaves the loss (a frozen branch, an unused head) keeps moving with zeroed grads "
        "and stays put with None. Neither is wrong; assuming they are the same is."),
    manual_ref=("manual/zero_grad.py, equations 1 and 2, and manual/sgd.py, SGD.step: "
                "`if p.grad is not None:` then equations 2 and 3"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("head's change after it left the loss",),
    labels=("set_to_none=False", "set_to_none=True (default)"),
    doctor="a parameter that moves in a step where it got no gradient",
)
