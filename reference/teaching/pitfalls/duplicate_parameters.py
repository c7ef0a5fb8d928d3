"""15. A parameter held by two optimizers: each step() moves it, twice per step."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    weights = lib.SGD(model.parameters(), lr=0.1)      # meant [model.weight]: holds the bias too
    bias = lib.SGD([model.bias], lr=0.1)
    before = values(model.bias)
    loss = lib.mse_loss(model(x), y)
    loss.backward()
    step = 0.1 * values(model.bias.grad)               # what one SGD step moves the bias by
    weights.step()
    bias.step()                                        # the bias moves a second time
    return {"bias's move / (lr grad)": float(((before - values(model.bias)) / step)[0])}


def fixed(lib):
    model, x, y = regression(lib)
    weights = lib.SGD([model.weight], lr=0.1)          # each parameter in one optimizer
    bias = lib.SGD([model.bias], lr=0.1)
    before = values(model.bias)
    loss = lib.mse_loss(model(x), y)
    loss.backward()
    step = 0.1 * values(model.bias.grad)
    weights.step()
    bias.step()
    return {"bias's move / (lr grad)": float(((before - values(model.bias)) / step)[0])}


def symptom(numbers: dict) -> bool:
    """The bias moved twice as far as one step moves it."""
    return abs(numbers["bias's move / (lr grad)"] - 2) < 0.01


PITFALL = Pitfall(
    name="duplicate-parameters",
    title="A parameter held by two optimizers (or twice by one): it is stepped twice",
    explanation=(
        "Each optimizer's step() loops over the tensors in its own param_groups and updates "
        "each from its .grad. A tensor held by two optimizers is updated by both, from the "
        "same .grad: twice the step, and two sets of momentum or Adam moments for one "
        "parameter. torch refuses a parameter in two groups of one optimizer (ValueError) "
        "and warns about one listed twice in a group; two optimizers it cannot see."),
    manual_ref=("manual/optimizer.py, add_param_group: the refusal and the warning; "
                "manual/sgd.py, step: every tensor of every group"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("bias's move / (lr grad)",),
    doctor="a parameter held by two optimizers that step, or twice by one (and torch's "
           "refusal and warning)",
)
