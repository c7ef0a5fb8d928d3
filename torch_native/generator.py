"""generator: torch's random numbers, from its CPU generator.

torch's CPU generator is the 32-bit Mersenne Twister (MT19937). Its draws, from its 32-bit
words w:

1. random64 = (w1 << 32) | w2
2. rand: (w mod 2^24) 2^-24 for float32, (random64 mod 2^53) 2^-53 for float64
3. uniform_(a, b): u (b - a) + a
4. randint(low, high): w mod (high - low) + low
5. randperm(n): a swap per position, each from w mod what is left
6. randn: Box-Muller, r = sqrt(-2 log(1 - u1)), theta = 2 pi u2, r cos, r sin

Manual twin: manual/generator.py, where each of these lines is a line of code.

Reference: aten/src/ATen/CPUGeneratorImpl.cpp, torch/random.py.
"""

from __future__ import annotations

from typing import Any

import torch


class Generator(torch.Generator):
    """torch.Generator, with the signature the manual twin has."""

    def __init__(self, device: Any = "cpu") -> None:
        super().__init__()  # torch.Generator.__new__ took the device


default_generator = torch.default_generator


def manual_seed(seed: int) -> torch.Generator:
    return torch.manual_seed(seed)


def seed() -> int:
    return torch.seed()


def initial_seed() -> int:
    return torch.initial_seed()


def get_rng_state() -> torch.Tensor:
    return torch.get_rng_state()


def set_rng_state(new_state: torch.Tensor) -> None:
    torch.set_rng_state(new_state)


def rand(*size: Any, generator: torch.Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> torch.Tensor:
    return torch.rand(*size, generator=generator, dtype=dtype, device=device,
                      requires_grad=requires_grad)


def randn(*size: Any, generator: torch.Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> torch.Tensor:
    return torch.randn(*size, generator=generator, dtype=dtype, device=device,
                       requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), *,
            generator: torch.Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> torch.Tensor:
    if high is None or not isinstance(high, int):  # randint(high, size)
        low, high, size = 0, low, high if high is not None else size
    return torch.randint(low, high, size, generator=generator, dtype=dtype or torch.int64,
                         device=device, requires_grad=requires_grad)


def randperm(n: int, *, generator: torch.Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> torch.Tensor:
    return torch.randperm(n, generator=generator, dtype=dtype or torch.int64, device=device,
                          requires_grad=requires_grad)
