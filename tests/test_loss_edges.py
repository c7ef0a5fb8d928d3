"""Losses and softmax at their edges, against torch: defaults, where dim=None's warning points,
the graph's saved tensors (a second backward, an output changed in place), and the kernels'
rounding corners (a zero max in a middle vector, -0 gradients, a partial last vector)."""

import os
import warnings
from functools import partial

import numpy as np
import pytest
import torch

import manual
import manual.mse_loss
import manual.softmax
import torch_native.mse_loss
import torch_native.softmax
from reference.convert import to_numpy
from tests.helpers import FREED, assert_exact

TWINS = ((manual, manual.softmax), (torch, torch_native.softmax))
# a warning's stacklevel counts frames, and mutmut's trampolines add their own
NOT_UNDER_MUTMUT = pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                                      reason="mutmut's trampolines move a warning's frame")


def error_of(f) -> tuple[type, str]:
    with pytest.raises(Exception) as caught:
        f()
    return type(caught.value), str(caught.value)


# -- mse_loss -------------------------------------------------------------------------------------

def test_mse_loss_module_defaults_to_the_mean_as_torch():
    x, y = np.float32([[0.5, -1.25], [3.0, 2.0]]), np.float32([[1.0, 0.0], [-1.0, 2.5]])
    results = []
    for lib, twin in ((manual, manual.mse_loss), (torch, torch_native.mse_loss)):
        criterion = twin.MSELoss()
        leaf = lib.tensor(x, requires_grad=True)
        loss = criterion(leaf, lib.tensor(y))
        loss.backward()
        results.append((criterion.reduction, loss, leaf.grad))
    (m_reduction, m_loss, m_grad), (t_reduction, t_loss, t_grad) = results
    assert m_reduction == t_reduction == "mean"
    assert_exact("loss", m_loss, t_loss)
    assert_exact("grad", m_grad, t_grad)
    assert float(to_numpy(m_loss)) == np.mean((x - y) ** 2)


# -- softmax, log_softmax -------------------------------------------------------------------------

