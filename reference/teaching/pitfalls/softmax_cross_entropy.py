"""8. Softmax outputs given to cross_entropy: the loss has a floor and training stalls."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import classification, softmax


def buggy(lib):
    model, x, y = classification(lib)
    optimizer = lib.SGD(model.parameters(), lr=1.0)
    for _ in range(200):
        optimizer.zero_grad()
        probs = softmax(model(x))                  # rows sum to 1: already probabilities
        loss = lib.cross_entropy(probs, y)         # log-softmax again, of numbers in [0, 1]
        loss.backward()
        optimizer.step()
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return {"loss after 200 steps": loss.item(), "floor log(1 + 2/e)": 0.5514,
            "accuracy": accuracy}


def fixed(lib):
    model, x, y = classification(lib)
    optimizer = lib.SGD(model.parameters(), lr=1.0)
    for _ in range(200):
        optimizer.zero_grad()
        logits = model(x)                          # raw scores
        loss = lib.cross_entropy(logits, y)        # log-softmax once, inside
        loss.backward()
        optimizer.step()
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return {"loss after 200 steps": loss.item(), "floor log(1 + 2/e)": 0.5514,
            "accuracy": accuracy}


def symptom(numbers: dict) -> bool:
    """The loss cannot go below log(1 + (C - 1)/e) (3 classes: 0.5514)."""
    return numbers["loss after 200 steps"] > numbers["floor log(1 + 2/e)"]


PITFALL = Pitfall(
    name="softmax-cross-entropy",
    title="Softmax outputs given to cross_entropy: the loss has a floor and training stalls",
    explanation=(
        "cross_entropy takes logits and applies log-softmax itself. Given probabilities p "
        "in [0, 1] it computes log softmax(p): the best it can do is p = one-hot, whose "
        "softmax is e / (e + C - 1), so the loss never falls below log(1 + (C - 1)/e), "
        "0.5514 for 3 classes, and the gradient through the second softmax shrinks as the "
        "first saturates: training stalls. Give cross_entropy the raw model outputs."),
    manual_ref="manual/cross_entropy.py, _log_softmax (equation 1) and the module docstring",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss after 200 steps", "accuracy"),
    doctor="an input to cross_entropy whose rows are non-negative and sum to one, or "
           "that a sigmoid made",
)
