"""Conversion between NumPy arrays, manual tensors and torch tensors (on any device).

torch is imported only where a torch tensor is made: a process that only compares arrays
(``dealias run --compare``'s coordinator, a manual worker) never pays for loading it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

import manual

if TYPE_CHECKING:
    import torch


def to_numpy(x: Any) -> np.ndarray:
    """The values of a manual tensor, a torch tensor (any device), an array or a number."""
    if isinstance(x, manual.Tensor):
        return x.array
    torch_module = sys.modules.get("torch")  # a torch tensor exists only once torch is loaded
    if torch_module is not None and isinstance(x, torch_module.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_manual(x: Any, requires_grad: bool = False) -> manual.Tensor:
    """A new manual leaf tensor with a copy of ``x``'s values and dtype."""
    return manual.tensor(np.array(to_numpy(x)), requires_grad=requires_grad)


def to_torch(x: Any, requires_grad: bool = False, device: str | torch.device | None = None
             ) -> torch.Tensor:
    """A new torch leaf tensor with a copy of ``x``'s values and dtype, on ``device``."""
    import torch

    return torch.tensor(np.array(to_numpy(x)), device=device, requires_grad=requires_grad)
