"""The activations' bad calls: torch's refusals of gelu and GELU, Tanh, Sigmoid and Flatten
(relu's and Sequential's are in core.py).

A case is (call, words, id), as in core.py; activations.json holds each whole message.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, zeros

# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    # -- gelu
    (lambda ns: ns.activations.gelu([1.0, -1.0]), ("input", "list"), "gelu-non-tensor"),
    (lambda ns: ns.activations.gelu(ones(ns, 3), approximate=None),
     ("approximate", "NoneType"), "gelu-approximate-not-a-string"),
    (lambda ns: ns.activations.gelu(ones(ns, 3), approximate="erf"),
     ("approximate", "none", "tanh"), "gelu-approximate-unknown"),
    (lambda ns: ns.activations.gelu(ones(ns, 3), "tanh"), ("1 positional argument",),
     "gelu-approximate-positional"),
    (lambda ns: ns.activations.gelu(ones(ns, 3, dtype="int64")), ("GeluKernelImpl", "Long"),
     "gelu-integer"),
    (lambda ns: ns.activations.gelu(ns.t([True, False], "bool")), ("GeluKernelImpl", "Bool"),
     "gelu-bool"),
    (lambda ns: ns.activations.gelu(ones(ns, 3, dtype="int64"), approximate="fast"),
     ("approximate",), "gelu-approximate-before-dtype"),
    (lambda ns: ns.activations.GELU("sigmoid")(ones(ns, 2, 2)), ("approximate", "tanh"),
     "GELU-approximate-unknown"),
    # -- Tanh, Sigmoid
    (lambda ns: ns.activations.Tanh()([0.5]), ("input", "list"), "Tanh-non-tensor"),
    (lambda ns: ns.activations.Sigmoid()(0.5), ("input", "float"), "Sigmoid-non-tensor"),
    # -- Flatten
    (lambda ns: ns.activations.Flatten(2, 1)(zeros(ns, 2, 3, 4)), ("start_dim", "end_dim"),
     "Flatten-start-after-end"),
    (lambda ns: ns.activations.Flatten(0, 5)(zeros(ns, 2, 3, 4)), ("[-3, 2]", "5"),
     "Flatten-end-out-of-range"),
    (lambda ns: ns.activations.Flatten()(zeros(ns, 3)), ("[-1, 0]", "got 1"),
     "Flatten-1d-input"),
    (lambda ns: ns.activations.Flatten()(zeros(ns)), ("[-1, 0]", "got 1"), "Flatten-0d-input"),
    (lambda ns: ns.activations.Flatten(0.5)(zeros(ns, 2, 3)), ("start_dim", "float"),
     "Flatten-float-start"),
    (lambda ns: ns.activations.Flatten(0, True)(zeros(ns, 2, 3)), ("end_dim", "bool"),
     "Flatten-bool-end"),
]
