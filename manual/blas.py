"""Matrix products: y = a @ b, and the two products that carry its gradient back.

For a of shape (n, k) and b of shape (k, m):

1. y = a b                       (n, k) @ (k, m) -> (n, m)
2. da = dy b^T                   (n, m) @ (m, k) -> (n, k)
3. db = a^T dy                   (k, n) @ (n, m) -> (k, m)

A 1-d a is a row (1, k) and a 1-d b a column (k, 1), and that dim is dropped from y; with
more dims the leading ones are a batch, broadcast between a and b (the gradient is summed
back over a broadcast batch by backward).

Quirk that changes numbers: the products add k terms in the order of the BLAS library's
blocking, which differs between NumPy's OpenBLAS and torch's MKL, so the last bits of y,
da and db may differ (reference/tolerances.py, "sums"). torch names the node by the path
its matmul takes for the shapes (dot, mv, mm, a folded or a batched product), and so does
manual/_parity/shapes.py.

Reference: tools/autograd/derivatives.yaml (``mm``: ``mm_mat1_backward``,
``mm_mat2_backward``), aten/src/ATen/native/LinearAlgebra.cpp (``matmul``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import shapes
from manual.graph import needed, record
from manual.tensor import Tensor


def matmul(input: Tensor, other: Tensor) -> Tensor:
    shapes.check_matmul(input, other)
    a, b = input.array, other.array
    out = (a @ b).astype(b.dtype, copy=False)                     # (1) (one dtype but empty)

    def derivative(grad):
        return _matmul_backward(grad, a, b)                       # (2), (3)

    name = shapes.matmul_node_name(input, other, out.shape)  # the path torch's matmul takes
    return record(name, out, (input, other), derivative, saves=True,
                  reads=needed((input, other), (other, input)))


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    shapes.check_mm(input, mat2)
    return matmul(input, mat2)


def _matmul_backward(grad: np.ndarray, a: np.ndarray, b: np.ndarray):
    """da = grad @ b^T and db = a^T @ grad, with 1-D operands treated as torch treats them
    (a vector on the left is a row, on the right a column, and that axis is dropped)."""
    a2 = a[None, :] if a.ndim == 1 else a            # (..., n, k)
    b2 = b[:, None] if b.ndim == 1 else b            # (..., k, m)
    g2 = grad[..., None] if b.ndim == 1 else grad    # (..., n, m) with m = 1 for a vector b
    g2 = g2[..., None, :] if a.ndim == 1 else g2     # (..., n, m) with n = 1 for a vector a
    da = g2 @ np.swapaxes(b2, -1, -2)                # (2) (..., n, k)
    db = np.swapaxes(a2, -1, -2) @ g2                # (3) (..., k, m)
    return (da[..., 0, :] if a.ndim == 1 else da), (db[..., 0] if b.ndim == 1 else db)
