"""grad_accumulation: one optimizer step from k micro-batches, as if from one big batch.

1. optimizer.zero_grad()                                 once, before the k micro-batches
2. loss = loss_fn(model(x_j), y_j) / k                   each micro-batch's loss, divided by k
3. loss.backward()                                       k times: ``.grad`` sums the k parts
4. optimizer.step()                                      once

With a mean-reduced loss and equal micro-batches, ``.grad`` then holds the full-batch
gradient. Without the division in (2) it is k times too large.

Manual twin: manual/grad_accumulation.py.

Reference: torch's documentation, "Automatic Mixed Precision examples" (gradient
accumulation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch


def accumulation_step(model: torch.nn.Module,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      optimizer: torch.optim.Optimizer,
                      micro_batches: Sequence[tuple[Any, Any]]) -> float:
    """Zero the grads, accumulate k micro-batches' gradients (loss / k), step once."""
    k = len(micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for data, labels in micro_batches:
        loss = loss_fn(model(data), labels) / k
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total
