"""embedding: a table of vectors, one row per index; the forward is a lookup, the backward adds.

For W of shape (V, D) (num_embeddings, embedding_dim) and integer indices i of any shape (*):

1. y[j] = W[i[j]]                           (*) -> (*, D): rows copied, no arithmetic

Backward, given dL/dy (written dy), with j running over the n positions of i in order:

2. dW = 0; dW[i[j]] += dy[j], j = 0 .. n-1  (n, D) -> (V, D): a row looked up twice adds twice
3. except where i[j] = padding_idx: that row's gradient stays 0
4. with scale_grad_by_freq: dW[i[j]] += dy[j] / c(i[j]), c(k) the number of times k is in i

With max_norm, before (1), in place and outside the graph, for each distinct index k in i:

5. r = ||W[k]||_p (p = norm_type); where r > max_norm: W[k] = W[k] max_norm / (r + 1e-7)

``Embedding(V, D)`` starts W from N(0, 1) (manual/init.py ``normal_``), then zeroes the row
padding_idx. The indices are not differentiable: only W gets a gradient.

Quirks of torch that change the numbers:

* (2) the rows of dy are added one at a time, in the order of i, each add rounded.
* (4) 1 / c(k) is a double rounded to W's dtype, and each add is one fused multiply-add.
* (5) r is a double from torch's vector norm, which sums in its own order (manual/_parity/
  embedding.py); the factor max_norm / (r + 1e-7) is a double rounded to W's dtype.
* A negative padding_idx counts from the end: V + padding_idx.
* ``Embedding`` draws W with fewer than 16 elements one value at a time, and the last value
  of an odd count stays cached for the next draw (manual/generator.py (6)).

Reference: torch/nn/functional.py (``embedding``), torch/nn/modules/sparse.py
(``Embedding``), aten/src/ATen/native/Embedding.cpp (``embedding_symint``,
``embedding_dense_backward_cpu``, ``embedding_renorm_cpu_``), derivatives.yaml
(``embedding``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from manual._parity import embedding as parity
from manual.creation import empty
from manual.graph import record
from manual.init import normal_
from manual.module import Module, Parameter
from manual.no_grad import no_grad
from manual.tensor import Tensor


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """y = W[i]: the row of W (V, D) for each index in i (*), shape (*, D)."""
    pad = parity.padding_row(padding_idx, lambda: weight.size(0))  # torch's range check
    pad = -1 if pad is None else pad                             # V + p for a p < 0; -1: none
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)             # (5), before the lookup
    parity.check(input, weight, pad, dict(scale_grad_by_freq=scale_grad_by_freq,
                                          sparse=sparse))  # torch's refusals, in its order
    i, w = input.array.reshape(-1), weight.array                 # (n,) and (V, D)
    y = w[i].reshape(input.shape + w.shape[1:])                  # (1) (n, D) -> (*, D)

    def derivative(dy: np.ndarray) -> tuple[None, np.ndarray]:
        rows = dy.reshape(i.size, w.shape[1])                    # (n, D)
        kept = i != pad                                          # (3) padding adds nothing
        dw = np.zeros(w.shape, dy.dtype)                         # (2) dW = 0, (V, D)
        if scale_grad_by_freq:
            counts = np.bincount(i, minlength=w.shape[0])        # (4) c(k), padding included
            parity.add_scaled(dw, i[kept], rows[kept], 1.0 / counts[i[kept]])  # (4)
        else:
            np.add.at(dw, i[kept], rows[kept])                   # (2) one row at a time, in order
        return None, dw

    return record("EmbeddingBackward0", y, (input, weight), derivative, saves=True,
                  reads=(input,))


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """(5) each row i looks up whose norm is over max_norm, scaled down to it, in place."""
    with no_grad():
        for k in parity.renorm_rows(weight, input, max_norm, norm_type):  # distinct, in order
            r = parity.vector_norm(weight.array[k], norm_type)   # (5) ||W[k]||_p, torch's sum
            if r > max_norm:
                scale = weight.dtype.type(max_norm / (r + 1e-7))  # (5) a double, to W's dtype
                weight[k] = weight.array[k] * scale              # (5) W[k] = W[k] scale


class Embedding(Module):
    """Holds W (num_embeddings, embedding_dim); calling it looks up rows: embedding()."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = parity.padding_row(padding_idx, lambda: num_embeddings)  # V + p, p < 0
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        # torch's refusals: sizes that are not ints, a _weight of another shape, an int W
        parity.check_module((num_embeddings, embedding_dim), _weight, _freeze, dtype)
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype,
                                          device=device), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight, requires_grad=not _freeze)  # as given, no reset
        self.sparse = sparse

    def reset_parameters(self) -> None:
        normal_(self.weight)                                     # W ~ N(0, 1), drawn in place
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0                # the padding row starts at 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding ``embeddings`` as W, frozen (no gradient) unless told."""
        parity.check_pretrained(embeddings)  # torch's refusal of a W that is not 2-D
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s
