"""Module at torch's edges: its refusals in torch's words, and torch's type names in them.

torch's ``Module.__setattr__`` sorts an assignment by what is assigned and by the name's
current kind: a Parameter becomes a parameter, a Module a child, a tensor under a buffer's
name a buffer; anything else under a parameter's or child's name is refused with a
TypeError naming torch's type ("cannot assign 'torch.FloatTensor' as parameter 'weight'
(torch.nn.Parameter or None expected)"). ``register_parameter`` and ``register_buffer``
refuse names with a dot, empty names and names already taken. ``load_state_dict`` reports
missing keys, unexpected keys and size mismatches in one RuntimeError.

Reference: torch/nn/modules/module.py (``__setattr__``, ``__getattr__``,
``register_parameter``, ``register_buffer``, ``load_state_dict``), torch/_utils.py
(``typename``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "bool": "BoolTensor", "uint8": "ByteTensor", "float16": "HalfTensor"}


def typename(value: Any) -> str:
    """torch.typename: 'torch.FloatTensor' for a tensor, the qualified name otherwise."""
    if hasattr(value, "array"):
        return "torch." + _TENSOR_TYPES.get(np.dtype(value.dtype).name, "Tensor")
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")


def check_init_called(module: Any, what: str) -> None:
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"cannot assign {what} before Module.__init__() call")


def check_assignment(kind: str, name: str, value: Any, expected: str) -> None:
    """A parameter's name takes a Parameter or None, a child's a Module or None."""
    raise TypeError(f"cannot assign '{typename(value)}' as {kind} '{name}' ({expected} or None "
                    "expected)")


def check_name(module: Any, kind: str, name: Any, table: str) -> None:
    """register_parameter's and register_buffer's checks of the name; ``table`` names the
    dict the name goes into, read only once Module.__init__ is known to have run."""
    check_init_called(module, kind)
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in module.__dict__[table]:
        raise KeyError(f"attribute '{name}' already exists")


def check_module_name(module: Any, name: Any, child: Any, module_type: type) -> None:
    """add_module's checks, in its order: a Module or None, a string name, not taken by
    another attribute (before the dot and empty checks, unlike register_parameter)."""
    if child is not None and not isinstance(child, module_type):
        raise TypeError(f"{typename(child)} is not a Module subclass")
    if not isinstance(name, str):
        raise TypeError(f"module name should be a string. Got {typename(name)}")
    if hasattr(module, name) and name not in module._modules:  # before __init__: AttributeError
        raise KeyError(f"attribute '{name}' already exists")
    if "." in name:
        raise KeyError(f'module name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError('module name can\'t be empty string ""')


def check_parameter(name: str, param: Any, parameter_type: type) -> None:
    if param is not None and not isinstance(param, parameter_type):
        raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                        "(torch.nn.Parameter or None required)")
    if param is not None and param.grad_fn is not None:
        raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                         f"parameters must be created explicitly. To express '{name}' as a "
                         "function of another Tensor, compute the value in the forward() "
                         "method.")


def check_buffer(name: str, tensor: Any) -> None:
    if tensor is not None and not hasattr(tensor, "array"):
        raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                        "(torch Tensor or None required)")


def check_init_arguments(module: Any, args: tuple, kwargs: dict) -> None:
    """Module.__init__ takes no arguments; torch names the subclass that passed some."""
    name = type(module).__name__
    if kwargs:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument "
                        f"'{next(iter(kwargs))}'")
    if args:
        raise TypeError(f"{name}.__init__() takes 1 positional argument but {len(args) + 1} "
                        "were given")


def no_attribute(module: Any, name: str) -> AttributeError:
    return AttributeError(f"'{type(module).__name__}' object has no attribute '{name}'")


def check_state_dict(state_dict: Any) -> None:
    from collections.abc import Mapping

    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")


def size_mismatch(key: str, value: Any, t: Any) -> str:
    return (f"size mismatch for {key}: copying a param with shape {np.shape(value)} from "
            f"checkpoint, the shape in current model is {t.shape}.")


def keys_error(kind: str, keys: list[str]) -> str:
    if not keys:
        return ""
    names = ", ".join(f'"{key}"' for key in keys)
    return f"{kind} key(s) in state_dict: {names}. "


def raise_load_errors(module: Any, errors: list[str]) -> None:
    errors = [e for e in errors if e]
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
                           + "\n\t".join(errors))


def add_indent(text: str, spaces: int) -> str:
    """torch's _addindent: every line after the first indented (blank lines stay empty)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [(" " * spaces + line) if line.strip() else "" for line in rest])


def check_train_mode(mode: Any) -> None:
    if not isinstance(mode, bool):
        raise ValueError("training mode is expected to be boolean")


def list_repr(name: str, reprs: list[str]) -> str:
    """torch's ModuleList.__repr__: runs of equal children printed once, as
    ``(0-2): 3 x Linear(...)`` (torch/nn/modules/container.py)."""
    if not reprs:
        return name + "()"
    runs: list[list] = []  # [first index, last index, repr]
    for i, text in enumerate(reprs):
        if runs and runs[-1][2] == text:
            runs[-1][1] = i
        else:
            runs.append([i, i, text])
    lines = [add_indent(f"({first}): {text}" if first == last else
                        f"({first}-{last}): {last - first + 1} x {text}", 2)
             for first, last, text in runs]
    return name + "(\n  " + "\n  ".join(lines) + "\n)"
