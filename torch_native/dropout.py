"""dropout: while training, zero each element with probability p and scale the rest by 1/(1 - p).

Forward, for x of any shape, with q = 1 - p:

1. u = a uniform draw in [0, 1) per element (a double: 2 words of the generator each)
2. m = 1 where u < q, else 0
3. noise = m / q, in x's dtype
4. y = x noise

Backward (autograd, ``MulBackward0``): 5. dx = dy noise.

Not training, p = 0 or an empty x: y is x itself. p = 1: y = x 0, no draws.

Manual twin: manual/dropout.py, where the mask is drawn from the generator by hand.

Reference: torch/nn/functional.py (``dropout``), torch/nn/modules/dropout.py (``Dropout``),
aten/src/ATen/native/Dropout.cpp (``_dropout_impl``).
"""

from __future__ import annotations

import torch


def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> torch.Tensor:
    """y = x m / (1 - p), m a fresh Bernoulli(1 - p) mask, while training; x itself otherwise."""
    return torch.nn.functional.dropout(input, p, training, inplace)


class Dropout(torch.nn.Dropout):
    """torch.nn.Dropout, with the signature the manual twin has."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__(p, inplace)
