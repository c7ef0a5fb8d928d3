"""Module: what ``torch.nn.Module`` gives every layer, written out.

A module owns three tables, filled by attribute assignment:

1. ``self.w = Parameter(t)``     a parameter: a leaf tensor that requires grad, trained
2. ``self.conv = Conv2d(...)``   a child module, whose parameters are this module's too
3. ``register_buffer("m", t)``   a buffer: state that is not trained (running statistics)

and is called like a function: ``module(x)`` runs ``forward(x)`` between its hooks.

4. named_parameters():  this module's parameters, then each child's, depth first, named by
                        their path ("0.weight", "conv1.bias"); a parameter shared by two
                        modules is listed once
5. train(mode) / eval(): ``training`` set on this module and every module below it (dropout
                        and batch norm read it)
6. state_dict():        parameters then buffers, module by module, under dotted names;
                        ``load_state_dict()`` copies values in place, strictly by default
7. to(dtype) / float() / double(): floating parameters and buffers cast in place; to(device)
                        of the CPU changes nothing (manual is NumPy)

Reference: torch/nn/modules/module.py (``Module``), torch/nn/parameter.py (``Parameter``),
torch/nn/modules/container.py (``ModuleList``, ``ModuleDict``).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from manual._parity import module as parity
from manual.device import check_device
from manual.graph import RemovableHandle, add_hook
from manual.no_grad import no_grad
from manual.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a module trains: a leaf that requires grad, sharing ``data``'s memory."""

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        array = np.empty(0, np.float32) if data is None else getattr(data, "array", data)
        super().__init__(np.asarray(array), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` could not match: torch's ``_IncompatibleKeys``."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


_global_forward_hooks: dict[int, Callable[..., Any]] = {}
_global_forward_pre_hooks: dict[int, Callable[..., Any]] = {}


def register_module_forward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, input, output)`` after every module's forward."""
    return add_hook(_global_forward_hooks, hook)


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, input)`` before every module's forward."""
    return add_hook(_global_forward_pre_hooks, hook)


class Module:
    """Base class: parameters, buffers and children are found by attribute assignment."""

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        parity.check_init_arguments(self, args, kwargs)
        for table in ("_parameters", "_buffers", "_modules", "_forward_hooks",
                      "_forward_pre_hooks"):
            object.__setattr__(self, table, OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    # -- the tables (1)-(3) -------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):                                 # (1)
            parity.check_init_called(self, "parameters")
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):                                  # (2)
            parity.check_init_called(self, "module")
            self._forget(name)
            self._modules[name] = value
        elif name in self.__dict__.get("_parameters", ()):
            if value is not None:
                parity.check_assignment("parameter", name, value, "torch.nn.Parameter")
            self._parameters[name] = None
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                parity.check_assignment("child module", name, value, "torch.nn.Module")
            self._modules[name] = None
        elif name in self.__dict__.get("_buffers", ()):                  # (3)
            parity.check_buffer(name, value)
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(table, {})
            if name in found:
                return found[name]
        raise parity.no_attribute(self, name)

    def __delattr__(self, name: str) -> None:
        if not self._forget(name):
            object.__delattr__(self, name)

    def _forget(self, name: str) -> bool:
        """Take ``name`` out of every table; was it in one?"""
        found = False
        for table in (self.__dict__, self._parameters, self._buffers, self._modules):
            found |= table.pop(name, _MISSING) is not _MISSING
        self._non_persistent.discard(name)
        return found

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        parity.check_name(self, "parameter", name, "_parameters")
        parity.check_parameter(name, param, Parameter)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        parity.check_name(self, "buffer", name, "_buffers")
        parity.check_buffer(name, tensor)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        parity.check_module_name(self, name, module, Module)
        self._modules[name] = module

    register_module = add_module

    # -- calling it ---------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in [*_global_forward_pre_hooks.values(), *self._forward_pre_hooks.values()]:
            changed = hook(self, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        for hook in [*self._forward_hooks.values(), *_global_forward_hooks.values()]:
            changed = hook(self, args, output)
            output = output if changed is None else changed
        return output

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        name = type(self).__name__
        raise NotImplementedError(f'Module [{name}] is missing the required "forward" function')

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, input, output)`` after forward (a result replaces output)."""
        return add_hook(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, input)`` before forward (a result replaces input)."""
        return add_hook(self._forward_pre_hooks, hook)

    # -- walking the tree (4) -------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module, then every module below it, depth first, each once."""
        memo = set() if memo is None else memo
        if remove_duplicate and self in memo:
            return
        memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name,
                                               remove_duplicate)

    def modules(self) -> Iterator[Module]:
        return (module for _, module in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        return (child for _, child in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)  # (4)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (param for _, param in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (buffer for _, buffer in self.named_buffers(recurse=recurse))

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        """Each module's ``table``, module by module in named_modules' order, each once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, t in getattr(module, table).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (path + "." if path else "") + name, t

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """fn on every child's tree first, then on this module (as torch: for init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes, dtypes, devices (5), (7) ---------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        parity.check_train_mode(mode)
        for module in self.modules():
            object.__setattr__(module, "training", mode)                 # (5)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        from manual.zero_grad import zero_grad

        zero_grad(self.parameters(), set_to_none)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        from manual._parity.engine import to_arguments

        where, dtype = to_arguments(args, kwargs)
        check_device(where)
        return self if dtype is None else self._cast(np.dtype(dtype))

    def _cast(self, dtype: np.dtype, floating_only: bool = True) -> Module:
        """(7) every floating parameter, gradient and buffer in ``dtype``, in place (with
        ``type()``, every one: an integer buffer too)."""
        for module in self.modules():
            for t in [*module._parameters.values(), *module._buffers.values()]:
                if t is not None and (t.dtype.kind == "f" or not floating_only):
                    t.array = t.array.astype(dtype)
                    if t.grad is not None:
                        t._grad = Tensor(t.grad.array.astype(dtype))
        return self

    def float(self) -> Module:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Module:
        return self._cast(np.dtype(np.float64))

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        check_device("cuda")
        return self

    def type(self, dst_type: Any) -> Module:
        return self._cast(np.dtype(dst_type), floating_only=False)

    # -- state (6) ------------------------------------------------------------------------------

    def state_dict(self, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, detached unless keep_vars."""
        out = OrderedDict() if destination is None else destination
        for name, t in self._named_state(prefix):                       # (6)
            out[name] = t if keep_vars else t.detach()
        return out

    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """This module's parameters, then its buffers, then each child's, as torch orders."""
        for name, t in self._parameters.items():
            if t is not None:
                yield prefix + name, t
        for name, t in self._buffers.items():
            if t is not None and name not in self._non_persistent:
                yield prefix + name, t
        for name, child in self._modules.items():
            if child is not None:
                yield from child._named_state(prefix + name + ".")

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy, in place, every value whose key and shape match; then raise for wrong shapes
        and (with ``strict``) for missing or unexpected keys. As in torch, the values that
        match are copied even when the load then fails."""
        parity.check_state_dict(state_dict)
        own = dict(self._named_state())
        missing = [key for key in own if key not in state_dict]
        unexpected = self._unexpected_keys(state_dict)
        errors = []
        with no_grad():
            for key, t in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                value = value.detach() if hasattr(value, "detach") else value
                if tuple(np.shape(value)) != t.shape:
                    errors.append(parity.size_mismatch(key, value, t))
                else:
                    t.copy_(np.asarray(value))                          # (6) in place
        if strict:
            errors = [parity.keys_error("Missing", missing),
                      parity.keys_error("Unexpected", unexpected)] + errors
        parity.raise_load_errors(self, errors)
        return IncompatibleKeys(missing, unexpected)

    def _unexpected_keys(self, state_dict: Mapping[str, Any], prefix: str = "") -> list[str]:
        """Keys that name nothing here, in torch's order: this module's, then each child's."""
        local = {name for name, _ in self._named_state() if "." not in name}
        unexpected = []
        for key in state_dict:
            if key.startswith(prefix):
                head, dot, _ = key[len(prefix):].partition(".")
                if head not in (self._modules if dot else local):
                    unexpected.append(key)
        for name, child in self._modules.items():
            if child is not None:
                unexpected += child._unexpected_keys(state_dict, prefix + name + ".")
        return unexpected

    def __repr__(self) -> str:
        """torch's layout: the extra repr, then each child indented under its name."""
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): " + parity.add_indent(repr(child), 2)
                    for name, child in self._modules.items()]
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        body = "\n  ".join(extra + children)
        return f"{type(self).__name__}(" + (f"\n  {body}\n" if body else "") + ")"

    def extra_repr(self) -> str:
        return ""


_MISSING = object()


class ModuleList(Module):
    """Modules in a list, each registered as a child named by its index."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[idx]) if isinstance(idx, slice) else items[idx]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __repr__(self) -> str:
        return parity.list_repr(type(self).__name__, [repr(m) for m in self])


class ModuleDict(Module):
    """Modules by name, each registered as a child under its key."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()
