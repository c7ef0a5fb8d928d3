"""no_grad: switch off graph recording, the real ``torch.no_grad``.

While grad mode is off, every operation computes its values but records no node: the
result has no ``grad_fn`` and ``requires_grad=False``, even if an input requires grad.

1. inside ``no_grad()``:  y = f(x)  stores only y's values; nothing saved for backward
2. outside:               y = f(x)  records f's node, its inputs and the tensors its
                          derivative needs

Manual twin: manual/no_grad.py, a module-level flag read by every operation.

Reference: torch/autograd/grad_mode.py, ``no_grad`` and ``enable_grad``.
"""

import torch


def is_grad_enabled() -> bool:
    """True when operations record the graph."""
    return torch.is_grad_enabled()


no_grad = torch.no_grad
enable_grad = torch.enable_grad
