"""The checks of the loop's first pieces: linear, mse_loss, sgd, zero_grad, backward, no_grad,
the book's linear regression, the training loop, activations, the data loader,
cross_entropy, the convolutions, gradient accumulation and Adam."""

from __future__ import annotations

import numpy as np
import torch

import manual
from reference.checks import (
    Comparison,
    both,
    check,
    compare,
    on_device,
    on_torch,
    twin,
    values,
)
from reference.convert import to_manual, to_numpy, to_torch
from reference.distance import Distance, normwise
from reference.scales import cross_entropy_scales, grow_scales, path_scales
from reference.tolerances import tolerance


@check("linear")
def _linear(rng, dtype):
    n, k, m = rng.integers(1, 9, 3)
    x, w, b, g = (values(rng, dtype, *s) for s in ((n, k), (m, k), (m,), (n, m)))
    (mx, mw, mb), (tx, tw, tb) = both(x, w, b)
    my, ty = twin("manual", "linear").linear(mx, mw, mb), twin("native", "linear").linear(
        tx, tw, tb)
    my.backward(to_manual(g))
    ty.backward(on_torch(g))
    ax, aw, ag = abs(x), abs(w), abs(g)
    yield compare("forward", "linear", my, ty, ax @ aw.T + abs(b))
    yield compare("dx", "linear", mx.grad, tx.grad, ag @ aw)
    yield compare("dW", "linear", mw.grad, tw.grad, ag.T @ ax)
    yield compare("db", "linear", mb.grad, tb.grad, ag.sum(0))


@check("mse_loss")
def _mse_loss(rng, dtype):
    shape = tuple(rng.integers(1, 6, rng.integers(1, 3)))
    reduction = rng.choice(["mean", "sum", "none"])
    x, y = values(rng, dtype, *shape), values(rng, dtype, *shape)
    (mx, my), (tx, ty) = both(x, y)
    m_loss = twin("manual", "mse_loss").mse_loss(mx, my, reduction)
    t_loss = twin("native", "mse_loss").mse_loss(tx, ty, reduction)
    m_loss.backward(to_manual(np.ones(m_loss.shape, dtype)))
    t_loss.backward(torch.ones_like(t_loss))
    squares = (abs(x) + abs(y)) ** 2
    kind = "exact" if reduction == "none" else "mse_loss"
    yield compare(f"loss ({reduction})", kind, m_loss, t_loss,
                   squares if reduction == "none" else squares.sum())
    yield compare("dx", "exact", mx.grad, tx.grad)
    yield compare("dy", "exact", my.grad, ty.grad)


@check("sgd")
def _sgd(rng, dtype):
    momentum = float(rng.choice([0.0, 0.9]))
    options = dict(lr=float(rng.uniform(0, 0.5)), momentum=momentum,
                   weight_decay=float(rng.choice([0.0, 0.01])),
                   dampening=float(rng.choice([0.0, 0.1])) if momentum else 0.0,
                   maximize=bool(rng.integers(2)))
    options["nesterov"] = bool(momentum and not options["dampening"] and rng.integers(2))
    shapes = [tuple(rng.integers(1, 5, rng.integers(1, 3))) for _ in range(rng.integers(1, 4))]
    start = [values(rng, dtype, *s) for s in shapes]
    m_params, t_params = both(*start)
    m_opt = twin("manual", "sgd").SGD(m_params, **options)
    t_opt = twin("native", "sgd").SGD(t_params, **options)
    for step in range(3):
        for mp, tp in zip(m_params, t_params):
            grad = values(rng, dtype, *mp.shape) if rng.random() < 0.8 else None
            mp.grad, tp.grad = (None, None) if grad is None else (to_manual(grad), on_torch(grad))
        m_opt.step()
        t_opt.step()
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield compare(f"param {i}, step {step + 1}", "sgd", mp, tp)
            if "momentum_buffer" in t_opt.state[tp]:
                yield compare(f"momentum buffer {i}, step {step + 1}", "sgd",
                               m_opt.state[mp]["momentum_buffer"],
                               t_opt.state[tp]["momentum_buffer"])