def _warning_site(call) -> tuple[str, int]:
    """Where dim=None's UserWarning points: (file, line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    [warning] = [w for w in caught if "Implicit dimension choice" in str(w.message)]
    assert warning.category is UserWarning
    return warning.filename, warning.lineno


@NOT_UNDER_MUTMUT
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dim_none_warns_at_the_callers_line_as_torch(name):
    sites = []
    for lib, twin in TWINS:
        x = lib.tensor(np.float32([[1.0, 2.0], [0.5, -1.0]]))
        function = getattr(twin, name)
        module = getattr(twin, {"softmax": "Softmax", "log_softmax": "LogSoftmax"}[name])()
        sites.append((_warning_site(partial(function, x)), _warning_site(partial(module, x))))
    (m_function, m_module), (t_function, t_module) = sites
    assert m_function == t_function and m_function[0] == __file__   # call()'s line
    # a module's: the line of module.py that calls forward (torch's _wrapped_call_impl)
    assert m_module[0].endswith("/manual/module.py") and t_module[0].endswith("/module.py")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_a_second_backward_and_an_output_changed_in_place_are_refused_as_torch(name):
    # the node saves its output: backward frees it, and changing it in place is refused
    errors = []
    for lib, twin in TWINS:
        x = lib.tensor(np.float32([[1.0, 2.0, 3.0]]), requires_grad=True)
        y = getattr(twin, name)(x, dim=1)
        y.sum().backward()
        second = error_of(y.sum().backward)
        y = getattr(twin, name)(x, dim=1)
        with lib.no_grad():
            y.mul_(2.0)
        errors.append((second, error_of(y.sum().backward)))
    (m_second, m_in_place), (t_second, t_in_place) = errors
    assert FREED in m_second[1] and m_second == t_second
    assert "modified by an inplace operation" in m_in_place[1]
    assert m_in_place[0] == t_in_place[0]


def _both(name: str, x: np.ndarray, dim: int, dy: np.ndarray):
    """[(y, dx) of manual, of torch] for softmax or log_softmax of x along dim."""
    results = []
    for lib, twin in TWINS:
        leaf = lib.tensor(x, requires_grad=True)
        y = getattr(twin, name)(leaf, dim=dim)
        y.backward(lib.tensor(dy))
        results.append((y, leaf.grad))
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_a_zero_max_in_a_middle_vector_as_torch(name, dtype):
    # rows of 48 (three float32 vectors, six float64 ones) whose max, 0, is in a middle
    # vector: the max is redone vector by vector, for the sign of the zero
    rng = np.random.default_rng(5)
    x = -rng.uniform(0.5, 4, (3, 48)).astype(dtype)
    x[0, 20], x[1, 40], x[2, 9] = 0.0, -0.0, 0.0
    x[2, 33] = -0.0
    dy = rng.standard_normal((3, 48)).astype(dtype)
    (m_y, m_dx), (t_y, t_dx) = _both(name, x, 1, dy)
    assert_exact("forward", m_y, t_y)
    assert_exact("backward", m_dx, t_dx)


@pytest.mark.parametrize("n", [16, 17, 32, 33, 49])
def test_softmax_backward_partial_last_vector_as_torch(n):
    # float32 along the last dim: the partial last vector of sum dy y is fused (fma)
    rng = np.random.default_rng(n)
    x = rng.standard_normal((4, n)).astype(np.float32) * 3
    dy = rng.standard_normal((4, n)).astype(np.float32)
    (m_y, m_dx), (t_y, t_dx) = _both("softmax", x, 1, dy)
    assert_exact("forward", m_y, t_y)
    assert_exact("backward", m_dx, t_dx)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_negative_zero_gradients_along_another_dim_as_torch(name):
    # sum_j dy_j from 0 is +0 for dy all -0: dx = dy - exp(y) (+0) keeps -0
    x = np.float32([[1.0, -2.0, 0.5, 3.0], [0.25, 2.0, -1.0, 0.0], [4.0, 1.0, 1.0, -3.0]])
    (m_y, m_dx), (t_y, t_dx) = _both(name, x, 0, np.full_like(x, -0.0))
    assert_exact("forward", m_y, t_y)
    assert_exact("backward", m_dx, t_dx)


# -- cross_entropy --------------------------------------------------------------------------------

import manual.cross_entropy  # noqa: E402
import torch_native.cross_entropy  # noqa: E402
from reference.scales import cross_entropy_scales  # noqa: E402
from tests.helpers import assert_twins_agree  # noqa: E402

CE_TWINS = ((manual, manual.cross_entropy), (torch, torch_native.cross_entropy))
RNG = np.random.default_rng(17)
X2, X3, X4 = (RNG.standard_normal(s).astype(np.float32) for s in ((2, 3), (2, 3, 4), (2, 3, 2, 2)))
LONG = np.int64
REFUSALS = {  # input, target, keyword arguments: what torch refuses, and how
    "a 0-d weight, one class, 3 dims": (X3[:, :1], np.zeros((2, 4), LONG),
                                        {"weight": np.float32(1.0), "label_smoothing": 0.1}),
    "a weight viewed along the class dim": (X3, np.zeros((2, 4), LONG),
                                            {"weight": np.ones((1, 3), np.float32),
                                             "label_smoothing": 0.1}),
    "a weight of 2 dims gathered": (X3, np.zeros((2, 4), LONG),
                                    {"weight": np.ones((3, 1), np.float32),
                                     "label_smoothing": 0.1}),
    "a 1-d input's target of 1": (X2[0], np.array([1]), {"label_smoothing": 0.1}),
    "byte targets gathered": (X2, np.array([0, 1], np.uint8),
                              {"weight": np.ones(3, np.float32), "label_smoothing": 0.1}),
    "a 2-d target for 4-d input": (X4, np.zeros((2, 4), LONG), {}),
    "a weight of 4 for 3 classes": (X4, np.zeros((2, 2, 2), LONG),
                                    {"weight": np.ones(4, np.float32)}),
    "a target of the wrong size": (X4, np.zeros((2, 3, 2), LONG), {}),
    "probabilities and a weight of 4": (X2, np.full((2, 3), 1 / 3, np.float32),
                                        {"weight": np.ones(4, np.float32)}),
    "an empty integer input": (np.zeros((0, 3), LONG), np.zeros(0, LONG), {}),
    "an empty integer 4-d input": (np.zeros((0, 3, 2, 2), LONG), np.zeros((0, 2, 2), LONG), {}),
    "a 2-d target for 2-d input": (X2, np.zeros((2, 3), LONG), {}),
    "a 1-d input's target of 2": (X2[0], np.array([0, 1]), {}),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_cross_entropy_refusals_as_torch(case):
    # manual's message is torch's, then what was refused (": weight of size [...]")
    x, target, options = REFUSALS[case]
    errors = []
    for lib, twin in CE_TWINS:
        kwargs = {k: lib.tensor(v) if k == "weight" else v for k, v in options.items()}
        errors.append(error_of(partial(twin.cross_entropy, lib.tensor(x), lib.tensor(target),
                                       **kwargs)))
    (m_type, m_message), (t_type, t_message) = errors
    assert m_type is t_type
    assert m_message == t_message or m_message.startswith(t_message + ": "), m_message


def _cross_entropy_both(x, target, **options):
    results = []
    for lib, twin in CE_TWINS:
        leaf = lib.tensor(x, requires_grad=True)
        kwargs = {k: lib.tensor(v) if k == "weight" else v for k, v in options.items()}
        loss = twin.cross_entropy(leaf, lib.tensor(target), **kwargs)
        loss.backward(lib.ones_like(loss))
        results.append((loss, leaf.grad))
    return results


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_general_path_node_and_ignored_samples_as_torch(reduction):
    # weight, ignore_index and smoothing: the general path, one NllLossBackward0 node that
    # saves what it reads (a second backward is refused)
    x, target = X3, np.array([[0, 2, 1, -1], [-1, 1, 1, 0]])
    options = dict(weight=np.float32([0.5, 2.0, 1.0]), ignore_index=-1, label_smoothing=0.2,
                   reduction=reduction)
    (m_loss, m_dx), (t_loss, t_dx) = _cross_entropy_both(x, target, **options)
    grad = np.ones(to_numpy(t_loss).shape, np.float32)
    loss_scale, dx_scale, _ = cross_entropy_scales(x, target, options["weight"], -1, reduction,
                                                   0.2, grad)
    assert_twins_agree("loss", "cross_entropy", m_loss, t_loss, scale=loss_scale)
    assert_twins_agree("dx", "cross_entropy", m_dx, t_dx, scale=dx_scale)
    assert m_loss.grad_fn.name() == "NllLossBackward0"       # torch's: the smoothing's sum
    (m_plain, m_dx), (t_plain, t_dx) = _cross_entropy_both(   # (N, C), weighted: torch's node
        X2, np.array([2, -1]), weight=options["weight"], ignore_index=-1, reduction=reduction)
    assert m_plain.grad_fn.name() == t_plain.grad_fn.name() == "NllLossBackward0"
    assert_twins_agree("weighted loss", "cross_entropy", m_plain, t_plain, scale=np.abs(
        to_numpy(t_plain)) + 1)
    assert_twins_agree("weighted dx", "cross_entropy", m_dx, t_dx, scale=np.ones(X2.shape))
    seconds = [error_of(lambda loss=loss, lib=lib: loss.backward(lib.ones_like(loss)))
               for loss, lib in ((m_loss, manual), (t_loss, torch))]
    assert FREED in seconds[0][1] and seconds[0] == seconds[1]


def test_cross_entropy_mean_over_zero_weight_as_torch():
    # every target's weight is 0 but smoothing reads the others: a positive sum over D = 0
    # (inf), and a gradient of nan (torch's nll_loss part is 0 w / 0)
    (m_loss, m_dx), (t_loss, t_dx) = _cross_entropy_both(
        X2, np.array([0, 0]), weight=np.float32([0.0, 1.0, 1.0]), label_smoothing=0.1)
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)


def test_cross_entropy_negative_zero_probabilities_as_torch():
    # probability targets without smoothing are used as they are: -0 stays -0
    y = np.float32([[-0.0, 1.0, -0.0], [0.5, -0.0, 0.5]])
    (m_loss, m_dx), (t_loss, t_dx) = _cross_entropy_both(X2, y, reduction="none")
    assert_exact("loss", m_loss, t_loss)
    assert_exact("dx", m_dx, t_dx)


def test_cross_entropy_minus_infinite_logits_as_torch():
    # the usual (N, C) call: a logit of -inf is a probability of 0, not a nan in the loss
    x = np.float32([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    (m_loss, m_dx), (t_loss, t_dx) = _cross_entropy_both(x, np.array([0, 1]))
    assert np.isfinite(to_numpy(m_loss))
    assert_twins_agree("loss", "cross_entropy", m_loss, t_loss, scale=np.float32(4))
    assert_twins_agree("dx", "cross_entropy", m_dx, t_dx, scale=np.ones(x.shape))


@NOT_UNDER_MUTMUT
def test_mse_loss_broadcast_warns_at_the_callers_line_as_torch():
    sites = []
    for lib, twin in ((manual, manual.mse_loss), (torch, torch.nn.functional)):
        x, y = lib.tensor(np.float32([[1.0], [2.0], [3.0]])), lib.tensor(np.float32([1, 0, 2]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            twin.mse_loss(x, y)
        [warning] = caught
        sites.append((warning.category, warning.filename, warning.lineno))
    assert sites[0][0] is sites[1][0] is UserWarning
    assert sites[0][1] == sites[1][1] == __file__ and sites[0][2] == sites[1][2]
