"""22. (out - y) ** 2 with out (N, 1) and y (N,): an (N, N) loss, with no warning at all."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    y = y.reshape(16)                          # (16,): the shape a dataset often gives
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()    # (16, 1) - (16,) -> (16, 16), silently
        loss.backward()
        optimizer.step()
    predictions = values(model(x))
    return {"spread of the predictions (std)": float(predictions.std()),
            "spread of the targets (std)": float(values(y).std())}


def fixed(lib):
    model, x, y = regression(lib)
    y = y.reshape(16, 1)                       # (16, 1), like the output
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()    # (16, 1) - (16, 1): one target per output
        loss.backward()
        optimizer.step()
    predictions = values(model(x))
    return {"spread of the predictions (std)": float(predictions.std()),
            "spread of the targets (std)": float(values(y).std())}


def symptom(numbers: dict) -> bool:
    """The predictions collapse to one value (the mean) instead of following the targets."""
    return (numbers["spread of the predictions (std)"]
            < 0.1 * numbers["spread of the targets (std)"])


PITFALL = Pitfall(
    name="loss-broadcast",
    title="A loss written by hand, (out - y) ** 2 with (N, 1) and (N,): (N, N), no warning",
    explanation=(
        "Elementwise arithmetic broadcasts: (N, 1) - (N,) lines up the trailing dimensions, "
        "1 against N, and makes an (N, N) table of every output against every target. Its "
        "mean is minimised by predicting the mean target for every sample. mse_loss at least "
        "warns about the shapes; a loss written by hand does not, and the gradient is summed "
        "back to (N, 1) by the engine, so training runs, to the wrong answer."),
    manual_ref=("manual/pointwise.py, sub: np.broadcast_to the shapes; manual/backward.py, "
                "_sum_to (equation 3)"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("spread of the predictions (std)",),
    doctor="an operation on the loss's path that broadcasts (N, 1) against (N,) into (N, N), "
           "one operand from the model and one not",
)
