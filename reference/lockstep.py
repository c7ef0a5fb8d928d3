"""Lockstep comparison: two loops' snapshots of one stage of one step, tensor by tensor.

A snapshot is a dict of named NumPy arrays (``"fc1.weight.grad"``, ``"loss"``). Two
snapshots of the same stage are compared name by name, normwise (in ULPs of the largest
magnitude in the tensor, or the largest it has had in the run so far, and for a gradient at
least the largest gradient of its module: an honest loop differs by summation order,
relative to the scale of the terms it adds, not to a possibly tiny element), each held to
the "trace" tolerance of reference/tolerances.py. The first tensor
further apart than that is the divergence: its step, stage, name, index and both values.

Used by ``dealias trace`` (reference/debugging/trace.py: the built-in models, in one
process) and ``dealias run --compare`` (reference/debugging/compare.py: a user's script, in
two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reference.distance import Distance, distance, largest_finite
from reference.tolerances import Tolerance, tolerance


@dataclass(frozen=True)
class Divergence:
    """Where two loops first part: the step (from 1), stage, tensor, element and values."""

    step: int
    stage: str
    tensor: str
    index: tuple[int, ...]
    a: float
    b: float
    distance: Distance
    tolerance: Tolerance

    def __str__(self) -> str:
        where = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        return (f"step {self.step}, {self.stage}: {self.tensor}{where} = {self.a!r} in one "
                f"loop and {self.b!r} in the other ({self.distance.max_ulp:g} ULP of the "
                f"tensor's scale; allowed {self.tolerance.ulp:g})")


def compare(step: int, stage: str, snap_a: dict[str, np.ndarray],
             snap_b: dict[str, np.ndarray], history: dict[str, float] | None = None
             ) -> tuple[float, Divergence | None]:
    """The largest normwise distance of a stage, and a divergence if one goes past.

    ``history`` (kept by the caller across steps, updated here) holds each tensor's largest
    magnitude so far; the scale is that or today's, whichever is larger, and for a gradient
    at least its module's largest gradient (``_module_floors``). A gradient summed
    over many terms that cancel, near the end of training, is small while the error of its
    sum stays a fraction of its terms: measured against its own tiny values an honest
    gradient would look wrong; against the largest it has been, it does not."""
    largest, floors = 0.0, _module_floors(snap_b)
    for name in sorted(set(snap_a) | set(snap_b)):
        if name not in snap_a or name not in snap_b:
            missing = Distance(np.inf, np.inf, np.inf, (), np.nan, np.nan)
            return np.inf, Divergence(step, stage, name + " (only in one loop)", (), np.nan,
                                      np.nan, missing, tolerance("trace", np.float32))
        x, y = np.asarray(snap_a[name]), np.asarray(snap_b[name])
        if y.dtype.kind != "f":  # counters and integer buffers: equal, or apart
            y = y.astype(np.float64)
            x = x.astype(np.float64)
        tol = tolerance("trace", y.dtype)
        if x.shape != y.shape:
            gap = Distance(np.inf, np.inf, np.inf, (), np.nan, np.nan)
            return np.inf, Divergence(step, stage, f"{name} (shapes {x.shape} and {y.shape})",
                                      (), np.nan, np.nan, gap, tol)
        magnitude = max(largest_finite(y), floors.get(name, 0.0))  # one scale for them all
        if history is not None:
            key = f"{stage}/{name}"
            magnitude = history[key] = max(history.get(key, 0.0), magnitude)
        x, scale = x.astype(y.dtype, copy=False), np.asarray(magnitude, y.dtype)
        ulps = _largest_ulps(x, y, scale)
        largest = max(largest, ulps)
        if ulps > tol.ulp:
            gap = distance(x, y, scale)
            return largest, Divergence(step, stage, name, gap.index, gap.actual, gap.expected,
                                       gap, tol)
    return largest, None


def _module_floors(snapshot: dict[str, np.ndarray]) -> dict[str, float]:
    """A gradient's least scale: the largest gradient of its module (the tensors named
    MODULE.*.grad). A bias that feeds batch norm has a gradient of zero by cancellation,
    left as the rounding noise of its sum; the terms of that sum are the module's upstream
    gradient, which its weight's gradient reflects, so the noise is measured against that
    and not against itself."""
    def module(name: str) -> str:
        return name[:-len(".grad")].rpartition(".")[0]

    largest: dict[str, float] = {}
    for name, value in snapshot.items():
        if name.endswith(".grad"):
            largest[module(name)] = max(largest.get(module(name), 0.0),
                                        largest_finite(np.asarray(value)))
    return {name: largest[module(name)] for name in snapshot if name.endswith(".grad")}


def _largest_ulps(x: np.ndarray, y: np.ndarray, scale: np.ndarray) -> float:
    """``distance(x, y, scale).max_ulp`` for one scale, in a third of the passes: the largest
    |x - y| over the scale's ULP (a power of two, so the quotient is exact and keeps the
    order). NaNs and infinities take distance's way, which matches them element by element."""
    if x.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf; past float64's range
        largest = np.abs(x.astype(np.float64) - y.astype(np.float64)).max()
        if not np.isfinite(largest):
            return distance(x, y, scale).max_ulp
        return float(np.nan_to_num(largest / np.spacing(np.abs(scale)).astype(np.float64)))
