"""Every operation records the graph torch records: the same node name, the same lifetime
(a second backward refused exactly where torch's node saved tensors and freed them), and the
same in-place checks (changing a tensor the node reads, before backward, refused exactly
where torch refuses it).

Each case builds one operation on both engines from the same numbers; the expectations are
torch's, taken live.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

import manual

_PIECES = ("activations", "conv2d", "conv_transpose2d", "cross_entropy", "linear", "mse_loss")


def _side(package: str, lib: Any) -> SimpleNamespace:
    return SimpleNamespace(lib=lib, **{p: importlib.import_module(f"{package}.{p}")
                                       for p in _PIECES})


MANUAL, TORCH = _side("manual", manual), _side("torch_native", torch)

_RNG = np.random.default_rng(7)
_ARRAYS = {  # positive where a log or a square root needs it; no zeros, no ties
    "a": _RNG.uniform(0.5, 2.0, (3, 4)), "b": _RNG.uniform(0.5, 2.0, (3, 4)),
    "row": _RNG.uniform(0.5, 2.0, (4,)), "m": _RNG.uniform(0.5, 2.0, (4, 2)),
    "w": _RNG.uniform(-1.0, 1.0, (5, 4)), "bias": _RNG.uniform(-1.0, 1.0, (5,)),
    "img": _RNG.uniform(-1.0, 1.0, (2, 3, 5, 5)), "kern": _RNG.uniform(-1.0, 1.0, (4, 3, 3, 3)),
    "kern_t": _RNG.uniform(-1.0, 1.0, (3, 4, 3, 3)), "cbias": _RNG.uniform(-1.0, 1.0, (4,)),
    "img3": _RNG.uniform(-1.0, 1.0, (2, 3, 4)), "one": np.array(0.5),
    "bias_row": _RNG.uniform(-1.0, 1.0, (1, 5)), "sq": _RNG.uniform(0.5, 2.0, (5, 5)),
    "mixed": np.array([[-1.5, 0.5, 2.0, -0.25], [1.0, -2.0, 0.75, 3.0], [-0.5, 1.5, -3.0, 2.5]]),
    "w1": _RNG.uniform(-1.0, 1.0, (4,)),  # a 1-d weight
}
_TARGET = np.array([0, 3, 1])

# name -> (the leaves it takes, "!" marking one that wants no gradient; the operation on one
# side's namespace and leaves)
CASES: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "add": (("a", "b"), lambda ns, a, b: a + b),
    "add-broadcast": (("a", "row"), lambda ns, a, r: a + r),
    "radd": (("a",), lambda ns, a: 1.5 + a),
    "sub": (("a", "b"), lambda ns, a, b: a - b),
    "rsub": (("a",), lambda ns, a: 1.0 - a),
    "mul": (("a", "b"), lambda ns, a, b: a * b),
    "mul-number": (("a",), lambda ns, a: a * 3.0),
    "div": (("a", "b"), lambda ns, a, b: a / b),
    "div-by-a-constant": (("a", "!b"), lambda ns, a, b: a / b),
    "div-of-a-constant": (("!a", "b"), lambda ns, a, b: a / b),
    "mul-by-a-constant": (("a", "!b"), lambda ns, a, b: a * b),
    "matmul-by-a-constant": (("a", "!m"), lambda ns, a, m: a @ m),
    "rdiv": (("a",), lambda ns, a: 3.0 / a),
    "rsub-array": (("a",), lambda ns, a: a.__rsub__(ns.lib.tensor(_ARRAYS["b"]))),
    "reciprocal": (("a",), lambda ns, a: a.reciprocal()),
    "neg": (("a",), lambda ns, a: -a),
    "square": (("a",), lambda ns, a: a ** 2),
    "sqrt": (("a",), lambda ns, a: a ** 0.5),
    "cube": (("a",), lambda ns, a: a ** 3),
    "matmul": (("a", "m"), lambda ns, a, m: a @ m),
    "exp": (("a",), lambda ns, a: a.exp()),
    "log": (("a",), lambda ns, a: a.log()),
    "sum": (("a",), lambda ns, a: a.sum()),
    "sum-dim": (("a",), lambda ns, a: a.sum(dim=1)),
    "mean": (("a",), lambda ns, a: a.mean()),
    "mean-dim": (("a",), lambda ns, a: a.mean(dim=0)),
    "reshape": (("a",), lambda ns, a: a.reshape(4, 3)),
    "transpose": (("a",), lambda ns, a: a.t()),
    "index-slices": (("a",), lambda ns, a: a[1:, ::2]),
    "index-int": (("a",), lambda ns, a: a[1]),
    "index-slice-then-int": (("a",), lambda ns, a: a[1:, 2]),
    "index-int-then-all": (("a",), lambda ns, a: a[0, :]),
    "index-int-then-whole-range": (("sq",), lambda ns, a: a[0, 0:5]),
    "index-all-then-from-0": (("sq",), lambda ns, a: a[:, 0:]),
    "index-all-then-step-1": (("sq",), lambda ns, a: a[:, ::1]),
    "index-int-then-past-the-end": (("sq",), lambda ns, a: a[1, :99]),
    "index-ellipsis-int": (("img3",), lambda ns, a: a[..., 1]),
    "index-ellipsis-whole": (("img3",), lambda ns, a: a[0, ..., 0:4]),
    "index-true": (("a",), lambda ns, a: a[True]),
    "index-all": (("a",), lambda ns, a: a[:]),
    "index-new-axis": (("a",), lambda ns, a: a[None]),
    "index-list": (("a",), lambda ns, a: a[[0, 2]]),
    "index-mask": (("a",), lambda ns, a: a[ns.lib.tensor(np.array([True, False, True]))]),
    "to-float64": (("a",), lambda ns, a: a.double()),
    "relu": (("mixed",), lambda ns, x: ns.activations.relu(x)),
    "relu-method": (("mixed",), lambda ns, x: x.relu()),
    "reshape-tuple": (("a",), lambda ns, a: a.reshape((2, 6))),
    "view": (("a",), lambda ns, a: a.view(12)),
    "linear": (("a", "w", "bias"), lambda ns, x, w, b: ns.linear.linear(x, w, b)),
    "linear-no-bias": (("a", "w"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-1d": (("row", "w", "bias"), lambda ns, x, w, b: ns.linear.linear(x, w, b)),
    "linear-1d-no-bias": (("row", "w"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-3d": (("img3", "w", "bias"), lambda ns, x, w, b: ns.linear.linear(x, w, b)),
    "linear-3d-no-bias": (("img3", "w"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-3d-0d-bias": (("img3", "w", "one"), lambda ns, x, w, b: ns.linear.linear(x, w, b)),
    "linear-1d-weight": (("row", "w1"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-1d-weight-2d": (("a", "w1"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-1d-weight-3d": (("img3", "w1"), lambda ns, x, w: ns.linear.linear(x, w)),
    "linear-1d-weight-0d-bias": (("img3", "w1", "one"), lambda ns, x, w, b:
                                 ns.linear.linear(x, w, b)),
    "mse_loss": (("a", "b"), lambda ns, a, b: ns.mse_loss.mse_loss(a, b)),
    "mse_loss-sum": (("a", "b"), lambda ns, a, b: ns.mse_loss.mse_loss(a, b, reduction="sum")),
    "cross_entropy": (("mixed",), lambda ns, x: ns.cross_entropy.cross_entropy(
        x, ns.lib.tensor(_TARGET))),
    "conv2d": (("img", "kern", "cbias"), lambda ns, x, w, b: ns.conv2d.conv2d(
        x, w, b, padding=1)),
    "conv2d-constant-kernel": (("img", "!kern"), lambda ns, x, w: ns.conv2d.conv2d(x, w)),
    "conv2d-constant-image": (("!img", "kern"), lambda ns, x, w: ns.conv2d.conv2d(x, w)),
    "conv_transpose2d-constant-kernel": (("img", "!kern_t"), lambda ns, x, w:
                                         ns.conv_transpose2d.conv_transpose2d(x, w)),
    "conv_transpose2d": (("img", "kern_t", "cbias"), lambda ns, x, w, b:
                         ns.conv_transpose2d.conv_transpose2d(x, w, b, stride=2)),
}


def _build(ns: SimpleNamespace, case: str) -> tuple[list[Any], Any]:
    names, operation = CASES[case]
    leaves = [ns.lib.tensor(_ARRAYS[n.lstrip("!")].astype(np.float32),
                            requires_grad=not n.startswith("!")) for n in names]
    return leaves, operation(ns, *leaves)


def _backward_outcome(out: Any) -> type[BaseException] | None:
    """The class of what ``out.sum().backward()`` raises, or None."""
    try:
        out.sum().backward()
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return type(error)
    return None


@pytest.mark.parametrize("case", CASES)
def test_the_node_has_torchs_name(case):
    assert _build(MANUAL, case)[1].grad_fn.name() == _build(TORCH, case)[1].grad_fn.name()


@pytest.mark.parametrize("case", CASES)
def test_a_second_backward_is_refused_where_torch_refuses_it(case):
    outcomes = []
    for ns in (MANUAL, TORCH):
        out = _build(ns, case)[1]
        out.sum().backward()
        outcomes.append(_backward_outcome(out))
    assert outcomes[0] == outcomes[1], f"manual: {outcomes[0]}, torch: {outcomes[1]}"


@pytest.mark.parametrize("case", CASES)
def test_an_in_place_change_before_backward_is_refused_where_torch_refuses_it(case):
    """Each leaf, then the output, changed in place (by adding 0, which changes only its
    version) between the forward pass and backward."""
    n_changed = len(CASES[case][0]) + 1
    for changed in range(n_changed):
        outcomes = []
        for ns in (MANUAL, TORCH):
            leaves, out = _build(ns, case)
            with ns.lib.no_grad():
                target = [*leaves, out][changed]
                target += 0.0
            outcomes.append(_backward_outcome(out))
        assert outcomes[0] == outcomes[1], (
            f"changing tensor {changed} of {n_changed}: manual {outcomes[0]}, torch {outcomes[1]}")
