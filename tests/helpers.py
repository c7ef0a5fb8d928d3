"""Running one expression on both twins and comparing the results."""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.distance import distance
from reference.tolerances import tolerance


def assert_twins_agree(label: str, piece: str, manual_value: Any, torch_value: Any,
                       scale: Any = None, terms: int | None = None) -> None:
    """Fail with the worst element when the twins are further apart than the piece allows;
    ``terms`` is the number of terms each element of a sum adds up (see Tolerance)."""
    expected = np.asarray(torch_value.detach() if hasattr(torch_value, "detach") else torch_value)
    actual = np.asarray(manual_value)
    assert actual.shape == expected.shape, f"{label}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{label}: dtype {actual.dtype} != {expected.dtype}"
    tol = tolerance(piece, actual.dtype)
    gap = distance(actual, expected, scale if tol.of_scale else None)
    allowed = tol.allowed(terms)
    assert gap.max_ulp <= allowed, (f"{label} ({piece}, {actual.dtype}): {gap}; allowed "
                                    f"{allowed:g}: {tol}")
