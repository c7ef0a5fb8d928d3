"""Reductions at their edges, each call made on both twins (manual/reduction.py).

Values to the bit (NaN where torch has NaN), dtypes, shapes, the keepdim and dim forms, and
refusals in torch's classes and words: means, variances and norms of nothing, corrections as
large as the count, zero deviations, 0-d tensors, and graphs that free what they saved.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import manual

INF = float("inf")


def assert_same(m, t) -> None:
    """The same values to the bit (NaNs where torch has them), dtype and shape."""
    a, b = np.asarray(m.detach().numpy()), t.detach().numpy()
    assert (a.shape, a.dtype) == (b.shape, b.dtype), f"{a.shape} {a.dtype} != {b.shape} {b.dtype}"
    if a.dtype.kind == "f":
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{a} != {b}"
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    assert a.tobytes() == b.tobytes(), f"{a} != {b}"


def both(call):
    """call(lib) on manual and on torch, warnings recorded: (results, warning texts)."""
    results, said = [], []
    for lib in (manual, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(call(lib))
        said.append([str(w.message).split(" (Triggered internally")[0] for w in caught])
    assert said[0] == said[1], said
    return results


def assert_agree(call) -> None:
    m, t = both(call)
    assert_same(m, t)


def assert_refused_alike(call) -> None:
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as got:
        call(manual)
    assert str(got.value) == str(expected.value)


def grad_of(lib, f, data, dtype=None, gradient=None):
    """x.grad after f(lib, x).backward(gradient), with x a leaf holding data."""
    x = lib.tensor(data, dtype=dtype or lib.float32, requires_grad=True)
    y = f(lib, x)
    y.backward(y.detach() * 0 if gradient == "zeros" else lib.ones_like(y))
    return x.grad


def assert_grads_agree(f, data, dtype=None, gradient=None) -> None:
    m = grad_of(manual, f, data, dtype and manual.float64, gradient)
    t = grad_of(torch, f, data, dtype and torch.float64, gradient)
    assert_same(m, t)


def assert_second_backward_refused(f, data) -> None:
    """A node that saved arrays frees them: a second backward is refused, as torch's."""
    def twice(lib):
        x = lib.tensor(data, requires_grad=True)
        y = f(lib, x).sum()
        y.backward()
        y.backward()
    assert_refused_alike(twice)


# -- mean --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.mean(lib.tensor([1, 2, 4]), dtype=lib.float32),
    lambda lib: lib.tensor([[1, 2], [4, 7]]).mean(1, dtype=lib.float32),
    lambda lib: lib.tensor([[1.5, 2.25]], dtype=lib.float64).mean(dtype=lib.float32),
])
def test_mean_in_the_dtype_asked_for(call):
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0).mean(),
    lambda lib: lib.zeros(2, 0).mean(1),
    lambda lib: lib.zeros(0, 3).mean(0, keepdim=True),
    lambda lib: lib.zeros(2, 0, dtype=lib.float64).mean((0, -1)),
    lambda lib: lib.tensor([[INF, -INF], [1.0, 2.0]]).mean(1),
])
def test_the_mean_of_nothing_is_nan_without_a_word(call):
    assert_agree(call)  # NumPy's "Mean of empty slice" would be an error here


# -- argmax, argmin ----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.argmin(lib.tensor([True, False])),
    lambda lib: lib.argmin(lib.zeros(2, 0), 1),
    lambda lib: lib.argmin(lib.zeros(0)),
    lambda lib: lib.argmax(lib.zeros(3, 0), -1),
])
def test_argmin_refusals_name_argmin(call):
    assert_refused_alike(call)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_arg_of_a_0d_tensor_is_zero(name, dim, keepdim):
    assert_agree(lambda lib: getattr(lib, name)(lib.tensor(3.5), dim, keepdim))


# -- max and min: along a dim, of a 0-d tensor, of two tensors ----------------------------------

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, -1])
def test_max_along_a_dim_of_a_0d_tensor(name, dim):
    m, t = both(lambda lib: getattr(lib, name)(lib.tensor(2.5), dim, keepdim=True))
    assert_same(m.values, t.values)
    assert_same(m.indices, t.indices)
    assert_grads_agree(lambda lib, x: getattr(lib, name)(x, dim).values, 2.5)


