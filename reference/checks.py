"""Equivalence checks: for each piece, draw inputs, run both twins, measure every result.

``run(piece, examples, dtype)`` returns the worst distance seen over ``examples`` random
cases and whether it stays within the piece's tolerance. The twins are looked up on their
modules at call time, so a test can swap in a broken twin and watch the check fail.

``run(..., device="cuda")`` puts the torch side's tensors and modules on that device (the
manual side is NumPy, always on the CPU); modules are built on the CPU from the seed and
then moved, so that both sides start from the same weights. The tolerances follow the
device: see reference.tolerances.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import manual
from reference.convert import to_manual, to_numpy, to_torch
from reference.distance import Distance, distance, normwise
from reference.scales import cross_entropy_scales, grow_scales, path_scales
from reference.tolerances import Tolerance, tolerance


@dataclass(frozen=True)
class Comparison:
    """One result of one case: its label, distance and tolerance."""

    label: str
    distance: Distance
    tolerance: Tolerance
    terms: int | None = None  # for a sum: how many terms it adds up

    @property
    def allowed(self) -> float:
        return self.tolerance.allowed(self.terms)

    @property
    def ok(self) -> bool:
        return self.distance.max_ulp <= self.allowed


@dataclass(frozen=True)
class CheckResult:
    """The worst comparison of a piece over its examples."""

    piece: str
    dtype: np.dtype
    examples: int
    worst: Comparison
    ok: bool


Check = Callable[[np.random.Generator, np.dtype], Iterator[Comparison]]
CHECKS: dict[str, Check] = {}
_DEVICE: ContextVar[str | torch.device] = ContextVar("device", default="cpu")


def check(piece: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS[piece] = func
        return func
    return register


def run(piece: str, examples: int = 50, dtype: Any = np.float32, seed: int = 0,
        progress: Callable[[], None] | None = None, device: str | torch.device = "cpu"
        ) -> CheckResult:
    """Run ``piece``'s check on ``examples`` random cases of ``dtype``, torch on ``device``."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    worst: Comparison | None = None
    ok = True
    token = _DEVICE.set(device)
    try:
        for _ in range(examples):
            for comparison in CHECKS[piece](rng, dtype):
                ok &= comparison.ok
                if worst is None or _badness(comparison) > _badness(worst):
                    worst = comparison
            if progress:
                progress()
    finally:
        _DEVICE.reset(token)
    return CheckResult(piece, dtype, examples, worst, ok)


def _badness(c: Comparison) -> float:
    return c.distance.max_ulp / max(c.allowed, 0.5)


def _compare(label: str, piece: str, actual: Any, expected: Any, scale: Any = None,
             terms: int | None = None) -> Comparison:
    tol = tolerance(piece, to_numpy(expected).dtype, _DEVICE.get())
    gap = distance(to_numpy(actual), to_numpy(expected), scale if tol.of_scale else None)
    return Comparison(label, gap, tol, terms)


def _twin(side: str, piece: str):
    return importlib.import_module(f"{'manual' if side == 'manual' else 'torch_native'}.{piece}")


def _torch(x: Any, requires_grad: bool = False) -> torch.Tensor:
    """``to_torch`` onto the device the check runs on."""
    return to_torch(x, requires_grad, _DEVICE.get())


def _on_device(module: Any) -> Any:
    """A native module moved to the check's device (a manual one stays as it is)."""
    return module.to(_DEVICE.get()) if isinstance(module, torch.nn.Module) else module


def _values(rng: np.random.Generator, dtype: np.dtype, *shape: int, bound: float = 4.0):
    return rng.uniform(-bound, bound, shape).astype(dtype)


def _both(*arrays: np.ndarray) -> tuple[list[manual.Tensor], list[torch.Tensor]]:
    """Leaves that require grad, on each side, with the same values."""
    return ([to_manual(a, requires_grad=True) for a in arrays],
            [_torch(a, requires_grad=True) for a in arrays])


