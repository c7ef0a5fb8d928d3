"""How a tensor prints: torch's repr, character for character, and ``set_printoptions``.

torch writes a tensor as ``tensor(<values>, <suffixes>)``:

1. The options: precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None
   (``set_printoptions``; a profile, "default", "short" or "full", sets the first four,
   then the options given override it, and sci_mode is set to the argument every call).
2. One formatter for all the values (``_Formatter``), chosen from the nonzero finite ones:
   an integer dtype prints each value as Python does, all of the same width; a float dtype
   prints in integer mode (``3.``) when every such value is a whole number, in scientific
   mode (``1.2346e+05``) when max/min > 1000, max > 1e8 or min < 1e-4 (|values|, in
   float64; sci_mode True or False forces it), else fixed (``{:.4f}``). Each value is the
   Python float or int of the element, right-aligned to the widest; nan and inf print as
   Python prints them, and a float tensor with no nonzero finite value prints ``0.``.
3. Summarization: more than ``threshold`` elements show ``edgeitems`` rows or values at
   each end of every dimension, with ``...`` between (``get_summarized_data`` chooses the
   values the formatter sees).
4. A row wraps after floor((linewidth - indent) / (width + 2)) values, the next line
   indented under the first value; rows of a matrix are separated by ``,`` and a newline,
   blocks of a 3-d tensor by a blank line (dim - 1 newlines), each level one space deeper.
5. The suffixes, in this order: ``size=`` (an empty tensor of other than one dim, or any
   tensor with edgeitems 0), ``dtype=`` (when not the default of its kind: float32, int64,
   bool; an empty tensor shows any dtype but float32), ``grad_fn=<Name>`` or else
   ``requires_grad=True``. A suffix that would pass linewidth goes on a new line.

Reference: torch/_tensor_str.py (``set_printoptions``, ``_Formatter``, ``_vector_str``,
``_tensor_str_with_formatter``, ``_tensor_str``, ``get_summarized_data``,
``_add_suffixes``, ``_str_intern``); torch/_tensor.py (``Tensor.__repr__``,
``Tensor.__format__``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}  # precision, threshold, edgeitems, linewidth
_DEFAULT_DTYPES = ("float32", "int64", "bool")  # printed without dtype=


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch.set_printoptions: a profile first (an unknown name is ignored), then the
    options given; sci_mode always takes the argument, None (automatic) included."""
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """(2) One format for every value of a tensor, and the width they are padded to."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating_dtype = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        values = a.reshape(-1)
        if not self.floating_dtype:  # ints and bools as Python writes them
            self.max_width = max([1] + [len(f"{v}") for v in values.tolist()])
            return
        nonzero_finite = values[np.isfinite(values) & (values != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite).astype(np.float64)
        low, high = float(magnitudes.min()), float(magnitudes.max())  # a ratio may be inf
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        self.sci_mode = (high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
                         if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode)
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in nonzero_finite.tolist()]
        elif self.int_mode:  # + 1 for the point that marks a float
            widths = [len(f"{v:.0f}") + 1 for v in nonzero_finite.tolist()]
        else:
            widths = [len(f"{v:.{p}f}") for v in nonzero_finite.tolist()]
        self.max_width = max(widths)

    def format(self, value: Any) -> str:
        if not self.floating_dtype:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return (self.max_width - len(text)) * " " + text


def _vector_str(a: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """(3), (4) One row: its values (or its ends and `` ...``), wrapped at linewidth."""
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (formatter.max_width + 2)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = ([formatter.format(v) for v in a[:edge].tolist()] + [" ..."]
                + [formatter.format(v) for v in a[-edge:].tolist()])
    else:
        data = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a: np.ndarray, indent: int, summarize: bool,
                               formatter: _Formatter) -> str:
    """(4) Nested rows: each level one space deeper, dim - 1 newlines between blocks."""
    if a.ndim == 0:
        return formatter.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(len(a) - edge, len(a)))
    else:
        rows = list(range(a.shape[0]))
    slices = ["..." if i is None else
              _tensor_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a: np.ndarray) -> np.ndarray:
    """(3) get_summarized_data: the values a summarized tensor shows, for the formatter."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:  # with edgeitems 0, a[-0:] is the whole row, as in torch
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return np.empty([0] * a.ndim, a.dtype)
    if a.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(len(a) - edge, len(a)))
    else:
        rows = list(range(a.shape[0]))
    return np.stack([_summarized(a[i]) for i in rows])


def _tensor_str(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized(a) if summarize else a)
    return _tensor_str_with_formatter(a, indent, summarize, formatter)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """(5) ``, suffix`` after the values, or on a new line past linewidth."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # torch's count, 2 over with no newline
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t: Any) -> str:
    """torch's ``_str_intern`` for a CPU tensor: ``tensor(<values>, <suffixes>)``."""
    plain = f"{type(t).__module__}.{type(t).__name__}" in ("manual.tensor.Tensor",
                                                           "manual.module.Parameter")
    prefix = "tensor(" if plain else f"{type(t).__name__}("
    a, suffixes = t.array, []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype.name != "float32":  # no values to tell an int tensor by
            suffixes.append(f"dtype=torch.{a.dtype.name}")
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype.name not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype=torch.{a.dtype.name}")
        text = _tensor_str(a, len(prefix))
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + text, suffixes, len(prefix))


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as torch's torch.Size does
    (``torch.Size([2, 3])``); a slice of it is one too."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def numel(self) -> int:
        count = 1
        for n in self:
            count *= n
        return count
