"""The check of bce: random shapes, weights (and pos_weights) that broadcast, every
reduction, both losses, forward and backward; to the bit but binary_cross_entropy's target
gradient, whose logit is MKL's log in torch (within bce_logit of the twin's)."""

from __future__ import annotations

import numpy as np

from reference.checks import both, check, compare, on_torch, twin, values
from reference.convert import to_manual


def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    """Up to 3 dims; sometimes one long one, past the first levels of torch's sums."""
    if rng.random() < 0.2:
        return (int(rng.integers(1, 5000)),)
    return tuple(int(s) for s in rng.integers(1, 6, rng.integers(0, 4)))


def _broadcast_to(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape`` without growing it: a suffix, some dims 1."""
    suffix = shape[int(rng.integers(0, len(shape) + 1)):]
    return tuple(1 if rng.random() < 0.3 else n for n in suffix)


@check("bce")
def _bce(rng, dtype):
    shape = _shape(rng)
    logits = rng.random() < 0.5
    x = values(rng, dtype, *shape, bound=8.0) if logits else rng.random(shape).astype(dtype)
    y = np.where(rng.random(shape) < 0.3, 1, rng.random(shape)).astype(dtype)
    weights = {name: (values(rng, dtype, *_broadcast_to(rng, shape), bound=2.0) + 2).astype(dtype)
               for name in ("weight", "pos_weight") if rng.random() < 0.5 and
               (logits or name == "weight")}
    reduction = str(rng.choice(["none", "mean", "sum"]))
    (m_x, m_y), (t_x, t_y) = both(x, y)
    function = "binary_cross_entropy_with_logits" if logits else "binary_cross_entropy"
    losses = []
    for side, lib_x, lib_y, make in (("manual", m_x, m_y, to_manual),
                                     ("native", t_x, t_y, on_torch)):
        options = {name: make(w) for name, w in weights.items()}
        losses.append(getattr(twin(side, "bce"), function)(lib_x, lib_y, reduction=reduction,
                                                            **options))
    m_loss, t_loss = losses
    g = values(rng, dtype, *t_loss.shape)
    m_loss.backward(to_manual(g))
    t_loss.backward(on_torch(g))
    label = f"{function}{shape} {reduction}{''.join(f' {name}' for name in weights)}"
    yield compare(label, "exact", m_loss, t_loss)
    yield compare(f"{label}: dx", "exact", m_x.grad, t_x.grad)
    yield compare(f"{label}: dy", "exact" if logits else "bce_logit", m_y.grad, t_y.grad)