@pytest.mark.parametrize("name", ["max", "min"])
def test_two_tensors_share_the_gradient_of_a_tie(name):
    x, other = [1.0, 3.0, 2.0, 0.0], [1.0, 5.0, 2.0, -1.0]
    assert_grads_agree(lambda lib, x: getattr(lib, name)(x, lib.tensor(other)), x)
    assert_grads_agree(lambda lib, x: getattr(lib, name)(lib.tensor(other), x), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_two_tensors_free_what_they_saved(name):
    assert_second_backward_refused(lambda lib, x: getattr(lib, name)(x, lib.tensor([1.0, 2.0])),
                                   [2.0, 1.0])


# -- norm --------------------------------------------------------------------------------------

X = [[3.0, -4.0, 0.5], [1.0, 2.0, -2.0]]


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(X).norm(),
    lambda lib: lib.tensor(X).norm(keepdim=True),
    lambda lib: lib.tensor([X, X]).norm(1, keepdim=True),
    lambda lib: lib.tensor(X).norm(INF, keepdim=True),
    lambda lib: lib.tensor(X).norm(dim=0),
    lambda lib: lib.tensor(X).norm(2, dim=1, keepdim=True),
    lambda lib: lib.tensor(X).norm(1, dim=1),
    lambda lib: lib.tensor(X).norm(1, dim=-2, keepdim=True),
    lambda lib: lib.tensor(X).norm(INF, dim=(0, 1)),
    lambda lib: lib.tensor(X).norm(INF, dim=0, keepdim=True),
    lambda lib: lib.tensor([[3.0], [-4.0]]).norm(dim=1, keepdim=True),
    lambda lib: lib.tensor([[3.0], [-4.0]]).norm(1, dim=-1),
    lambda lib: lib.tensor([[1e-30, 1e-30]]).norm(dim=1),
    lambda lib: lib.zeros(0, 3).norm(INF, dim=1),
    lambda lib: lib.zeros(3, 0).norm(2, dim=-1),
])
def test_norm_values_shapes_and_dims(call):
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0).norm(INF),
    lambda lib: lib.zeros(0, 3).norm(INF, keepdim=True),
    lambda lib: lib.zeros(2, 0).norm(INF, dim=[]),
    lambda lib: lib.zeros(3, 0).norm(INF, dim=-1),
    lambda lib: lib.zeros(0, 0).norm(INF, dim=(1, 0)),
    lambda lib: lib.zeros(0, 3).norm(INF, dim=(1, 0)),
    lambda lib: lib.ones(2, 2, 2).norm(dim=(0, 1, 2)),
])
def test_norm_refusals(call):
    assert_refused_alike(call)


@pytest.mark.parametrize("f", [
    lambda lib, x: x.norm(dim=1),
    lambda lib, x: x.norm(dim=0, keepdim=True),
    lambda lib, x: x.norm(1, dim=1),
    lambda lib, x: x.norm(INF, dim=-1),
    lambda lib, x: x.norm(),
])
def test_norm_gradients_with_zero_and_underflowing_norms(f):
    data = [[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1e-30, -1e-30, 1e-30], [2.0, -2.0, 1.0]]
    assert_grads_agree(f, data)


def test_norm_frees_what_it_saved():
    assert_second_backward_refused(lambda lib, x: x.norm(dim=1), X)


# -- var and std -------------------------------------------------------------------------------

