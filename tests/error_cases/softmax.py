"""The catalog's cases for softmax and log_softmax (manual/softmax.py): the dim, and the
integer inputs torch has no kernel for."""

from __future__ import annotations

from tests.error_cases import zeros

# (call, words the manual message must contain, id)
CASES = [
    (lambda ns: ns.softmax.softmax(zeros(ns, 2, 3), 2),
     ("[-2, 1]", "got 2", "[2, 3]"), "softmax-dim-out-of-range"),
    (lambda ns: ns.softmax.log_softmax(zeros(ns), -2),
     ("[-1, 0]", "got -2", "[]"), "log_softmax-0d-dim-out-of-range"),
    (lambda ns: ns.softmax.softmax(zeros(ns, 2, 3), 1.0),
     ("dim", "float"), "softmax-dim-float"),
    (lambda ns: ns.softmax.log_softmax(zeros(ns, 2, 3, dtype="int64"), 1),
     ("log_softmax_lastdim_kernel_impl", "Long", "int64"), "log_softmax-integer-input"),
    (lambda ns: ns.softmax.softmax(zeros(ns, 2, 3, dtype="int64"), 0),
     ("softmax_kernel_impl", "Long"), "softmax-integer-input-dim-0"),
    (lambda ns: ns.softmax.softmax(zeros(ns, 4, dtype="bool"), 0),
     ("softmax_lastdim_kernel_impl", "Bool"), "softmax-bool-input"),
    (lambda ns: ns.softmax.log_softmax(zeros(ns, 2, 3), 1, dtype=ns.lib.int64),
     ("log_softmax_lastdim_kernel_impl", "Long"), "log_softmax-dtype-int64"),
    (lambda ns: ns.softmax.Softmax(dim=3)(zeros(ns, 2, 3)),
     ("[-2, 1]", "got 3"), "Softmax-dim-out-of-range"),
    (lambda ns: ns.softmax.LogSoftmax(dim=-3)(zeros(ns, 2, 3, dtype="int64")),
     ("[-2, 1]", "got -3"), "LogSoftmax-dim-before-dtype"),
]
