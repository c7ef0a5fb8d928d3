"""dropout at torch's edges: its refusals of p, x and training, in torch's order and words.

* p outside [0, 1]: ``torch.nn.functional.dropout`` refuses it in Python, before anything
  else (a ValueError), and so does ``Dropout``'s constructor. A NaN p passes that test (a
  comparison with NaN is false) and reaches the C++ kernel, which refuses it with the same
  words as a RuntimeError, training or not, before it looks at x.
* Between the two, torch's argument parser refuses an x that is not a tensor and a train
  flag that is not a Python bool (a TypeError naming the argument, and the type it got).
* An integer or bool x, with 0 < p < 1: the mask is drawn into a tensor of x's dtype (the
  generator advances, 2 words per element), and then ``noise.div_(1 - p)`` cannot store its
  float result there (a RuntimeError). p = 0, eval and p = 1 divide nothing: they return x,
  or x 0 in x's dtype.

Reference: torch/nn/functional.py (``dropout``), torch/nn/modules/dropout.py
(``_DropoutNd.__init__``), aten/src/ATen/native/Dropout.cpp (``dropout``: "dropout probability
has to be between 0 and 1"), torch/csrc/utils/python_arg_parser.cpp (the TypeError),
aten/src/ATen/TensorIterator.cpp (the cast check of ``div_``).
"""

from __future__ import annotations

import math
from typing import Any

from manual._parity.dtypes import torch_name
from manual.tensor import Tensor


def check_p(p: float) -> None:
    """torch's Python-side test of p, in ``dropout`` and in ``Dropout.__init__``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def check(input: Any, p: float, training: Any) -> None:
    """p's Python test, the argument parser's types, then the kernel's test of p (NaN)."""
    check_p(p)
    for position, name, value, kind in ((1, "input", input, Tensor), (3, "train", training, bool)):
        if not isinstance(value, kind) or (kind is bool and type(value) is not bool):
            raise TypeError(f"dropout(): argument '{name}' (position {position}) must be "
                            f"{kind.__name__}, not {_type_name(value)}")
    if math.isnan(p):
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def check_noise(input: Tensor, p: float) -> None:
    """``noise.div_(1 - p)``: a float quotient cannot be stored in an integer or bool noise."""
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_name(input.dtype)}: input of dtype {input.dtype}, p={p}")


def _type_name(value: Any) -> str:
    """A type as torch's parser names it: builtins bare, others with their module."""
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
