"""How far apart each pair of twins may be, per dtype, and why. Defined here, once.

Distances are in ULP (see reference.distance). Two kinds:

* of the value: elementwise work (an optimizer step given the same gradients, zero_grad,
  a loss with reduction="none", weights drawn from the same seed). The manual code rounds
  exactly where torch's kernels round, so these aim at 0 ULP.
* of the scale: sums and matrix products, where the twins may add the same terms in a
  different order (BLAS blocking, pairwise vs cascade summation). Each order is within
  (n - 1) u of the exact sum *relative to the sum of the magnitudes of the terms*, u being
  half an ULP; the result itself can be near zero by cancellation, so the bound is counted
  in ULPs of that scale, which the tests pass in (e.g. linear(|x|, |W|, |b|)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TERMS = 16  # the most terms a sum or dot product drawn by the tests has


@dataclass(frozen=True)
class Tolerance:
    ulp: float
    reason: str
    of_scale: bool = False

    def __str__(self) -> str:
        return f"{self.ulp:g} ULP{' of scale' if self.of_scale else ''} ({self.reason})"


_EXACT = Tolerance(0, "elementwise: the manual code rounds where torch's kernels round")
_SUMS = Tolerance(
    2 * (MAX_TERMS - 1),
    f"sums of at most {MAX_TERMS} terms in another order: each within (n-1)u of the exact "
    "sum relative to the sum of magnitudes, so the twins within 2(n-1)u",
    of_scale=True,
)

_LIBM = ("exp and log are not correctly rounded by either side: torch calls SLEEF's vectorised "
         "functions, NumPy its own SIMD routines; over 10^6 draws in [-8, 8] the largest gap "
         "seen was {} ULP")

_REORDERED = Tolerance(
    2,
    "one elementwise formula with its factors applied in another order (2 d / N against "
    "(1 / N) 2 d): each side rounds at most twice, a relative gap under 3u, so 2 ULP",
)
_TRAINING = Tolerance(
    16,
    "whole training runs: each step's sums differ by a few ULP of scale, and later steps "
    "carry those differences on, damped by the descent; counted in ULP of the parameters "
    "themselves",
    of_scale=True,
)

TOLERANCES: dict[str, dict[np.dtype, Tolerance]] = {
    "exact": {np.dtype(np.float32): _EXACT, np.dtype(np.float64): _EXACT},
    "sums": {np.dtype(np.float32): _SUMS, np.dtype(np.float64): _SUMS},
    "reordered": {np.dtype(np.float32): _REORDERED, np.dtype(np.float64): _REORDERED},
    "training": {np.dtype(np.float32): _TRAINING, np.dtype(np.float64): _TRAINING},
    "libm": {np.dtype(np.float32): Tolerance(3, _LIBM.format("2 (exp) and 3 (log)")),
             np.dtype(np.float64): Tolerance(1, _LIBM.format(1))},
}

# Which kind each piece is (a piece with both kinds of results names each in its tests).
PIECES: dict[str, str] = {
    "backward": "exact",
    "linear": "sums",
    "mse_loss": "sums",
    "sgd": "exact",
    "zero_grad": "exact",
    "init": "exact",
    "linear_regression": "training",
    "training_loop": "training",
    "activations": "exact",
    "cross_entropy": "sums",
    "conv2d": "sums",
    "conv_transpose2d": "sums",
    "data_loader": "exact",
}


def tolerance(piece: str, dtype: np.dtype | type) -> Tolerance:
    """The tolerance of ``piece`` (a name in PIECES or a kind in TOLERANCES) for ``dtype``."""
    kind = PIECES.get(piece, piece)
    return TOLERANCES[kind][np.dtype(dtype)]
