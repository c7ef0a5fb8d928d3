"""Edges of softmax, log_softmax, nll_loss, mse_loss, GELU and Dropout against torch: empty
inputs' dtypes, the legacy reduction arguments, 0 / 0 and overflow without NumPy warnings,
saved tensors (a second backward, a tensor changed in place), and the modules' defaults."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import manual
import manual.activations
import manual.dropout
import manual.mse_loss
import manual.nll_loss
import manual.softmax
import torch_native.activations
import torch_native.dropout
import torch_native.mse_loss
import torch_native.nll_loss
import torch_native.softmax
from tests.helpers import FREED, assert_exact

LIBS = ((manual, "manual"), (torch, "torch"))
IN_PLACE = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation: ["
VERSION = "] is at version 1; expected version 0 instead."


def twin(lib, piece: str):
    """The piece's module in manual or torch_native."""
    return getattr(manual if lib is manual else torch_native, piece)


def error_of(f) -> tuple[type, str]:
    with pytest.raises(Exception) as caught:
        f()
    return type(caught.value), str(caught.value)


def assert_in_place_refusals_alike(m_error: tuple[type, str], t_error: tuple[type, str]) -> None:
    """torch's words around the tensor's description (torch.FloatTensor or manual.Tensor)."""
    assert m_error[0] is t_error[0] is RuntimeError
    for _, text in (m_error, t_error):
        assert text.startswith(IN_PLACE) and VERSION in text, text


# -- softmax and log_softmax ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((0, 3), 0), ((3, 0), 1), ((2, 0, 3), 1),
                                            ((2, 0, 3), -1), ((2, 3, 0), 1), ((0,), 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_empty_inputs_keep_their_dtype_and_shape_as_torch(name, shape, dim, dtype):
    # nothing to sum along an empty dim (or no slices at all): the result is empty, in x's
    # dtype, and so is its gradient
    results = []
    for lib, _ in LIBS:
        x = lib.tensor(np.zeros(shape, dtype), requires_grad=True)
        y = getattr(twin(lib, "softmax"), name)(x, dim)
        y.backward(lib.tensor(np.zeros(shape, dtype)))
        results.append((y, x.grad))
    (m_y, m_dx), (t_y, t_dx) = results
    assert_exact("y", m_y, t_y)
    assert_exact("dx", m_dx, t_dx)


@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
def test_modules_pass_their_dim_and_warn_for_none_as_torch(module):
    # (2, 3, 4): dim 2 is the last, dim=None picks 1; the module hands its input and dim on
    x = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) % 5) / 3
    for dim in (2, 0, None):
        outputs = []
        for lib, _ in LIBS:
            with warnings.catch_warnings(record=True) as warned:
                warnings.simplefilter("always")
                outputs.append(getattr(twin(lib, "softmax"), module)(dim)(lib.tensor(x)))
            outputs.append([(w.category, str(w.message)) for w in warned])
        m_y, m_warned, t_y, t_warned = outputs
        assert_exact(f"{module}({dim})", m_y, t_y)
        assert m_warned == t_warned and len(t_warned) == (dim is None)


# -- nll_loss -------------------------------------------------------------------------------------

X = np.float32([[-1.0, -2.0, -3.0], [-0.5, -1.25, -2.0], [-4.0, -0.25, -1.5]])
T = np.int64([0, 2, 1])
W = np.float32([1.0, 2.0, 3.0])


@pytest.mark.parametrize("legacy", [{"size_average": False}, {"reduce": False},
                                    {"size_average": True, "reduce": True},
                                    {"size_average": False, "reduce": False}])
def test_nll_loss_legacy_arguments_choose_the_reduction_as_torch(legacy):
    # size_average=False sums, reduce=False keeps each sample, with torch's warning naming
    # the reduction to use instead; the weights count as always
    results = []
    for lib, _ in LIBS:
        x = lib.tensor(X, requires_grad=True)
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            loss = twin(lib, "nll_loss").nll_loss(x, lib.tensor(T), lib.tensor(W), **legacy)
        loss.backward(lib.tensor(np.linspace(0.5, 2, loss.numel(), dtype=np.float32)
                                 .reshape(tuple(loss.shape))))
        results.append((loss, x.grad, [(w.category, str(w.message)) for w in warned]))
    (m_loss, m_dx, m_warned), (t_loss, t_dx, t_warned) = results
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)
    assert m_warned == t_warned and len(t_warned) == 1


