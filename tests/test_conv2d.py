"""conv2d and Conv2d: output and all three gradients against torch over stride, padding
(ints, pairs, "valid", "same"), dilation, groups and unbatched input; the loops and the
im2col form against each other; initial weights to the bit; torch's refusals."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.conv2d
import torch_native.conv2d
from tests.helpers import (
    assert_empty_batch_agrees,
    assert_twins_agree,
    conv_dtype_outcomes_differ,
    magnitudes,
)
from tests.strategies import arrays, conv2d_cases

# torch warns that an asymmetric "same" padding copies the input; that is not under test
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def test_hand_example():
    # 3x3 ones, 3x3 kernel of ones, padding 1: each output counts the window's pixels
    # inside the image: 4 in a corner, 6 on an edge, 9 in the middle (equation 2 by hand)
    x = manual.tensor(np.ones((1, 1, 3, 3), np.float32), requires_grad=True)
    w = manual.tensor(np.ones((1, 1, 3, 3), np.float32), requires_grad=True)
    b = manual.tensor([0.5], requires_grad=True)
    for conv in (manual.conv2d.conv2d, manual.conv2d._conv2d_loops):
        y = conv(x, w, padding=1)
        assert y.array[0, 0].tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
        assert conv(x, w).array.tolist() == [[[[9]]]]   # by default no padding, stride 1
        with pytest.raises(RuntimeError, match="bias"):
            conv(x, w, manual.tensor([0.5, 0.5]))        # both check b against W
    y = manual.conv2d.conv2d(x, w, b, padding=1)
    assert y.array[0, 0, 1, 1] == 9.5
    y.sum().backward()
    # dx[i, j]: how many windows pixel (i, j) lies in (the same 4/6/9 map)
    assert x.grad.array[0, 0].tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
    # dW[u, v]: how many pixels tap (u, v) ever reads (the same map, by symmetry)
    assert w.grad.array[0, 0].tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
    assert b.grad.tolist() == [9.0]                      # one per output pixel


@given(conv2d_cases(), st.data())
def test_conv2d_matches_torch(case, data):
    x, w, b, options = case
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    m_y = manual.conv2d.conv2d(*m, **options)
    t_y = torch_native.conv2d.conv2d(*t, **options)
    grad = data.draw(arrays(x.dtype, tuple(t_y.shape)))
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    scales = magnitudes(torch_native.conv2d.conv2d, x, w, b, grad=grad, **options)
    terms = _terms(w, t_y.shape, options["groups"])
    assert_twins_agree("forward", "conv2d", m_y, t_y, scale=scales[0], terms=terms["forward"])
    for name, m_p, t_p, scale in zip(("dx", "dW", "db"), m, t, scales[1:]):
        assert_twins_agree(name, "conv2d", m_p.grad, t_p.grad, scale=scale, terms=terms[name])


def _terms(w, y_shape, groups):
    """How many terms each result adds up: a window of the input (and the bias) for y, the
    kernel taps over a group's output channels for dx, every output pixel for dW and db."""
    c_out, c_in_group, kh, kw = w.shape
    pixels = int(np.prod(y_shape)) // c_out
    return {"forward": c_in_group * kh * kw + 1, "dx": c_out // groups * kh * kw,
            "dW": pixels, "db": pixels}


@settings(max_examples=30)
@given(conv2d_cases())
def test_loops_and_im2col_agree(case):
    # torch-free: the definition read literally against the form the module uses
    x, w, b, options = case
    args = [manual.tensor(a) for a in (x, w, b) if a is not None]
    loops = manual.conv2d._conv2d_loops(*args, **options)
    im2col = manual.conv2d.conv2d(*args, **options)
    magnitudes = [manual.tensor(np.abs(a).astype(np.float64)) for a in (x, w, b) if a is not None]
    scale = manual.conv2d.conv2d(*magnitudes, **options)
    assert_twins_agree("loops vs im2col", "conv2d", loops, im2col, scale=scale,
                       terms=int(np.prod(w.shape[1:])) + 1)


