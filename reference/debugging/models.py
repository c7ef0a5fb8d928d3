"""Small models built identically on both sides from one seed, for traces and checks.

    linear   Linear(5, 3) + MSE loss, on a random regression problem
    mlp      Linear(8, 16) - ReLU - Linear(16, 4) + cross-entropy, on 4 classes
    cnn      Conv2d(1, 4, 3, padding=1) - ReLU - Conv2d(4, 3, 3, padding=1) + cross-entropy
             per pixel, on 8x8 images whose pixels belong to 3 classes

``manual.manual_seed(s)`` and ``torch.manual_seed(s)`` give the same initial weights, so
the two sides start equal without copying anything.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import torch

import manual
from reference.debugging.trace import Side

MODELS = ("linear", "mlp", "cnn")
OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 0.05, "adam": 0.01}


def _twin(side: str, piece: str) -> Any:
    package = "manual" if side == "manual" else "torch_native"
    return importlib.import_module(f"{package}.{piece}")


def build_model(name: str, side: str, seed: int) -> tuple[Any, Any]:
    """The model and its loss function, on ``side`` ("manual" or "torch")."""
    (manual.manual_seed if side == "manual" else torch.manual_seed)(seed)
    linear = _twin(side, "linear")
    if name == "linear":
        return linear.Linear(5, 3), _twin(side, "mse_loss").MSELoss()
    act = _twin(side, "activations")
    loss = _twin(side, "cross_entropy").CrossEntropyLoss()
    if name == "mlp":
        return act.Sequential(linear.Linear(8, 16), act.ReLU(), linear.Linear(16, 4)), loss
    if name == "cnn":
        conv = _twin(side, "conv2d")
        return act.Sequential(conv.Conv2d(1, 4, 3, padding=1), act.ReLU(),
                              conv.Conv2d(4, 3, 3, padding=1)), loss
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def build_optimizer(name: str, side: str, params: Any, lr: float | None = None) -> Any:
    lr = DEFAULT_LR[name] if lr is None else lr
    if name == "sgd":
        return _twin(side, "sgd").SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return _twin(side, "adam").Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def build_side(model: str, optimizer: str, side: str, seed: int, lr: float | None = None,
               device: Any = "cpu") -> Side:
    """One loop; the torch side's model is built on the CPU (the same weights from the
    seed as the manual side's) and then moved to ``device``."""
    net, loss_fn = build_model(model, side, seed)
    if side != "manual":
        net = net.to(device)
    return Side(side, net, loss_fn, build_optimizer(optimizer, side, net.parameters(), lr))


def batches(model: str, seed: int, count: int = 4, batch_size: int = 8
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` batches of inputs and targets for ``model`` (NumPy, float32 and int64)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        if model == "linear":
            x = rng.standard_normal((batch_size, 5)).astype(np.float32)
            y = (x @ rng.standard_normal((5, 3)) + 0.1).astype(np.float32)
        elif model == "mlp":
            x = rng.standard_normal((batch_size, 8)).astype(np.float32)
            y = (x[:, :4].argmax(axis=1)).astype(np.int64)
        else:
            x = rng.standard_normal((batch_size, 1, 8, 8)).astype(np.float32)
            y = np.digitize(x[:, 0], [-0.5, 0.5]).astype(np.int64)  # (N, 8, 8) in {0, 1, 2}
        out.append((x, y))
    return out
