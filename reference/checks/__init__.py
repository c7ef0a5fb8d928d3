"""Equivalence checks: for each piece, draw inputs, run both twins, measure every result.

Each module of this package registers the checks of some pieces (``@check("linear")``);
they are all imported below, so ``CHECKS`` holds every piece's.

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
import pkgutil
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import manual
from reference.convert import to_manual, to_numpy, to_torch
from reference.distance import Distance, distance
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


def compare(label: str, piece: str, actual: Any, expected: Any, scale: Any = None,
             terms: int | None = None) -> Comparison:
    tol = tolerance(piece, to_numpy(expected).dtype, _DEVICE.get())
    gap = distance(to_numpy(actual), to_numpy(expected), scale if tol.of_scale else None)
    return Comparison(label, gap, tol, terms)


def twin(side: str, piece: str):
    return importlib.import_module(f"{'manual' if side == 'manual' else 'torch_native'}.{piece}")


def on_torch(x: Any, requires_grad: bool = False) -> torch.Tensor:
    """``to_torch`` onto the device the check runs on."""
    return to_torch(x, requires_grad, _DEVICE.get())


def on_device(module: Any) -> Any:
    """A native module moved to the check's device (a manual one stays as it is)."""
    return module.to(_DEVICE.get()) if isinstance(module, torch.nn.Module) else module


def values(rng: np.random.Generator, dtype: np.dtype, *shape: int, bound: float = 4.0):
    return rng.uniform(-bound, bound, shape).astype(dtype)


def both(*arrays: np.ndarray) -> tuple[list[manual.Tensor], list[torch.Tensor]]:
    """Leaves that require grad, on each side, with the same values."""
    return ([to_manual(a, requires_grad=True) for a in arrays],
            [on_torch(a, requires_grad=True) for a in arrays])




def _register_every_piece() -> None:
    """Import each module of this package: each registers its pieces' checks."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_register_every_piece()