@pytest.mark.parametrize("sizes", [(1, 1, 1, 1), (3, 8, 3, 1), (4, 6, (2, 3), 2), (16, 32, 5, 4),
                                   (3, 3, 3, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_initial_weights_match_torch_to_the_bit(sizes, bias):
    c_in, c_out, kernel, groups = sizes
    manual.manual_seed(3)
    torch.manual_seed(3)
    m = manual.conv2d.Conv2d(c_in, c_out, kernel, groups=groups, bias=bias)
    t = torch_native.conv2d.Conv2d(c_in, c_out, kernel, groups=groups, bias=bias)
    assert_twins_agree("weight", "init", m.weight, t.weight)
    assert (m.bias is None) == (t.bias is None)
    if bias:
        assert_twins_agree("bias", "init", m.bias, t.bias)


def test_module_interface():
    manual.manual_seed(0)
    layer = manual.conv2d.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2)
    torch_layer = torch_native.conv2d.Conv2d(4, 6, (3, 2), stride=2, padding=1,
                                             dilation=(1, 2), groups=2)
    assert repr(layer) == repr(torch_layer)
    assert repr(manual.conv2d.Conv2d(1, 1, 3, padding="same", bias=False)) == \
        repr(torch_native.conv2d.Conv2d(1, 1, 3, padding="same", bias=False))
    assert [p.shape for p in layer.parameters()] == [(6, 2, 3, 2), (6,)]
    assert list(layer.state_dict()) == ["weight", "bias"]
    layer.load_state_dict(torch_layer.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 7)).astype(np.float32)
    m_y = layer(manual.tensor(x))
    np.testing.assert_array_equal(m_y.array, manual.conv2d.conv2d(
        manual.tensor(x), layer.weight, layer.bias, 2, 1, (1, 2), 2).array)
    scale = magnitudes(torch_native.conv2d.conv2d, x, layer.weight.array, layer.bias.array,
                       grad=np.zeros(m_y.shape), stride=2, padding=1, dilation=(1, 2),
                       groups=2)[0]
    assert_twins_agree("module forward", "conv2d", m_y, torch_layer(torch.tensor(x)), scale=scale)


def _refusal_cases():
    """(input shape, weight shape, bias shape, options, error, torch's words)."""
    return [
        ((5, 5), (1, 1, 3, 3), None, {}, RuntimeError, r"Expected 3D \(unbatched\) or 4D"),
        ((1, 1, 1, 5, 5), (1, 1, 3, 3), None, {}, RuntimeError, r"Expected 3D \(unbatched\)"),
        ((1, 2, 5, 5), (1, 1, 3, 3), None, {}, RuntimeError,
         r"expected input\[1, 2, 5, 5\] to have 1 channels, but got 2 channels instead"),
        ((1, 3, 5, 5), (2, 1, 3, 3), None, {"groups": 2}, RuntimeError,
         r"expected input\[1, 3, 5, 5\] to have 2 channels, but got 3"),
        ((1, 4, 5, 5), (3, 2, 3, 3), None, {"groups": 2}, RuntimeError,
         "expected weight to be divisible by 2 at dimension 0"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"groups": 2}, RuntimeError,
         "expected weight to be at least 2 at dimension 0"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {}, RuntimeError,
         r"Calculated padded input size per channel: \(2 x 2\)\. Kernel size: \(3 x 3\)"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"dilation": 3}, RuntimeError,
         r"\(5 x 5\)\. Kernel size: \(7 x 7\)\. Kernel size can't be greater"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"stride": (0, 1)}, RuntimeError,
         "non-positive stride is not supported"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"padding": -1}, RuntimeError,
         "negative padding is not supported"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"dilation": 0}, RuntimeError,
         "dilation should be greater than zero"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"groups": 0}, RuntimeError,
         "non-positive groups is not supported"),
        ((1, 1, 5, 5), (1, 1, 3, 3), (2,), {}, RuntimeError,
         "expected bias to be 1-dimensional with 1 elements, but got bias of size \\[2\\]"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"padding": "same", "stride": 2}, RuntimeError,
         "padding='same' is not supported for strided convolutions"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"padding": "full"}, RuntimeError,
         "Invalid padding string"),
        ((1, 1, 5, 5), (1, 1, 3, 3), None, {"stride": (1, 1, 1)}, RuntimeError,
         "expected stride to be a single integer value or a list of 2 values"),
    ]


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
@pytest.mark.parametrize("case", _refusal_cases(), ids=lambda c: re.sub(r"\W+", "-", c[-1])[:30])
def test_refusals(twin, case):
    x_shape, w_shape, b_shape, options, error, words = case
    lib = manual.conv2d if twin is manual else torch_native.conv2d
    x, w = twin.tensor(np.zeros(x_shape, np.float32)), twin.tensor(np.zeros(w_shape, np.float32))
    b = None if b_shape is None else twin.tensor(np.zeros(b_shape, np.float32))
    with pytest.raises(error, match=words):
        lib.conv2d(x, w, b, **options)


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_dtype_refusals(twin):
    lib = manual.conv2d if twin is manual else torch_native.conv2d
    x, w = twin.tensor(np.zeros((1, 1, 3, 3), np.float32)), twin.tensor(np.zeros((1, 1, 3, 3)))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        lib.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\)"):
        lib.conv2d(x, twin.tensor(np.zeros((1, 1, 3, 3), np.float32)), twin.tensor([0.0]).double())


