"""13. A loss rebuilt from .item() (or NumPy, or .detach()): backward reaches no parameter."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    start = values(model.weight)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        optimizer.zero_grad()
        value = lib.mse_loss(model(x), y).item()          # a Python float: no graph
        loss = lib.tensor(value, requires_grad=True)      # a new leaf, alone in its graph
        loss.backward()                                   # fills loss.grad, nothing else
        optimizer.step()                                  # every .grad is None: no change
    return {"loss after 20 steps": lib.mse_loss(model(x), y).item(),
            "largest weight change": float(abs(values(model.weight) - start).max())}


def fixed(lib):
    model, x, y = regression(lib)
    start = values(model.weight)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)                  # the graph back to the weights
        loss.backward()
        optimizer.step()
    return {"loss after 20 steps": lib.mse_loss(model(x), y).item(),
            "largest weight change": float(abs(values(model.weight) - start).max())}


def symptom(numbers: dict) -> bool:
    """The weights never move."""
    return numbers["largest weight change"] == 0.0


PITFALL = Pitfall(
    name="detached-loss",
    title="A loss rebuilt from .item(), NumPy or .detach(): backward trains nothing",
    explanation=(
        "backward() walks the graph from the tensor it is called on back to the leaves that "
        "made it. loss.item() is a Python float and loss.detach() a tensor without grad_fn: "
        "a tensor built from either is a new leaf, alone in its graph, so backward stops at "
        "it and no parameter's .grad is ever set. The optimizer skips parameters whose .grad "
        "is None: the loop runs, prints a loss, and nothing learns. (A tensor that does not "
        "require grad at all makes backward raise instead: 'element 0 of tensors does not "
        "require grad and does not have a grad_fn'.)"),
    manual_ref=("manual/graph.py, record(): a result gets a node only when an input requires "
                "grad; manual/backward.py, _chain_rule: a leaf loss is its own graph"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss after 20 steps",),
    doctor="a backward whose graph reaches none of the trainable parameters (or the error "
           "of a loss without grad_fn)",
)
