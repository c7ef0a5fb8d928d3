"""clip_grad: torch.nn.utils's gradient clipping.

1. n_i = ||g_i||_q                  each gradient's norm
2. N = ||(n_1, ..., n_k)||_q        the total norm, of all gradients together
3. c = max_norm / (N + 1e-6)
4. g_i = g_i min(c, 1)              in place
5. return N

clip_grad_value_: g = min(max(g, -v), v), in place.

Manual twin: manual/clip_grad.py, where each of these lines is a line of code.

Reference: torch/nn/utils/clip_grad.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def clip_grad_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> torch.Tensor:
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite,
                                          foreach)


def clip_grad_value_(parameters: torch.Tensor | Iterable[torch.Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    torch.nn.utils.clip_grad_value_(parameters, clip_value, foreach)
