"""14. A layer replaced after the optimizer was built: the new layer is in no optimizer."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import mlp, regression, values


def buggy(lib):
    _, x, y = regression(lib)
    model = mlp(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.05)
    model = lib.Sequential(model[0], model[1], lib.Linear(8, 1))   # a new head, too late
    head = values(model[2].weight)
    for _ in range(30):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()                   # the new head gets a .grad ...
        optimizer.step()                  # ... that no optimizer reads
    return {"new head's change after 30 steps": float(abs(values(model[2].weight)
                                                          - head).max()),
            "loss after 30 steps": loss.item()}


def fixed(lib):
    _, x, y = regression(lib)
    model = mlp(lib)
    model = lib.Sequential(model[0], model[1], lib.Linear(8, 1))   # the head first ...
    optimizer = lib.SGD(model.parameters(), lr=0.05)               # ... then the optimizer
    head = values(model[2].weight)
    for _ in range(30):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return {"new head's change after 30 steps": float(abs(values(model[2].weight)
                                                          - head).max()),
            "loss after 30 steps": loss.item()}


def symptom(numbers: dict) -> bool:
    """The new layer never moves."""
    return numbers["new head's change after 30 steps"] == 0.0


PITFALL = Pitfall(
    name="parameters-not-in-optimizer",
    title="A layer replaced (or added) after the optimizer was built: it never trains",
    explanation=(
        "An optimizer holds the parameter tensors it was given when it was built, in its "
        "param_groups, and step() updates those and no others. Replacing a layer afterwards "
        "(model.fc = Linear(...), or a new Sequential around old layers) makes new tensors: "
        "backward fills their .grad, but no optimizer reads it, and zero_grad() never clears "
        "it either. The old layer's tensors stay in the optimizer, updated for nothing. "
        "Build the optimizer after the model is final, or add_param_group() the new layer."),
    manual_ref=("manual/optimizer.py, Optimizer.__init__ and add_param_group: the groups hold "
                "the tensors given; manual/sgd.py, step: a loop over them"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    doctor="parameters that get gradients from backward, never change, and no optimizer "
           "holds (and optimizer parameters no module the loop calls has)",
)
