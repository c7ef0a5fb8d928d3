"""21. The wrong layer frozen: the optimizer's parameters never get a gradient."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression


def buggy(lib):
    _, x, y = regression(lib)
    lib.manual_seed(1)
    body, head = lib.Linear(3, 8), lib.Linear(8, 1)      # fine-tune head, keep body fixed
    for p in head.parameters():                          # meant body.parameters()
        p.requires_grad = False
    optimizer = lib.SGD(head.parameters(), lr=0.05)
    first = lib.mse_loss(head(body(x)), y).item()
    for _ in range(30):
        optimizer.zero_grad()
        loss = lib.mse_loss(head(body(x)), y)
        loss.backward()                                  # body gets .grad, head none
        optimizer.step()                                 # head: nothing to do
    return {"loss after 30 steps / loss before": loss.item() / first}


def fixed(lib):
    _, x, y = regression(lib)
    lib.manual_seed(1)
    body, head = lib.Linear(3, 8), lib.Linear(8, 1)
    for p in body.parameters():                          # the part kept fixed
        p.requires_grad = False
    optimizer = lib.SGD(head.parameters(), lr=0.05)
    first = lib.mse_loss(head(body(x)), y).item()
    for _ in range(30):
        optimizer.zero_grad()
        loss = lib.mse_loss(head(body(x)), y)
        loss.backward()
        optimizer.step()
    return {"loss after 30 steps / loss before": loss.item() / first}


def symptom(numbers: dict) -> bool:
    """The loss does not move."""
    return numbers["loss after 30 steps / loss before"] > 0.999


PITFALL = Pitfall(
    name="frozen-parameters",
    title="The layer the optimizer trains is frozen (requires_grad=False): nothing learns",
    explanation=(
        "requires_grad=False takes a tensor out of the graph: operations on it record no "
        "edge to it, backward never reaches it, and its .grad stays None. The optimizer "
        "skips parameters whose .grad is None, so an optimizer whose parameters are all "
        "frozen steps nothing, without a word, while the layers that do get gradients are "
        "in no optimizer. Freeze the part you keep fixed and give the optimizer the rest "
        "(filter(lambda p: p.requires_grad, model.parameters()))."),
    manual_ref=("manual/graph.py, _edge: no edge to a tensor that does not require grad; "
                "manual/sgd.py, step: parameters whose .grad is None are skipped"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss after 30 steps / loss before",),
    doctor="an optimizer none of whose parameters requires grad",
)
