"""Optimizers and clipping at torch's edges: manual against real torch where torch is the
reference (same bits, same warnings, same exception type and words), the documented
behaviour where it is manual's own.

Clipping: which inputs warn (only an empty generator), Tensor.norm's refusals of a
Frobenius norm over more than two dims, the norms manual does not compute, every tail length
of float32's sum of squares, and a clip coefficient past the dtype's range. Optimizers: a
learning rate given as a one-element tensor, and the divisions by zero, the 0 / 0 and the
overflows of their updates, which torch makes silently; the refusal of foreach with
differentiable, and the capturable key Adagrad has not.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import manual
import manual.clip_grad as mc
import torch_native.clip_grad as tc
from tests.helpers import raised

LIBS = ((manual, mc), (torch, tc))


def _bits(t: Any) -> tuple[str, bytes]:
    a = np.asarray(t.detach() if hasattr(t, "detach") else t)
    return str(a.dtype), a.tobytes()


def _with_grads(lib: Any, grads: list[np.ndarray]) -> list[Any]:
    params = []
    for g in grads:
        p = lib.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = lib.tensor(g.copy())
        params.append(p)
    return params


# -- clip_grad_norm_: when it warns -----------------------------------------------------------

FORMS = {
    "a list": lambda ps: list(ps),
    "an empty list": lambda ps: [],
    "a tuple": lambda ps: tuple(ps),
    "a generator": lambda ps: (p for p in ps),
    "an empty generator": lambda ps: (p for p in []),
    "one tensor": lambda ps: ps[0],
}


@pytest.mark.parametrize("form", FORMS)
def test_clip_grad_norm_warns_for_an_empty_generator_and_nothing_else(form):
    got = []
    for lib, side in LIBS:
        params = _with_grads(lib, [np.float32([3, 4]), np.float32([12])])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            total = side.clip_grad_norm_(FORMS[form](params), 6.5)
        got.append(([(w.category, str(w.message)) for w in caught], _bits(total),
                    [_bits(p.grad) for p in params]))
    assert got[0] == got[1]
    expected = ["`parameters` is an empty generator, no gradient clipping will occur."]
    assert [m for _, m in got[0][0]] == (expected if form == "an empty generator" else [])


@pytest.mark.parametrize("form", ["a list", "a generator", "one tensor"])
def test_clip_grad_value_never_warns_as_torch(form):
    got = []
    for lib, side in LIBS:
        params = _with_grads(lib, [np.float32([3, -4]), np.float32([0.5])])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            side.clip_grad_value_(FORMS[form](params), 1.0)
        got.append(([str(w.message) for w in caught], [_bits(p.grad) for p in params]))
    assert got[0] == got[1]
    assert got[0][0] == []


# -- Tensor.norm's orders and refusals --------------------------------------------------------

@pytest.mark.parametrize(("p", "dim"), [
    ("fro", (0, 1, 2)), ("fro", [0, 1, 2]), ("fro", (2, 0, 1, 1)), ("fro", [0, 2, 1]),
    ("fro", (0, 1)), ("fro", [1, 2]), ("fro", None), (2, (0, 1, 2)), (2, [0, 1, 2]),
    (1, (0, 1, 2)), (math.inf, (0, 1, 2)), (None, (0, 1, 2))], ids=str)
def test_norm_over_many_dims_is_torchs_or_refused_in_its_words(p, dim):
    """A Frobenius norm is a matrix norm: two dims at most; any vector order takes more."""
    x = np.arange(-12, 12, dtype=np.float32).reshape(2, 3, 4)
    got = []
    for lib, _ in LIBS:
        try:
            got.append(_bits(lib.tensor(x).norm(p=p, dim=dim)))
        except RuntimeError as e:
            got.append(("RuntimeError", str(e)))
    assert got[0] == got[1]
    if p == "fro" and dim is not None and len(dim) > 2:
        assert got[0][1] == ("linalg.matrix_norm: dim must be a 2-tuple. Got "
                             + " ".join(map(str, dim)))


@pytest.mark.parametrize("p", [3, 0, -1, 0.5, -math.inf])
def test_a_norm_manual_does_not_compute_is_named_in_one_line(p):
    """Manual's own refusal (dealias run prints it as the one line it stops on)."""
    from manual._parity.engine import NotInManualError

    with pytest.raises(NotInManualError) as caught:
        manual.ones(3).norm(p=p)
    assert str(caught.value) == (f"norm(p={p!r}) is not in manual yet: manual computes the "
                                 "norms of order 2 (\"fro\"), 1 and inf")


