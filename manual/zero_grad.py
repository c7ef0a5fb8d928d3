"""zero_grad: reset the gradients that ``backward`` accumulated.

backward() adds into ``.grad`` (``p.grad += dp``), so a loop that does not reset them sums
the gradients of every batch so far. For every parameter p whose grad exists:

1. set_to_none=True  (default):  p.grad = None
2. set_to_none=False:            p.grad = 0, in place (the same array, detached)

The two differ downstream: an optimizer skips a parameter whose grad is None, so after (1)
a parameter that gets no gradient is left alone, while after (2) it takes a step with a zero
gradient: its weight decay and momentum still move it.

Reference: torch/optim/optimizer.py (``Optimizer.zero_grad``),
torch/nn/modules/module.py (``Module.zero_grad``).
"""

from __future__ import annotations

from collections.abc import Iterable

from manual.tensor import Tensor


def zero_grad(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Set every existing ``p.grad`` to None, or to zeros in place."""
    if isinstance(params, Tensor):  # as torch's optimizer refuses one, rather than its rows
        raise TypeError("params argument given to the optimizer should be an iterable of "
                        "Tensors or dicts, but got manual.Tensor")
    if not isinstance(params, Iterable):
        raise TypeError(f"'{type(params).__name__}' object is not iterable: params={params!r}")
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None                                         # (1)
        else:
            p.grad.requires_grad = False
            p.grad.grad_fn = None
            p.grad.array.fill(0)                                  # (2)