@pytest.mark.parametrize("lib", [manual.conv2d, torch_native.conv2d], ids=["manual", "torch"])
@pytest.mark.parametrize("args, words", [
    ((3, 4, 3, 1, 0, 1, 2), "in_channels must be divisible by groups"),
    ((4, 3, 3, 1, 0, 1, 2), "out_channels must be divisible by groups"),
    ((4, 4, 3, 1, 0, 1, 0), "groups must be a positive integer"),
    ((4, 4, 3, 2, "same"), "padding='same' is not supported for strided convolutions"),
    ((4, 4, 3, 1, "full"), "Invalid padding string 'full'"),
])
def test_module_refusals(lib, args, words):
    with pytest.raises(ValueError, match=words):
        lib.Conv2d(*args)


def test_manual_refusals_name_the_value():
    x, w = manual.tensor(np.zeros((1, 1, 5, 5))), manual.tensor(np.zeros((1, 1, 3, 3)))
    for options, words in (({"stride": (0, 1)}, r"stride=\(0, 1\)"),
                           ({"padding": (1, -1)}, r"padding=\(1, -1\)"),
                           ({"dilation": 0}, r"dilation=\(0, 0\)"),
                           ({"groups": -1}, "groups=-1"),
                           ({"padding": "same", "stride": 2}, r"stride=\(2, 2\)")):
        with pytest.raises(RuntimeError, match=words):
            manual.conv2d.conv2d(x, w, **options)


def test_same_padding_puts_the_odd_zero_bottom_right():
    # kernel 2x2 of ones, "same": total padding 1 per axis, all of it after the image,
    # so y[i, j] = x[i, j] + x[i, j+1] + x[i+1, j] + x[i+1, j+1] with zeros past the edge
    x = manual.tensor(np.arange(9, dtype=np.float64).reshape(1, 3, 3), requires_grad=True)
    y = manual.conv2d.conv2d(x, manual.tensor(np.ones((1, 1, 2, 2))), padding="same")
    padded = np.pad(x.array[0], ((0, 1), (0, 1)))
    expected = padded[:3, :3] + padded[:3, 1:] + padded[1:, :3] + padded[1:, 1:]
    assert y.shape == (1, 3, 3)                          # unbatched in, unbatched out
    np.testing.assert_array_equal(y.array[0], expected)
    # backward: x[i, j] feeds the outputs at rows i-1 and i (only i when i = 0), likewise j
    y.sum().backward()
    assert x.grad.array[0].tolist() == [[1, 2, 2], [2, 4, 4], [2, 4, 4]]


def test_single_tap_kernel_shifts_the_image():
    # torch-free: a kernel whose only nonzero is a 1 at tap (0, 0), with padding 1, reads
    # x_pad[i, j] = x[i - 1, j - 1]: the image moved one pixel down and right, exactly
    x = np.random.default_rng(1).standard_normal((2, 1, 5, 6)).astype(np.float32)
    w = np.zeros((1, 1, 3, 3), np.float32)
    w[0, 0, 0, 0] = 1
    y = manual.conv2d.conv2d(manual.tensor(x), manual.tensor(w), padding=1)
    np.testing.assert_array_equal(y.array, np.pad(x, ((0, 0), (0, 0), (1, 0), (1, 0)))[..., :5, :6])


