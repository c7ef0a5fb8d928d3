"""training_loop: the five calls of the PyTorch loop, each replaced by what it does.

    for data, labels in loader:
        optimizer.zero_grad()             1. every parameter's grad = None
        outputs = model(data)             2. forward: compute, recording the graph
        loss = criterion(outputs, labels) 3. one more node on the graph: the loss
        loss.backward()                   4. the chain rule from the loss back to each p.grad
        optimizer.step()                  5. each p updated from p.grad, with recording off
        train_loss += loss.item()         6. a Python float: the graph can be freed

``train_epoch`` returns the mean of the batch losses: the sum of (6) over the number of
batches. ``fit`` runs it ``epochs`` times and returns the list of epoch means.

Reference: the loop in torch's tutorials ("Optimizing Model Parameters", the full
implementation), and the seeds of this project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from manual.backward import backward
from manual.module import Module
from manual.no_grad import no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


def train_epoch(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor],
                optimizer: Optimizer, loader: Iterable[Any]) -> float:
    """One pass over ``loader``; returns the mean of the batch losses."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    batch_losses = []
    for data, labels in loader:
        for p in params:
            p.grad = None                                  # (1) optimizer.zero_grad()
        outputs = model(data)                              # (2) model(data)
        loss = loss_fn(outputs, labels)                    # (3) criterion(outputs, labels)
        backward(loss)                                     # (4) loss.backward()
        with no_grad():
            optimizer.step()                               # (5) optimizer.step()
        batch_losses.append(loss.item())                   # (6) loss.item()
    if not batch_losses:
        raise ValueError("loader yielded no batches")
    return sum(batch_losses) / len(batch_losses)


def fit(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Optimizer,
        loader: Iterable[Any], epochs: int) -> list[float]:
    """``epochs`` passes over ``loader``; returns each epoch's mean batch loss."""
    return [train_epoch(model, loss_fn, optimizer, loader) for _ in range(epochs)]
