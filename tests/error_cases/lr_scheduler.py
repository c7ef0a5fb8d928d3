"""The schedulers' bad calls: manual/lr_scheduler.py, lr_curves.py, one_cycle.py and
plateau.py against torch.optim.lr_scheduler, each bad call written once (see core.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import param


def _sgd(ns: SimpleNamespace, groups: int = 1) -> Any:
    return ns.sgd.SGD([{"params": [param(ns)], "lr": 0.1} for _ in range(groups)])


def _resume_half_set(ns: SimpleNamespace) -> None:
    opt = _sgd(ns, 2)
    opt.param_groups[0]["initial_lr"] = 0.1  # the second group has none
    ns.lr_scheduler.ExponentialLR(opt, 0.9, last_epoch=3)


def _one_cycle_past_the_end(ns: SimpleNamespace) -> None:
    opt = _sgd(ns)
    sched = ns.one_cycle.OneCycleLR(opt, 0.1, total_steps=3)
    for _ in range(4):
        opt.step()
        sched.step()


def _one_cycle_without_momentum(ns: SimpleNamespace) -> None:
    opt = ns.lib.optim.Optimizer([param(ns)], {"lr": 0.1})  # neither momentum nor betas
    ns.one_cycle.OneCycleLR(opt, 0.1, total_steps=10)


def _plateau_group_added(ns: SimpleNamespace) -> None:
    opt = _sgd(ns)
    sched = ns.plateau.ReduceLROnPlateau(opt, patience=0, min_lr=[0.01])
    opt.add_param_group({"params": [param(ns)], "lr": 0.5})
    for metric in (1.0, 2.0):  # the second is worse: the cut finds 2 groups, 1 min_lr
        sched.step(metric)


def _one_cycle(**kwargs: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda ns: ns.one_cycle.OneCycleLR(_sgd(ns), **kwargs)


def _plateau(**kwargs: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda ns: ns.plateau.ReduceLROnPlateau(_sgd(ns), **kwargs)


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    # -- lr_scheduler
    (lambda ns: ns.lr_scheduler.StepLR([param(ns)], step_size=2), ("list", "not an Optimizer"),
     "StepLR-not-an-optimizer"),
    (lambda ns: ns.lr_scheduler.StepLR(_sgd(ns), step_size=2, last_epoch=4),
     ("initial_lr", "param_groups[0]", "last_epoch >= 0"), "StepLR-resume-without-initial-lr"),
    (_resume_half_set, ("initial_lr", "param_groups[1]"), "ExponentialLR-resume-second-group"),
    # -- lr_curves
    (lambda ns: ns.lr_curves.LambdaLR(_sgd(ns), [lambda e: 1.0, lambda e: 0.5]),
     ("Expected 1 lr_lambdas", "got 2"), "LambdaLR-two-lambdas-one-group"),
    (lambda ns: ns.lr_curves.LinearLR(_sgd(ns), start_factor=0),
     ("Starting multiplicative factor", "greater than 0"), "LinearLR-start-factor-0"),
    (lambda ns: ns.lr_curves.LinearLR(_sgd(ns), end_factor=1.5),
     ("Ending multiplicative factor", "between 0 and 1"), "LinearLR-end-factor-1.5"),
    (lambda ns: ns.lr_curves.CosineAnnealingLR(param(ns), T_max=10),
     ("Tensor", "not an Optimizer"), "CosineAnnealingLR-not-an-optimizer"),
    # -- one_cycle
    (_one_cycle(max_lr=0.1), ("total_steps", "epochs", "steps_per_epoch"),
     "OneCycleLR-no-length"),
    (_one_cycle(max_lr=0.1, total_steps=0), ("total_steps", "got 0"),
     "OneCycleLR-total-steps-0"),
    (_one_cycle(max_lr=0.1, total_steps=10.0), ("total_steps", "got 10.0"),
     "OneCycleLR-total-steps-float"),
    (_one_cycle(max_lr=0.1, epochs=2.5, steps_per_epoch=4), ("epochs", "got 2.5"),
     "OneCycleLR-epochs-float"),
    (_one_cycle(max_lr=0.1, epochs=2, steps_per_epoch=-4), ("steps_per_epoch", "got -4"),
     "OneCycleLR-steps-per-epoch-negative"),
    (_one_cycle(max_lr=0.1, total_steps=10, pct_start=1), ("pct_start", "got 1"),
     "OneCycleLR-pct-start-int"),
    (_one_cycle(max_lr=0.1, total_steps=10, pct_start=1.5), ("pct_start", "got 1.5"),
     "OneCycleLR-pct-start-above-1"),
    (_one_cycle(max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ("anneal_strategy", "got exp"), "OneCycleLR-anneal-strategy"),
    (_one_cycle(max_lr=[0.1, 0.2], total_steps=10), ("max_lr", "2 values", "param_groups has 1"),
     "OneCycleLR-max-lr-list-length"),
    (_one_cycle(max_lr=0.1, total_steps=10, max_momentum=[0.9, 0.95, 0.99]),
     ("max_momentum", "3 values"), "OneCycleLR-max-momentum-list-length"),
    (_one_cycle_without_momentum, ("momentum", "beta1", "cycle_momentum"),
     "OneCycleLR-optimizer-without-momentum"),
    (_one_cycle_past_the_end, ("step 4 times", "total steps is 3"), "OneCycleLR-step-past-end"),
    # -- plateau
    (_plateau(factor=1.0), ("Factor", "< 1.0"), "ReduceLROnPlateau-factor-1"),
    (_plateau(mode="avg"), ("mode avg",), "ReduceLROnPlateau-mode"),
    (_plateau(threshold_mode="relative"), ("threshold mode relative",),
     "ReduceLROnPlateau-threshold-mode"),
    (_plateau(min_lr=[0.0, 0.1]), ("expected 1 min_lrs", "got 2"),
     "ReduceLROnPlateau-min-lr-list-length"),
    (lambda ns: ns.plateau.ReduceLROnPlateau(None), ("NoneType", "not an Optimizer"),
     "ReduceLROnPlateau-not-an-optimizer"),
    (_plateau_group_added, ("param groups", "(2)", "(1)", "min_lrs"),
     "ReduceLROnPlateau-group-added-with-min-lr-list"),
]
