"""grad_accumulation: one optimizer step from k micro-batches, as if from one big batch.

When a batch does not fit in memory it is cut into k micro-batches of equal size. Each one's
backward adds into ``.grad`` (that is how backward works), so the loop zeroes the grads
once, runs k backwards, then steps once:

1. p.grad = None for every parameter                     once, before the k micro-batches
2. L_j = loss_fn(model(x_j), y_j) / k                    each micro-batch's loss, divided by k
3. p.grad += dL_j / dp                                   backward, k times: the sum over j
4. p = update(p, p.grad)                                 one optimizer step

With a mean-reduced loss and equal micro-batches, the loss of the whole batch is the mean of
the micro-batch losses, (1/k) sum_j L_j, so (3) leaves in ``.grad`` exactly the full-batch
gradient. Forget the division in (2) and ``.grad`` is k times too large: the step is as
if the learning rate were k times larger (with SGD; Adam partly hides it, its update being
scale-free, until weight decay or eps make it show).

Returns the full batch's loss: the mean of the undivided micro-batch losses.

Reference: the accumulation loop of torch's documentation ("Automatic Mixed Precision
examples", gradient accumulation), torch/csrc/autograd/functions/accumulate_grad.h.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from manual.backward import backward
from manual.module import Module
from manual.no_grad import no_grad
from manual.optimizer import Optimizer
from manual.tensor import Tensor


def accumulation_step(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor],
                      optimizer: Optimizer, micro_batches: Sequence[tuple[Any, Any]]) -> float:
    """Zero the grads, accumulate k micro-batches' gradients (loss / k), step once."""
    k = len(micro_batches)
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None                                      # (1)
    total = 0.0
    for data, labels in micro_batches:
        loss = loss_fn(model(data), labels) / k                # (2)
        backward(loss)                                         # (3) adds into p.grad
        total += loss.item()
    with no_grad():
        optimizer.step()                                       # (4)
    return total
