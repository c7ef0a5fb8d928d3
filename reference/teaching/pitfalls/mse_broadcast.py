"""7. MSE with input (N, 1) and target (N,): broadcast to (N, N), trains to the mean."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression, values


def buggy(lib):
    model, x, y = regression(lib)
    y = y.reshape(16)                          # (16,): the shape a dataset often gives
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)       # (16, 1) - (16,) -> (16, 16), and a warning
        loss.backward()
        optimizer.step()
    predictions = values(model(x))
    return {"spread of the predictions (std)": float(predictions.std()),
            "spread of the targets (std)": float(values(y).std()),
            "true MSE after 100 steps": float(((predictions[:, 0] - values(y)) ** 2).mean())}


def fixed(lib):
    model, x, y = regression(lib)
    y = y.reshape(16, 1)                       # (16, 1), like the output
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        loss = lib.mse_loss(model(x), y)       # (16, 1) - (16, 1): one target per output
        loss.backward()
        optimizer.step()
    predictions = values(model(x))
    return {"spread of the predictions (std)": float(predictions.std()),
            "spread of the targets (std)": float(values(y).std()),
            "true MSE after 100 steps": float(((predictions - values(y)) ** 2).mean())}


def symptom(numbers: dict) -> bool:
    """The predictions collapse to one value (the mean) instead of following the targets."""
    return (numbers["spread of the predictions (std)"]
            < 0.1 * numbers["spread of the targets (std)"])


PITFALL = Pitfall(
    name="mse-broadcast",
    title="MSE with input (N, 1) and target (N,): (N, N) broadcasting, a warning, the mean",
    explanation=(
        "mse_loss subtracts after broadcasting: (N, 1) - (N,) is (N, N), every prediction "
        "against every target, and the mean of that is minimised by predicting the mean "
        "of the targets for every sample. torch and the manual twin warn (UserWarning: "
        "'Using a target size ... different to the input size') and carry on; the "
        "gradient is summed back to (N, 1) by the engine, so training runs, to the "
        "wrong answer: the weights go to 0 and the bias to the mean."),
    manual_ref=("manual/mse_loss.py, `parity.warn_if_broadcast` and `np.broadcast_to` before "
                "equation 1; manual/backward.py, _sum_to (equation 3)"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("spread of the predictions (std)",),  # the fixed MSE is rounding: 5e-9
    doctor="the UserWarning about a target size different to the input size",
)
