"""conv_transpose2d and ConvTranspose2d: output and all three gradients against torch over
stride, padding, output_padding, dilation, groups and unbatched input; the scatter loops
and the vectorised form against each other; equality with conv2d's input gradient; initial
weights to the bit; torch's refusals."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import manual.conv2d
import manual.conv_transpose2d
import torch_native.conv_transpose2d
from tests.helpers import (
    assert_empty_batch_agrees,
    assert_twins_agree,
    conv_dtype_outcomes_differ,
    magnitudes,
)
from tests.strategies import INT_PADDINGS, arrays, as_pair, conv2d_cases, dtypes, int_or_pair


def test_hand_example():
    # x = [[1, 2], [3, 4]] with a 3x3 kernel of ones and stride 2: each pixel stamps a 3x3
    # block of its value, blocks 2 apart, so they overlap on row 2 and column 2 and add there
    x = manual.tensor(np.float32([[[[1, 2], [3, 4]]]]), requires_grad=True)
    w = manual.tensor(np.ones((1, 1, 3, 3), np.float32), requires_grad=True)
    stamped = [[1, 1, 3, 2, 2],
               [1, 1, 3, 2, 2],
               [4, 4, 10, 6, 6],
               [3, 3, 7, 4, 4],
               [3, 3, 7, 4, 4]]
    for conv in (manual.conv_transpose2d.conv_transpose2d,
                 manual.conv_transpose2d._conv_transpose2d_loops):
        assert conv(x, w, stride=2).array[0, 0].tolist() == stamped
        assert conv(x, w).array[0, 0].tolist() == [   # by default stride 1, no padding
            [1, 3, 3, 2], [4, 10, 10, 6], [4, 10, 10, 6], [3, 7, 7, 4]]
        with pytest.raises(RuntimeError, match="bias"):
            conv(x, w, manual.tensor([0.5, 0.5]))
        # padding 1 crops a ring; output_padding 1 then gives back the bottom row and right
        # column: H_out = (2 - 1) 2 - 2 + (3 - 1) + 1 + 1 = 4
        assert conv(x, w, stride=2, padding=1).array[0, 0].tolist() == [
            [1, 3, 2], [4, 10, 6], [3, 7, 4]]
        assert conv(x, w, stride=2, padding=1, output_padding=1).array[0, 0].tolist() == [
            [1, 3, 2, 2], [4, 10, 6, 6], [3, 7, 4, 4], [3, 7, 4, 4]]
    # with a 2x2 kernel and stride 2 the blocks tile the output without overlap
    tiles = manual.conv_transpose2d.conv_transpose2d(
        x, manual.tensor(np.ones((1, 1, 2, 2), np.float32)), stride=2)
    assert tiles.array[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    y = manual.conv_transpose2d.conv_transpose2d(x, w, stride=2)
    y.sum().backward()
    assert x.grad.array[0, 0].tolist() == [[9, 9], [9, 9]]   # each pixel stamped 9 taps
    assert w.grad.array[0, 0].tolist() == [[10] * 3] * 3      # each tap carried every pixel


@st.composite
def conv_transpose2d_cases(draw):
    """x, W, b (or None) and the options, with a non-empty output for every option drawn."""
    dtype = draw(dtypes)
    groups = draw(st.integers(1, 4))
    c_in, c_out = (groups * draw(st.integers(1, 4 // groups)) for _ in range(2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = draw(int_or_pair(1, 3)), draw(int_or_pair(1, 2))
    strides, dilations = as_pair(stride), as_pair(dilation)
    # torch: output_padding below the stride or below the dilation, on each axis
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(strides, dilations))
    size = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    # padding at most half of what the canvas has, so that H_out >= 1
    padding = tuple(draw(st.integers(0, min(2, ((n - 1) * s + d * (k - 1) + a) // 2)))
                    for n, s, d, k, a in zip(size, strides, dilations, kernel, output_padding))
    batch = draw(st.sampled_from([(), (1,), (2,)]))          # () is an unbatched input
    x = draw(arrays(dtype, batch + (c_in, *size)))
    w = draw(arrays(dtype, (c_in, c_out // groups, *kernel)))
    b = draw(arrays(dtype, (c_out,))) if draw(st.booleans()) else None
    return x, w, b, dict(stride=stride, padding=padding, output_padding=output_padding,
                         groups=groups, dilation=dilation)


@given(conv_transpose2d_cases(), st.data())
def test_conv_transpose2d_matches_torch(case, data):
    x, w, b, options = case
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    m_y = manual.conv_transpose2d.conv_transpose2d(*m, **options)
    t_y = torch_native.conv_transpose2d.conv_transpose2d(*t, **options)
    grad = data.draw(arrays(x.dtype, tuple(t_y.shape)))
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    scales = magnitudes(torch_native.conv_transpose2d.conv_transpose2d, x, w, b, grad=grad,
                        **options)
    terms = _terms(x, w, t_y.shape, options["groups"])
    assert_twins_agree("forward", "conv_transpose2d", m_y, t_y, scale=scales[0],
                       terms=terms["forward"])
    for name, m_p, t_p, scale in zip(("dx", "dW", "db"), m, t, scales[1:]):
        assert_twins_agree(name, "conv_transpose2d", m_p.grad, t_p.grad, scale=scale,
                           terms=terms[name])


def _terms(x, w, y_shape, groups):
    """How many terms each result adds up, at most: every kernel tap of a group's input
    channels (and the bias) for y, a window over a group's output channels for dx, every
    input pixel for dW, every output pixel for db."""
    c_in, c_out_group, kh, kw = w.shape
    return {"forward": c_in // groups * kh * kw + 1, "dx": c_out_group * kh * kw,
            "dW": x.size // c_in, "db": int(np.prod(y_shape)) // (c_out_group * groups)}


@settings(max_examples=30)
@given(conv_transpose2d_cases())
def test_scatter_loops_and_vectorised_form_agree(case):
    # torch-free: each pixel stamping its kernel, read literally, against matmul + col2im
    x, w, b, options = case
    args = [manual.tensor(a) for a in (x, w, b) if a is not None]
    loops = manual.conv_transpose2d._conv_transpose2d_loops(*args, **options)
    vectorised = manual.conv_transpose2d.conv_transpose2d(*args, **options)
    magnitudes = [manual.tensor(np.abs(a).astype(np.float64)) for a in (x, w, b) if a is not None]
    scale = manual.conv_transpose2d.conv_transpose2d(*magnitudes, **options)
    terms = w.shape[0] // options.get("groups", 1) * w.shape[2] * w.shape[3] + 1
    assert_twins_agree("loops vs vectorised", "conv_transpose2d", loops, vectorised,
                       scale=scale, terms=terms)


@settings(max_examples=30)
@given(conv2d_cases(paddings=INT_PADDINGS), st.data())
def test_equals_the_input_gradient_of_conv2d(case, data):
    # torch-free: run conv2d forward and backward on the manual engine; dL/dx is the
    # transposed convolution of dL/dy with the same W, output_padding giving back the rows
    # and columns conv2d's stride skipped at the bottom and right
    x, w, _, options = case
    m_x = manual.tensor(x, requires_grad=True)
    y = manual.conv2d.conv2d(m_x, manual.tensor(w), **options)
    grad = data.draw(arrays(x.dtype, y.shape))
    y.backward(manual.tensor(grad))
    stride, padding, dilation = (as_pair(options[k]) for k in ("stride", "padding", "dilation"))
    skipped = tuple((n + 2 * p - d * (k - 1) - 1) % s for n, p, d, k, s in
                    zip(x.shape[-2:], padding, dilation, w.shape[2:], stride))
    transposed = dict(stride=stride, padding=padding, output_padding=skipped,
                      groups=options["groups"], dilation=dilation)
    dx = manual.conv_transpose2d.conv_transpose2d(manual.tensor(grad), manual.tensor(w),
                                                  **transposed)
    scale = manual.conv_transpose2d.conv_transpose2d(
        manual.tensor(np.abs(grad).astype(np.float64)),
        manual.tensor(np.abs(w).astype(np.float64)), **transposed)
    assert_twins_agree("conv2d's dx", "conv_transpose2d", dx, m_x.grad, scale=scale,
                       terms=w.shape[0] // options["groups"] * w.shape[2] * w.shape[3])


@pytest.mark.parametrize("sizes", [(1, 1, 1, 1), (8, 3, 3, 1), (6, 4, (2, 3), 2), (32, 16, 5, 4),
                                   (3, 3, 3, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_initial_weights_match_torch_to_the_bit(sizes, bias):
    c_in, c_out, kernel, groups = sizes
    manual.manual_seed(5)
    torch.manual_seed(5)
    m = manual.conv_transpose2d.ConvTranspose2d(c_in, c_out, kernel, groups=groups, bias=bias)
    t = torch_native.conv_transpose2d.ConvTranspose2d(c_in, c_out, kernel, groups=groups,
                                                      bias=bias)
    assert_twins_agree("weight", "init", m.weight, t.weight)
    assert (m.bias is None) == (t.bias is None)
    if bias:
        assert_twins_agree("bias", "init", m.bias, t.bias)


def test_module_interface():
    manual.manual_seed(0)
    options = dict(stride=2, padding=1, output_padding=(1, 0), groups=2, dilation=(1, 2))
    layer = manual.conv_transpose2d.ConvTranspose2d(4, 6, (3, 2), **options)
    torch_layer = torch_native.conv_transpose2d.ConvTranspose2d(4, 6, (3, 2), **options)
    assert repr(layer) == repr(torch_layer)
    assert [p.shape for p in layer.parameters()] == [(4, 3, 3, 2), (6,)]
    assert list(layer.state_dict()) == ["weight", "bias"]
    layer.load_state_dict(torch_layer.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32)
    m_y = layer(manual.tensor(x))
    np.testing.assert_array_equal(m_y.array, manual.conv_transpose2d.conv_transpose2d(
        manual.tensor(x), layer.weight, layer.bias, **options).array)
    scale = magnitudes(torch_native.conv_transpose2d.conv_transpose2d, x, layer.weight.array,
                       layer.bias.array, grad=np.zeros(m_y.shape), **options)[0]
    assert_twins_agree("module forward", "conv_transpose2d", m_y, torch_layer(torch.tensor(x)),
                       scale=scale)


def _refusal_cases():
    """(input shape, weight shape, bias shape, options, torch's words); all RuntimeError."""
    return [
        ((5, 5), (1, 1, 3, 3), None, {}, r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                         "to conv_transpose2d"),
        ((1, 2, 2, 2), (1, 1, 3, 3), None, {},
         r"expected input\[1, 2, 2, 2\] to have 1 channels, but got 2 channels instead"),
        ((1, 3, 2, 2), (3, 1, 3, 3), None, {"groups": 2},
         "expected weight to be divisible by 2 at dimension 0"),
        ((1, 1, 2, 2), (1, 1, 3, 3), (2,), {},
         "expected bias to be 1-dimensional with 1 elements, but got bias of size \\[2\\]"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"stride": 2, "output_padding": 2},
         "output padding must be smaller than either stride or dilation"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"output_padding": (0, 1)},
         "output padding must be smaller than either stride or dilation"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"padding": 2},
         r"Calculated output size per channel: \(0 x 0\)\. Output size is too small"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"stride": 0}, "non-positive stride is not supported"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"padding": -1}, "negative padding is not supported"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"output_padding": -1},
         "negative output_padding is not supported"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"dilation": 0}, "dilation should be greater than zero"),
        ((1, 1, 2, 2), (1, 1, 3, 3), None, {"groups": 0}, "non-positive groups is not supported"),
    ]


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
@pytest.mark.parametrize("case", _refusal_cases(), ids=lambda c: re.sub(r"\W+", "-", c[-1])[:30])
def test_refusals(twin, case):
    x_shape, w_shape, b_shape, options, words = case
    lib = manual.conv_transpose2d if twin is manual else torch_native.conv_transpose2d
    x, w = twin.tensor(np.zeros(x_shape, np.float32)), twin.tensor(np.zeros(w_shape, np.float32))
    b = None if b_shape is None else twin.tensor(np.zeros(b_shape, np.float32))
    with pytest.raises(RuntimeError, match=words):
        lib.conv_transpose2d(x, w, b, **options)


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_dtypes(twin):
    lib = manual.conv_transpose2d if twin is manual else torch_native.conv_transpose2d
    x, w = twin.tensor(np.ones((1, 1, 2, 2), np.float32)), twin.tensor(np.ones((1, 1, 3, 3)))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        lib.conv_transpose2d(x, w)
    # the quirk: a float64 bias is rounded to x's float32 (conv2d refuses it)
    y = lib.conv_transpose2d(x, twin.tensor(np.ones((1, 1, 3, 3), np.float32)),
                             twin.tensor([0.1]).double())
    assert y.dtype == x.dtype and np.asarray(y.detach())[0, 0, 0, 0] == np.float32(1.1)
    with pytest.raises(TypeError, match="padding"):
        lib.conv_transpose2d(x, w, padding="same")


