"""The demo: the book's thermometer fitted three ways, side by side.

    hand-derived   manual/linear_regression.py: the gradient derived by hand, no engine
    manual engine  the manual autograd engine's backward, and manual's optimizer
    torch          torch's autograd and torch.optim

Each run records, per epoch, the loss before the update (as the book prints it) and the
parameters after it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from rich.table import Table
from rich.text import Text

import manual
import manual.linear_regression as hand
import torch_native.linear_regression as auto
from reference.convert import to_numpy
from reference.distance import distance

OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 1e-2, "adam": 1e-1}
WAYS = ("hand-derived", "manual engine", "torch")
T_U = np.float32(hand.T_U) * np.float32(0.1)  # the book's t_un
T_C = np.float32(hand.T_C)
START = np.float32([1.0, 0.0])


@dataclass
class Run:
    losses: list[float] = field(default_factory=list)
    params: list[np.ndarray] = field(default_factory=list)


def run_all(epochs: int, lr: float, optimizer: str,
            on_epoch: Callable[[], None] = lambda: None) -> dict[str, Run]:
    return {way: _RUNNERS[way](epochs, lr, optimizer, on_epoch) for way in WAYS}


def _optimizer(side: str, name: str, params: list, lr: float):
    module = importlib.import_module(f"{'manual' if side == 'manual' else 'torch_native'}"
                                     f".{'sgd' if name == 'sgd' else 'adam'}")
    return module.SGD(params, lr=lr) if name == "sgd" else module.Adam(params, lr=lr)


def _hand(epochs: int, lr: float, optimizer: str, on_epoch: Callable[[], None]) -> Run:
    run, params = Run(), START.copy()
    holder = manual.tensor(params)  # for adam: the hand-derived gradient goes into .grad
    adam = _optimizer("manual", optimizer, [holder], lr) if optimizer == "adam" else None
    for _ in range(epochs):
        w, b = params
        t_p = hand.model(T_U, w, b)
        run.losses.append(float(hand.loss_fn(t_p, T_C)))
        grad = hand.grad_fn(T_U, T_C, t_p, w, b)
        if adam is None:
            params = params - lr * grad                     # the book's update
        else:
            holder.array[...], holder.grad = params, manual.tensor(grad)
            adam.step()
            params = holder.array.copy()
        run.params.append(params)
        on_epoch()
    return run


def _engine(side: str) -> Callable[..., Run]:
    lib, twin = (manual, hand) if side == "manual" else (torch, auto)

    def train(epochs: int, lr: float, optimizer: str, on_epoch: Callable[[], None]) -> Run:
        run = Run()
        params = lib.tensor(START.copy(), requires_grad=True)
        t_u, t_c = lib.tensor(T_U), lib.tensor(T_C)
        opt = _optimizer(side, optimizer, [params], lr)
        for _ in range(epochs):
            opt.zero_grad()
            loss = twin.loss_fn(twin.model(t_u, *params), t_c)
            loss.backward()
            opt.step()
            run.losses.append(loss.item())
            run.params.append(to_numpy(params).copy())
            on_epoch()
        return run

    return train


_RUNNERS = {"hand-derived": _hand, "manual engine": _engine("manual"), "torch": _engine("torch")}


def table(runs: dict[str, Run], every: int, optimizer: str, lr: float) -> Table:
    """A group of rows every ``every`` epochs: each way's loss, [w, b], and gap to torch."""
    epochs = len(runs["torch"].losses)
    out = Table(title=f"thermometer, {optimizer}, lr {lr:g}: loss before each epoch's update, "
                "w and b after it", title_justify="left")
    for column in ("epoch", "way", "loss", "w", "b", "ULP from torch"):
        out.add_column(column, justify="left" if column == "way" else "right")
    for i in sorted({0, *range(every - 1, epochs, every), epochs - 1}):
        expected = runs["torch"].params[i]
        for n, way in enumerate(WAYS):
            w, b = runs[way].params[i]
            gap = "" if way == "torch" else f"{distance(runs[way].params[i], expected).max_ulp:g}"
            out.add_row(str(i + 1) if n == 0 else "", way, f"{runs[way].losses[i]:.6f}",
                        f"{w:.7f}", f"{b:.7f}", gap, end_section=n == len(WAYS) - 1)
    return out


def summary(runs: dict[str, Run]) -> Text:
    lines = ["final w, b:"]
    expected = runs["torch"].params[-1]
    for way in WAYS:
        values = runs[way].params[-1]
        gap = "" if way == "torch" else \
            f"   {distance(values, expected).max_ulp:g} ULP from torch's"
        lines.append(f"  {way:<14} w = {values[0]:.7f}, b = {values[1]:.7f}{gap}")
    return Text("\n".join(lines))


def check_plot_target(path: str, error: type[Exception]) -> None:
    """Refuse a plot that cannot be written, before training starts."""
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise error(f"--plot {path}: the file must end in .png, .svg or .pdf")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise error(f"--plot {path}: cannot write to folder {str(folder)!r}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise error("--plot needs matplotlib: pip install 'dealias[plot]'") from None


def plot(runs: dict[str, Run], path: str, optimizer: str, lr: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for way, style in zip(WAYS, ("-", "--", ":")):
        ax.plot(range(1, len(runs[way].losses) + 1), runs[way].losses, style, label=way,
                linewidth=2)
    ax.set(xlabel="epoch", ylabel="loss (MSE)", yscale="log",
           title=f"thermometer: {optimizer}, lr {lr:g}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
