"""clip_grad: gradient clipping, by the norm of all the gradients together or by value.

For the parameters p_1 .. p_k that have gradients g_1 .. g_k, norm type q (2, 1 or inf):

1. n_i = ||g_i||_q                                 each gradient's norm (over all its elements)
2. N = ||(n_1, ..., n_k)||_q                       the total norm: the q-norm of the norms, the
                                                   same as the q-norm of every element at once
3. c = max_norm / (N + 1e-6)                       the clip coefficient
4. g_i = g_i min(c, 1)                             every gradient scaled alike, in place, so the
                                                   direction of the whole step is kept
5. return N                                        the norm before clipping (a 0-d tensor)

clip_grad_value_: g = min(max(g, -v), v), elementwise, in place.

Quirks that change numbers: (2) is over all the gradients together, not per tensor, so one
large gradient shrinks every other; (4) multiplies even when c >= 1 (by 1, exactly); an
infinite N gives c = 0 and turns an infinite element into NaN (inf * 0); torch sums the
squares of (1) in 8 (float32) or 4 (float64) lanes, the lanes folded in order, and computes
(3) as 1 / (N + 1e-6) times max_norm, two roundings (manual/_parity/clip_grad.py, to the bit).

Reference: torch/nn/utils/clip_grad.py (``clip_grad_norm_``, ``_get_total_norm``,
``_clip_grads_with_norm_``, ``clip_grad_value_``), aten/src/ATen/native/cpu/ReduceOpsKernel.cpp
(``norm_kernel_cpu``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from manual._parity import clip_grad as parity
from manual.tensor import Tensor


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """(1)-(5): scale every gradient by min(max_norm / total norm, 1); the total norm."""
    grads = parity.gradients(parameters)  # those that exist; torch's warning when there are none
    if not grads:
        return Tensor(np.array(0.0, np.float32))
    norms = [parity.vector_norm(g.array, norm_type) for g in grads]              # (1)
    total = parity.vector_norm(np.array(norms), norm_type)                        # (2)
    parity.check_finite(total, norm_type, error_if_nonfinite)
    t = total.dtype.type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        coef = (t(1) / (total + t(1e-6))) * t(max_norm)      # (3) max_norm / (N + 1e-6)
        coef = coef if np.isnan(coef) else min(coef, t(1.0))  # (4) min(c, 1); NaN stays
        for g in grads:
            g.array *= coef                                   # (4) in place, always
            g.mark_modified()
    return Tensor(np.asarray(total))                          # (5)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient to [-clip_value, clip_value], in place."""
    for g in parity.gradients(parameters, value=True):
        t = g.dtype.type
        low, high = t(-float(clip_value)), t(float(clip_value))
        g.array[g.array < low] = low                               # max(g, -v), NaN stays
        g.array[g.array > high] = high                             # min(g, v); -0.0 stays
        g.mark_modified()