def _nll_both(x, t, w, reduction, g, **options):
    """(loss, dx) of manual and of torch, NumPy's warnings turned into errors."""
    results = []
    for lib, _ in LIBS:
        leaf = lib.tensor(x, requires_grad=True)
        weight = None if w is None else lib.tensor(w)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = twin(lib, "nll_loss").nll_loss(leaf, lib.tensor(t), weight,
                                                  reduction=reduction, **options)
            loss.backward(lib.tensor(g))
        results.append((loss, leaf.grad))
    return results


@pytest.mark.parametrize(("t", "w", "reduction", "g"), [
    (np.int64([-100, -100, -100]), None, "mean", np.float32(1.0)),       # 0 / 0, then 1 / 0
    (np.int64([-100, -100, -100]), None, "mean", np.float32(0.0)),       # 0 / 0 twice
    (np.int64([0, 1, 1]), np.float32([2.0, -1.0, 1.0]), "mean", np.float32(1.0)),   # x / 0
    (np.int64([0, 1, 1]), np.float32([1e-40, 1e-40, 1.0]), "mean", np.float32(3.0)),
    (T, np.float32([2.0, 3.0, np.inf]), "none", np.float32([3e38, 0.0, 1.0])),  # overflow, inf 0
    (T, np.float32([2.0, 3.0, 0.0]), "none", np.float32([np.inf, 1.0, np.inf])),
])
def test_nll_loss_zero_weights_and_overflow_without_numpy_warnings_as_torch(t, w, reduction, g):
    # nan and inf where torch puts them, forward and backward, and never a NumPy warning
    (m_loss, m_dx), (t_loss, t_dx) = _nll_both(X, t, w, reduction, g)
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_nll_loss_per_sample_gradient_as_torch(dtype):
    # "none": each sample's own gradient g_i, times -w_t, in x's dtype
    g = np.asarray([0.5, -2.0, 3.0], dtype)
    (m_loss, m_dx), (t_loss, t_dx) = _nll_both(X.astype(dtype), T, W.astype(dtype), "none", g)
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)


def test_nll_loss_of_many_spatial_dims_is_viewed_back_to_the_target_as_torch():
    # (N, C, d1, d2, d3): torch folds the spatial dims into nll_loss2d's two and views the
    # "none" result back: the target's shape, behind a ViewBackward0 node
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 2, 2, 3)).astype(np.float32)
    t = rng.integers(0, 3, (2, 2, 2, 3))
    g = rng.standard_normal((2, 2, 2, 3)).astype(np.float32)
    results = []
    for lib, _ in LIBS:
        leaf = lib.tensor(x, requires_grad=True)
        loss = twin(lib, "nll_loss").nll_loss(leaf, lib.tensor(t), reduction="none")
        node = loss.grad_fn.name()
        loss.backward(lib.tensor(g))
        results.append((loss, leaf.grad, node))
    (m_loss, m_dx, m_node), (t_loss, t_dx, t_node) = results
    assert m_node == t_node == "ViewBackward0"
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)


def test_nll_loss_second_backward_and_saved_tensors_changed_in_place_as_torch():
    # the node saves input, target and weight: a second backward finds them freed, and each
    # changed in place before backward is refused
    errors = []
    for lib, _ in LIBS:
        f = twin(lib, "nll_loss").nll_loss
        x, t, w = (lib.tensor(X, requires_grad=True), lib.tensor(T), lib.tensor(W))
        loss = f(x, t, w)
        loss.backward()
        second = error_of(loss.backward)
        changed = []
        for which in ("input", "weight"):
            x, w = lib.tensor(X, requires_grad=True), lib.tensor(W)
            loss = f(x, t, w)
            with lib.no_grad():
                (x if which == "input" else w).mul_(2.0)
            changed.append(error_of(loss.backward))
        errors.append((second, changed))
    (m_second, m_changed), (t_second, t_changed) = errors
    assert m_second == t_second and t_second[1].startswith(FREED)
    for m_error, t_error in zip(m_changed, t_changed, strict=True):
        assert_in_place_refusals_alike(m_error, t_error)