@check("zero_grad")
def _zero_grad(rng, dtype):
    set_to_none = bool(rng.integers(2))
    grads = [values(rng, dtype, *rng.integers(1, 4, 2)) for _ in range(2)]
    m_params, t_params = both(*[np.zeros_like(g) for g in grads])
    for mp, tp, g in zip(m_params, t_params, grads):
        mp.grad, tp.grad = to_manual(g), on_torch(g)
    twin("manual", "zero_grad").zero_grad(m_params, set_to_none)
    twin("native", "zero_grad").zero_grad(t_params, set_to_none)
    for i, (mp, tp) in enumerate(zip(m_params, t_params)):
        if tp.grad is not None and mp.grad is not None:
            yield compare(f"grad {i}", "zero_grad", mp.grad, tp.grad)
        else:  # None on both sides, or on one only
            gap = 0.0 if mp.grad is tp.grad is None else np.inf
            yield Comparison(f"grad {i} is None", Distance(gap, gap, gap, (), 0, 0),
                             tolerance("zero_grad", dtype))


@check("backward")
def _backward(rng, dtype):
    # a small graph with fan-in: y = (a * b + a) * a - b, gradient given per element
    a, b, g = (values(rng, dtype, 3, 2) for _ in range(3))
    (ma, mb), (ta, tb) = both(a, b)
    my, ty = (ma * mb + ma) * ma - mb, (ta * tb + ta) * ta - tb
    twin("manual", "backward").backward(my, to_manual(g))
    twin("native", "backward").backward(ty, on_torch(g))
    yield compare("forward", "backward", my, ty)
    yield compare("grad a", "backward", ma.grad, ta.grad)
    yield compare("grad b", "backward", mb.grad, tb.grad)


@check("no_grad")
def _no_grad(rng, dtype):
    w = values(rng, dtype, 3)
    (mw,), (tw,) = both(w)
    with twin("manual", "no_grad").no_grad():
        my = mw * 2.0
    with twin("native", "no_grad").no_grad():
        ty = tw * 2.0
    recorded = float(my.requires_grad != ty.requires_grad or (my.grad_fn is None) !=
                     (ty.grad_fn is None))
    gap = np.inf if recorded else 0.0
    yield Comparison("nothing recorded", Distance(gap, gap, gap, (), 0, 0),
                     tolerance("exact", dtype))
    yield compare("values", "exact", my, ty)


@check("linear_regression")
def _linear_regression(rng, dtype):
    hand, auto = twin("manual", "linear_regression"), twin("native", "linear_regression")
    t_u, t_c = np.asarray(hand.T_U, dtype) * dtype.type(0.1), np.asarray(hand.T_C, dtype)
    start = np.asarray([rng.uniform(0, 2), rng.uniform(-1, 1)], dtype)
    epochs = int(rng.integers(1, 200))
    fitted = hand.training_loop(epochs, 1e-2, start, t_u, t_c)
    expected = auto.training_loop(epochs, 1e-2, on_torch(start), on_torch(t_u), on_torch(t_c))
    yield compare(f"params after {epochs} epochs", "linear_regression", fitted, expected,
                   normwise(expected))


@check("training_loop")
def _training_loop(rng, dtype):
    seed = int(rng.integers(2**31))
    results = []
    for side in ("manual", "native"):
        (manual.manual_seed if side == "manual" else torch.manual_seed)(seed)
        model = on_device(twin(side, "linear").Linear(3, 2))
        convert = to_manual if side == "manual" else on_torch
        if dtype == np.float64:
            for p in model.parameters():
                p.data = convert(to_numpy(p).astype(np.float64))
        optimizer = twin(side, "sgd").SGD(model.parameters(), lr=0.05, momentum=0.9)
        if side == "native":
            scales = path_scales(optimizer, list(model.parameters()))
        batch_rng = np.random.default_rng(seed)
        loader = [(convert(values(batch_rng, dtype, 4, 3)), convert(values(batch_rng, dtype,
                                                                              4, 2)))
                  for _ in range(3)]
        losses = twin(side, "training_loop").fit(model, twin(side, "mse_loss").mse_loss,
                                                  optimizer, loader, 2)
        results.append((np.asarray(losses, dtype), [to_numpy(p) for p in model.parameters()]))
    (m_losses, m_params), (t_losses, t_params) = results
    yield compare("epoch losses", "training_loop", m_losses, t_losses, normwise(t_losses))
    for i, (mp, tp) in enumerate(zip(m_params, t_params)):
        yield compare(f"parameter {i}", "training_loop", mp, tp, normwise(scales[i]))


