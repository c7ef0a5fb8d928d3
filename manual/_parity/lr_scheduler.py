"""lr_scheduler at torch's edges: its warnings, its refusals, and how it sees the call order.

* The call order. torch wants ``optimizer.step()`` before ``scheduler.step()`` (else the
  first rate of the schedule is skipped). To notice, each scheduler's constructor replaces
  ``optimizer.step`` on the instance by a wrapper that sets ``optimizer._opt_called = True``
  and calls the method (``wrap_step``: once per optimizer, the wrapper is marked
  ``_wrapped_by_lr_sched``). At the first ``step()`` after construction (``_step_count ==
  1``) the scheduler warns if ``optimizer.step`` is no longer the wrapper, or if it was never
  called (``warn_if_early``); it never checks again.
* Other warnings: ``step(epoch)`` is deprecated (``warn_epoch``), and ``get_lr()`` called
  from outside ``step()`` points at ``get_last_lr()`` (``warn_get_lr``; ``step`` marks the
  call with ``inside_step``, which also clears the mark when get_lr raises).
* Refusals, in torch's words and order: a scheduler of anything but an Optimizer
  (TypeError); ``last_epoch != -1`` on an optimizer whose groups lack ``initial_lr``
  (KeyError); LambdaLR with a list of another length than the groups; LinearLR's factors;
  OneCycleLR's total_steps (or epochs and steps_per_epoch), pct_start (a float in [0, 1]:
  the int 1 is refused), anneal_strategy, a max_lr or momentum list of the wrong length, an
  optimizer with neither momentum nor betas when cycling momentum, and a step past
  total_steps; ReduceLROnPlateau's factor, min_lr list, mode and threshold_mode, and a list
  of min_lrs that no longer matches the groups (RuntimeError).
* LambdaLR's state dict keeps no function: a plain function or lambda is saved as None, a
  callable object as a copy of its ``__dict__`` (put back into the object on load), and the
  entry goes last.

torch also takes Tensor learning rates (updated in place with ``fill_``); the twin takes
Python floats only.

Reference: torch/optim/lr_scheduler.py (``LRScheduler.__init__``, ``LRScheduler.step``,
``_warn_get_lr_called_within_step``, ``_format_param``, ``LambdaLR.state_dict``,
``LambdaLR.load_state_dict``, the constructors of ``LinearLR``, ``OneCycleLR`` and
``ReduceLROnPlateau``, ``ReduceLROnPlateau._reduce_lr``).
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any
from weakref import ref

from manual.optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
GET_LR_WARNING = ("To get the last learning rate computed by the scheduler, "
                  "please use `get_last_lr()`.")


# -- the call order, and the other warnings ------------------------------------------------

def wrap_step(optimizer: Any) -> None:
    """Replace ``optimizer.step`` by a wrapper that notes each call (once per optimizer)."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref, func = ref(optimizer), optimizer.step.__func__

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = opt_ref()
        opt._opt_called = True
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


def warn_if_early(scheduler: Any) -> None:
    """At the first step() after construction: was optimizer.step() called (and wrapped)?"""
    if scheduler._step_count != 1:
        return
    if not hasattr(scheduler.optimizer.step, "_wrapped_by_lr_sched"):
        warnings.warn(OVERRIDDEN_WARNING, UserWarning, stacklevel=3)
    elif not getattr(scheduler.optimizer, "_opt_called", False):
        warnings.warn(ORDER_WARNING, UserWarning, stacklevel=3)


def warn_epoch() -> None:
    warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=3)


def warn_get_lr(scheduler: Any) -> None:
    """Pointing at the scheduler's get_lr, as torch's points at its own."""
    if not scheduler._get_lr_called_within_step:
        warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=2)


@contextmanager
def inside_step(scheduler: Any) -> Iterator[None]:
    """Mark get_lr() calls as step()'s own (torch's ``_enable_get_lr_call``)."""
    scheduler._get_lr_called_within_step = True
    try:
        yield
    finally:
        scheduler._get_lr_called_within_step = False


# -- LRScheduler's refusals ------------------------------------------------------------------

def check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def check_resume(optimizer: Any) -> None:
    """last_epoch >= 0 resumes a schedule: every group must have its initial_lr."""
    for i, group in enumerate(optimizer.param_groups):
        if "initial_lr" not in group:
            raise KeyError(
                f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                "scheduler with last_epoch >= 0.\n"
                "This typically happens when:\n"
                "1. You're trying to resume training from a checkpoint but haven't properly "
                "loaded the optimizer state\n"
                "2. You're using last_epoch >= 0 for a fresh training run (not recommended)")


