"""6. train_loss += loss without .item(): the running total keeps every step's graph."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import graph_nodes, regression


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    train_loss, kept = 0.0, []
    for _ in range(10):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        train_loss = train_loss + loss         # train_loss += loss: a tensor, with a graph
        kept.append(graph_nodes(train_loss))
    return {"graph nodes kept after step 1": kept[0], "after step 10": kept[-1],
            "train_loss": train_loss.item()}


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.01)
    train_loss, kept = 0.0, []
    for _ in range(10):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()              # a Python float: the graph can go
        kept.append(graph_nodes(train_loss))
    return {"graph nodes kept after step 1": kept[0], "after step 10": kept[-1],
            "train_loss": train_loss}


def symptom(numbers: dict) -> bool:
    """The running total holds a graph that grows with every step."""
    return numbers["after step 10"] > numbers["graph nodes kept after step 1"] > 0


PITFALL = Pitfall(
    name="train-loss-graph",
    title="train_loss += loss without .item(): the graph is kept alive and memory grows",
    explanation=(
        "loss is a tensor whose grad_fn points at the nodes that made it (the loss, the "
        "linear layer, the parameters' accumulators). Adding it to a running total records "
        "one more node, an addition, whose inputs are the old total and this step's loss: "
        "the total now reaches every step's graph, none of it can be freed, and the chain "
        "grows by a step's nodes each step. loss.item() is a Python float with no graph. "
        "(The loop writes train_loss = train_loss + loss, which is what += does here: the "
        "manual engine refuses in-place operations on tensors in a graph.)"),
    manual_ref=("manual/tensor.py, record(): every operation on a tensor that requires grad "
                "makes a Node with edges to its inputs' nodes"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("train_loss",),
    doctor="a loss returned with its graph, or a running total, list or dict of losses "
           "whose graphs pile up step after step",
)
