"""23. nll_loss given softmax's probabilities, not log_softmax's log-probabilities."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import classification


def buggy(lib):
    model, x, y = classification(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        loss = lib.nll_loss(lib.softmax(model(x), dim=1), y)   # -p_y: not a log-likelihood
        loss.backward()
        optimizer.step()
    return {"loss after 50 steps": loss.item(),
            "cross-entropy after 50 steps": lib.cross_entropy(model(x), y).item()}


def fixed(lib):
    model, x, y = classification(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        loss = lib.nll_loss(lib.log_softmax(model(x), dim=1), y)   # -log p_y
        loss.backward()
        optimizer.step()
    return {"loss after 50 steps": loss.item(),
            "cross-entropy after 50 steps": lib.cross_entropy(model(x), y).item()}


def symptom(numbers: dict) -> bool:
    """The 'loss' is negative: -p, not -log p."""
    return numbers["loss after 50 steps"] < 0


PITFALL = Pitfall(
    name="nll-loss-input",
    title="nll_loss given probabilities (softmax) or logits: it wants log-probabilities",
    explanation=(
        "nll_loss takes the input's entry at each target class and negates it: -x_iy, "
        "averaged. It is the negative log-likelihood only if x holds log-probabilities, "
        "log_softmax's output. Given softmax's probabilities it minimises -p_y, a number "
        "between -1 and 0 whose gradient vanishes exactly where the model is confidently "
        "wrong; given raw logits it pushes the target's logit up without bound. Use "
        "log_softmax before it, or cross_entropy on the logits (which is both)."),
    manual_ref=("manual/nll_loss.py, equation 1: -w_t x_it; manual/softmax.py, log_softmax"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("loss after 50 steps",),
    doctor="an input to nll_loss whose rows are not log-probabilities (their log-sum-exp "
           "is not 0)",
)
