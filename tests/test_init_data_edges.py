"""init, dataset, data_loader and backward at torch's edges, against torch.

init: every initialiser with its defaults and with a generator of its own gives torch's
bits and leaves the global generator where torch's is; the gains torch's table gives.
dataset and data_loader: torch's refusals in torch's words, and where the fractions of
random_split end. backward: a gradient of another dtype is cast to the output's, as torch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import manual
import manual.data_loader as mdl
import manual.dataset as md
import manual.init as mi
import torch_native.data_loader as tdl
import torch_native.dataset as td
import torch_native.init as ti

INITS = ((manual, mi), (torch, ti))


def _bits(t) -> tuple[str, bytes]:
    a = np.asarray(t.detach())
    return str(a.dtype), a.tobytes()


def _raised(call, *args) -> tuple[str, str]:
    """The type and words of what ``call(*args)`` raises (nothing: a test failure)."""
    with pytest.raises(Exception) as caught:
        call(*args)
    return type(caught.value).__name__, str(caught.value)


# -- init: defaults and generators -------------------------------------------------------------

DEFAULTS = ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
            "kaiming_normal_"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", DEFAULTS)
def test_initialisers_with_their_defaults_are_torchs_to_the_bit(name, dtype):
    # (3, 5, 2): fan_in 10 != fan_out 6, so fan_in + fan_out and fan_in - fan_out differ
    got = []
    for lib, side in INITS:
        lib.manual_seed(7)
        t = lib.zeros(3, 5, 2, dtype=getattr(lib, dtype))
        assert getattr(side, name)(t) is t
        got.append((_bits(t), _bits(lib.rand(2))))
    assert got[0] == got[1]


@pytest.mark.parametrize(("name", "options"), [
    ("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 0.5, "std": 2.0}),
    ("xavier_uniform_", {"gain": 0.5}), ("xavier_normal_", {}), ("xavier_normal_", {"gain": 3.0}),
    ("kaiming_uniform_", {"a": 0.2}), ("kaiming_normal_", {"mode": "fan_out"}),
])
def test_initialisers_draw_from_the_generator_given_and_leave_the_global_one(name, options):
    got = []
    for lib, side in INITS:
        lib.manual_seed(0)
        t = lib.zeros(4, 3)
        getattr(side, name)(t, generator=lib.Generator().manual_seed(123), **options)
        got.append((_bits(t), _bits(lib.rand(3))))  # the global generator did not move
    assert got[0] == got[1]
    manual.manual_seed(0)
    assert got[0][1] == _bits(manual.rand(3))


def test_xavier_normal_spreads_as_its_equation():
    # (3) std = gain sqrt(2 / (fan_in + fan_out)), with no torch: a (400, 100) weight,
    # std = 2 sqrt(2 / 500) = 0.1265; the mean of 40000 draws is 0 within 0.01
    manual.manual_seed(0)
    w = mi.xavier_normal_(manual.zeros(400, 100), gain=2.0)
    assert abs(float(w.array.mean())) < 0.01
    assert float(w.array.std()) == pytest.approx(2.0 * math.sqrt(2.0 / 500), rel=0.02)


@pytest.mark.parametrize(("nonlinearity", "param"), [
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
    ("relu", None), ("tanh", None), ("sigmoid", None), ("conv_transpose3d", None),
])
def test_gains_are_torchs(nonlinearity, param):
    m, t = mi.calculate_gain(nonlinearity, param), ti.calculate_gain(nonlinearity, param)
    assert (m, type(m)) == (t, type(t))


def test_kaiming_on_no_elements_warns_in_torchs_words():
    words = []
    for lib, side in INITS:
        for call in (side.kaiming_uniform_, side.kaiming_normal_):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t = lib.zeros(3, 0)
                assert call(t) is t
            words.append([(w.category, str(w.message)) for w in caught])
    assert words[:2] == words[2:] == [[(UserWarning, "Initializing zero-element tensors is a "
                                                     "no-op")]] * 2


# -- dataset ---------------------------------------------------------------------------------

def test_a_dataset_without_getitem_is_refused_in_torchs_words():
    assert _raised(lambda: md.Dataset()[0]) == _raised(lambda: td.Dataset()[0])


@pytest.mark.parametrize("lengths", [
    [0.3, 0.3],                  # sums to less than 1: not fractions, and not 10 items
    [0.5, 0.5000000001],         # within isclose of 1 but above it: not fractions either
    [0.25, 0.25],
], ids=["under-1", "just-above-1", "half"])
def test_lengths_that_are_not_fractions_are_refused_as_torch(lengths):
    got = [_raised(data.random_split, range(10), lengths) for data in (md, td)]
    assert got[0] == got[1] == ("ValueError", "Sum of input lengths does not equal the length "
                                              "of the input dataset!")


def test_a_zero_fraction_makes_an_empty_split_and_warns_as_torch():
    got = []
    for lib, data in ((manual, md), (torch, td)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            splits = data.random_split(range(4), [0, 1.0],
                                       generator=lib.Generator().manual_seed(0))
        got.append(([list(s) for s in splits], [str(w.message) for w in caught]))
    assert got[0] == got[1]
    assert got[0][1] == ["Length of split at index 0 is 0. This might result in an empty "
                         "dataset."]


# -- data_loader -----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda dl: dl.DataLoader(range(3), num_workers=-1),
    lambda dl: dl.DataLoader(range(3), num_workers=0, shuffle=False, foo=1),
    lambda dl: list(dl.DataLoader([(1, 2), (3,)], batch_size=2)),
], ids=["negative-workers", "unknown-keyword", "fields-of-unequal-size"])
def test_loader_refusals_in_torchs_words(call):
    assert _raised(call, mdl) == _raised(call, tdl)


def test_a_float_number_of_workers_is_refused():
    # manual refuses it when the loader is made (torch takes it, and fails when it starts
    # its worker processes)
    assert _raised(lambda: mdl.DataLoader(range(3), num_workers=1.5)) == (
        "ValueError", "num_workers option should be non-negative; use num_workers=0 to "
                      "disable multiprocessing.")


def test_worker_options_are_taken_and_the_batches_are_torchs():
    got = []
    for lib, dl in ((manual, mdl), (torch, tdl)):
        lib.manual_seed(5)
        loader = dl.DataLoader(dl.TensorDataset(lib.arange(5.0)), batch_size=2, shuffle=True,
                               num_workers=0, timeout=0, worker_init_fn=None,
                               persistent_workers=False, pin_memory_device="", in_order=True)
        got.append([np.asarray(x).tolist() for (x,) in loader])
    assert got[0] == got[1]


# -- backward --------------------------------------------------------------------------------

def test_a_gradient_of_another_dtype_is_cast_to_the_outputs_as_torch():
    # the engine casts the float64 gradient to float32 before anything else: before y = 3 x's
    # derivative (1/3 in float32, times 3, is not 1/3 in float64 times 3), and at a leaf
    gradient = [1 / 3, 0.1, 1e-40]
    got = []
    for lib in (manual, torch):
        x = lib.tensor([0.1, 0.2, 0.7], requires_grad=True)
        (x * 3).backward(lib.tensor(gradient, dtype=lib.float64))
        got.append(_bits(x.grad))
    assert got[0] == got[1]
    # torch's engine is slow to start on a leaf's own backward: its cast, by hand
    x = manual.tensor([0.1, 0.2, 0.7], requires_grad=True)
    x.backward(manual.tensor(gradient, dtype=manual.float64))
    assert _bits(x.grad) == _bits(torch.tensor(gradient, dtype=torch.float64).float())


class _Doubling:
    """A hook that is not a function: torch names it '<unknown>'."""

    def __call__(self, g):
        return g.double()


class _Mine:
    pass


HOOKS = {
    "number": lambda g: 3, "array": lambda g: np.ones(2, np.float32), "list": lambda g: [1.0, 2.0],
    "numpy-scalar": lambda g: np.float64(1.0), "own-class": lambda g: _Mine(),
    "dtype": lambda g: g.double(), "dtype-unnamed": _Doubling(), "size": lambda g: g[:1],
    "scaled": lambda g: g * 3, "none": lambda g: None,
}


def _hook_outcome(lib, hook, where):
    x = lib.tensor([0.1, 0.2], requires_grad=True)
    y = x * 2
    if where == "post":
        x.register_post_accumulate_grad_hook(hook)
    else:
        (x if where == "leaf" else y).register_hook(hook)
    try:
        (y * 2).sum().backward()
    except (TypeError, RuntimeError) as e:
        return type(e).__name__, str(e)
    return _bits(x.grad)


@pytest.mark.parametrize("where", ["leaf", "node", "post"])
@pytest.mark.parametrize("name", sorted(HOOKS))
def test_what_a_hook_returns_is_checked_as_torch(name, where):
    # a replacement must be a tensor of the gradient's dtype and shape (for a post-accumulate
    # hook: of the leaf's), in torch's words; anything is fine but None
    assert _hook_outcome(manual, HOOKS[name], where) == _hook_outcome(torch, HOOKS[name], where)


def test_a_hook_that_returns_a_transposed_gradient_is_copied_into_grad():
    # the replacement is a view (not contiguous): .grad gets a copy, of the leaf's dtype
    got = []
    for lib in (manual, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        x.register_hook(lambda g, w=w: (g * w).t())
        (x * 1).sum().backward()
        got.append((_bits(x.grad), x.grad.is_contiguous()))
    assert got[0] == got[1]


def test_a_leaf_gets_a_gradient_laid_out_as_itself_as_torch():
    # x reached twice through x.t(): the sum of the two transposed gradients is a fresh array
    # in column order, which torch's AccumulateGrad copies into x's (row) order
    got = []
    for lib in (manual, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        w = lib.tensor([[1.0, 2.0], [3.0, 5.0]])
        ((x.t() * w).sum() + (x.t() * w * w).sum()).backward()
        got.append((_bits(x.grad), x.grad.is_contiguous(), x.grad.view(4).tolist()))
    assert got[0] == got[1]