@pytest.mark.parametrize("lib", [manual.conv_transpose2d, torch_native.conv_transpose2d],
                         ids=["manual", "torch"])
@pytest.mark.parametrize("args, words", [
    ((3, 4, 3, 1, 0, 0, 2), "in_channels must be divisible by groups"),
    ((4, 3, 3, 1, 0, 0, 2), "out_channels must be divisible by groups"),
    ((4, 4, 3, 1, 0, 0, 0), "groups must be a positive integer"),
])
def test_module_refusals(lib, args, words):
    with pytest.raises(ValueError, match=words):
        lib.ConvTranspose2d(*args)


def test_gradients_match_central_differences():
    # torch-free: L = sum(y * g) is linear in each of x, W, b, so the central difference
    # (L(a + h) - L(a - h)) / 2h is exact up to rounding (about 1e-16 |L| / h)
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s) for s in ((2, 4, 3, 4), (4, 1, 3, 2), (2,)))
    options = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 0), groups=2,
                   dilation=(1, 2))
    tensors = [manual.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = manual.conv_transpose2d.conv_transpose2d(*tensors, **options)
    g = rng.standard_normal(y.shape)
    y.backward(manual.tensor(g))
    for k, t in enumerate(tensors):
        numeric = np.zeros(t.shape)
        for index in np.ndindex(t.shape):
            values = [a.copy() for a in (x, w, b)]
            values[k][index] += 1e-6
            plus = manual.conv_transpose2d.conv_transpose2d(*map(manual.tensor, values),
                                                            **options).array
            values[k][index] -= 2e-6
            minus = manual.conv_transpose2d.conv_transpose2d(*map(manual.tensor, values),
                                                             **options).array
            numeric[index] = np.sum((plus - minus) * g) / 2e-6
        np.testing.assert_allclose(t.grad.array, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_empty_batch_as_torch(dtype, groups):
    assert_empty_batch_agrees(manual.conv_transpose2d.conv_transpose2d,
                              torch_native.conv_transpose2d.conv_transpose2d, dtype, groups)


def test_dtypes_are_refused_in_torchs_order():
    # torch's kernel has no bool; conv_transpose2d adds b in place, which cannot cast a
    # float into ints
    differ = conv_dtype_outcomes_differ(manual.conv_transpose2d.conv_transpose2d,
                                        torch_native.conv_transpose2d.conv_transpose2d)
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("output_size", [[10, 10], [1, 2, 10, 10], [9, 10], [11, 11], [10],
                                         [1, 10, 10]], ids=str)
def test_the_module_takes_an_output_size_as_torch(output_size):
    """ConvTranspose2d(...)(x, output_size=...): the extra rows and columns that make that
    size, the same values to the bit; sizes out of range refused in torch's words."""
    made = []
    for lib in (manual, torch):
        lib.manual_seed(0)
        module = lib.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
        x = lib.tensor(np.random.default_rng(1).standard_normal((1, 4, 5, 5)).astype(np.float32))
        try:
            made.append(np.asarray(module(x, output_size=output_size).detach()).tobytes())
        except ValueError as error:
            made.append(str(error))
    assert made[0] == made[1]