# -- clip_grad_norm_'s sum of squares and its coefficient -------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_tail_of_the_lanes_clips_to_torchs_bits(dtype):
    """n = 8k + r (float32) or 4k + r (float64): each r, rounded squares and fused ones."""
    rng = np.random.default_rng(7)
    for n in (*range(1, 24), 36, 37, 38, 39):
        g = (rng.standard_normal(n) * 3).astype(dtype)
        got = []
        for lib, side in LIBS:
            params = _with_grads(lib, [g])
            total = side.clip_grad_norm_(params, 0.5)
            got.append((_bits(total), _bits(params[0].grad)))
        assert got[0] == got[1], n


@pytest.mark.parametrize(("dtype", "max_norm"), [(np.float32, 1e38), (np.float32, 3e38),
                                                  (np.float64, 1e308)])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, -math.inf])
def test_a_coefficient_past_the_dtypes_range_is_one_silently_as_torch(dtype, max_norm,
                                                                       norm_type):
    """max_norm / (N + 1e-6) overflows to inf for a small N: min(inf, 1) = 1, no warning."""
    g = np.array([1e-3, -2e-3, 0.0], dtype)
    got = []
    for lib, side in LIBS:
        params = _with_grads(lib, [g, g[:1]])
        total = side.clip_grad_norm_(params, max_norm, norm_type)
        got.append((_bits(total), [_bits(p.grad) for p in params]))
    assert got[0] == got[1]
    assert got[0][1][0][1] == g.tobytes()  # scaled by exactly 1


@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("error_if_nonfinite", [False, True])
@pytest.mark.parametrize("spoil", [math.nan, math.inf, -math.inf])
def test_a_non_finite_gradient_with_either_kernel_as_torch(foreach, error_if_nonfinite, spoil):
    got = []
    for lib, side in LIBS:
        params = _with_grads(lib, [np.float32([1.0, spoil, 2.0]), np.float32([0.5])])
        outcome = raised(side.clip_grad_norm_, params, 1.0, 2.0, error_if_nonfinite, foreach)
        got.append((outcome, [np.asarray(p.grad).tolist() for p in params]))
    assert repr(got[0]) == repr(got[1])  # NaN where torch's is (repr: nan == nan)


# -- optimizers: a tensor learning rate, and the updates' silent infinities and NaNs ----------

def _steps(lib: Any, name: str, grads: list[tuple[tuple[float, ...], dict[str, Any]]],
           **kwargs: Any) -> Any:
    """Build lib.optim.<name> over one float32 parameter and step once per (grad, group
    changes); the parameter and the state after, or the exception's type and words."""
    p = lib.tensor(np.float32([1.0, -2.0, 0.5]), requires_grad=True)
    try:
        opt = getattr(lib.optim, name)([p], **kwargs)
        for g, changes in grads:
            opt.param_groups[0].update(changes)
            p.grad = lib.tensor(np.float32(g))
            opt.step()
    except Exception as e:  # noqa: BLE001 - the type and words are what is compared
        return type(e).__name__, str(e)
    return (np.asarray(p.detach()).tolist(),
            {k: np.asarray(v).tolist() for k, v in opt.state[p].items()})


