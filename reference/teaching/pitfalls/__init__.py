"""Pitfalls: the bugs people make in custom training loops, each as two short loops.

Each pitfall is a buggy loop and its fix, written once against ``lib`` (see _lib.py) so that
both run on the manual engine and on torch. Each loop returns the numbers that show the bug
(a loss, a gradient norm, a gap); ``symptom(numbers)`` says whether they show it. That the
bug appears on both engines is what lets the manual code explain it: the line of manual/
that ``explanation`` points at is the reason.

    >>> from reference.teaching.pitfalls import PITFALLS, run
    >>> run(PITFALLS["forgotten-zero-grad"], "buggy", "torch").numbers
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from reference.teaching.pitfalls._lib import ENGINES, twins

Numbers = dict[str, Any]  # a loop's observations: floats, ints, booleans or messages


@dataclass(frozen=True)
class Pitfall:
    """A bug, its fix, and how to tell them apart from the numbers they produce."""

    name: str
    title: str
    explanation: str          # why, in terms of what the manual code does
    manual_ref: str           # the manual file and line that explain it
    buggy: Callable[[SimpleNamespace], Numbers]
    fixed: Callable[[SimpleNamespace], Numbers]
    symptom: Callable[[Numbers], bool]   # True when the numbers show the bug
    # numbers the two engines must agree on (not those at rounding level, such as a gap
    # between two honest loops, whose ULPs mean nothing)
    shared: tuple[str, ...] = ()
    labels: tuple[str, str] = ("buggy", "fixed")
    doctor: str = ""                     # what `dealias doctor` watches for, if anything

    def loop(self, which: str) -> Callable[[SimpleNamespace], Numbers]:
        if which not in ("buggy", "fixed"):
            raise ValueError(f"unknown loop {which!r}; choose from buggy, fixed")
        return self.buggy if which == "buggy" else self.fixed

    def source(self, which: str) -> str:
        return inspect.getsource(self.loop(which)).rstrip("\n")


@dataclass(frozen=True)
class Run:
    """What one loop did on one engine: its numbers and the warnings it raised."""

    pitfall: str
    which: str
    engine: str
    numbers: Numbers
    warnings: list[str] = field(default_factory=list)

    @property
    def shows_symptom(self) -> bool:
        return PITFALLS[self.pitfall].symptom(self.numbers)


def run(pitfall: Pitfall, which: str, engine: str) -> Run:
    """Run the ``which`` ("buggy" or "fixed") loop of ``pitfall`` on ``engine``."""
    loop = pitfall.loop(which)
    lib = twins(engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numbers = loop(lib)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    return Run(pitfall.name, which, engine, numbers, messages)


def run_all(pitfall: Pitfall) -> dict[tuple[str, str], Run]:
    """Both loops on both engines, keyed by (which, engine)."""
    return {(which, engine): run(pitfall, which, engine)
            for which in ("buggy", "fixed") for engine in ENGINES}


def _registry() -> dict[str, Pitfall]:
    from reference.teaching.pitfalls import (
        accumulation,
        adam_weight_decay,
        clip_before_backward,
        clip_changes_nothing,
        detached_loss,
        duplicate_parameters,
        epoch_mean,
        eval_mode_training,
        frozen_layer,
        loss_broadcast,
        manual_update,
        momentum,
        mse_broadcast,
        nan_loss,
        nll_loss_input,
        replaced_layer,
        scheduler_order,
        set_to_none,
        sigmoid_bce,
        softmax_cross_entropy,
        train_loss_graph,
        train_mode_evaluation,
        zero_grad_after_backward,
        zero_grad_forgotten,
    )
    modules = (zero_grad_forgotten, zero_grad_after_backward, set_to_none, accumulation,
               adam_weight_decay, train_loss_graph, mse_broadcast, softmax_cross_entropy,
               manual_update, epoch_mean, momentum, nan_loss, detached_loss, replaced_layer,
               duplicate_parameters, eval_mode_training, train_mode_evaluation,
               scheduler_order, clip_before_backward, clip_changes_nothing, frozen_layer,
               loss_broadcast, nll_loss_input, sigmoid_bce)
    return {m.PITFALL.name: m.PITFALL for m in modules}


PITFALLS: dict[str, Pitfall] = _registry()

__all__ = ["ENGINES", "PITFALLS", "Pitfall", "Run", "run", "run_all", "twins"]