@check("activations")
def _activations(rng, dtype):
    # relu, with exact zeros among the inputs (the kink)
    x = values(rng, dtype, 4, 5)
    x[rng.random(x.shape) < 0.2] = 0.0
    (mx,), (tx,) = both(x)
    my, ty = twin("manual", "activations").relu(mx), twin("native", "activations").relu(tx)
    g = values(rng, dtype, 4, 5)
    my.backward(to_manual(g))
    ty.backward(on_torch(g))
    yield compare("relu", "activations", my, ty)
    yield compare("relu backward", "activations", mx.grad, tx.grad)


@check("data_loader")
def _data_loader(rng, dtype):
    n, batch_size = int(rng.integers(1, 30)), int(rng.integers(1, 8))
    shuffle, drop_last, seed = bool(rng.integers(2)), bool(rng.integers(2)), int(rng.integers(99))
    x, y = values(rng, dtype, n, 3), rng.integers(0, 5, n)
    batches = []
    for side, seed_with, convert in (("manual", manual.manual_seed, to_manual),
                                     ("native", torch.manual_seed, on_torch)):
        seed_with(seed)
        pair = twin(side, "data_loader")
        loader = pair.DataLoader(pair.TensorDataset(convert(x), convert(y)),
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
    x = values(rng, dtype, n, c, *spatial)
    target = rng.integers(0, c, (n, *spatial))
    ignore_index = int(rng.choice([-100, 0]))
    weight = rng.uniform(0.5, 2, c).astype(dtype) if rng.integers(2) else None
    reduction = str(rng.choice(["mean", "sum", "none"]))
    smoothing = float(rng.choice([0.0, 0.1]))
    losses, grads = [], []
    for side, convert in (("manual", to_manual), ("native", on_torch)):
        logits = convert(x, requires_grad=True)
        loss = twin(side, "cross_entropy").cross_entropy(
            logits, convert(target), None if weight is None else convert(weight), ignore_index,
            reduction, smoothing)
        grad = np.ones(to_numpy(loss).shape, dtype)
        loss.backward(convert(grad))
        losses.append(loss)
        grads.append(logits.grad)
    loss_scale, dx_scale, _ = cross_entropy_scales(x, target, weight, ignore_index, reduction,
                                                   smoothing, grad)
    yield compare(f"loss ({reduction})", "cross_entropy", *losses, loss_scale)
    yield compare("dx", "cross_entropy", *grads, dx_scale)


def _convolution(piece: str, rng, dtype):
    """A random case of conv2d or conv_transpose2d: output and the three gradients."""
    groups = int(rng.integers(1, 3))
    c_in, c_out = (groups * int(rng.integers(1, 3)) for _ in range(2))
    k, stride, padding = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 2))
    size = int(rng.integers(max(k, 2 * padding + 1), 7))
    transposed = piece == "conv_transpose2d"
    w_shape = (c_in, c_out // groups, k, k) if transposed else (c_out, c_in // groups, k, k)
    x, w, b = values(rng, dtype, 2, c_in, size, size), values(rng, dtype, *w_shape), \
        values(rng, dtype, c_out)
    options = dict(stride=stride, padding=padding, groups=groups)
    results, scales = [], None
    for side, convert in (("manual", to_manual), ("native", on_torch)):
        leaves = [convert(a, requires_grad=True) for a in (x, w, b)]
        y = getattr(twin(side, piece), piece)(*leaves, **options)
        y.backward(convert(np.ones(to_numpy(y).shape, dtype)))
        results.append([y] + [leaf.grad for leaf in leaves])
    magnitudes = [to_torch(np.abs(a).astype(np.float64), requires_grad=True) for a in (x, w, b)]
    y = getattr(twin("native", piece), piece)(*magnitudes, **options)
    y.backward(torch.ones_like(y))
    scales = [y] + [m.grad for m in magnitudes]
    pixels_in, pixels_out = x.size // c_in, to_numpy(y).size // c_out
    taps = k * k * (c_in // groups + c_out // groups)            # at most, either direction
    terms = [taps + 1, taps, pixels_in if transposed else pixels_out, pixels_out]
    for label, m, t, scale, n in zip(("forward", "dx", "dW", "db"), *results, scales, terms):
        yield compare(label, piece, m, t, to_numpy(scale), terms=n)


check("conv2d")(lambda rng, dtype: _convolution("conv2d", rng, dtype))
check("conv_transpose2d")(lambda rng, dtype: _convolution("conv_transpose2d", rng, dtype))


@check("grad_accumulation")
def _grad_accumulation(rng, dtype):
    k, size, seed = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2**31))
    x, y = values(rng, dtype, k * size, 3), values(rng, dtype, k * size, 2)
    params = []
    for side, seed_with, convert in (("manual", manual.manual_seed, to_manual),
                                     ("native", torch.manual_seed, on_torch)):
        seed_with(seed)
        model = on_device(twin(side, "linear").Linear(3, 2))
        for p in model.parameters():
            p.data = convert(to_numpy(p).astype(dtype))
        optimizer = twin(side, "sgd").SGD(model.parameters(), lr=0.1)
        if side == "native":
            scales = path_scales(optimizer, list(model.parameters()))
        micro = [(convert(x[j * size:(j + 1) * size]), convert(y[j * size:(j + 1) * size]))
                 for j in range(k)]
        twin(side, "grad_accumulation").accumulation_step(
            model, twin(side, "mse_loss").mse_loss, optimizer, micro)
        params.append([to_numpy(p) for p in model.parameters()])
    for i, (mp, tp) in enumerate(zip(*params)):
        yield compare(f"parameter {i}", "training", mp, tp, normwise(scales[i]))


