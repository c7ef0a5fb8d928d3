"""Hypothesis strategies shared by the tests: dtypes, bounded arrays, shapes that agree.

Values are bounded (|x| <= 8 unless said otherwise) so that products and sums of the sizes
drawn here cannot overflow, even in float32, and no subnormals are drawn.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
MAX_TERMS = 16  # the most terms any drawn sum or dot product has (see reference.tolerances)

dtypes = st.sampled_from(FLOAT_DTYPES)


def arrays(dtype: np.dtype, shape: tuple[int, ...], bound: float = 8.0) -> st.SearchStrategy:
    """Finite, non-subnormal values in [-bound, bound]."""
    elements = st.floats(
        -bound, bound, width=8 * dtype.itemsize, allow_nan=False, allow_subnormal=False
    )
    return hnp.arrays(dtype, shape, elements=elements)


small_sizes = st.integers(1, 4)
batch_shapes = st.lists(small_sizes, min_size=0, max_size=2).map(tuple)


@st.composite
def broadcastable_pair(draw, max_dims: int = 3) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast together, sometimes equal."""
    shape = draw(st.lists(small_sizes, min_size=1, max_size=max_dims).map(tuple))
    if draw(st.booleans()):
        return shape, shape
    other = tuple(1 if draw(st.booleans()) else n for n in shape)
    return shape, other[draw(st.integers(0, len(other) - 1)):]


# -- convolutions -----------------------------------------------------------------------

def as_pair(value):
    """An int or pair option as (height, width)."""
    return value if isinstance(value, tuple) else (value, value)


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    """An int, or a (height, width) pair: torch takes both."""
    value = st.integers(low, high)
    return st.one_of(value, st.tuples(value, value))


INT_PADDINGS = int_or_pair(0, 2)
PADDINGS = st.one_of(INT_PADDINGS, st.sampled_from(["valid", "same"]))


@st.composite
def conv2d_cases(draw, paddings: st.SearchStrategy = PADDINGS):
    """x, W, b (or None) and the options, with W fitting x for every option drawn."""
    dtype = draw(dtypes)
    groups = draw(st.integers(1, 4))
    c_in, c_out = (groups * draw(st.integers(1, 4 // groups)) for _ in range(2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(paddings)
    stride = 1 if padding == "same" else draw(int_or_pair(1, 3))
    dilation = draw(int_or_pair(1, 2))
    pads = (0, 0) if isinstance(padding, str) else as_pair(padding)
    # the padded input must hold the dilated kernel ("same" always does)
    least = [1 if padding == "same" else max(1, d * (k - 1) + 1 - 2 * p)
             for k, d, p in zip(kernel, as_pair(dilation), pads)]
    size = tuple(draw(st.integers(low, 7)) for low in least)
    batch = draw(st.sampled_from([(), (1,), (2,)]))          # () is an unbatched input
    x = draw(arrays(dtype, batch + (c_in, *size)))
    w = draw(arrays(dtype, (c_out, c_in // groups, *kernel)))
    b = draw(arrays(dtype, (c_out,))) if draw(st.booleans()) else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
