"""What the pitfall loops share: the twins as one namespace, small data sets, measurements.

A loop is written once, against ``lib``: ``lib.Linear``, ``lib.SGD``, ``lib.mse_loss``,
``lib.tensor``, ``lib.no_grad``, ... ``twins("manual")`` fills it from manual/, and
``twins("torch")`` from torch_native/ and torch, so the same lines run on both engines.
The pieces beyond the first few (``lib.Dropout``, ``lib.nll_loss``, ``lib.StepLR``, ...)
are imported when a loop first asks for them.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

import manual

ENGINES = ("manual", "torch")

_rng = np.random.default_rng(0)
REGRESSION_X = _rng.standard_normal((16, 3)).astype(np.float32)                 # (16, 3)
REGRESSION_Y = (REGRESSION_X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
CLASSES_X = _rng.standard_normal((24, 4)).astype(np.float32)                    # (24, 4)
CLASSES_Y = CLASSES_X[:, :3].argmax(axis=1).astype(np.int64)                    # (24,) in 0..2


# lib's names imported when first used: name -> (piece file, name in it)
PIECES = {
    "Sequential": ("activations", "Sequential"), "ReLU": ("activations", "ReLU"),
    "Dropout": ("dropout", "Dropout"), "BatchNorm1d": ("batch_norm", "BatchNorm1d"),
    "softmax": ("softmax", "softmax"), "log_softmax": ("softmax", "log_softmax"),
    "nll_loss": ("nll_loss", "nll_loss"), "clip_grad_norm_": ("clip_grad", "clip_grad_norm_"),
    "StepLR": ("lr_scheduler", "StepLR"),
    "binary_cross_entropy_with_logits": ("bce", "binary_cross_entropy_with_logits"),
}


class Lib(SimpleNamespace):
    """The twins' names for one engine; PIECES are imported when a loop first uses one."""

    def __getattr__(self, name: str) -> Any:
        if name == "sigmoid":
            value = torch.sigmoid if self.engine == "torch" else manual.sigmoid
        elif name in PIECES:
            piece, attr = PIECES[name]
            value = getattr(importlib.import_module(f"{self.package}.{piece}"), attr)
        else:
            raise AttributeError(f"lib has no {name!r}")
        setattr(self, name, value)
        return value


def twins(engine: str) -> Lib:
    """The names a loop uses, from manual/ ("manual") or from torch_native/ ("torch")."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    package = "manual" if engine == "manual" else "torch_native"

    def piece(name: str) -> Any:
        return importlib.import_module(f"{package}.{name}")

    base = manual if engine == "manual" else torch
    adam, data = piece("adam"), piece("data_loader")
    return Lib(
        engine=engine, package=package, tensor=base.tensor, manual_seed=base.manual_seed,
        no_grad=piece("no_grad").no_grad, Linear=piece("linear").Linear,
        mse_loss=piece("mse_loss").mse_loss, cross_entropy=piece("cross_entropy").cross_entropy,
        SGD=piece("sgd").SGD, Adam=adam.Adam, AdamW=adam.AdamW,
        TensorDataset=data.TensorDataset, DataLoader=data.DataLoader,
    )


def regression(lib: SimpleNamespace, seed: int = 0) -> tuple[Any, Any, Any]:
    """Linear(3, 1) from ``seed`` (the same weights on both engines), x (16, 3), y (16, 1)."""
    lib.manual_seed(seed)
    return lib.Linear(3, 1), lib.tensor(REGRESSION_X), lib.tensor(REGRESSION_Y)


def classification(lib: SimpleNamespace, seed: int = 0) -> tuple[Any, Any, Any]:
    """Linear(4, 3) from ``seed``, x (24, 4), class targets y (24,) in 0..2."""
    lib.manual_seed(seed)
    return lib.Linear(4, 3), lib.tensor(CLASSES_X), lib.tensor(CLASSES_Y)


def values(t: Any) -> np.ndarray:
    """A NumPy copy of a manual or torch tensor's values."""
    return np.array(t.detach().numpy())  # a copy: the tensor's memory may change later


def grad_norm(model: Any) -> float:
    """The 2-norm of all of ``model``'s ``.grad`` together (None counts as zeros)."""
    return float(np.sqrt(sum(np.sum(values(p.grad).astype(np.float64) ** 2)
                             for p in model.parameters() if p.grad is not None)))


def gap(a: Any, b: Any) -> float:
    """The largest difference between two models' parameters, element by element."""
    return max(float(np.max(np.abs(values(p) - values(q))))
               for p, q in zip(a.parameters(), b.parameters()))


def softmax(logits: Any) -> Any:
    """exp(x) / sum exp(x) along dim 1: probabilities, each row summing to one."""
    e = logits.exp()
    return e / e.sum(dim=1, keepdim=True)


def graph_nodes(t: Any) -> int:
    """How many graph nodes ``t`` keeps alive, leaves' accumulators included (torch's
    AccumulateGrad, manual's leaf edges); 0 for a number or a tensor without a graph."""
    root = getattr(t, "grad_fn", None)
    seen, stack = set(), [root] if root is not None else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if hasattr(node, "next_functions"):   # torch: (node, input index) pairs
            stack.extend(fn for fn, _ in node.next_functions if fn is not None)
        else:                                 # manual: a Node, or a leaf Tensor (no inputs)
            stack.extend(e for e in getattr(node, "inputs", ()) if e is not None)
    return len(seen)


def mlp(lib: SimpleNamespace, seed: int = 0, dropout: float = 0.0) -> Any:
    """Linear(3, 8), ReLU, [Dropout(dropout),] Linear(8, 1) from ``seed``: the same weights
    on both engines."""
    lib.manual_seed(seed)
    middle = [lib.Dropout(dropout)] if dropout else []
    return lib.Sequential(lib.Linear(3, 8), lib.ReLU(), *middle, lib.Linear(8, 1))


def line(lib: SimpleNamespace) -> tuple[Any, Any]:
    """x (16,) and y = 2 x + 1: a straight line to fit with two scalar parameters."""
    x = REGRESSION_X[:, 0]
    return lib.tensor(x), lib.tensor(2 * x + 1)
