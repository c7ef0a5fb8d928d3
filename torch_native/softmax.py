"""softmax: scores turned into probabilities along one dim; log_softmax: their logarithms.

Forward, for x of any shape and a dim d, each slice along d on its own:

1. m = max_j x_j
2. s = sum_j exp(x_j - m)
3. softmax:     y_i = exp(x_i - m) / s           each slice sums to 1
4. log_softmax: y_i = (x_i - m) - log s

Backward (autograd, ``_softmax_backward_data`` and ``_log_softmax_backward_data``, from the
output y): softmax dx = y (dy - sum_j dy_j y_j); log_softmax dx = dy - exp(y) sum_j dy_j.

dim=None picks 0 for 0, 1 or 3 dims, else 1, with a warning.

Manual twin: manual/softmax.py, where the kernel's exp, sums and roundings are written out.

Reference: torch/nn/functional.py (``softmax``, ``log_softmax``), torch/nn/modules/
activation.py (``Softmax``, ``LogSoftmax``).
"""

from __future__ import annotations

import torch


def softmax(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: torch.dtype | None = None) -> torch.Tensor:
    """exp(x - m) / sum exp(x - m) along dim: positive entries summing to 1 in each slice."""
    return torch.nn.functional.softmax(input, dim, _stacklevel + 1, dtype)


def log_softmax(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: torch.dtype | None = None) -> torch.Tensor:
    """log softmax(x) along dim, without forming softmax(x): (x - m) - log sum exp(x - m)."""
    return torch.nn.functional.log_softmax(input, dim, _stacklevel + 1, dtype)


class Softmax(torch.nn.Softmax):
    """torch.nn.Softmax, with the signature the manual twin has."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim)


class LogSoftmax(torch.nn.LogSoftmax):
    """torch.nn.LogSoftmax, with the signature the manual twin has."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim)
