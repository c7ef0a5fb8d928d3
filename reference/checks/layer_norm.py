"""The check of layer_norm: the function on random shapes (rows long enough for torch's
chunked Welford too), every affine combination, output and gradients to torch's bits. The
manual twin is torch on one thread (torch splits the rows of dw and db between its
threads), so torch runs on one thread here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from reference.checks import check, compare, on_torch, twin
from reference.convert import to_manual


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread for the while, as the manual twins of the norms are."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@check("layer_norm")
def _layer_norm(rng, dtype):
    with one_thread():
        comparisons = list(_function(rng, dtype))
    yield from comparisons


def _function(rng, dtype):
    lead = tuple(int(s) for s in rng.integers(1, 6, rng.integers(0, 3)))
    if rng.random() < 0.2:
        shape = (int(rng.integers(200, 5000)),)
    else:
        shape = tuple(int(s) for s in rng.integers(1, 40, rng.integers(1, 3)))
    x = (rng.standard_normal(lead + shape) * rng.uniform(0.1, 5) + rng.uniform(-5, 5))
    w, b, dy = (rng.standard_normal(s) for s in (shape, shape, x.shape))
    affine = int(rng.integers(4))                   # both, w alone, b alone, neither
    given = [x, w if affine in (0, 1) else None, b if affine in (0, 2) else None]
    eps = float(rng.choice([1e-5, 1e-6, 1e-12]))
    made = []
    for side, make in (("manual", to_manual), ("native", on_torch)):
        leaves = [None if a is None else make(a.astype(dtype), True) for a in given]
        y = twin(side, "layer_norm").layer_norm(leaves[0], shape, *leaves[1:], eps)
        y.backward(make(dy.astype(dtype)))
        made.append([y] + [t.grad for t in leaves if t is not None])
    labels = ["y", "dx"] + [n for n, a in (("dw", given[1]), ("db", given[2])) if a is not None]
    for label, mine, theirs in zip(labels, *made):
        yield compare(f"{label} (x {x.shape}, normalized {shape})", "exact", mine, theirs)
