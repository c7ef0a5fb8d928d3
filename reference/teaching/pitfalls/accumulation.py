"""4. Gradient accumulation without dividing each micro-batch's loss by k."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import grad_norm, regression


def buggy(lib):
    model, x, y = regression(lib)
    k = 4                                          # 4 micro-batches of 4 samples
    model.zero_grad()
    for i in range(0, 16, 4):
        loss = lib.mse_loss(model(x[i:i + 4]), y[i:i + 4])   # not divided by k
        loss.backward()                            # .grad sums the k gradients
    accumulated = grad_norm(model)
    model.zero_grad()
    lib.mse_loss(model(x), y).backward()           # the full batch, in one go
    return {"k": k, "|accumulated grad| / |full-batch grad|": accumulated / grad_norm(model)}


def fixed(lib):
    model, x, y = regression(lib)
    k = 4
    model.zero_grad()
    for i in range(0, 16, 4):
        loss = lib.mse_loss(model(x[i:i + 4]), y[i:i + 4]) / k   # each a k-th of the mean
        loss.backward()
    accumulated = grad_norm(model)
    model.zero_grad()
    lib.mse_loss(model(x), y).backward()
    return {"k": k, "|accumulated grad| / |full-batch grad|": accumulated / grad_norm(model)}


def symptom(numbers: dict) -> bool:
    """The accumulated gradient is k times the full batch's (allowing for rounding)."""
    return abs(numbers["|accumulated grad| / |full-batch grad|"] - numbers["k"]) < 0.5


PITFALL = Pitfall(
    name="unscaled-accumulation",
    title="Gradient accumulation over k micro-batches without loss / k: k times too large",
    explanation=(
        "A mean-reduced loss over the whole batch is the mean of the k micro-batch losses, "
        "(1/k) sum_j L_j. backward() adds each micro-batch's gradient into .grad, so after k "
        "backwards .grad holds sum_j dL_j/dp: the full-batch gradient only if each L_j was "
        "divided by k first. Without it .grad is k times too large; with SGD the step is "
        "as if lr were k times larger."),
    manual_ref=("manual/grad_accumulation.py, equations 2 and 3, and manual/backward.py, "
                "_accumulate: `t.grad.array += grad`"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("|accumulated grad| / |full-batch grad|",),
    doctor="several backward()s per optimizer step, from one line, each from a loss "
           "function's mean itself (not divided by k)",
)
