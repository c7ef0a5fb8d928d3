"""Optimizer: what every ``torch.optim`` optimizer inherits, written out.

An optimizer holds ``param_groups`` (each a dict: its ``params`` and its hyperparameters)
and ``state`` (a dict per parameter: momentum buffers, step counts). ``step()`` is each
optimizer's own; the rest is shared:

* construction refuses a bare tensor (``TypeError``), an empty list and a non-leaf tensor
  (``ValueError``), and a parameter that appears in two groups;
* ``state_dict()`` numbers the parameters 0, 1, ... across groups, in order, and stores
  ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``;
* ``load_state_dict()`` maps those numbers back onto this optimizer's parameters;
* every subclass's ``step()`` runs between step hooks, as torch's: the global ones
  (``register_optimizer_step_pre_hook``, ``..._post_hook``: hook(optimizer, args, kwargs))
  and the optimizer's own (``register_step_pre_hook``, ``register_step_post_hook``).

Reference: torch/optim/optimizer.py (``Optimizer``).
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from manual.graph import RemovableHandle, add_hook
from manual.tensor import Tensor
from manual.zero_grad import zero_grad

_global_pre_hooks: dict[int, Callable[..., Any]] = {}
_global_post_hooks: dict[int, Callable[..., Any]] = {}


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's step."""
    return add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's step."""
    return add_hook(_global_post_hooks, hook)


def _with_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass's step run between the global hooks and the optimizer's own, as torch's
    (the hooks' ``args`` are step's own, the optimizer first)."""
    @functools.wraps(step)
    def hooked(*args: Any, **kwargs: Any) -> Any:
        self: Optimizer = args[0]
        for hook in [*_global_pre_hooks.values(), *self._step_pre_hooks.values()]:
            changed = hook(self, args, kwargs)
            if changed is not None:
                args, kwargs = changed
        out = step(*args, **kwargs)
        for hook in [*self._step_post_hooks.values(), *_global_post_hooks.values()]:
            hook(self, args, kwargs)
        return out
    return hooked


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad and the state dict."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_hooks(cls.__dict__["step"])

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]):
        self._step_pre_hooks: dict[int, Callable[..., Any]] = {}
        self._step_post_hooks: dict[int, Callable[..., Any]] = {}
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got manual.Tensor"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group: its params, and the defaults for every hyperparameter it leaves out."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        param_group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__module__}.{type(param).__name__}"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        if len(param_group["params"]) != len(set(param_group["params"])):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        taken = {p for group in self.param_groups for p in group["params"]}
        if not taken.isdisjoint(param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        return add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        return add_hook(self._step_post_hooks, hook)

    def __repr__(self) -> str:
        """As torch prints an optimizer: each group's settings, sorted by name."""
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group)
                            if key != "params")
        return text + ")"

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """torch's layout: parameters replaced by their index across all groups."""
        index: dict[Tensor, int] = {}
        groups, start = [], 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for i, p in enumerate(group["params"], start):
                index[p] = i                      # a repeated parameter: its last number
            packed["params"] = [index[p] for p in group["params"]]
            groups.append(packed)
            start += len(group["params"])
        state = {(index[p] if isinstance(p, Tensor) else p): values
                 for p, values in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state; tensors may come as manual, torch or NumPy."""
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        pairs = zip(self.param_groups, saved_groups)
        if any(len(own["params"]) != len(saved["params"]) for own, saved in pairs):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        params = {
            saved_index: p
            for group, saved in zip(self.param_groups, saved_groups)
            for saved_index, p in zip(saved["params"], group["params"])
        }
        self.state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in params:                 # state of no parameter here: kept as is
                self.state[key] = values
                continue
            param = params[key]
            self.state[param] = {name: _as_state(value, param, name)
                                 for name, value in values.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.param_groups = saved_groups


def _as_state(value: Any, param: Tensor, name: str) -> Any:
    """A state tensor as a manual tensor of the parameter's dtype (``step`` keeps its own).
    One that is already so is taken as it is, not copied: torch's ``value.to(param.dtype)``
    returns the same tensor, so an optimizer loaded from another's live state dict shares
    its state tensors."""
    if isinstance(value, (int, float)) or value is None:
        return value
    if isinstance(value, Tensor) and (name == "step" or value.dtype == param.dtype):
        return value
    array = np.array(value.detach().cpu().numpy() if hasattr(value, "cpu") else value)
    return Tensor(array if name == "step" else array.astype(param.dtype))