Y = [[0.0, 0.0, 3.0], [3.0, 3.0, 3.0], [0.0, 3.0, 3.0]]  # exact means and variances


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("call", [
    lambda lib, n: getattr(lib, n)(lib.tensor(Y), 1, False),
    lambda lib, n: getattr(lib, n)(lib.tensor(Y), 0, unbiased=False, keepdim=True),
    lambda lib, n: getattr(lib.tensor(Y), n)(unbiased=False),
    lambda lib, n: getattr(lib.tensor(Y), n)(False),
    lambda lib, n: getattr(lib.tensor(Y), n)(True),
    lambda lib, n: getattr(lib.tensor(Y), n)(dim=(0, -1), correction=0),
])
def test_var_and_std_with_and_without_bessels_correction(name, call):
    assert_agree(lambda lib: call(lib, name))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("call", [
    lambda lib, n: getattr(lib.tensor([1.0, 3.0]), n)(correction=2),    # N - c = 0
    lambda lib, n: getattr(lib.tensor([1.0, 3.0]), n)(correction=3),    # below 0: as 0
    lambda lib, n: getattr(lib.tensor([1.0, 3.0]), n)(correction=2.5),
    lambda lib, n: getattr(lib.tensor([[1.0, 3.0]]), n)(1, correction=3),
    lambda lib, n: getattr(lib.tensor([5.0]), n)(correction=2),
    lambda lib, n: getattr(lib.zeros(0), n)(),
    lambda lib, n: getattr(lib.zeros(2, 0), n)(1, correction=0),
    lambda lib, n: getattr(lib.zeros(2, 0), n)(1),
    lambda lib, n: getattr(lib.zeros(2, 0), n)(0),
    lambda lib, n: getattr(lib.zeros(2, 0), n)(0, correction=0),   # no output: N is 0
])
def test_var_and_std_with_no_degrees_of_freedom(name, call):
    assert_agree(lambda lib: call(lib, name))  # inf or NaN, and torch's warning


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dim, keepdim", [(1, True), (1, False), (-2, True), (None, False)])
def test_var_and_std_gradients_with_zero_deviations(name, dim, keepdim):
    def f(lib, x):
        return getattr(x, name)(keepdim=keepdim) if dim is None else getattr(x, name)(
            dim, keepdim=keepdim)
    assert_grads_agree(f, Y)
    assert_grads_agree(f, Y, gradient="zeros")


@pytest.mark.parametrize("name", ["var", "std"])
def test_a_deviation_whose_square_underflows(name):
    data = [[1e-200, 2e-200], [1.0, 2.0], [3.0, 3.0]]
    assert_agree(lambda lib: getattr(lib.tensor(data, dtype=lib.float64), name)(1))
    assert_grads_agree(lambda lib, x: getattr(x, name)(1), data, dtype="float64")


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("data, dim, correction", [
    ([[1.0, 3.0, 2.0]], None, 3),
    ([[1.0, 3.0]], None, 2),
    ([[1.0, 3.0]], None, 3),
    ([[1.0, 3.0, 2.0]], 1, 3),
    ([[1.0, 3.0]], 1, 3),
    (2.5, 0, 2),
])
def test_var_and_std_gradients_with_no_degrees_of_freedom(name, data, dim, correction):
    def f(lib, x):
        return getattr(x, name)(dim, correction=correction)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert_grads_agree(f, data)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_free_what_they_saved(name):
    assert_second_backward_refused(lambda lib, x: getattr(x, name)(1), Y)


# -- bincount, all, any, equal -----------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64)),
    lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64), minlength=2),
    lambda lib: lib.bincount(lib.tensor([0, 3, 3])),
])
def test_bincount_of_nothing_is_empty(call):
    assert_agree(call)


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("call", [
    lambda lib, n: getattr(lib, n)(lib.tensor([[1.0, 0.0], [2.0, 3.0]]), 0),
    lambda lib, n: getattr(lib, n)(lib.tensor([[1.0, 0.0], [2.0, 3.0]]), -1, True),
    lambda lib, n: getattr(lib, n)(lib.tensor([[1.0, 0.0], [2.0, 3.0]])),
    lambda lib, n: getattr(lib, n)(lib.tensor(0.0)),
    lambda lib, n: getattr(lib, n)(lib.tensor([[1, 0]], dtype=lib.uint8), 1),
])
def test_all_and_any(name, call):
    assert_agree(lambda lib: call(lib, name))


@pytest.mark.parametrize("a, b", [([1.0, 2.0], [1.0, 3.0]), ([1.0, 2.0], [1.0, 2.0]),
                                  ([1.0, 2.0], [[1.0, 2.0]]), ([], [])])
def test_equal_compares_shapes_and_values(a, b):
    m, t = both(lambda lib: lib.equal(lib.tensor(a), lib.tensor(b)))
    assert m is t
