"""The checks of the activations that loop.py's "activations" check (relu) leaves out: gelu
on both of torch's CPU kernels, the Tanh and Sigmoid modules, and Flatten."""

from __future__ import annotations

import numpy as np
import torch

from reference.checks import Comparison, both, check, compare, on_torch, twin, values
from reference.convert import to_manual
from reference.distance import Distance
from reference.tolerances import tolerance


@check("gelu")
def _gelu(rng, dtype):
    # up to 4 x 99 elements, maybe seen transposed: oneDNN's kernel (float32, "none",
    # contiguous) or ATen's, whose vector blocks and scalar tails follow the layout
    approximate = str(rng.choice(["none", "tanh"]))
    x = values(rng, dtype, int(rng.integers(1, 5)), int(rng.integers(1, 100)), bound=6.0)
    transposed = bool(rng.integers(2))
    (m_x,), (t_x,) = both(x)
    m_view, t_view = (m_x.t(), t_x.t()) if transposed else (m_x, t_x)
    m_y = twin("manual", "activations").gelu(m_view, approximate=approximate)
    t_y = twin("native", "activations").gelu(t_view, approximate=approximate)
    grad = values(rng, dtype, *m_y.shape)
    m_y.backward(to_manual(grad))
    t_y.backward(on_torch(grad))
    label = f"gelu {approximate} of {tuple(m_y.shape)}{' transposed' if transposed else ''}"
    yield compare(label, "exact", m_y, t_y)
    yield compare(f"{label}, backward", "exact", m_x.grad, t_x.grad)


@check("Tanh")
def _tanh(rng, dtype):
    yield from _squashing("Tanh", torch.ops.aten.tanh_backward, rng, dtype)


@check("Sigmoid")
def _sigmoid(rng, dtype):
    yield from _squashing("Sigmoid", torch.ops.aten.sigmoid_backward, rng, dtype)


def _squashing(name, torch_backward, rng, dtype):
    """The module's output within the libm tolerance of torch's; its gradient to the bit of
    torch's backward kernel given the manual output (the same y on both sides)."""
    x = values(rng, dtype, int(rng.integers(1, 5)), int(rng.integers(1, 60)), bound=8.0)
    grad = values(rng, dtype, *x.shape)
    m_x = to_manual(x, requires_grad=True)
    m_y = getattr(twin("manual", "activations"), name)()(m_x)
    t_y = getattr(twin("native", "activations"), name)()(on_torch(x))
    m_y.backward(to_manual(grad))
    yield compare(f"{name} forward", "libm", m_y, t_y)
    yield compare(f"{name} backward, given y", "exact", m_x.grad,
                  torch_backward(on_torch(grad), on_torch(m_y.array)))


@check("Flatten")
def _flatten(rng, dtype):
    shape = tuple(int(n) for n in rng.integers(0, 4, rng.integers(1, 5)))
    start = int(rng.integers(-len(shape), len(shape)))
    end = int(rng.integers(start % len(shape), len(shape)))
    x = values(rng, dtype, *shape)
    m_x, t_x = to_manual(x, requires_grad=True), on_torch(x, requires_grad=True)
    m_y = twin("manual", "activations").Flatten(start, end)(m_x)
    t_y = twin("native", "activations").Flatten(start, end)(t_x)
    label = f"Flatten({start}, {end}) of {shape}"
    if m_y.shape != tuple(t_y.shape):
        gap = np.inf
        yield Comparison(label, Distance(gap, gap, gap, (), 0, 0), tolerance("exact", dtype))
        return
    yield compare(label, "exact", m_y, t_y)
