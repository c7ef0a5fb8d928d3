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
from typing import Any

import numpy as np

MAX_TERMS = 16  # the most terms a sum or dot product drawn by the tests has


@dataclass(frozen=True)
class Tolerance:
    ulp: float
    reason: str
    of_scale: bool = False
    per_term: bool = False  # a bound on sums, which grows with the number of terms

    def allowed(self, terms: int | None = None) -> float:
        """The bound in ULP; for sums, 2(n - 1) for n terms (n = MAX_TERMS unless given)."""
        if not self.per_term or terms is None:
            return self.ulp
        return 2 * (max(terms, 1) - 1)

    def __str__(self) -> str:
        return f"{self.ulp:g} ULP{' of scale' if self.of_scale else ''} ({self.reason})"


_EXACT = Tolerance(0, "elementwise: the manual code rounds where torch's kernels round")
_SUMS = Tolerance(
    2 * (MAX_TERMS - 1),
    "sums of n terms in another order: each within (n-1)u of the exact sum relative to the "
    "sum of magnitudes, so the twins within 2(n-1) ULP of that scale (n = "
    f"{MAX_TERMS} unless the test counts the terms)",
    of_scale=True,
    per_term=True,
)

_LIBM = ("exp and log are not correctly rounded by either side: torch calls SLEEF's vectorised "
         "functions, NumPy its own SIMD routines; over 10^6 draws in [-8, 8] the largest gap "
         "seen was {} ULP")

_LIBM_PRODUCT = ("a libm value times the same factor, as exp's gradient g e^a: the two values "
                 "differ by up to L ULP of e (L as for libm), a relative 2Lu, and each side "
                 "rounds its product once (u each), so the products are within (2L + 2)u of "
                 "themselves, (2L + 2) ULP: {}")

_REORDERED = Tolerance(
    2,
    "one elementwise formula with its factors applied in another order (2 d / N against "
    "(1 / N) 2 d): each side rounds at most twice, a relative gap under 3u, so 2 ULP",
)
_TRAINING = Tolerance(
    16,
    "whole training runs: each step's sums differ by a few ULP of scale, and later steps "
    "carry those differences on, damped by the descent; normwise, in ULPs of the largest "
    "magnitude in the tensor (for a parameter, of |p_0| + the sum of |each step's change|: "
    "it carries every step's difference, and may end near zero)",
    of_scale=True,
)

_TRACE = Tolerance(
    256,
    "lockstep traces, normwise (ULPs of the tensor's largest magnitude): two honest loops "
    "differ by summation order at every step and carry it on; a planted bug moves a tensor "
    "by far more than 256 ULP (3e-5 of its scale in float32)",
    of_scale=True,
)

_FAITHFUL_SQRT = Tolerance(
    28,
    "Adam's parameters over at most 5 steps, in ULPs of |p_0| + sum of |update|: torch's CPU "
    "sqrt is faithful, NumPy's correctly rounded, 1 ULP apart (2u relative); through the "
    "division by sqrt(c2), + eps and m / d the update differs by at most 8u of itself, each "
    "rounding of p (and AdamW's decay) adds 2u of the scale, so after k steps (8 + 4k)u; "
    "m and v agree to the bit unless Adam's coupled decay feeds p back into them",
    of_scale=True,
)

_CUDA_SECOND_MOMENT = Tolerance(
    12,
    "Adam's second moment v with torch on CUDA, over the check's 3 steps: the CUDA addcmul_ "
    "rounds g g and fuses the rest, fma(1 - beta2, g g, v), where the CPU kernel (and the "
    "manual twin) rounds (1 - beta2) g and fuses the rest; the terms are never negative, so "
    "one step leaves the two within 4u of v (2 to 4 ULP), and v carries it on: 12 ULP after 3",
)
_CUDA_ADAM = Tolerance(
    28,
    "Adam's parameters with torch on CUDA, over at most 5 steps, in ULPs of |p_0| + sum of "
    "|update|: CUDA's sqrt is correctly rounded, but v differs (see adam_second_moment), by "
    "4ku after k steps, 2ku through the sqrt, and addcdiv_ rounds m / d before scaling it "
    "where the CPU rounds lr m first: each update within (2k + 4)u of itself, each rounding "
    "of p adds 2u of the scale, so (6k + 4)u = (3k + 2) ULP, under the CPU bound for k <= 5",
    of_scale=True,
)

