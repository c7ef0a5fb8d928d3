"""conv2d and conv_transpose2d at torch's edges, one example each: refusals in torch's class
and words (manual's message is torch's, then exactly the values it adds), unbatched inputs
forward and backward, the module's output_size, and the definition's loops over groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import manual
import manual.conv2d


def F(lib):  # noqa: N802 (torch.nn.functional, or manual's)
    return lib.nn.functional


def ones(lib, *shape, **options):
    return lib.ones(*shape, **options)


def refused_alike(call, added: str) -> tuple[str, str]:
    """The same exception class on both twins; manual's words are torch's, then ``added``."""
    outcomes = []
    for lib in (manual, torch):
        with pytest.raises(Exception) as raised:  # noqa: PT011 (the class is compared below)
            call(lib)
        outcomes.append((type(raised.value), str(raised.value)))
    (m_class, m_words), (t_class, t_words) = outcomes
    assert m_class is t_class, (m_class, m_words, t_class, t_words)
    assert m_words == t_words + added, (m_words, t_words)
    return m_words, t_words


REFUSALS = {  # name: (the call on manual or torch, what manual adds to torch's words)
    "conv2d bool": (lambda lib: F(lib).conv2d(ones(lib, 1, 1, 4, 4, dtype=lib.bool),
                                              ones(lib, 1, 1, 3, 3, dtype=lib.bool)),
                    ": input of dtype bool"),
    "conv_transpose2d bool": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 4, 4, dtype=lib.bool), ones(lib, 1, 1, 3, 3, dtype=lib.bool)),
        ": input of dtype bool"),
    "conv_transpose2d empty height": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 0, 4), ones(lib, 1, 1, 3, 3)), ""),
    "conv_transpose2d empty width": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 4, 0), ones(lib, 1, 1, 3, 3)), ""),
    "conv_transpose2d float bias for ints": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 4, 4, dtype=lib.int64), ones(lib, 1, 2, 3, 3, dtype=lib.int64),
        ones(lib, 2)), ": bias of dtype float32, input of dtype int64"),
    "conv_transpose2d output_padding, dilated width": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 4, 4), ones(lib, 1, 1, 3, 3), output_padding=(0, 2), dilation=(1, 2)),
        ""),
    "conv_transpose2d output_padding, dilated height": (lambda lib: F(lib).conv_transpose2d(
        ones(lib, 1, 1, 4, 4), ones(lib, 1, 1, 3, 3), output_padding=(2, 0), dilation=(2, 1)),
        ""),
    "conv2d bool bias": (lambda lib: F(lib).conv2d(ones(lib, 1, 1, 4, 4), ones(lib, 1, 1, 3, 3),
                                                   ones(lib, 1, dtype=lib.bool)), ""),
    "conv2d int64 bias": (lambda lib: F(lib).conv2d(ones(lib, 1, 1, 4, 4), ones(lib, 1, 1, 3, 3),
                                                    ones(lib, 1, dtype=lib.int64)), ""),
    "conv2d float bias for ints": (lambda lib: F(lib).conv2d(
        ones(lib, 1, 1, 4, 4, dtype=lib.int64), ones(lib, 1, 1, 3, 3, dtype=lib.int64),
        ones(lib, 1)), ""),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refused_as_torch(name):
    call, added = REFUSALS[name]
    refused_alike(call, added)


@pytest.mark.parametrize("padding", [1.5, (1, "a")], ids=str)
def test_a_padding_not_of_ints_is_a_type_error(padding):
    # torch's parser words it by its overloads; manual names the argument and its value
    for lib in (manual, torch):
        with pytest.raises(TypeError) as raised:
            F(lib).conv2d(ones(lib, 1, 1, 4, 4), ones(lib, 1, 1, 3, 3), padding=padding)
    assert "padding" in str(raised.value)
    with pytest.raises(TypeError) as raised:
        F(manual).conv2d(ones(manual, 1, 1, 4, 4), ones(manual, 1, 1, 3, 3), padding=padding)
    assert str(raised.value) == (f"conv2d(): argument 'padding' must be tuple of ints, but got "
                                 f"padding={padding!r}")


# -- unbatched inputs, and the module's output_size ---------------------------------------------

def _x(shape, seed=0):
    return np.random.default_rng(seed).integers(-3, 4, shape).astype(np.float64)


@pytest.mark.parametrize("kind", ["conv2d", "conv_transpose2d"])
def test_an_unbatched_input_gives_unbatched_gradients(kind):
    # integers in float64: every sum exact, so both twins agree to the bit in any order
    results = []
    for lib in (manual, torch):
        x = lib.tensor(_x((2, 4, 5)), requires_grad=True)
        w_shape = (3, 2, 2, 3) if kind == "conv2d" else (2, 3, 2, 3)  # C_out first, or C_in
        w = lib.tensor(_x(w_shape, 1), requires_grad=True)
        y = getattr(F(lib), kind)(x, w, stride=(1, 2))
        y.backward(lib.tensor(_x(tuple(y.shape), 2)))
        results.append([np.asarray(a.detach()) for a in (y, x.grad, w.grad)])
    for mine, theirs in zip(*results):
        assert mine.shape == theirs.shape
        np.testing.assert_array_equal(mine, theirs)


def _module_call(lib, shape, output_size):
    lib.manual_seed(0)
    module = lib.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=(1, 0))
    x = lib.tensor(_x(shape).astype(np.float32))
    return np.asarray(module(x, output_size=output_size).detach())


@pytest.mark.parametrize(("shape", "output_size"), [
    ((2, 4, 6), [3, 7, 18]), ((2, 4, 6), [8, 19]), ((2, 4, 6), (3, 8, 20)),
    ((1, 2, 4, 6), [1, 3, 8, 18]), ((1, 2, 5, 3), (10, 9)),
], ids=str)
def test_the_module_takes_an_output_size_as_torch(shape, output_size):
    # unbatched inputs take 2 or 3 sizes; each axis gets its own extra rows or columns
    mine, theirs = (_module_call(lib, shape, output_size) for lib in (manual, torch))
    assert mine.shape == theirs.shape
    assert mine.tobytes() == theirs.tobytes()


@pytest.mark.parametrize(("shape", "output_size"), [
    ((2, 4, 6), [1, 3, 8, 18, 1]), ((1, 2, 4, 6), [1, 3, 8, 18, 1]), ((2, 4, 6), [3, 20, 18]),
    ((2, 4, 6), (20, 18)), ((1, 2, 4, 6), (1, 3, 8, 30)),
], ids=str)
def test_an_output_size_out_of_range_is_refused_in_torchs_words(shape, output_size):
    # torch names an unbatched input by its last size only, and prints output_size as given
    refused_alike(lambda lib: _module_call(lib, shape, output_size), "")


# -- the definition's loops ---------------------------------------------------------------------

def test_the_loops_read_each_groups_own_channels():
    # two groups of three in-channels each: channel g C_in/G + c, integers so exact
    x, w, b = _x((2, 6, 5, 4), 3), _x((4, 3, 2, 2), 4), _x((4,), 5)
    loops = manual.conv2d._conv2d_loops(*map(manual.tensor, (x, w, b)), padding=1, groups=2)
    theirs = torch.nn.functional.conv2d(*map(torch.tensor, (x, w, b)), padding=1, groups=2)
    np.testing.assert_array_equal(loops.array, theirs.numpy())
