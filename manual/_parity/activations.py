"""relu at torch's edges: the two inputs it refuses, in torch's order and words.

* Not a tensor: torch's argument parser refuses it before relu runs, naming the argument
  and the type it got (a TypeError).
* A bool tensor: relu's kernel refuses it (a RuntimeError); integer tensors are taken and
  keep their dtype.

Reference: torch/csrc/utils/python_arg_parser.cpp (the TypeError),
aten/src/ATen/native/Activation.cpp (``relu``: "Boolean inputs not supported for relu").
"""

from __future__ import annotations

from typing import Any

from manual.tensor import Tensor


def check(input: Any) -> None:
    """torch's refusals of relu's input: not a tensor, then a bool tensor."""
    if not isinstance(input, Tensor):
        raise TypeError("relu(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for relu")
