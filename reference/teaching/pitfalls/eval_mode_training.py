"""16. model.eval() for an evaluation, and no model.train() after: dropout stays off."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import mlp, regression, values


def buggy(lib):
    _, x, y = regression(lib)
    model = mlp(lib, dropout=0.5)
    optimizer = lib.SGD(model.parameters(), lr=0.05)
    modes, gaps = [], []
    for _ in range(2):
        for _ in range(5):                  # model.train() only before the first epoch
            optimizer.zero_grad()
            loss = lib.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        modes.append(model.training)
        gaps.append(float(abs(values(model(x)) - values(model(x))).max()))
        model.eval()                        # evaluate ...
        with lib.no_grad():
            lib.mse_loss(model(x), y)       # ... and go on training in eval mode
    return {"training mode in epoch 1": modes[0], "in epoch 2": modes[1],
            "gap between two forwards of one batch, epoch 2": gaps[1]}


def fixed(lib):
    _, x, y = regression(lib)
    model = mlp(lib, dropout=0.5)
    optimizer = lib.SGD(model.parameters(), lr=0.05)
    modes, gaps = [], []
    for _ in range(2):
        model.train()                       # every epoch: dropout on
        for _ in range(5):
            optimizer.zero_grad()
            loss = lib.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        modes.append(model.training)
        gaps.append(float(abs(values(model(x)) - values(model(x))).max()))
        model.eval()
        with lib.no_grad():
            lib.mse_loss(model(x), y)
    return {"training mode in epoch 1": modes[0], "in epoch 2": modes[1],
            "gap between two forwards of one batch, epoch 2": gaps[1]}


def symptom(numbers: dict) -> bool:
    """The second epoch trains without dropout: one batch gives one output."""
    return not numbers["in epoch 2"]


PITFALL = Pitfall(
    name="eval-mode-training",
    title="model.eval() to evaluate, no model.train() after: training goes on in eval mode",
    explanation=(
        "train() and eval() set a flag, module.training, on the model and every module in "
        "it; only the mode-dependent modules read it. Dropout keeps each unit with "
        "probability 1 - p and scales it by 1 / (1 - p) in training, and passes its input "
        "through in evaluation; batch norm normalises by the batch's statistics (and updates "
        "its running averages) in training, by the running averages in evaluation. The flag "
        "stays where it was last put: an evaluation that calls model.eval() leaves every "
        "later training step without dropout and with frozen batch statistics, silently."),
    manual_ref=("manual/dropout.py, dropout(): the input itself when not training; "
                "manual/module.py, train() and eval()"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("training mode in epoch 1", "in epoch 2"),
    doctor="a model with dropout or batch norm that runs in eval mode in a step whose "
           "backward trains it",
)
