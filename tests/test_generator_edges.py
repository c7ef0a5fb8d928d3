"""Edges of the generator against torch's: the requires_grad of draws, 64-bit randint
spans, the normal kernel's log at its branch point, and torch's state bytes at the
Twister's turning points and with a cached float normal (manual/_parity/generator.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import manual
import manual.generator as mg
from manual._parity import generator as parity


def same_bits(label: str, m: np.ndarray, t: np.ndarray) -> None:
    assert (m.shape, m.dtype) == (t.shape, t.dtype), (label, m.shape, t.shape, m.dtype, t.dtype)
    assert m.tobytes() == t.tobytes(), (label, m, t)


def state(lib) -> bytes:
    s = lib.get_rng_state()
    return (s.array if lib is manual else s.numpy()).tobytes()


def as_state(lib, b: bytes):
    return lib.tensor(np.frombuffer(b, np.uint8).copy())


# -- the flags and dtypes of draws --------------------------------------------------------------

DRAWS = {
    "rand": lambda lib, **kw: lib.rand(2, 3, **kw),
    "randn": lambda lib, **kw: lib.randn(4, **kw),
    "randint float": lambda lib, **kw: lib.randint(0, 5, (3,), dtype=lib.float32, **kw),
    "randperm float": lambda lib, **kw: lib.randperm(4, dtype=lib.float64, **kw),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_draws_require_grad_only_when_asked(name):
    for lib in (manual, torch):
        lib.manual_seed(1)
        assert DRAWS[name](lib).requires_grad is False
        wanted = DRAWS[name](lib, requires_grad=True)
        assert wanted.requires_grad is True and wanted.is_leaf


@pytest.mark.parametrize("call", [lambda lib: lib.randint(0, 5, (2,), requires_grad=True),
                                  lambda lib: lib.randperm(3, requires_grad=True)])
def test_integer_draws_that_require_grad_are_refused(call):
    for lib in (manual, torch):
        with pytest.raises(RuntimeError, match="can require gradients"):
            call(lib)


@pytest.mark.parametrize("bounds", [(-2**62, 2**62), (0, 2**62 + 12345), (2**60, 2**61)])
def test_randint_over_a_64_bit_span_is_torchs(bounds):
    results = []
    for lib in (manual, torch):
        lib.manual_seed(5)
        results.append(np.asarray(lib.randint(*bounds, (40,)).tolist(), np.int64))
    same_bits("randint", *results)


def test_the_large_randperm_starts_at_its_threshold(monkeypatch):
    # from n = LARGE_PERMUTATION on, randperm takes the 64-bit shuffle (tried small here):
    # its order, in int64 unless told, and the flags asked for
    monkeypatch.setattr(parity, "LARGE_PERMUTATION", 6)
    expected = parity.randperm_large(mg.Generator().manual_seed(9), 6)
    order = mg.randperm(6, generator=mg.Generator().manual_seed(9))
    same_bits("large path", order.array, expected)
    floats = mg.randperm(6, generator=mg.Generator().manual_seed(9), dtype=np.float32,
                         requires_grad=True)
    same_bits("float32", floats.array, expected.astype(np.float32))
    assert floats.requires_grad is True
    torch.manual_seed(9)
    small = torch.randperm(5).numpy()                            # below: torch's own path
    same_bits("small path", mg.randperm(5, generator=mg.Generator().manual_seed(9)).array,
              small)


# -- the float32 normal kernel's log at sqrt(1/2) -----------------------------------------------

def test_normal_block_where_u1_is_exactly_the_logs_branch_point():
    # seed 158: the uniform drawn after 30363 others is 1 - sqrt(1/2) rounded to float32, so
    # the next block's u1 = 1 - u is the float32 sqrt(1/2) itself, where log256_ps decides
    # whether to halve the mantissa (it does not: x < sqrt(1/2) is false)
    u1 = np.float32(1) - np.float32(4913933 * 2.0**-24)
    assert u1 == np.float32(0.707106781186547524)
    draws = []
    for lib in (manual, torch):
        lib.manual_seed(158)
        assert np.float32(lib.rand(30364)[-1].item()) == 1 - u1
        lib.manual_seed(158)
        lib.rand(30363)
        t = lib.randn(16)
        draws.append(t.array if lib is manual else t.numpy())
    same_bits("randn", *draws)


# -- torch's state bytes --------------------------------------------------------------------

@pytest.mark.parametrize("words", [0, 1, 623, 624, 625], ids=lambda n: f"{n} words")
def test_state_round_trips_at_the_twisters_turning_points(words):
    # after seeding (left 1, next 0), after one word (left 624, next 1), after 624 words
    # (left 1, next 624): manual takes torch's bytes, gives the same bytes back, and goes on
    # with torch's stream
    torch.manual_seed(21)
    torch.rand(words)                                            # one 32-bit word each
    b = state(torch)
    for setter in (manual.set_rng_state, lambda s: mg.default_generator.set_state(s)):
        manual.manual_seed(0)
        setter(as_state(manual, b))
        assert state(manual) == b
    torch.set_rng_state(as_state(torch, b))
    same_bits("rand", manual.rand(700).array, torch.rand(700).numpy())
    same_bits("randn", manual.randn(3, dtype=np.float64).array,
              torch.randn(3, dtype=torch.float64).numpy())
    assert state(manual) == state(torch)


def test_a_cached_float_normal_travels_with_the_state():
    # torch's state holds a float normal cache too (bytes 5048-5052, flag at 5052)
    torch.manual_seed(4)
    torch.randn(3, dtype=torch.float64)                          # a double normal cached
    b = bytearray(state(torch))
    b[5048:5052] = np.float32(-1.625).tobytes()
    b[5052] = 1
    torch.set_rng_state(as_state(torch, bytes(b)))
    manual.set_rng_state(as_state(manual, bytes(b)))
    assert state(torch) == bytes(b)
    assert state(manual) == bytes(b)
    assert mg.default_generator.next_float_normal == -1.625
    generator = mg.Generator().set_state(as_state(manual, bytes(b)))
    assert generator.get_state().array.tobytes() == bytes(b)
    same_bits("randn", manual.randn(5).array, torch.randn(5).numpy())
