"""Edges of tensor printing against torch's repr, character for character: the bounds of
scientific mode, summarization near 2 * edgeitems with the widest value hidden in the
middle, edgeitems 0, suffixes wrapped at every linewidth, and a subclass's prefix
(manual/_parity/printing.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import manual


@contextlib.contextmanager
def options(**call: Any) -> Iterator[None]:
    try:
        manual.set_printoptions(**call)
        torch.set_printoptions(**call)
        yield
    finally:
        manual.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def prints_alike(array: np.ndarray, requires_grad: bool = False) -> str:
    m = manual.tensor(array.copy(), requires_grad=requires_grad)
    t = torch.tensor(array.copy(), requires_grad=requires_grad)
    assert repr(m) == repr(t), f"\nmanual:\n{m!r}\ntorch:\n{t!r}"
    assert str(m) == str(t)
    return repr(t)


@pytest.mark.parametrize("values", [
    np.float32([1.5, 1500.0]),                  # max / min = 1000: not over, fixed
    np.float64([1.25, 1250.0, -2.5]),
    np.float64([100000000.5, 1e6]),             # max just over 1e8: scientific
    np.float64([1e8, 1e6]),                     # max at 1e8: fixed
    np.float64([1e-4, 0.05]),                   # min at 1e-4: fixed
    np.float64([0.99e-4, 0.05]),                # min under 1e-4: scientific
], ids=str)
def test_scientific_mode_at_its_bounds(values):
    prints_alike(values)


def _wide_middle(shape: tuple[int, ...], where: str = "first") -> np.ndarray:
    """Small values, with wide ones in the middle of the first or the last dimension, or at
    the end of the first."""
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 7 + 0.5
    if where == "first":
        a[shape[0] // 2] = 12345.678
    elif where == "last":
        a[..., shape[-1] // 2] = 12345.678
    else:
        a[-1] = 12345.678
    return a


@pytest.mark.parametrize("shape", [(4,), (5,), (6,), (7,), (4, 3), (5, 3), (6, 2), (7, 2),
                                   (3, 5), (2, 7), (5, 2, 3), (2, 5, 3), (6, 2, 2), (2, 2, 5)],
                         ids=str)
@pytest.mark.parametrize("edgeitems", [1, 2, 3])
def test_summarized_values_leave_the_hidden_middle_out(shape, edgeitems):
    # the formatter sees only the values shown: a wide value hidden in the middle does not
    # widen the others, a wide value at the end does
    with options(threshold=3, edgeitems=edgeitems):
        for where in ("first", "last", "end"):
            prints_alike(_wide_middle(shape, where))
            prints_alike(_wide_middle(shape, where).astype(np.int64))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
def test_edgeitems_0_shows_only_dots(shape):
    with options(threshold=3, edgeitems=0):
        prints_alike(_wide_middle(shape))
        prints_alike(_wide_middle(shape).astype(np.int32))


@pytest.mark.parametrize("linewidth", range(14, 70, 3))
def test_suffixes_wrap_at_every_linewidth(linewidth):
    with options(linewidth=linewidth):
        prints_alike(np.zeros((0, 3)), requires_grad=True)          # three suffixes
        prints_alike(np.float64([[1.5, -2.25, 3.0]]), requires_grad=True)
        prints_alike(np.zeros((0, 2), np.int16))
        prints_alike(np.float64([12345.678, 0.5, 2.0, -7.125]), requires_grad=True)


def test_a_subclass_prints_its_name():
    class Measured(manual.Tensor):
        pass

    class MeasuredTorch(torch.Tensor):
        pass

    MeasuredTorch.__name__ = "Measured"
    m = Measured(np.float32([1.5, 2.0]))
    t = torch.tensor([1.5, 2.0]).as_subclass(MeasuredTorch)
    assert repr(m) == repr(t) == "Measured([1.5000, 2.0000])"
