"""generator: torch's random numbers, drawn by hand from the same stream.

torch's CPU generator is the 32-bit Mersenne Twister (MT19937), seeded the classic way (the
same stream as NumPy's legacy ``RandomState(seed)``). Every draw is built from its 32-bit
words w, in order:

1. random64 = (w1 << 32) | w2                  two words, the first as the high half
2. rand, float32:  u = (w mod 2^24) 2^-24      24 random bits, exact in float32
   rand, float64:  u = (random64 mod 2^53) 2^-53
3. uniform_(a, b): u (b - a) + a               one fused multiply-add; b itself becomes a
4. randint(low, high): w mod (high - low) + low     random64 when high - low >= 2^28
5. randperm(n):    r = 0 .. n-1; for i = 0 .. n-2: swap r[i] and r[i + (w mod (n - i))]
6. randn:          Box-Muller on two uniforms u1, u2:
                   r = sqrt(-2 log(1 - u1)), theta = 2 pi u2
                   z1 = r cos(theta), z2 = r sin(theta)      two normal values
                   normal_(mean, std) = z std + mean

Elements are drawn in memory order. Quirks that change numbers: (6) has two paths in torch,
one for fewer than 16 elements (in double precision, keeping z2 for the next draw) and one
for blocks of 16 (all uniforms first, lane j paired with lane j + 8, the last 16 values
redrawn when the size is not a multiple of 16); manual/_parity/generator.py has both. A
DataLoader's shuffle, dropout's masks and initial weights come from the same stream.

Reference: aten/src/ATen/CPUGeneratorImpl.cpp, aten/src/ATen/core/TransformationHelper.h
(``uniform_real``, ``uniform_int_from_to``), aten/src/ATen/core/DistributionsHelper.h,
aten/src/ATen/native/cpu/DistributionTemplates.h, aten/src/ATen/native/TensorFactories.cpp
(``randperm_cpu``), torch/random.py.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from manual._parity import generator as parity
from manual._parity.rounding import fma
from manual.creation import _leaf, _size


class Generator:
    """The Mersenne Twister's words, and torch's cache of the next normal value."""

    def __init__(self, device: Any = "cpu") -> None:
        self.manual_seed(67280421310721)  # torch's default seed for a new Generator

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF  # torch keeps 64 bits of the seed
        self._twister = np.random.RandomState(self._seed & 0xFFFF_FFFF)  # and seeds with 32
        self._fresh = True
        self.next_double_normal: float | None = None  # z2 of (6), kept by the small path
        self.next_float_normal: float | None = None
        return self

    def initial_seed(self) -> int:  # the seed as given, all 64 bits
        return self._seed

    def words(self, n: int) -> np.ndarray:
        """n 32-bit words, as uint64 (room for (1)'s shift)."""
        self._fresh = self._fresh and n == 0
        return self._twister.randint(0, 2**32, size=n, dtype=np.uint32).astype(np.uint64)

    def random64(self, n: int) -> np.ndarray:
        w = self.words(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]                     # (1)

    def uniform01(self, n: int, dtype: Any) -> np.ndarray:
        if np.dtype(dtype) == np.float32:
            return (self.words(n) & np.uint64(2**24 - 1)).astype(np.float32) * np.float32(
                2.0**-24)                                                 # (2)
        return (self.random64(n) & np.uint64(2**53 - 1)).astype(np.float64) * 2.0**-53  # (2)

    def uniform(self, n: int, a: float, b: float, dtype: Any) -> np.ndarray:
        t = np.dtype(dtype).type
        low, high = t(a), t(b)
        u = self.uniform01(n, dtype)
        value = fma(u, t(high - low), np.full(n, low))                   # (3) u (b - a) + a
        return np.where(value == high, low, value)                       # (3) b becomes a

    def normal(self, n: int, mean: float, std: float, dtype: Any,
               contiguous: bool = True) -> np.ndarray:
        if n < parity.SMALL or not contiguous:                            # (6), one at a time
            return parity.normal_small(self, n, mean, std).astype(dtype)
        return parity.normal_fill(self, n, mean, std, np.dtype(dtype))   # (6), blocks of 16

    # torch's state: 5056 bytes that hold the words, the position and the normal cache
    get_state, set_state = parity.get_state, parity.set_state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the generator that initial weights, shuffles, dropout and rand* draw from."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the generator from the operating system's randomness; return the seed."""
    return manual_seed(int.from_bytes(os.urandom(8), "little")).initial_seed()


initial_seed, get_rng_state = default_generator.initial_seed, default_generator.get_state
set_rng_state = default_generator.set_state


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Any:
    """Uniform values in [0, 1): (2)."""
    shape, dtype = _size(size), np.dtype(dtype or np.float32)
    values = (generator or default_generator).uniform01(int(np.prod(shape)), dtype)
    return _leaf(values.reshape(shape), requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Any:
    """Standard normal values: (6)."""
    shape, dtype = _size(size), np.dtype(dtype or np.float32)
    values = (generator or default_generator).normal(int(np.prod(shape)), 0.0, 1.0, dtype)
    return _leaf(values.reshape(shape), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Any:
    """Integers in [low, high): (4); ``randint(high, size)`` starts at 0."""
    if high is None or not isinstance(high, int):  # randint(high, size)
        low, high, size = 0, low, high if high is not None else size
    shape, gen = _size((size,)), generator or default_generator
    span = parity.check_randint(low, high)
    n = int(np.prod(shape))
    draws = gen.random64(n) if span >= 2**28 else gen.words(n)
    values = (draws % np.uint64(span)).astype(np.int64) + np.int64(low)  # (4)
    return _leaf(values.reshape(shape).astype(dtype or np.int64), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Any:
    """A random order of 0 .. n-1: (5)."""
    gen = generator or default_generator
    if n >= parity.LARGE_PERMUTATION:
        return _leaf(parity.randperm_large(gen, n).astype(dtype or np.int64), requires_grad)
    r = list(range(n))
    offsets = gen.words(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.uint64)  # w mod (n - i)
    for i, z in enumerate(offsets.tolist()):
        r[i], r[i + z] = r[i + z], r[i]                                   # (5)
    return _leaf(np.array(r, dtype=dtype or np.int64), requires_grad)
