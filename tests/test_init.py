"""init: manual/init.py against torch.nn.init (torch_native/init.py), to the bit.

From the same seed every initialiser must give torch's values and leave the generator where
torch's is; gains, fans and the refusals are torch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.init as mi
import torch_native.init as ti

shapes = st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple)
seeds = st.integers(0, 2**32 - 1)
CALLS = [("uniform_", {"a": -0.5, "b": 0.25}), ("normal_", {"mean": 1.0, "std": 0.5}),
         ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}),
         ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
         ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
         ("kaiming_normal_", {"nonlinearity": "tanh"}), ("kaiming_normal_", {}),
         ("constant_", {"val": 3.5}),
         ("ones_", {}), ("zeros_", {})]


def test_hand_example_gains_and_fans():
    # a conv weight (8, 3, 5, 5): r = 25, fan_in = 3 * 25 = 75, fan_out = 8 * 25 = 200;
    # kaiming with a = sqrt(5): gain sqrt(2 / 6) = sqrt(1/3), so the bound is
    # sqrt(3) sqrt(1/3) / sqrt(75) = 1 / sqrt(75)
    w = manual.zeros(8, 3, 5, 5)
    assert mi._calculate_fan_in_and_fan_out(w) == (75, 200)
    assert mi.calculate_gain("linear") == 1 and isinstance(mi.calculate_gain("linear"), int)
    assert mi.calculate_gain("tanh") == 5 / 3
    assert mi.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    mi.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.array).max() <= 1 / math.sqrt(75)


@given(seeds, shapes, st.sampled_from(CALLS), st.sampled_from(["float32", "float64"]))
def test_every_initialiser_is_torchs_to_the_bit(seed, shape, call, dtype):
    name, options = call
    made = []
    for lib, side in ((manual, mi), (torch, ti)):
        lib.manual_seed(seed)
        t = lib.zeros(shape, dtype=getattr(lib, dtype))
        assert getattr(side, name)(t, **options) is t  # in place, returned
        made.append((np.asarray(t).tobytes(), np.asarray(lib.rand(3)).tobytes()))
    assert made[0] == made[1]


@given(seeds, st.integers(1, 6), st.integers(1, 6), st.booleans())
def test_layers_start_from_torchs_weights_and_a_transposed_weight_fills_in_memory_order(
        seed, n_in, n_out, bias):
    got = []
    for lib in (manual, torch):
        lib.manual_seed(seed)
        layers = [lib.nn.Linear(n_in, n_out, bias), lib.nn.Conv2d(n_in, n_out, 2, bias=bias)]
        w = lib.zeros(n_out, n_in).t()  # not contiguous: torch's one-at-a-time path
        lib.nn.init.normal_(w)
        got.append([np.asarray(p.detach()).tobytes() for layer in layers
                    for p in layer.parameters()] + [np.asarray(w).tobytes()])
    assert got[0] == got[1]


@pytest.mark.parametrize(("call", "error"), [
    (lambda side, lib: side.xavier_uniform_(lib.zeros(3)), ValueError),
    (lambda side, lib: side.kaiming_uniform_(lib.zeros(2, 2), mode="fan_middle"), ValueError),
    (lambda side, lib: side.calculate_gain("softplus"), ValueError),
    (lambda side, lib: side.calculate_gain("leaky_relu", "steep"), ValueError),
])
def test_refusals_as_torch(call, error):
    messages = []
    for side, lib in ((mi, manual), (ti, torch)):
        with pytest.raises(error) as caught:
            call(side, lib)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_a_tensor_with_no_elements_warns_and_draws_nothing():
    for side, lib in ((mi, manual), (ti, torch)):
        lib.manual_seed(0)
        with pytest.warns(UserWarning, match="zero-element"):
            side.kaiming_uniform_(lib.zeros(0, 3))
    assert np.asarray(manual.rand(2)).tolist() == np.asarray(torch.rand(2)).tolist()


@given(seeds, shapes)
def test_without_torch_bounds_hold_and_initialisers_do_not_record(seed, shape):
    manual.manual_seed(seed)
    w = manual.nn.Parameter(manual.zeros(shape))
    mi.xavier_uniform_(w, gain=2.0)
    fan_in, fan_out = mi._calculate_fan_in_and_fan_out(w)
    assert np.abs(w.array).max() <= 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert w.is_leaf and w.requires_grad