# -- LambdaLR and LinearLR ---------------------------------------------------------------------

def lambdas(optimizer: Any, lr_lambda: Any) -> list[Any]:
    """One lambda for every group, or a list with one per group."""
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got "
                         f"{len(lr_lambda)}")
    return list(lr_lambda)


def state_with_lambdas(state: dict[str, Any], lr_lambdas: list[Any]) -> dict[str, Any]:
    """The state dict, with lr_lambdas last: None for a function, else the object's __dict__."""
    state = {key: value for key, value in state.items() if key != "lr_lambdas"}
    state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                           for fn in lr_lambdas]
    return state


def load_with_lambdas(scheduler: Any, state_dict: dict[str, Any]) -> None:
    """Everything but lr_lambdas into the scheduler; saved __dicts into its callable objects."""
    saved = state_dict.pop("lr_lambdas")
    scheduler.__dict__.update(state_dict)
    state_dict["lr_lambdas"] = saved  # the caller's dict is left as it was
    for fn, fn_state in zip(scheduler.lr_lambdas, saved):
        if fn_state is not None:
            fn.__dict__.update(fn_state)


def check_linear(start_factor: float, end_factor: float) -> None:
    if start_factor > 1.0 or start_factor <= 0:
        raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                         "less or equal to 1.")
    if end_factor > 1.0 or end_factor < 0:
        raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")


# -- OneCycleLR --------------------------------------------------------------------------------

def total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    """N: total_steps, else epochs * steps_per_epoch, each a positive int."""
    if total_steps is not None:
        if total_steps <= 0 or not isinstance(total_steps, int):
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
    return epochs * steps_per_epoch


def check_one_cycle(pct_start: Any, anneal_strategy: str) -> None:
    """Checked after the phases are built from pct_start, as torch does."""
    if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
        raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
    if anneal_strategy not in ["cos", "linear"]:
        raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                         f"{anneal_strategy}")


def per_group(name: str, optimizer: Any, value: Any) -> list[Any]:
    """One value for every group, or a list with one per group (torch's ``_format_param``)."""
    if not isinstance(value, (list, tuple)):
        return [value] * len(optimizer.param_groups)
    if len(value) != len(optimizer.param_groups):
        raise ValueError(f"{name} must have the same length as optimizer.param_groups. {name} "
                         f"has {len(value)} values, param_groups has "
                         f"{len(optimizer.param_groups)}.")
    return list(value)


def uses_beta1(optimizer: Any) -> bool:
    """Cycle betas[0] (Adam's) or momentum (SGD's); an optimizer with neither is refused."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                         "option enabled")
    return "betas" in optimizer.defaults


def check_step_count(step: int, total_steps: int) -> None:
    if step > total_steps:
        raise ValueError(f"Tried to step {step} times. The specified number of total steps is "
                         f"{total_steps}")


# -- ReduceLROnPlateau -------------------------------------------------------------------------

def check_factor(factor: float) -> None:
    if factor >= 1.0:
        raise ValueError("Factor should be < 1.0.")


def min_lrs(optimizer: Any, min_lr: Any) -> tuple[Any, list[Any]]:
    """(default_min_lr, min_lrs): a number for every group, or a list with one per group."""
    if not isinstance(min_lr, (list, tuple)):
        return min_lr, [min_lr] * len(optimizer.param_groups)
    if len(min_lr) != len(optimizer.param_groups):
        raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
    return None, list(min_lr)


def check_modes(mode: str, threshold_mode: str) -> None:
    if mode not in {"min", "max"}:
        raise ValueError("mode " + mode + " is unknown!")
    if threshold_mode not in {"rel", "abs"}:
        raise ValueError("threshold mode " + threshold_mode + " is unknown!")


def current_min_lrs(scheduler: Any) -> list[Any]:
    """min_lrs for the groups the optimizer has now: a number is spread over new groups."""
    n = len(scheduler.optimizer.param_groups)
    if n != len(scheduler.min_lrs):
        if scheduler.default_min_lr is None:
            raise RuntimeError(
                f"The number of param groups in the `optimizer` ({n}) differs from when "
                f"`ReduceLROnPlateau` was initialized ({len(scheduler.min_lrs)}), usually due "
                "to a new param group being added to the optimizer. Please modify the "
                "`min_lrs` field to match the length of the `optimizer` param groups.")
        scheduler.min_lrs = [scheduler.default_min_lr] * n
    return scheduler.min_lrs
