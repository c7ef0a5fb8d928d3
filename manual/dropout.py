"""dropout: while training, zero each element with probability p and scale the rest by 1/(1 - p).

Forward, for x of any shape (*), with q = 1 - p the probability of keeping an element:

1. u = a uniform draw in [0, 1), one per element of x, in memory order   (*)
2. m = 1 where u < q, else 0                                            (*) the kept elements
3. noise = m / q                                                        (*) in x's dtype
4. y = x noise                                                          (*)

Backward, given dL/dy (written dy):

5. dx = dy noise                                                        (*)

So E[y] = x: a kept element is scaled up by as much as dropping the others takes away.
Not training, p = 0 or an x with no elements: y is x itself (no copy, no draws). p = 1:
y = x 0, and nothing is drawn.

Quirks of torch that change the numbers:

* (1) each u is a double made of 53 random bits, two 32-bit words of the generator per
  element (manual/generator.py (1), (2)); the same seed gives the same mask.
* (3) q is computed in Python's double, rounded to x's dtype, and 1 / q rounded again: a kept
  float32 element is x (1 / float32(q)), which is not always x / q (p = 0.15, for one).
* (4) a dropped element is x 0, not 0: NaN and inf give NaN, a negative x gives -0.0 (p = 1
  likewise), and (5) gives dy 0 there (NaN for an infinite dy).
* ``inplace=True`` writes y into x as torch's ``x.mul_(noise)``, after the draws.

Reference: torch/nn/functional.py (``dropout``), torch/nn/modules/dropout.py (``Dropout``),
aten/src/ATen/native/Dropout.cpp (``_dropout_impl``), aten/src/ATen/native/cpu/
DistributionTemplates.h (``bernoulli_kernel``), aten/src/ATen/core/TransformationHelper.h
(``uniform_real``), derivatives.yaml (``mul``).
"""

from __future__ import annotations

import numpy as np

from manual._parity import dropout as parity
from manual.generator import default_generator
from manual.graph import record
from manual.module import Module
from manual.tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """y = x m / (1 - p), m a fresh Bernoulli(1 - p) mask, while training; x itself otherwise."""
    parity.check(input, p, training)  # torch's refusals of p, x and training, in its order
    if p == 0 or not training or input.numel() == 0:
        return input                                              # nothing dropped, no draws
    noise = _noise(input, p)                                      # (1)-(3)
    if inplace:
        return input.mul_(Tensor(noise))                          # (4) x = x noise, in place
    x = input.array
    y = x * noise                                                 # (4)

    def derivative(dy: np.ndarray) -> tuple[np.ndarray]:
        return (dy * noise,)                                      # (5)

    return record("MulBackward0", y, (input,), derivative, saves=True)


def _noise(input: Tensor, p: float) -> np.ndarray:
    """(1)-(3): 1/q where an element is kept, 0 where it is dropped, in x's shape and dtype."""
    if p == 1:
        return np.zeros((), input.dtype)                          # nothing kept, no draws
    q = 1.0 - float(p)                                            # in Python's double
    u = default_generator.uniform01(input.numel(), np.float64)    # (1) 2 words per element
    m = (u < q).reshape(input.shape)                              # (2)
    parity.check_noise(input, p)  # torch's noise.div_(q) refuses an integer x, after the draws
    return m.astype(input.dtype) / input.dtype.type(q)            # (3) m / q, in x's dtype


class Dropout(Module):
    """dropout() with p, that drops while the module is training (``train()``, ``eval()``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        parity.check_p(p)  # torch's refusal of p outside [0, 1]
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
