"""embedding: a table of vectors, one row per index; the forward is a lookup, the backward adds.

For W of shape (V, D) and integer indices i of any shape (*):

1. y[j] = W[i[j]]                                   (*) -> (*, D)

Backward (autograd, ``EmbeddingBackward0``): 2. dW[i[j]] += dy[j], in the order of i, from
dW = 0; 3. nothing for the row padding_idx; 4. with scale_grad_by_freq, dy[j] / c(i[j]).
With max_norm: 5. each row looked up whose norm is over max_norm is first scaled down to it,
in place.

``Embedding(V, D)`` starts W from N(0, 1) and zeroes the row padding_idx.

Manual twin: manual/embedding.py, where the lookup and the adds of the gradient are written
out.

Reference: torch/nn/functional.py (``embedding``), torch/nn/modules/sparse.py (``Embedding``),
aten/src/ATen/native/Embedding.cpp.
"""

from __future__ import annotations

from typing import Any

import torch


def embedding(input: torch.Tensor, weight: torch.Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> torch.Tensor:
    """y = W[i]: the row of W (V, D) for each index in i (*), shape (*, D)."""
    return torch.nn.functional.embedding(input, weight, padding_idx, max_norm, norm_type,
                                         scale_grad_by_freq, sparse)


class Embedding(torch.nn.Embedding):
    """torch.nn.Embedding, with the signature the manual twin has."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: torch.Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, _weight, _freeze, device, dtype)
