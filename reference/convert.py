"""Conversion between NumPy arrays, manual tensors and torch tensors (on any device)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import manual


def to_numpy(x: Any) -> np.ndarray:
    """The values of a manual tensor, a torch tensor (any device), an array or a number."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, manual.Tensor):
        return x.array
    return np.asarray(x)


def to_manual(x: Any, requires_grad: bool = False) -> manual.Tensor:
    """A new manual leaf tensor with a copy of ``x``'s values and dtype."""
    return manual.tensor(np.array(to_numpy(x)), requires_grad=requires_grad)


def to_torch(x: Any, requires_grad: bool = False, device: str | torch.device | None = None
             ) -> torch.Tensor:
    """A new torch leaf tensor with a copy of ``x``'s values and dtype, on ``device``."""
    return torch.tensor(np.array(to_numpy(x)), device=device, requires_grad=requires_grad)