@check("linear")
def _linear(rng, dtype):
    n, k, m = rng.integers(1, 9, 3)
    x, w, b, g = (_values(rng, dtype, *s) for s in ((n, k), (m, k), (m,), (n, m)))
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    my, ty = _twin("manual", "linear").linear(mx, mw, mb), _twin("native", "linear").linear(
        tx, tw, tb)
    my.backward(to_manual(g))
    ty.backward(_torch(g))
    ax, aw, ag = abs(x), abs(w), abs(g)
    yield _compare("forward", "linear", my, ty, ax @ aw.T + abs(b))
    yield _compare("dx", "linear", mx.grad, tx.grad, ag @ aw)
    yield _compare("dW", "linear", mw.grad, tw.grad, ag.T @ ax)
    yield _compare("db", "linear", mb.grad, tb.grad, ag.sum(0))


@check("mse_loss")
def _mse_loss(rng, dtype):
    shape = tuple(rng.integers(1, 6, rng.integers(1, 3)))
    reduction = rng.choice(["mean", "sum", "none"])
    x, y = _values(rng, dtype, *shape), _values(rng, dtype, *shape)
    (mx, my), (tx, ty) = _both(x, y)
    m_loss = _twin("manual", "mse_loss").mse_loss(mx, my, reduction)
    t_loss = _twin("native", "mse_loss").mse_loss(tx, ty, reduction)
    m_loss.backward(to_manual(np.ones(m_loss.shape, dtype)))
    t_loss.backward(torch.ones_like(t_loss))
    squares = (abs(x) + abs(y)) ** 2
    kind = "exact" if reduction == "none" else "mse_loss"
    yield _compare(f"loss ({reduction})", kind, m_loss, t_loss,
                   squares if reduction == "none" else squares.sum())
    yield _compare("dx", "exact", mx.grad, tx.grad)
    yield _compare("dy", "exact", my.grad, ty.grad)


@check("sgd")
def _sgd(rng, dtype):
    momentum = float(rng.choice([0.0, 0.9]))
    options = dict(lr=float(rng.uniform(0, 0.5)), momentum=momentum,
                   weight_decay=float(rng.choice([0.0, 0.01])),
                   dampening=float(rng.choice([0.0, 0.1])) if momentum else 0.0,
                   maximize=bool(rng.integers(2)))
    options["nesterov"] = bool(momentum and not options["dampening"] and rng.integers(2))
    shapes = [tuple(rng.integers(1, 5, rng.integers(1, 3))) for _ in range(rng.integers(1, 4))]
    start = [_values(rng, dtype, *s) for s in shapes]
    m_params, t_params = _both(*start)
    m_opt = _twin("manual", "sgd").SGD(m_params, **options)
    t_opt = _twin("native", "sgd").SGD(t_params, **options)
    for step in range(3):
        for mp, tp in zip(m_params, t_params):
            grad = _values(rng, dtype, *mp.shape) if rng.random() < 0.8 else None
            mp.grad, tp.grad = (None, None) if grad is None else (to_manual(grad), _torch(grad))
        m_opt.step()
        t_opt.step()
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield _compare(f"param {i}, step {step + 1}", "sgd", mp, tp)
            if "momentum_buffer" in t_opt.state[tp]:
                yield _compare(f"momentum buffer {i}, step {step + 1}", "sgd",
                               m_opt.state[mp]["momentum_buffer"],
                               t_opt.state[tp]["momentum_buffer"])


@check("zero_grad")
def _zero_grad(rng, dtype):
    set_to_none = bool(rng.integers(2))
    grads = [_values(rng, dtype, *rng.integers(1, 4, 2)) for _ in range(2)]
    m_params, t_params = _both(*[np.zeros_like(g) for g in grads])
    for mp, tp, g in zip(m_params, t_params, grads):
        mp.grad, tp.grad = to_manual(g), _torch(g)
    _twin("manual", "zero_grad").zero_grad(m_params, set_to_none)
    _twin("native", "zero_grad").zero_grad(t_params, set_to_none)
    for i, (mp, tp) in enumerate(zip(m_params, t_params)):
        if tp.grad is not None and mp.grad is not None:
            yield _compare(f"grad {i}", "zero_grad", mp.grad, tp.grad)
        else:  # None on both sides, or on one only
            gap = 0.0 if mp.grad is tp.grad is None else np.inf
            yield Comparison(f"grad {i} is None", Distance(gap, gap, gap, (), 0, 0),
                             tolerance("zero_grad", dtype))


