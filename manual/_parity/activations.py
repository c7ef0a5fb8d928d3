"""activations at torch's edges: what relu, gelu, Tanh, Sigmoid, Flatten and Sequential
refuse, in torch's order and words.

* Not a tensor: torch's argument parser refuses it before relu, gelu, tanh or sigmoid runs,
  naming the argument and the type it got (a TypeError). Flatten calls the input's
  ``flatten`` method, so there it is an AttributeError.
* relu: a bool tensor is its kernel's RuntimeError; integer tensors are taken and keep
  their dtype.
* gelu: ``approximate`` must be a str (the parser's TypeError), then "none" or "tanh" (a
  RuntimeError); only then the dtype: GeluKernelImpl has no integer or bool version (a
  NotImplementedError naming the kernel and torch's name of the dtype).
* Flatten: ``start_dim`` and ``end_dim`` must be ints, a bool is not (the parser's
  TypeError, naming the argument and its position); then each within the input's dims, a
  0-d input counting as 1-d, and start_dim not after end_dim.
* Sequential: every child must be a Module (a TypeError naming it); an index must lie in
  [-len, len) (an IndexError).

Reference: torch/csrc/utils/python_arg_parser.cpp (the TypeErrors),
aten/src/ATen/native/Activation.cpp (``relu``: "Boolean inputs not supported for relu";
``get_gelutype_enum``), aten/src/ATen/native/cpu/Activation.cpp (``GeluKernelImpl``'s
dispatch), aten/src/ATen/native/TensorShape.cpp (``flatten``: dims wrapped before the 0-d
reshape), torch/nn/modules/container.py (``Sequential.__init__``, ``_get_item_by_idx``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from manual._parity.dtypes import torch_name
from manual._parity.engine import check_flatten_dims
from manual.module import Module
from manual.tensor import Tensor


def check(input: Any) -> None:
    """torch's refusals of relu's input: not a tensor, then a bool tensor."""
    check_tensor(input, "relu")
    if input.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for relu")


def check_tensor(input: Any, function: str) -> None:
    """The argument parser's refusal of an input that is not a tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{function}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def check_gelu(input: Any, approximate: Any) -> None:
    """torch's refusals of gelu's arguments: the input, approximate's type and value, the
    dtype."""
    check_tensor(input, "gelu")
    if not isinstance(approximate, str):
        raise TypeError("gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if input.dtype.kind != "f":
        raise NotImplementedError(
            f"\"GeluKernelImpl\" not implemented for '{torch_name(input.dtype)}'")


def check_flatten(input: Any, start_dim: Any, end_dim: Any) -> None:
    """torch's refusals of Flatten's dims: not ints, then out of range or out of order
    (the engine's flatten checks that itself, but reshapes a 0-d input before checking)."""
    ndim = input.ndim  # an AttributeError for a non-tensor, as torch's input.flatten
    for position, (name, dim) in enumerate((("start_dim", start_dim), ("end_dim", end_dim)), 1):
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
            raise TypeError(f"flatten(): argument '{name}' (position {position}) must be int, "
                            f"not {type(dim).__name__}")
    if ndim == 0:
        check_flatten_dims(start_dim, end_dim, 0)


def check_child(name: str, module: Any) -> None:
    """Sequential takes Modules only."""
    if not isinstance(module, Module):
        name_of = getattr(module, "__qualname__", type(module).__qualname__)
        raise TypeError(f"{name_of} is not a Module subclass (child {name}: {module!r})")


def check_index(idx: Any, size: int) -> int:
    """A child's index in [-size, size), as a position in [0, size)."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size
