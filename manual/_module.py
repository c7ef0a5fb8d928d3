"""Module: what ``torch.nn.Module`` gives every layer, written out.

A module owns named parameters (leaf tensors that require grad), buffers (tensors that are
state but not trained, like a loss's class weights) and child modules, and is called like a
function. ``state_dict()`` lists, module by module, its parameters, then its buffers, then
its children's, under dotted names; ``load_state_dict()`` copies values in place, strictly
by default.

Reference: torch/nn/modules/module.py (``Module``).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from manual.no_grad import no_grad
from manual.tensor import Tensor


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` could not match: torch's ``_IncompatibleKeys``."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class Module:
    """Base class: parameters and children are found by attribute assignment, as in torch."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    def register_parameter(self, name: str, param: Tensor | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Module):
            self._modules[name] = value
        elif name in self._parameters:
            self._parameters[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)

    def forward(self, *args: Any) -> Tensor:
        name = type(self).__name__
        raise NotImplementedError(f'Module [{name}] is missing the required "forward" function')

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, child in self._modules.items():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> Iterator[Tensor]:
        return (param for _, param in self.named_parameters())

    def zero_grad(self, set_to_none: bool = True) -> None:
        from manual.zero_grad import zero_grad

        zero_grad(self.parameters(), set_to_none)

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter and buffer by dotted name, detached (sharing memory, as in torch)."""
        return OrderedDict((name, t.detach()) for name, t in self._named_state())

    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """This module's parameters, then its buffers, then each child's, as torch orders."""
        for table in (self._parameters, self._buffers):
            yield from ((prefix + name, t) for name, t in table.items() if t is not None)
        for name, child in self._modules.items():
            yield from child._named_state(prefix + name + ".")

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy, in place, every value whose key and shape match; then raise for wrong shapes
        and (with ``strict``) for missing or unexpected keys. As in torch, the values that
        match are copied even when the load then fails."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = dict(self._named_state())
        missing = [key for key in own if key not in state_dict]
        unexpected = self._unexpected_keys(state_dict)
        errors = []
        with no_grad():
            for key, t in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                if hasattr(value, "detach"):  # a tensor that may require grad: its values
                    value = value.detach()
                if tuple(np.shape(value)) != t.shape:
                    errors.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{np.shape(value)} from checkpoint, the shape in current "
                                  f"model is {t.shape}.")
                else:
                    t.copy_(np.asarray(value))
        if strict:
            errors = [_keys_error("Missing", missing),
                      _keys_error("Unexpected", unexpected)] + errors
        errors = [e for e in errors if e]
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return IncompatibleKeys(missing, unexpected)

    def _unexpected_keys(self, state_dict: Mapping[str, Any], prefix: str = "") -> list[str]:
        """Keys that name nothing here, in torch's order: this module's, then each child's."""
        local = {name for table in (self._parameters, self._buffers)
                 for name, t in table.items() if t is not None}
        unexpected = []
        for key in state_dict:
            if key.startswith(prefix):
                head, dot, _ = key[len(prefix):].partition(".")
                if head not in (self._modules if dot else local):
                    unexpected.append(key)
        for name, child in self._modules.items():
            unexpected += child._unexpected_keys(state_dict, prefix + name + ".")
        return unexpected

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""


def _keys_error(kind: str, keys: list[str]) -> str:
    if not keys:
        return ""
    names = ", ".join(f'"{key}"' for key in keys)
    return f"{kind} key(s) in state_dict: {names}. "