@check("adam")
def _adam(rng, dtype):
    # no coupled (Adam) weight decay: with it, torch's 1-ULP sqrt feeds back into m and v
    decoupled = bool(rng.integers(2))
    options = dict(lr=float(rng.uniform(1e-3, 0.1)), amsgrad=bool(rng.integers(2)),
                   weight_decay=float(rng.choice([0.0, 0.01])) if decoupled else 0.0,
                   maximize=bool(rng.integers(2)))
    name = "AdamW" if decoupled else "Adam"
    start = [values(rng, dtype, *rng.integers(1, 5, 2)) for _ in range(2)]
    m_params, t_params = both(*start)
    m_opt = getattr(twin("manual", "adam"), name)(m_params, **options)
    t_opt = getattr(twin("native", "adam"), name)(t_params, **options)
    scales = [np.abs(s.astype(np.float64)) for s in start]
    for step in range(1, 4):
        for mp, tp in zip(m_params, t_params):
            grad = values(rng, dtype, *mp.shape)
            mp.grad, tp.grad = to_manual(grad), on_torch(grad)
        m_opt.step()
        t_opt.step()
        grow_scales(scales, t_opt, t_params)
        for i, (mp, tp) in enumerate(zip(m_params, t_params)):
            yield compare(f"{name} param {i}, step {step}", "adam", mp, tp, scales[i])
            for key, value in t_opt.state[tp].items():
                kind = "adam_second_moment" if key.endswith("exp_avg_sq") else "exact"
                yield compare(f"{name} {key} {i}, step {step}", kind,
                               m_opt.state[mp][key], value)
