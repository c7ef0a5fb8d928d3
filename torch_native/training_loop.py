"""training_loop: the five calls of the PyTorch loop, as everyone writes them.

    for data, labels in loader:
        optimizer.zero_grad()             1. every parameter's grad = None
        outputs = model(data)             2. forward, recording the graph
        loss = criterion(outputs, labels) 3. the loss, the graph's last node
        loss.backward()                   4. the chain rule back to each p.grad
        optimizer.step()                  5. each p updated from p.grad
        train_loss += loss.item()         6. a Python float: the graph can be freed

``train_epoch`` returns the mean of the batch losses; ``fit`` returns one mean per epoch.

Manual twin: manual/training_loop.py, where each call is replaced by what it does.

Reference: the loop in torch's tutorials ("Optimizing Model Parameters").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


def train_epoch(model: torch.nn.Module,
                loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                optimizer: torch.optim.Optimizer, loader: Iterable[Any]) -> float:
    """One pass over ``loader``; returns the mean of the batch losses."""
    batch_losses = []
    for data, labels in loader:
        optimizer.zero_grad()
        outputs = model(data)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    if not batch_losses:
        raise ValueError("loader yielded no batches")
    return sum(batch_losses) / len(batch_losses)


def fit(model: torch.nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        optimizer: torch.optim.Optimizer, loader: Iterable[Any], epochs: int) -> list[float]:
    """``epochs`` passes over ``loader``; returns each epoch's mean batch loss."""
    return [train_epoch(model, loss_fn, optimizer, loader) for _ in range(epochs)]
