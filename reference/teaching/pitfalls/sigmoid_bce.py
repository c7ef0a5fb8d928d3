"""24. binary_cross_entropy_with_logits given sigmoid(out): a second sigmoid, no p below 0.5."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, _ = regression(lib)
    y = lib.tensor(values(x)[:, :1] > 0).float()       # (16, 1): is the first input > 0?
    optimizer = lib.SGD(model.parameters(), lr=0.5)
    for _ in range(100):
        optimizer.zero_grad()
        p = lib.sigmoid(model(x))                      # a probability ...
        loss = lib.binary_cross_entropy_with_logits(p, y)   # ... taken for a logit
        loss.backward()
        optimizer.step()
    predicted = values(lib.sigmoid(lib.sigmoid(model(x))))  # what the loss trained
    return {"smallest predicted probability": float(predicted.min()),
            "class-0 samples": int((values(y) == 0).sum())}


def fixed(lib):
    model, x, _ = regression(lib)
    y = lib.tensor(values(x)[:, :1] > 0).float()
    optimizer = lib.SGD(model.parameters(), lr=0.5)
    for _ in range(100):
        optimizer.zero_grad()
        loss = lib.binary_cross_entropy_with_logits(model(x), y)   # the logits
        loss.backward()
        optimizer.step()
    predicted = values(lib.sigmoid(model(x)))
    return {"smallest predicted probability": float(predicted.min()),
            "class-0 samples": int((values(y) == 0).sum())}


def symptom(numbers: dict) -> bool:
    """No sample can be predicted class 0: sigmoid of a number in (0, 1) is above 0.5."""
    return numbers["smallest predicted probability"] >= 0.5


PITFALL = Pitfall(
    name="sigmoid-bce-with-logits",
    title="binary_cross_entropy_with_logits given sigmoid(out): every p is above 0.5",
    explanation=(
        "binary_cross_entropy_with_logits(z, y) is binary cross-entropy of sigmoid(z): it "
        "applies the sigmoid itself, in a form that stays finite for large |z|. Given "
        "sigmoid(out), a number in (0, 1), it computes sigmoid(sigmoid(out)), which lies in "
        "(0.5, 0.73): the model can never put a sample below 0.5, whatever it learns, and "
        "its gradients are squeezed twice. Give it the raw outputs (or use "
        "binary_cross_entropy on the probabilities, less stable)."),
    manual_ref=("manual/pointwise.py, sigmoid: 1 / (1 + exp(-x)), in (0, 1); the loss here is "
                "mean(max(z, 0) - z y + log(1 + exp(-|z|)))"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("smallest predicted probability", "class-0 samples"),
    doctor="an input to binary_cross_entropy_with_logits made by a sigmoid (or a softmax)",
)