_ADADELTA = Tolerance(
    66,
    "Adadelta's parameters over at most 5 steps, in ULPs of |p_0| + the sum of lr |d|: "
    "torch's CPU sqrt is faithful, NumPy's correctly rounded (1 ULP apart, 2u); d = "
    "sqrt(u + eps) / sqrt(v + eps) g is (12k - 4)u apart at step k (acc_delta's gap "
    "halved by its root, plus 10u), each rounding of p adds 2u of the scale: after k "
    "steps (14k - 4)u, 66 ULP at k = 5",
    of_scale=True,
)
_ADADELTA_ACC_DELTA = Tolerance(
    116,
    "Adadelta's acc_delta u over at most 5 steps, relative: u = rho u + (1 - rho) d d "
    "sums terms of one sign, so it is as far apart as (1 - rho) d d, twice d's gap "
    "plus 4u; d is half u's previous gap plus 10u apart: u grows by 24u a step, from "
    "20u after the first: (24k - 4)u, 116 ULP at k = 5",
)
_RMSPROP = Tolerance(
    32,
    "RMSprop's parameters over at most 5 steps, in ULPs of |p_0| + the sum of lr B, B = "
    "mu B + |g / d| the momentum buffer's magnitude: torch's CPU sqrt is faithful, "
    "NumPy's correctly rounded (1 ULP apart, 2u), so g / d is 6u apart, the buffer "
    "(4k + 2)u of B after k steps, and each rounding of p adds 2u of the scale: "
    "(6k + 2)u, 32 ULP at k = 5 ((2k + 6)u without momentum)",
    of_scale=True,
)
_RMSPROP_MOMENTUM_BUFFER = Tolerance(
    22,
    "RMSprop's momentum buffer b = mu b + g / d over at most 5 steps, in ULPs of its "
    "magnitude B = mu B + |g / d|: g / d is 6u apart (a faithful against a correctly "
    "rounded sqrt, 2u, then + eps and the quotient, 2u each), and mu b and the sum add "
    "2u of B each: (4k + 2)u after k steps, 22 ULP at k = 5",
    of_scale=True,
)
_ADAGRAD = Tolerance(
    16,
    "Adagrad's parameters over at most 5 steps, in ULPs of |p_0| + the sum of |update|: "
    "torch's CPU sqrt is faithful, NumPy's correctly rounded (1 ULP apart, 2u); through "
    "+ eps and the quotient the update differs by at most 6u of itself, and each "
    "rounding of p adds 2u of the scale: after k steps (2k + 6)u, 16 ULP at k = 5; "
    "the sum agrees to the bit, and with fused=True everything does",
    of_scale=True,
)

_BCE_LOGIT = Tolerance(
    8,
    "binary_cross_entropy's target gradient -g w logit(x) / D: torch's logit is MKL's "
    "vector log, the twin's glibc's, at most 1 ULP apart (2.2 million values per dtype), a "
    "relative 2u; each side then rounds up to three more times (x g, x w, / N), u each: "
    "(2 + 2 3)u, 8 ULP of the result; seen at most 4 (float32) and 3 (float64)",
)

def _both(tol: Tolerance) -> dict[np.dtype, Tolerance]:
    """The same bound for float32 and float64 (a bound counted in ULPs of either)."""
    return {np.dtype(np.float32): tol, np.dtype(np.float64): tol}


TOLERANCES: dict[str, dict[np.dtype, Tolerance]] = {
    "exact": _both(_EXACT),
    "sums": _both(_SUMS),
    "reordered": _both(_REORDERED),
    "training": _both(_TRAINING),
    "trace": _both(_TRACE),
    "faithful_sqrt": _both(_FAITHFUL_SQRT),
    "cuda_second_moment": _both(_CUDA_SECOND_MOMENT),
    "cuda_adam": _both(_CUDA_ADAM),
    "libm_product": {np.dtype(np.float32): Tolerance(8, _LIBM_PRODUCT.format("L = 3, 8 ULP")),
                     np.dtype(np.float64): Tolerance(4, _LIBM_PRODUCT.format("L = 1, 4 ULP"))},
    "adadelta": _both(_ADADELTA),
    "adadelta_acc_delta": _both(_ADADELTA_ACC_DELTA),
    "rmsprop": _both(_RMSPROP),
    "rmsprop_momentum_buffer": _both(_RMSPROP_MOMENTUM_BUFFER),
    "adagrad": _both(_ADAGRAD),
    "bce_logit": _both(_BCE_LOGIT),
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
    "adam": "faithful_sqrt",
    "adam_second_moment": "exact",     # v and v_max: a result of adam with its own kind
    "grad_accumulation": "training",
    "adadelta": "adadelta",
    "rmsprop": "rmsprop",
    "adagrad": "adagrad",
    "generator": "exact",
    "clip_grad": "exact",
    "dataset": "exact",
    "dropout": "exact",
    "embedding": "exact",
    "serialization": "exact",
    "lr_scheduler": "exact",
    "lr_curves": "exact",
    "one_cycle": "exact",
    "plateau": "exact",
    "pooling": "exact",
    "gelu": "exact",
    "Flatten": "exact",
    "Tanh": "libm",
    "Sigmoid": "exact",
    "softmax": "exact",
    "nll_loss": "exact",
    "batch_norm": "exact",
    "layer_norm": "exact",
    "bce": "exact",
}

# With torch on CUDA, other kernels run. Where one rounds otherwise than the CPU kernel that
# the manual twin follows, the piece (or result) takes the kind named here instead; every
# other piece keeps its CPU kind, as the CUDA kernels round the same way (SGD's add_ with
# alpha is one fused multiply-add there too).
ON_CUDA: dict[str, str] = {
    "adam": "cuda_adam",
    "adam_second_moment": "cuda_second_moment",
}


def tolerance(piece: str, dtype: np.dtype | type, device: Any = "cpu") -> Tolerance:
    """The tolerance of ``piece`` (a name in PIECES or a kind in TOLERANCES) for ``dtype``,
    with torch's side on ``device``."""
    if str(device).partition(":")[0] == "cuda":
        piece = ON_CUDA.get(piece, piece)
    kind = PIECES.get(piece, piece)
    return TOLERANCES[kind][np.dtype(dtype)]
