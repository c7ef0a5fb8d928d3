"""10. The epoch loss averaged over len(loader) when the last batch is smaller."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression


def buggy(lib):
    model, x, y = regression(lib)
    loader = lib.DataLoader(lib.TensorDataset(x, y), batch_size=5)   # 5, 5, 5 and 1
    total = 0.0
    with lib.no_grad():
        for xb, yb in loader:
            total += lib.mse_loss(model(xb), yb).item()    # each batch's mean
        epoch_loss = total / len(loader)                   # the 1-sample batch counts as 5
        all_at_once = lib.mse_loss(model(x), y).item()
    return {"epoch loss": epoch_loss, "mean over the 16 samples": all_at_once,
            "relative error": abs(epoch_loss - all_at_once) / all_at_once}


def fixed(lib):
    model, x, y = regression(lib)
    loader = lib.DataLoader(lib.TensorDataset(x, y), batch_size=5)
    total = 0.0
    with lib.no_grad():
        for xb, yb in loader:
            total += lib.mse_loss(model(xb), yb).item() * len(xb)   # the batch's sum
        epoch_loss = total / len(loader.dataset)                    # over samples
        all_at_once = lib.mse_loss(model(x), y).item()
    return {"epoch loss": epoch_loss, "mean over the 16 samples": all_at_once,
            "relative error": abs(epoch_loss - all_at_once) / all_at_once}


def symptom(numbers: dict) -> bool:
    """The epoch mean is off by more than rounding could make it (0.1%)."""
    return numbers["relative error"] > 1e-3


PITFALL = Pitfall(
    name="epoch-mean",
    title="Epoch loss averaged over len(loader) with a smaller last batch: a biased mean",
    explanation=(
        "A mean-reduced loss is already the mean over its batch. Averaging those means "
        "over len(loader) batches gives each batch the same weight, so when the last batch "
        "is smaller (N mod B samples, unless drop_last) its samples count more than the "
        "others: 16 samples in batches of 5 give the last sample 1/4 of the epoch loss "
        "instead of 1/16. Sum loss * batch size and divide by the number of samples."),
    manual_ref="manual/data_loader.py, equation 2 (the last chunk has N mod B indices)",
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("epoch loss", "mean over the 16 samples"),
)
