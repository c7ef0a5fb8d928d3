"""linear and Linear: outputs and all three gradients against torch; initial weights to the bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.linear
import torch_native.linear
from tests.helpers import assert_twins_agree, requires_fused_kernels
from tests.strategies import arrays, batch_shapes, dtypes


def test_hand_example():
    # y = x W^T + b with x = [1, 2], W = [[1, 0], [2, 3]], b = [1, -1]: y = [2, 7]
    x = manual.tensor([[1.0, 2.0]], requires_grad=True)
    w = manual.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    b = manual.tensor([1.0, -1.0], requires_grad=True)
    y = manual.linear.linear(x, w, b)
    assert y.tolist() == [[2.0, 7.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0]]               # dy W: column sums of W
    assert w.grad.tolist() == [[1.0, 2.0], [1.0, 2.0]]   # dy^T x: x in each row
    assert b.grad.tolist() == [1.0, 1.0]


@st.composite
def linear_cases(draw):
    dtype = draw(dtypes)
    batch = draw(batch_shapes)                       # any number of leading batch dims
    n_in, n_out = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    x = draw(arrays(dtype, batch + (n_in,)))
    w = draw(arrays(dtype, (n_out, n_in)))
    b = draw(arrays(dtype, (n_out,))) if draw(st.booleans()) else None
    grad = draw(arrays(dtype, batch + (n_out,)))
    return x, w, b, grad


@given(linear_cases())
def test_linear_matches_torch(case):
    x, w, b, grad = case
    m = [manual.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    m_y, t_y = manual.linear.linear(*m), torch_native.linear.linear(*t)
    m_y.backward(manual.tensor(grad))
    t_y.backward(torch.tensor(grad))
    # each result is a sum of products; the scale is the same sum over magnitudes
    ax, aw, ag = np.abs(x), np.abs(w), np.abs(grad)
    ag_2d, ax_2d = ag.reshape(-1, ag.shape[-1]), ax.reshape(-1, ax.shape[-1])
    scales = [ax @ aw.T + (0 if b is None else np.abs(b)), ag @ aw, ag_2d.T @ ax_2d,
              ag_2d.sum(axis=0)]
    assert_twins_agree("forward", "linear", m_y, t_y, scale=scales[0])
    for name, m_p, t_p, scale in zip(("dx", "dW", "db"), m, t, scales[1:]):
        assert_twins_agree(name, "linear", m_p.grad, t_p.grad, scale=scale)


def test_linear_without_batch_dims():
    x, w = np.float32([1, 2]), np.float32([[3, 4]])
    m = manual.linear.linear(manual.tensor(x), manual.tensor(w))
    assert m.shape == (1,) and m.tolist() == [11.0]


@requires_fused_kernels
@pytest.mark.parametrize("shape", [(3, 2), (1, 1), (10, 7), (128, 784)])
@pytest.mark.parametrize("bias", [True, False])
def test_initial_weights_match_torch_to_the_bit(shape, bias):
    n_out, n_in = shape
    manual.manual_seed(7)
    torch.manual_seed(7)
    m, t = manual.linear.Linear(n_in, n_out, bias), torch_native.linear.Linear(n_in, n_out, bias)
    assert_twins_agree("weight", "init", m.weight, t.weight)
    assert (m.bias is None) == (t.bias is None)
    if bias:
        assert_twins_agree("bias", "init", m.bias, t.bias)


def test_initial_weights_within_kaiming_bound():
    # torch-free: U(-1/sqrt(in), 1/sqrt(in)), and a different seed gives different weights
    manual.manual_seed(0)
    layer = manual.linear.Linear(50, 20)
    bound = 1 / np.sqrt(50)
    assert np.abs(layer.weight.array).max() <= bound and np.abs(layer.bias.array).max() <= bound
    assert layer.weight.array.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    manual.manual_seed(1)
    assert not np.array_equal(manual.linear.Linear(50, 20).weight.array, layer.weight.array)


def test_module_interface():
    manual.manual_seed(0)
    layer = manual.linear.Linear(3, 2)
    assert [p.shape for p in layer.parameters()] == [(2, 3), (2,)]
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = manual.tensor(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(layer(x).array, manual.linear.linear(x, layer.weight,
                                                                        layer.bias).array)
    torch_layer = torch_native.linear.Linear(3, 2)
    layer.load_state_dict(torch_layer.state_dict())
    np.testing.assert_array_equal(layer.weight.array, torch_layer.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="Missing key"):
        layer.load_state_dict({"weight": np.zeros((2, 3))})
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        layer.load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})


@pytest.mark.parametrize("twin", [manual, torch], ids=["manual", "torch"])
def test_refusals(twin):
    lib = manual.linear if twin is manual else torch_native.linear
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        lib.linear(twin.tensor(np.zeros((4, 3), np.float32)), twin.tensor(np.zeros((2, 5),
                                                                                    np.float32)))
    with pytest.raises(RuntimeError, match="dtype"):
        lib.linear(twin.tensor(np.zeros((4, 3), np.float32)), twin.tensor(np.zeros((2, 3))))


def test_load_state_dict_takes_tensors_that_require_grad():
    # torch accepts dict(model.named_parameters()); so does the manual twin
    torch_layer = torch_native.linear.Linear(3, 2)
    layer = manual.linear.Linear(3, 2)
    layer.load_state_dict(dict(torch_layer.named_parameters()))
    np.testing.assert_array_equal(layer.weight.array, torch_layer.weight.detach().numpy())
    other = manual.linear.Linear(3, 2)
    other.load_state_dict(dict(layer.named_parameters()))
    np.testing.assert_array_equal(other.bias.array, layer.bias.array)
