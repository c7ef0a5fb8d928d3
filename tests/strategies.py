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