def test_gradients_match_central_differences():
    # torch-free: L = sum(y * g) is linear in each of x, W, b, so the central difference
    # (L(a + h) - L(a - h)) / 2h is exact up to rounding (about 1e-16 |L| / h)
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s) for s in ((2, 4, 6, 5), (2, 2, 3, 2), (2,)))
    options = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    tensors = [manual.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = manual.conv2d.conv2d(*tensors, **options)
    g = rng.standard_normal(y.shape)
    y.backward(manual.tensor(g))
    for k, t in enumerate(tensors):
        numeric = np.zeros(t.shape)
        for index in np.ndindex(t.shape):
            values = [a.copy() for a in (x, w, b)]
            values[k][index] += 1e-6
            plus = manual.conv2d.conv2d(*map(manual.tensor, values), **options).array
            values[k][index] -= 2e-6
            minus = manual.conv2d.conv2d(*map(manual.tensor, values), **options).array
            numeric[index] = np.sum((plus - minus) * g) / 2e-6
        np.testing.assert_allclose(t.grad.array, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_empty_batch_as_torch(dtype, groups):
    assert_empty_batch_agrees(manual.conv2d.conv2d, torch_native.conv2d.conv2d, dtype,
                              groups)


def test_dtypes_are_refused_in_torchs_order():
    # torch's kernel has no bool; conv2d checks b's dtype first, then finds no bool kernel
    differ = conv_dtype_outcomes_differ(manual.conv2d.conv2d,
                                        torch_native.conv2d.conv2d)
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("transposed", [False, True])
def test_a_weight_whose_rows_groups_do_not_divide_is_refused_in_torchs_words(transposed):
    """torch prints this weight's size in double brackets, [[3, 1, 3, 3]]; so does manual."""
    messages = []
    for lib in (manual, torch):
        f = (lib.nn.functional.conv_transpose2d if transposed else lib.nn.functional.conv2d)
        with pytest.raises(RuntimeError) as raised:
            f(lib.ones(1, 2 if not transposed else 3, 4, 4), lib.ones(3, 1, 3, 3), groups=2)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("transposed", [False, True])
def test_the_batched_products_give_each_images_bits(monkeypatch, transposed):
    """Large float32 products are made over the whole batch (manual/_conv.py): each entry is
    still its own image's dot product, so the output and both gradients have the same bits
    as when every product is made image by image."""
    import manual._conv

    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 32, 26, 26)).astype(np.float32)
    w = rng.standard_normal((64, 32, 3, 3) if not transposed else (32, 64, 3, 3)
                            ).astype(np.float32) * np.float32(0.1)
    f = manual.nn.functional.conv_transpose2d if transposed else manual.nn.functional.conv2d

    def run() -> list[bytes]:
        xs, ws = manual.tensor(x, requires_grad=True), manual.tensor(w, requires_grad=True)
        y = f(xs, ws)
        y.backward(manual.tensor(rng_dy(y.shape)))
        return [np.asarray(t.detach()).tobytes() for t in (y, xs.grad, ws.grad)]

    def rng_dy(shape: tuple[int, ...]) -> np.ndarray:
        return np.random.default_rng(5).standard_normal(shape).astype(np.float32)

    batched = run()
    monkeypatch.setattr(manual._conv, "_one_product", lambda dtype, sizes: False)
    assert run() == batched


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32", "int16", "int8", "uint8"])
def test_an_input_of_another_dtype_than_the_bias_is_refused_in_torchs_words(dtype):
    """torch names the dtypes as C++ types: long int, short int, signed char, ..."""
    messages = []
    for lib in (manual, torch):
        with pytest.raises(RuntimeError) as raised:
            lib.nn.functional.conv2d(lib.ones(1, 1, 3, 3, dtype=getattr(lib, dtype)),
                                     lib.ones(1, 1, 2, 2), lib.ones(1))
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
