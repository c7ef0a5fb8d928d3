"""Pooling at torch's edges, one example each: the argument forms torch's parser takes or
refuses, every refusal in torch's class and words (manual's message is torch's, then exactly
the values it adds), odd shapes (unbatched, 2-d, empty), the layouts torch's mean reads as
channels_last, the orders of its sum kernel for short and long rows, and the saved input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import manual
import manual.pooling
import torch_native.pooling
from manual._parity import pooling as parity
from tests.test_pooling import assert_same_bits, assert_twins_match, run_twins

M, T = manual.pooling, torch_native.pooling


def ones(lib, *shape, **options):
    return lib.ones(*(shape or (1, 1, 4, 4)), **options)


def refused_alike(call, added: str) -> None:
    """The same exception class on both twins; manual's words are torch's, then ``added``."""
    outcomes = []
    for lib, ns in ((manual, M), (torch, T)):
        with pytest.raises(Exception) as raised:  # noqa: PT011 (the class is compared below)
            call(lib, ns)
        outcomes.append((type(raised.value), str(raised.value)))
    (m_class, m_words), (t_class, t_words) = outcomes
    assert m_class is t_class, (m_class, m_words, t_class, t_words)
    assert m_words == t_words + added, (m_words, t_words)


_KINDS = "either be a single int, or a tuple of two ints"
REFUSALS = {  # name: (the call on manual or torch, what manual adds to torch's words)
    # the parser: the function's name (max_pool2d_with_indices with indices), each argument's
    # name and position, bools only after the first element, NumPy's types by their module
    "indices kernel str": (lambda lib, ns: ns.max_pool2d(ones(lib), "a", return_indices=True),
                           ""),
    "max padding str": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, "a"), ""),
    "max dilation str": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, 0, "a"), ""),
    "max input list": (lambda lib, ns: ns.max_pool2d([1.0], 2), ""),
    "avg input list": (lambda lib, ns: ns.avg_pool2d([1.0], 2), ""),
    "avg kernel str": (lambda lib, ns: ns.avg_pool2d(ones(lib), "a"), ""),
    "avg ceil_mode int": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, ceil_mode=1), ""),
    "avg count_include_pad int":
        (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, count_include_pad=1), ""),
    "avg divisor bool": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, divisor_override=True), ""),
    "avg divisor float": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, divisor_override=2.0), ""),
    "kernel bool": (lambda lib, ns: ns.max_pool2d(ones(lib), True), ""),
    "kernel numpy bool": (lambda lib, ns: ns.max_pool2d(ones(lib), np.bool_(True)), ""),
    "kernel numpy float": (lambda lib, ns: ns.max_pool2d(ones(lib), np.float32(2)), ""),
    "kernel (bool, int)": (lambda lib, ns: ns.max_pool2d(ones(lib), (True, 2)), ""),
    "kernel (numpy float, int)": (lambda lib, ns: ns.max_pool2d(ones(lib), (np.float32(2), 2)),
                                  ""),
    "kernel (int, str)": (lambda lib, ns: ns.max_pool2d(ones(lib), (2, "a")), ""),
    "kernel (int, numpy float)":
        (lambda lib, ns: ns.max_pool2d(ones(lib), (2, np.float32(2))), ""),
    "output_size (float, int)": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib), (2.5, 2)), ""),
    "output_size (int, float)": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib), (2, 2.5)), ""),
    "output_size str": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib), "a"), ""),
    "adaptive input list": (lambda lib, ns: ns.adaptive_avg_pool2d([1.0], 2), ""),
    "adaptive input float": (lambda lib, ns: ns.adaptive_avg_pool2d(1.5, (2, 2)), ""),
    # lists of sizes of another length, and sizes past a C int
    "max stride of 3": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, (1, 1, 1)),
                        ", but got stride=[1, 1, 1]"),
    "max padding of 3": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, (0, 0, 0)),
                         ", but got padding=[0, 0, 0]"),
    "max dilation of 3": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, 0, (1, 1, 1)),
                          ", but got dilation=[1, 1, 1]"),
    "avg kernel of 3": (lambda lib, ns: ns.avg_pool2d(ones(lib), (2, 2, 2)),
                        ", but got kernel_size=[2, 2, 2]"),
    "avg stride of 3": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, (1, 1, 1)),
                        ", but got stride=[1, 1, 1]"),
    "avg padding of 3": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, 1, (0, 0, 0)),
                         ", but got padding=[0, 0, 0]"),
    "kernel 2^31": (lambda lib, ns: ns.max_pool2d(ones(lib), 2**31),
                    ": kernel_size=[2147483648]"),
    "padding below -2^31": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, -2**31 - 1),
                            ": padding=[-2147483649]"),
    "padding -2^31": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, -2**31), ""),
    "padding -2^31 + 1": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, 1 - 2**31), ""),
    "kernel 2^31 - 1": (lambda lib, ns: ns.max_pool2d(ones(lib), 2**31 - 1), ""),
    # the numbers, per axis
    "avg kernel 0, no stride": (lambda lib, ns: ns.avg_pool2d(ones(lib), 0),
                                ", but got stride=(0, 0) (the kernel_size: no stride was given)"),
    "avg kernel (2, 0), no stride": (lambda lib, ns: ns.avg_pool2d(ones(lib), (2, 0)),
                                     ", but got stride=(2, 0) (the kernel_size: no stride was "
                                     "given)"),
    "avg stride 0": (lambda lib, ns: ns.avg_pool2d(ones(lib), 2, 0), ", but got stride=(0, 0)"),
    "kernel (2, 0)": (lambda lib, ns: ns.max_pool2d(ones(lib), (2, 0), 1), ""),
    "kernel (0, 2)": (lambda lib, ns: ns.max_pool2d(ones(lib), (0, 2), 1), ""),
    "stride (1, -1)": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, (1, -1)), ""),
    "stride (-1, 1)": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, (-1, 1)), ""),
    "dilation (1, 0)": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, 0, (1, 0)), ""),
    "dilation (0, 1)": (lambda lib, ns: ns.max_pool2d(ones(lib), 2, 1, 0, (0, 1)), ""),
    "padding 2, kernel 3": (lambda lib, ns: ns.max_pool2d(ones(lib), 3, padding=2), ""),
    "padding (0, 2) dilated": (lambda lib, ns: ns.max_pool2d(ones(lib, 1, 1, 8, 8), 2, 1, (0, 2),
                                                             3), ""),
    "padding (2, 0) dilated": (lambda lib, ns: ns.max_pool2d(ones(lib, 1, 1, 8, 8), 2, 1, (2, 0),
                                                             3), ""),
    "max too small, unbatched": (lambda lib, ns: ns.max_pool2d(ones(lib, 2, 1, 7), (3, 2)), ""),
    "avg too small, unbatched": (lambda lib, ns: ns.avg_pool2d(ones(lib, 2, 7, 1), (2, 3)), ""),
    # the input's dims
    "avg 0-d": (lambda lib, ns: ns.avg_pool2d(lib.tensor(1.0), 1), ""),
    "avg 1-d": (lambda lib, ns: ns.avg_pool2d(ones(lib, 3), 1), ": input of size [3]"),
    "mean 1-d": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib, 3), 1), ": input of size [3]"),
    "mean 0-d": (lambda lib, ns: ns.adaptive_avg_pool2d(lib.tensor(2.0), 1), ": input of size []"),
    "adaptive empty width": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib, 1, 1, 4, 0), 2), ""),
    "adaptive empty height": (lambda lib, ns: ns.adaptive_avg_pool2d(ones(lib, 1, 1, 0, 4), 2),
                              ""),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refused_as_torch(name):
    call, added = REFUSALS[name]
    refused_alike(call, added)


def test_a_tensor_of_the_other_library_is_refused_alike():
    # torch's Python layer asks for input.size() (each library's tensor has one), then its
    # parser wants its own Tensor: each twin refuses the other's tensor in the same words
    outcomes = []
    for ns, other in ((M, torch), (T, manual)):
        for function, size in (("adaptive_avg_pool2d", (None, 2)), ("max_pool2d", 2),
                               ("avg_pool2d", 2)):
            with pytest.raises(TypeError) as raised:
                getattr(ns, function)(other.ones(1, 1, 4, 4), size)
            outcomes.append(str(raised.value))
    assert outcomes[:3] == outcomes[3:]
    assert outcomes[0] == ("adaptive_avg_pool2d(): argument 'input' (position 1) must be Tensor, "
                           "not Tensor")


def test_a_window_that_misses_the_input_is_refused_in_full():
    x = manual.tensor(np.ones((1, 1, 1, 4), np.float32))
    with pytest.raises(RuntimeError) as raised:
        M.max_pool2d(x, 2, stride=1, padding=1, dilation=2)
    assert str(raised.value) == (
        "max_pool2d: a window holds no element of the input of size (1, 4) (kernel_size=(2, 2), "
        "stride=(1, 1), padding=(1, 1), dilation=(2, 2)): torch returns -inf and an index "
        "outside the input there, and its backward writes outside the gradient, so this is "
        "refused")


# -- values of the rare forms, to the bit -------------------------------------------------------

def _x(shape, seed=0, dtype=np.float32, scale=100.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


ACCEPTED = {  # name: (x, the call on manual's or torch's pooling namespace)
    "kernel (2, True)": (_x((1, 2, 4, 5)), lambda ns, t: ns.max_pool2d(t, (2, True))),
    "kernel numpy int": (_x((1, 2, 4, 5)), lambda ns, t: ns.max_pool2d(t, np.int64(2))),
    "max empty batch": (_x((0, 2, 4, 4)), lambda ns, t: ns.max_pool2d(t, 2)),
    "avg empty batch": (_x((0, 2, 4, 4)), lambda ns, t: ns.avg_pool2d(t, 2)),
    "avg 1x1 plane padded": (_x((2, 3, 1, 1)), lambda ns, t: ns.avg_pool2d(t, 2, 1, 1)),
    "avg ceil past the padding": (_x((1, 2, 4, 4)), lambda ns, t: ns.avg_pool2d(
        t, 3, 2, 1, ceil_mode=True, count_include_pad=True)),
    "avg ceil past the padding, width": (_x((1, 2, 3, 4)), lambda ns, t: ns.avg_pool2d(
        t, (1, 3), 2, (0, 1), ceil_mode=True)),
    "adaptive None, unbatched": (_x((2, 5, 6)), lambda ns, t: ns.adaptive_avg_pool2d(t, (None, 3))),
    "adaptive (3, None), unbatched": (_x((2, 5, 6)),
                                      lambda ns, t: ns.adaptive_avg_pool2d(t, (3, None))),
    "adaptive thirds": (_x((2, 8, 9, 9)), lambda ns, t: ns.adaptive_avg_pool2d(t, (3, 3))),
    "adaptive thirds, float64": (_x((2, 3, 9, 7), dtype=np.float64),
                                 lambda ns, t: ns.adaptive_avg_pool2d(t, (3, 2))),
    "adaptive empty batch": (_x((0, 2, 4, 4)), lambda ns, t: ns.adaptive_avg_pool2d(t, 2)),
    "mean 2-d": (_x((3, 4)), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
    "mean unbatched": (_x((2, 3, 5)), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
    "mean unbatched (1, None)": (_x((2, 1, 5)), lambda ns, t: ns.adaptive_avg_pool2d(t, (1, None))),
    # torch's sum kernel: rows shorter than a vector (8 float32) as scalars in 4 accumulators,
    # a row of one vector, a row of 4-vector groups (its cascade)
    "mean rows of 7": (_x((4, 16, 1, 7), 1), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
    "mean rows of 5": (_x((4, 16, 5, 1), 2), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
    "mean rows of 8": (_x((4, 16, 2, 4), 3), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
    "mean rows of 16384": (_x((1, 2, 128, 128), 4), lambda ns, t: ns.adaptive_avg_pool2d(t, 1)),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_rare_forms_give_torchs_bits(name):
    x, call = ACCEPTED[name]
    assert_twins_match(run_twins(lambda t: call(M, t), lambda t: call(T, t), x))


@pytest.mark.parametrize(("shape", "output_size"), [
    ((1, 2, 4, 4), 0), ((1, 2, 4, 4), (0, 2)), ((2, 4, 4), (3, 0)), ((1, 0, 4, 4), 2),
    ((0, 2, 4, 4), (0, 2)),
], ids=str)
def test_an_empty_adaptive_output_has_no_backward(shape, output_size):
    # forward gives the empty result; torch's backward refuses a dy empty past its first dim
    outcomes = []
    for lib, ns in ((manual, M), (torch, T)):
        leaf = lib.tensor(np.zeros(shape, np.float32), requires_grad=True)
        y = ns.adaptive_avg_pool2d(leaf, output_size)
        with pytest.raises(RuntimeError) as raised:
            y.backward(lib.zeros(*y.shape))
        outcomes.append((y, y.grad_fn.name(), str(raised.value)))
    assert_same_bits("y", outcomes[0][0], outcomes[1][0])
    assert outcomes[0][1:] == outcomes[1][1:]


@pytest.mark.parametrize("output_size", [(0, 2), (2, 0), 2], ids=str)
def test_an_integer_input_with_an_empty_output_runs_no_kernel(output_size):
    # no kernel runs, so nothing refuses the integers: an empty int64 result, as torch's
    channels = 0 if output_size == 2 else 1
    x = np.arange(16 * channels).reshape(1, channels, 4, 4)
    assert_same_bits("empty", M.adaptive_avg_pool2d(manual.tensor(x), output_size),
                     T.adaptive_avg_pool2d(torch.tensor(x), output_size))


def test_an_integer_input_with_an_output_is_refused():
    refused_alike(lambda lib, ns: ns.adaptive_avg_pool2d(lib.ones(1, 1, 4, 4, dtype=lib.int64),
                                                         (2, 1)), ": input of dtype int64")


def test_the_mean_of_empty_planes_is_nan_without_a_warning():
    x = np.zeros((2, 0, 4), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mine = M.adaptive_avg_pool2d(manual.tensor(x), 1)
    assert_same_bits("nan", mine, T.adaptive_avg_pool2d(torch.tensor(x), 1))


@pytest.mark.parametrize("nhwc", [False, True])
def test_avg_pool2d_module_defaults_count_the_padding(nhwc):
    # AvgPool2d(3, 1, 1): count_include_pad=True, so a corner window is divided by 9
    sides = run_twins(M.AvgPool2d(3, 1, 1), T.AvgPool2d(3, 1, 1), _x((1, 2, 4, 5)), nhwc)
    assert_twins_match(sides, "AvgPool2DBackward0")
    corner = manual.tensor(np.ones((1, 1, 3, 3), np.float32))
    assert M.AvgPool2d(3, 1, 1)(corner).array[0, 0, 0, 0] == np.float32(4 / 9)


# -- layouts: what torch's mean reads as channels_last -----------------------------------------

LAYOUTS = [  # (shape, the order its dims are held in memory, outermost first)
    ((1, 1, 1, 2), (0, 1, 3, 2)), ((1, 1, 1, 2), (1, 3, 0, 2)), ((1, 1, 1, 2), (0, 2, 3, 1)),
    ((1, 1, 1, 3), (2, 0, 3, 1)), ((1, 1, 2, 1), (2, 0, 1, 3)), ((1, 1, 2, 1), (2, 1, 0, 3)),
    ((1, 1, 2, 1), (0, 2, 1, 3)), ((1, 1, 2, 1), (0, 2, 3, 1)), ((1, 1, 2, 2), (2, 0, 3, 1)),
    ((2, 3, 4, 5), (0, 2, 3, 1)), ((0, 3, 4, 5), (0, 2, 3, 1)),
    ((2, 1, 3, 3), (0, 2, 3, 1)),
]


@pytest.mark.parametrize(("shape", "order"), LAYOUTS, ids=str)
def test_the_layouts_torchs_mean_reads_as_channels_last(shape, order):
    # the node (AsStridedBackward1 for channels_last), y and dx, to the bit
    held = _x(tuple(shape[d] for d in order), 7)
    names = []
    for lib, ns in ((manual, M), (torch, T)):
        leaf = lib.tensor(held, requires_grad=True)
        x = leaf.permute(*np.argsort(order).tolist())
        assert tuple(x.shape) == shape
        y = ns.adaptive_avg_pool2d(x, 1)
        y.backward(lib.ones(*y.shape))
        names.append((y.grad_fn.name(), y, leaf.grad))
    (m_name, m_y, m_dx), (t_name, t_y, t_dx) = names
    assert m_name == t_name
    assert_same_bits("y", m_y, t_y)
    assert_same_bits("dx", m_dx, t_dx)


def test_channels_expanded_from_one_are_not_channels_last():
    # stride 0 along C: torch falls back to NCHW (MeanBackward1)
    names = []
    for lib, ns in ((manual, M), (torch, T)):
        x = lib.tensor(_x((2, 1, 5, 6)), requires_grad=True).expand(2, 3, 5, 6)
        y = ns.adaptive_avg_pool2d(x, 1)
        names.append((y.grad_fn.name(), y))
    assert names[0][0] == names[1][0] == "MeanBackward1"
    assert_same_bits("y", names[0][1], names[1][1])


@pytest.mark.parametrize(("shape", "output_size"), [
    ((1, 2, 13, 11), 1), ((1, 4, 16, 32), 1), ((2, 12, 9, 9), (3, 3)), ((1, 4, 257, 256), 1),
], ids=["two channels", "cascade of 512 rows", "adaptive, a vector and a rest", "2^16 rows"])
def test_channels_last_sums_in_torchs_order(shape, output_size):
    # two channels sum each channel alone; the 4-channel blocks run the cascade over H W rows,
    # its levels flushed at 2^8 and, past 2^16 rows, at a larger power
    x = _x(shape, sum(shape))
    sides = run_twins(lambda t: M.adaptive_avg_pool2d(t, output_size),
                      lambda t: T.adaptive_avg_pool2d(t, output_size), x, nhwc=True)
    assert_twins_match(sides)


# -- the saved input --------------------------------------------------------------------------

CALLS = {"max": lambda ns, t: ns.max_pool2d(t, 2), "avg": lambda ns, t: ns.avg_pool2d(t, 2),
         "adaptive": lambda ns, t: ns.adaptive_avg_pool2d(t, (2, 1))}


@pytest.mark.parametrize("kind", sorted(CALLS))
def test_the_saved_input_is_freed_and_watched_as_torch(kind):
    # backward frees what the node saved (a second backward is refused), and the node reads
    # x as it is (changing it in place before backward is refused), in torch's words
    words = []
    for lib, ns in ((manual, M), (torch, T)):
        leaf = lib.ones(1, 1, 4, 4, requires_grad=True)
        y = CALLS[kind](ns, leaf)
        y.sum().backward()
        with pytest.raises(RuntimeError) as twice:
            y.sum().backward()
        x = leaf * 1
        y = CALLS[kind](ns, x)
        with lib.no_grad():
            x.add_(1)
        with pytest.raises(RuntimeError) as changed:
            y.sum().backward()
        words.append((str(twice.value), str(changed.value).split(":")[0]))
    assert words[0] == words[1]
    assert words[0][0].startswith("Trying to backward through the graph a second time")


# -- where, on every width of element ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int8, np.float16, np.float32, np.int64, np.longdouble])
def test_where_is_numpys_where(dtype):
    # the bit trick on 1-, 2-, 4- and 8-byte elements, np.where itself on wider ones
    rng = np.random.default_rng(0)
    old, new = (rng.integers(-100, 100, (3, 5)).astype(dtype) for _ in range(2))
    condition = rng.integers(0, 2, (3, 5)).astype(bool)
    mine = parity.where(condition, new, old)
    assert mine.dtype == old.dtype
    np.testing.assert_array_equal(mine, np.where(condition, new, old))
    np.testing.assert_array_equal(parity.where(condition, 7, old),
                                  np.where(condition, old.dtype.type(7), old))