@check("backward")
def _backward(rng, dtype):
    # a small graph with fan-in: y = (a * b + a) * a - b, gradient given per element
    a, b, g = (_values(rng, dtype, 3, 2) for _ in range(3))
    (ma, mb), (ta, tb) = _both(a, b)
    my, ty = (ma * mb + ma) * ma - mb, (ta * tb + ta) * ta - tb
    _twin("manual", "backward").backward(my, to_manual(g))
    _twin("native", "backward").backward(ty, _torch(g))
    yield _compare("forward", "backward", my, ty)
    yield _compare("grad a", "backward", ma.grad, ta.grad)
    yield _compare("grad b", "backward", mb.grad, tb.grad)


@check("no_grad")
def _no_grad(rng, dtype):
    w = _values(rng, dtype, 3)
    (mw,), (tw,) = _both(w)
    with _twin("manual", "no_grad").no_grad():
        my = mw * 2.0
    with _twin("native", "no_grad").no_grad():
        ty = tw * 2.0
    recorded = float(my.requires_grad != ty.requires_grad or (my.grad_fn is None) !=
                     (ty.grad_fn is None))
    gap = np.inf if recorded else 0.0
    yield Comparison("nothing recorded", Distance(gap, gap, gap, (), 0, 0),
                     tolerance("exact", dtype))
    yield _compare("values", "exact", my, ty)


@check("linear_regression")
def _linear_regression(rng, dtype):
    hand, auto = _twin("manual", "linear_regression"), _twin("native", "linear_regression")
    t_u, t_c = np.asarray(hand.T_U, dtype) * dtype.type(0.1), np.asarray(hand.T_C, dtype)
    start = np.asarray([rng.uniform(0, 2), rng.uniform(-1, 1)], dtype)
    epochs = int(rng.integers(1, 200))
    fitted = hand.training_loop(epochs, 1e-2, start, t_u, t_c)
    expected = auto.training_loop(epochs, 1e-2, _torch(start), _torch(t_u), _torch(t_c))
    yield _compare(f"params after {epochs} epochs", "linear_regression", fitted, expected,
                   normwise(expected))


@check("training_loop")
def _training_loop(rng, dtype):
    seed = int(rng.integers(2**31))
    results = []
    for side in ("manual", "native"):
        (manual.manual_seed if side == "manual" else torch.manual_seed)(seed)
        model = _on_device(_twin(side, "linear").Linear(3, 2))
        convert = to_manual if side == "manual" else _torch
        if dtype == np.float64:
            for p in model.parameters():
                p.data = convert(to_numpy(p).astype(np.float64))
        optimizer = _twin(side, "sgd").SGD(model.parameters(), lr=0.05, momentum=0.9)
        if side == "native":
            scales = path_scales(optimizer, list(model.parameters()))
        batch_rng = np.random.default_rng(seed)
        loader = [(convert(_values(batch_rng, dtype, 4, 3)), convert(_values(batch_rng, dtype,
                                                                              4, 2)))
                  for _ in range(3)]
        losses = _twin(side, "training_loop").fit(model, _twin(side, "mse_loss").mse_loss,
                                                  optimizer, loader, 2)
        results.append((np.asarray(losses, dtype), [to_numpy(p) for p in model.parameters()]))
    (m_losses, m_params), (t_losses, t_params) = results
    yield _compare("epoch losses", "training_loop", m_losses, t_losses, normwise(t_losses))
    for i, (mp, tp) in enumerate(zip(m_params, t_params)):
        yield _compare(f"parameter {i}", "training_loop", mp, tp, normwise(scales[i]))


