"""generator: the draws of manual/generator.py against torch's CPU generator
(torch_native/generator.py), to the bit, and the generator left where torch's is.

Every property runs the same draw on both twins from the same seed and then compares the
generator's whole state (torch's 5056 bytes: words, position and normal cache), so a draw
that takes one word too many or too few fails even when its values agree.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.generator as mg
import torch_native.generator as tg

seeds = st.integers(0, 2**64 - 1)
dtypes = st.sampled_from(["float32", "float64"])
sizes = st.one_of(st.integers(0, 40), st.sampled_from([64, 100, 257, 1000]))


def _same_bits(a, b) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    assert a.tobytes() == b.tobytes(), np.nonzero(a != b)


def _same_state() -> None:
    _same_bits(mg.get_rng_state().array, tg.get_rng_state().numpy())


def test_hand_example_first_draws_of_seed_0():
    # MT19937 seeded with 0 starts 2357136044, 2546248239, 3071714933 (the classic stream);
    # rand keeps 24 bits: 2357136044 mod 2^24 = 8325804, and 8325804 / 2^24 = 0.49625659...
    # randint(0, 10): 2357136044 mod 10 = 4, 2546248239 mod 10 = 9, 3071714933 mod 10 = 3
    for side in (mg, tg):
        side.manual_seed(0)
        assert float(np.asarray(side.rand(1))[0]) == 8325804 / 2**24
        side.manual_seed(0)
        assert np.asarray(side.randint(0, 10, (3,))).tolist() == [4, 9, 3]


@given(seeds, sizes, dtypes)
def test_rand_and_randn_are_torchs_to_the_bit(seed, n, dtype):
    for side in (mg, tg):
        side.manual_seed(seed)
    for draw in ("rand", "randn", "randn", "rand"):  # an odd randn leaves a cached value
        _same_bits(getattr(mg, draw)(n, dtype=getattr(np, dtype)).array,
                   getattr(tg, draw)(n, dtype=getattr(torch, dtype)).numpy())
        _same_state()


spans = st.one_of(st.integers(1, 2**40), st.sampled_from([2**28 - 1, 2**28, 2**32, 2**32 + 1]))


@given(seeds, st.tuples(st.integers(-50, 50), spans),
       st.lists(st.integers(0, 5), max_size=3).map(tuple))
def test_randint_is_torchs_on_both_sides_of_2_to_the_28(seed, bounds, shape):
    low, span = bounds
    for side in (mg, tg):
        side.manual_seed(seed)
    _same_bits(mg.randint(low, low + span, shape).array, tg.randint(low, low + span, shape))
    _same_bits(mg.randint(span, shape).array, tg.randint(span, shape))
    _same_bits(mg.randint(span, size=shape).array, tg.randint(span, size=shape))
    _same_state()


@given(seeds, sizes, dtypes, st.sampled_from([(0.0, 1.0), (-0.25, 0.25), (-3.7, 1e-3),
                                              (1.0, float(np.nextafter(np.float32(1), 2)))]))
def test_uniform_is_torchs_and_a_value_rounded_up_to_b_becomes_a(seed, n, dtype, bounds):
    # (1, the next float32 after 1): u (b - a) + a rounds to b for u >= 1/2, which torch
    # replaces by a
    for side in (mg, tg):
        side.manual_seed(seed)
    mine = mg.default_generator.uniform(n, *bounds, dtype)
    _same_bits(mine, torch.empty(n, dtype=getattr(torch, dtype)).uniform_(*bounds).numpy())
    _same_state()
    assert (mine < np.asarray(bounds[1], dtype)).all()


@given(seeds, st.integers(0, 300))
def test_randperm_is_torchs_from_the_global_and_an_own_generator(seed, n):
    for side in (mg, tg):
        side.manual_seed(seed)
    _same_bits(mg.randperm(n).array, tg.randperm(n))
    _same_state()
    mine, theirs = mg.Generator().manual_seed(seed), tg.Generator().manual_seed(seed)
    _same_bits(mg.randperm(n, generator=mine).array, tg.randperm(n, generator=theirs))
    _same_bits(mine.get_state().array, theirs.get_state().numpy())


@given(seeds, st.integers(0, 2000), dtypes)
def test_torchs_state_taken_mid_stream_continues_torchs_stream(seed, burn, dtype):
    tg.manual_seed(seed)
    tg.rand(burn)
    tg.randn(3)  # a cached normal travels with the state
    mg.set_rng_state(tg.get_rng_state())
    _same_state()
    _same_bits(mg.randn(5, dtype=getattr(np, dtype)).array,
               tg.randn(5, dtype=getattr(torch, dtype)).numpy())
    _same_state()


def test_a_new_generator_starts_from_torchs_default_seed():
    assert mg.Generator().initial_seed() == tg.Generator().initial_seed() == 67280421310721
    _same_bits(mg.Generator().get_state().array, tg.Generator().get_state().numpy())


def test_seeds_keep_64_bits_and_seed_from_the_system():
    for side in (mg, tg):
        side.manual_seed(-1)
        assert side.initial_seed() == 2**64 - 1
        seed = side.seed()
        assert side.initial_seed() == seed
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        mg.randint(5, 5, (1,))


# -- without torch: what a generator must do whatever torch does ------------------------------

@given(seeds, st.integers(0, 200))
def test_draws_are_in_range_and_a_permutation_is_a_permutation(seed, n):
    mg.manual_seed(seed)
    u = mg.rand(n).array
    assert ((u >= 0) & (u < 1)).all()
    assert sorted(mg.randperm(n).array.tolist()) == list(range(n))
    assert ((mg.randint(3, 9, (n,)).array >= 3) & (mg.randint(3, 9, (n,)).array < 9)).all()


def test_the_large_randperm_is_a_permutation(monkeypatch):
    # the 64-bit inside-out shuffle torch uses from n = 2^32 / 20 on, tried small
    monkeypatch.setattr(mg.parity, "LARGE_PERMUTATION", 0)
    for n in (1, 2, 7, 100):
        order = mg.randperm(n, generator=mg.Generator().manual_seed(n)).array
        assert sorted(order.tolist()) == list(range(n))


@given(seeds, st.integers(1, 100))
def test_the_same_seed_gives_the_same_draws_and_state_round_trips(seed, n):
    mg.manual_seed(seed)
    first = mg.randn(n).array
    state = mg.get_rng_state()
    after = mg.randn(n).array
    mg.manual_seed(seed)
    _same_bits(mg.randn(n).array, first)
    mg.set_rng_state(state)
    _same_bits(mg.randn(n).array, after)


@pytest.mark.parametrize(("field", "value"), [("left", 0), ("left", -1), ("left", 625),
                                              ("left", 1), ("position", 625), ("size", 5048),
                                              ("size", 100)], ids=str)
def test_a_state_torch_refuses_is_refused_alike(field, value):
    """torch's state bytes with a field out of range (the Mersenne Twister's countdown
    ``left``, its ``next`` position) or of another size: refused with torch's words, or,
    in range, continuing as torch's stream does."""
    torch.manual_seed(3)
    torch.rand(5)
    b = bytearray(torch.get_rng_state().numpy().tobytes())
    if field == "left":
        b[8:12] = value.to_bytes(4, "little", signed=True)
    elif field == "position":
        b[16:24] = value.to_bytes(8, "little")
    else:
        b = b[:value]
    state = np.frombuffer(bytes(b), np.uint8).copy()
    outcomes = []
    for lib in (manual, torch):
        try:
            lib.set_rng_state(torch.tensor(state) if lib is torch else state)
            outcomes.append(lib.rand(3).tolist())
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]