def _same_as_torch(name: str, grads: list[tuple[tuple[float, ...], dict[str, Any]]],
                   **kwargs: Any) -> Any:
    """Both sides' outcome; repr compares floats exactly, NaN included."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch says nothing here: neither may manual
        got = [_steps(lib, name, grads, **kwargs) for lib in (manual, torch)]
    assert repr(got[0]) == repr(got[1])
    return got[0]


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
def test_a_one_element_tensor_lr_is_read_as_its_value_as_torch(name, shape):
    """One step (a second could differ in the last bit: torch's sqrt is faithful)."""
    for fused in ([None, True] if name == "Adagrad" else [None]):
        extra = {"fused": fused} if fused else {}
        got = []
        for lib in (manual, torch):
            lr = lib.tensor(np.full(shape, 0.5, np.float32))
            got.append(_steps(lib, name, [((3.0, -4.0, 12.0), {})], lr=lr, **extra))
        assert repr(got[0]) == repr(got[1])
        assert isinstance(got[0][0], list)  # stepped, not refused


SILENT = [  # name, steps (gradient, group changes), constructor arguments
    # eps 0 with a gradient whose square underflows: g / 0 = inf, 0 / 0 = NaN
    ("RMSprop", [((1e-30, 0.0, 1.0), {})], {"eps": 0.0, "lr": 0.1}),
    ("RMSprop", [((1e-30, 0.0, 1.0), {})], {"eps": 0.0, "lr": 0.1, "momentum": 0.5}),
    # lr g past float32's range: -inf, and -inf + inf = NaN nowhere else
    ("RMSprop", [((1e10, -1e10, 1.0), {})], {"lr": 1e30}),
    ("RMSprop", [((1e10, -1e10, 1.0), {})], {"lr": 1e30, "momentum": 0.5, "centered": True}),
    ("Adagrad", [((1.0, 0.0, -3.0), {})], {"eps": 1e39}),  # eps is inf in float32
    ("Adagrad", [((1e30, 0.0, -3.0), {})], {"lr": 1e30, "eps": 0.0}),
    ("Adagrad", [((0.0, 0.0, -3.0), {})], {"eps": 0.0}),
    ("Adagrad", [((1e-30, 0.0, -3.0), {})], {"eps": 0.0}),
    ("Adam", [((1e-30, 0.0, -3.0), {})], {"eps": 0.0}),
    ("Adam", [((1e3, -1.0, 0.0), {})], {"lr": 1e37}),  # step size times m overflows
    ("Adam", [((1.0, 0.0, -3.0), {})], {"eps": 1e39}),
    ("Adadelta", [((0.0, 0.0, -3.0), {})], {"eps": 0.0}),
    ("Adadelta", [((1.0, 2.0, -3.0), {}), ((0.0, 0.0, 0.0), {"eps": 0.0})], {"rho": 0.0}),
    # sqrt(u + eps) / sqrt(v + eps) past float32's range: u near 1e38, v subnormal
    ("Adadelta", [((1e19, 2.0, -3.0), {"eps": 1e38}), ((1e-22, 0.0, 1e-22), {"eps": 0.0})],
     {"rho": 0.0}),
]


@pytest.mark.parametrize(("name", "steps", "kwargs"), SILENT, ids=lambda v: str(v)[:40])
def test_updates_divide_by_zero_and_overflow_silently_as_torch(name, steps, kwargs):
    _same_as_torch(name, steps, **kwargs)


def test_an_eps_past_float32s_range_is_silent_in_adadelta_as_torch():
    """eps = 1e39 is inf in float32: sqrt(u + inf) / sqrt(v + inf) is NaN, without a word."""
    p, state = _same_as_torch("Adadelta", [((1.0, 2.0, -3.0), {})], eps=1e39)
    assert all(map(math.isnan, p + state["acc_delta"]))


@pytest.mark.parametrize("with_grad", [False, True])
@pytest.mark.parametrize("name", ["RMSprop", "Adadelta", "Adagrad"])
def test_foreach_with_differentiable_is_refused_at_the_step_as_torch(name, with_grad):
    """RMSprop's foreach kernel returns before its refusal when no parameter has a gradient;
    Adadelta's and Adagrad's refuse first."""
    got = []
    for lib in (manual, torch):
        p = lib.tensor(np.float32([1.0, 2.0]), requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1, foreach=True, differentiable=True)
        if with_grad:
            p.grad = lib.tensor(np.float32([1.0, -1.0]))
        got.append((raised(opt.step), np.asarray(p.detach()).tolist(), len(opt.state[p])))
    assert got[0] == got[1]
    refused = ("AssertionError", "_foreach ops don't support autograd")
    assert got[0][0] == (None if name == "RMSprop" and not with_grad else refused)


@pytest.mark.parametrize("foreach", [None, True])
def test_adagrad_ignores_a_groups_capturable_key_as_torch(foreach):
    """Adagrad has no capturable: a group that carries the key steps as any other (RMSprop,
    Adadelta and Adam refuse it on the CPU)."""
    got = []
    for lib in (manual, torch):
        p = lib.tensor(np.float32([1.0, -2.0, 0.5]), requires_grad=True)
        q = lib.tensor(np.float32([3.0]), requires_grad=True)
        opt = lib.optim.Adagrad([{"params": [p], "capturable": True},
                                 {"params": [q], "capturable": True}], lr=0.5, foreach=foreach)
        p.grad = lib.tensor(np.float32([3.0, -4.0, 12.0]))
        got.append((raised(opt.step), _bits(p), _bits(q)))
    assert got[0] == got[1]
    assert got[0][0] is None