@check("activations")
def _activations(rng, dtype):
    # relu, with exact zeros among the inputs (the kink)
    x = _values(rng, dtype, 4, 5)
    x[rng.random(x.shape) < 0.2] = 0.0
    (mx,), (tx,) = _both(x)
    my, ty = _twin("manual", "activations").relu(mx), _twin("native", "activations").relu(tx)
    g = _values(rng, dtype, 4, 5)
    my.backward(to_manual(g))
    ty.backward(_torch(g))
    yield _compare("relu", "activations", my, ty)
    yield _compare("relu backward", "activations", mx.grad, tx.grad)


@check("data_loader")
def _data_loader(rng, dtype):
    n, batch_size = int(rng.integers(1, 30)), int(rng.integers(1, 8))
    shuffle, drop_last, seed = bool(rng.integers(2)), bool(rng.integers(2)), int(rng.integers(99))
    x, y = _values(rng, dtype, n, 3), rng.integers(0, 5, n)
    batches = []
    for side, seed_with, convert in (("manual", manual.manual_seed, to_manual),
                                     ("native", torch.manual_seed, _torch)):
        seed_with(seed)
        twin = _twin(side, "data_loader")
        loader = twin.DataLoader(twin.TensorDataset(convert(x), convert(y)),
                                 batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
        batches.append([(to_numpy(bx), to_numpy(by)) for bx, by in loader])
    same = len(batches[0]) == len(batches[1]) and all(
        np.array_equal(a, b) for pair in zip(*batches) for a, b in zip(*pair))
    gap = 0.0 if same else np.inf
    yield Comparison(f"batches (shuffle={shuffle})", Distance(gap, gap, gap, (), 0, 0),
                     tolerance("data_loader", dtype))


@check("cross_entropy")
def _cross_entropy(rng, dtype):
    n, c = int(rng.integers(1, 5)), int(rng.integers(2, 6))
    spatial = tuple(rng.integers(1, 3, rng.integers(0, 2)))
    x = _values(rng, dtype, n, c, *spatial)
    target = rng.integers(0, c, (n, *spatial))
    ignore_index = int(rng.choice([-100, 0]))
    weight = rng.uniform(0.5, 2, c).astype(dtype) if rng.integers(2) else None
    reduction = str(rng.choice(["mean", "sum", "none"]))
    smoothing = float(rng.choice([0.0, 0.1]))
    losses, grads = [], []
    for side, convert in (("manual", to_manual), ("native", _torch)):
        logits = convert(x, requires_grad=True)
        loss = _twin(side, "cross_entropy").cross_entropy(
            logits, convert(target), None if weight is None else convert(weight), ignore_index,
            reduction, smoothing)
        grad = np.ones(to_numpy(loss).shape, dtype)
        loss.backward(convert(grad))
        losses.append(loss)
        grads.append(logits.grad)
    loss_scale, dx_scale, _ = cross_entropy_scales(x, target, weight, ignore_index, reduction,
                                                   smoothing, grad)
    yield _compare(f"loss ({reduction})", "cross_entropy", *losses, loss_scale)
    yield _compare("dx", "cross_entropy", *grads, dx_scale)


def _convolution(piece: str, rng, dtype):
    """A random case of conv2d or conv_transpose2d: output and the three gradients."""
    groups = int(rng.integers(1, 3))
    c_in, c_out = (groups * int(rng.integers(1, 3)) for _ in range(2))
    k, stride, padding = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 2))
    size = int(rng.integers(max(k, 2 * padding + 1), 7))
    transposed = piece == "conv_transpose2d"
    w_shape = (c_in, c_out // groups, k, k) if transposed else (c_out, c_in // groups, k, k)
    x, w, b = _values(rng, dtype, 2, c_in, size, size), _values(rng, dtype, *w_shape), \
        _values(rng, dtype, c_out)
    options = dict(stride=stride, padding=padding, groups=groups)
    results, scales = [], None
    for side, convert in (("manual", to_manual), ("native", _torch)):
        leaves = [convert(a, requires_grad=True) for a in (x, w, b)]
        y = getattr(_twin(side, piece), piece)(*leaves, **options)
        y.backward(convert(np.ones(to_numpy(y).shape, dtype)))
        results.append([y] + [leaf.grad for leaf in leaves])
    magnitudes = [to_torch(np.abs(a).astype(np.float64), requires_grad=True) for a in (x, w, b)]
    y = getattr(_twin("native", piece), piece)(*magnitudes, **options)
    y.backward(torch.ones_like(y))
    scales = [y] + [m.grad for m in magnitudes]
    pixels_in, pixels_out = x.size // c_in, to_numpy(y).size // c_out
    taps = k * k * (c_in // groups + c_out // groups)            # at most, either direction
    terms = [taps + 1, taps, pixels_in if transposed else pixels_out, pixels_out]
    for label, m, t, scale, n in zip(("forward", "dx", "dW", "db"), *results, scales, terms):
        yield _compare(label, piece, m, t, to_numpy(scale), terms=n)


check("conv2d")(lambda rng, dtype: _convolution("conv2d", rng, dtype))
check("conv_transpose2d")(lambda rng, dtype: _convolution("conv_transpose2d", rng, dtype))


@check("grad_accumulation")
def _grad_accumulation(rng, dtype):
    k, size, seed = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2**31))
    x, y = _values(rng, dtype, k * size, 3), _values(rng, dtype, k * size, 2)
    params = []
    for side, seed_with, convert in (("manual", manual.manual_seed, to_manual),
                                     ("native", torch.manual_seed, _torch)):
        seed_with(seed)
        model = _on_device(_twin(side, "linear").Linear(3, 2))
        for p in model.parameters():
            p.data = convert(to_numpy(p).astype(dtype))
        optimizer = _twin(side, "sgd").SGD(model.parameters(), lr=0.1)
        if side == "native":
            scales = path_scales(optimizer, list(model.parameters()))
        micro = [(convert(x[j * size:(j + 1) * size]), convert(y[j * size:(j + 1) * size]))
                 for j in range(k)]
        _twin(side, "grad_accumulation").accumulation_step(
            model, _twin(side, "mse_loss").mse_loss, optimizer, micro)
        params.append([to_numpy(p) for p in model.parameters()])
    for i, (mp, tp) in enumerate(zip(*params)):
        yield _compare(f"parameter {i}", "training", mp, tp, normwise(scales[i]))


