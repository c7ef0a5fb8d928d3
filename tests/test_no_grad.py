"""no_grad: what it switches off, as a context manager and as a decorator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import manual
import torch_native.no_grad


@pytest.mark.parametrize("twin", [manual, torch_native.no_grad], ids=["manual", "torch"])
def test_no_grad_records_nothing(twin):
    lib = manual if twin is manual else torch
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    with twin.no_grad():
        y = w * 2
        assert not twin.is_grad_enabled()
    assert twin.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad

    @twin.no_grad()
    def update():
        w.sub_(0.5) if lib is torch else w.__isub__(0.5)
        return w * 2

    assert update().grad_fn is None
    assert np.asarray(w.detach()).tolist() == [0.5, 1.5]
    assert (w * 2).grad_fn is not None


def test_enable_grad_inside_no_grad():
    w = manual.tensor([1.0], requires_grad=True)
    with manual.no_grad():
        with manual.enable_grad():
            assert (w * 2).requires_grad
        assert not (w * 2).requires_grad


def test_the_seeds_manual_update_needs_no_grad():
    # outside no_grad, an in-place update of a leaf that requires grad is refused (as in torch)
    for lib in (manual, torch):
        w = lib.tensor([1.0], requires_grad=True)
        (w * 3).sum().backward()
        with pytest.raises(RuntimeError, match="leaf Variable"):
            w -= 0.1 * w.grad
    # and w = w - lr * w.grad makes a new non-leaf tensor: the old leaf is gone
    w = manual.tensor([1.0], requires_grad=True)
    (w * 3).sum().backward()
    w = w - 0.1 * w.grad
    assert not w.is_leaf


def test_no_grad_decorates_without_parentheses():
    w = manual.tensor([1.0], requires_grad=True)

    @manual.no_grad
    def doubled():
        return w * 2

    assert doubled().grad_fn is None and not doubled().requires_grad
    assert (w * 2).requires_grad
