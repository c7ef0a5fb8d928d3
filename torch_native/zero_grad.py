"""zero_grad: reset the gradients that ``backward`` accumulated.

backward() adds into ``.grad``, so a loop that does not reset them sums the gradients of
every batch so far. For every parameter p whose grad exists:

1. set_to_none=True  (default):  p.grad = None
2. set_to_none=False:            p.grad = 0, in place (the same tensor, detached)

An optimizer skips a parameter whose grad is None; after (2) it still steps it with a zero
gradient, so weight decay and momentum keep moving it.

This is the call a loop makes, ``optimizer.zero_grad()``, on an optimizer over ``params``.

Manual twin: manual/zero_grad.py.

Reference: torch/optim/optimizer.py (``Optimizer.zero_grad``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def zero_grad(params: Iterable[torch.Tensor], set_to_none: bool = True) -> None:
    """Set every existing ``p.grad`` to None, or to zeros in place."""
    if not isinstance(params, torch.Tensor):  # a bare tensor: the optimizer refuses it
        params = list(params)
        if not params:
            return
    torch.optim.Optimizer(params, defaults={}).zero_grad(set_to_none=set_to_none)