@check("adam")
def _adam(rng, dtype):
    # no coupled (Adam) weight decay: with it, torch's 1-ULP sqrt feeds back into m and v
    decoupled = bool(rng.integers(2))
    options = dict(lr=float(rng.uniform(1e-3, 0.1)), amsgrad=bool(rng.integers(2)),
                   weight_decay=float(rng.choice([0.0, 0.01])) if decoupled else 0.0,
                   maximize=bool(rng.integers(2)))
    name = "AdamW" if decoupled else "Adam"
    start = [_values(rng, dtype, *rng.integers(1, 5, 2)) for _ in range(2)]
    m_params, t_params = _both(*start)
    m_opt = getattr(_twin("manual", "adam"), name)(m_params, **options)
    t_opt = getattr(_twin("native", "adam"), name)(t_params, **options)
    scales = [np.abs(s.astype(np.float64)) for s in start]
    for step in range(1, 4):
        for mp, tp in zip(m_params, t_params):
            grad = _values(rng, dtype, *mp.shape)
            mp.grad, tp.grad = to_manual(grad), _torch(grad)
        m_opt.step()
        t_opt.step()
        grow_scales(scales, t_opt, t_params)
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield _compare(f"{name} param {i}, step {step}", "adam", mp, tp, scales[i])
            for key, value in t_opt.state[tp].items():
                kind = "adam_second_moment" if key.endswith("exp_avg_sq") else "exact"
                yield _compare(f"{name} {key} {i}, step {step}", kind,
                               m_opt.state[mp][key], value)
