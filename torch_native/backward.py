"""backward: the chain rule, applied node by node from the output back to the leaves.

For an output y and every leaf x that requires grad, autograd's engine:

1. starts from dy/dy = gradient (1 for a scalar output)
2. runs each node's derivative, newest node first (its ready queue orders by sequence number)
3. sums each gradient back to its input's shape after broadcasting, casts it to its dtype
4. adds up gradients that reach one node by several paths
5. accumulates into leaves: x.grad = dx if x.grad is None, else x.grad += dx
6. frees each node's saved tensors unless retain_graph=True

Manual twin: manual/backward.py, the engine written out.

Reference: torch/autograd/__init__.py (``backward``), torch/csrc/autograd/engine.cpp.
"""

from __future__ import annotations

import torch


def backward(
    tensor: torch.Tensor, gradient: torch.Tensor | None = None, retain_graph: bool | None = None
) -> None:
    """Accumulate d(tensor)/d(leaf) into ``.grad`` of every leaf that requires grad."""
    torch.autograd.backward(tensor, gradient, retain_graph)
