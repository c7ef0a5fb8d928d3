"""The catalog's pooling cases: max_pool2d, avg_pool2d, adaptive_avg_pool2d and their modules,
each bad call written once (see tests/error_cases/__init__.py); the whole reviewed message of
each is pooling.json's entry under its id."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import zeros


def _x(ns: SimpleNamespace, *shape: int, dtype: str = "float32") -> Any:
    return zeros(ns, *(shape or (1, 4, 4)), dtype=dtype)


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    # -- max_pool2d
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2, 0), ("stride", "(0, 0)"),
     "max_pool2d-stride-0"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 0), ("stride", "kernel_size"),
     "max_pool2d-kernel-0"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2, 1, -1), ("pad", "-1"),
     "max_pool2d-padding-negative"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2, 2, 2), ("pad=2", "kernel_size=2"),
     "max_pool2d-padding-over-half"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 3, 1, 2, 2), ("padW = 2", "kW = 3"),
     "max_pool2d-padding-over-half-the-undilated-kernel"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 5), ("1x4x4", "1x0x0"),
     "max_pool2d-output-too-small"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2, 1, 0, 0), ("dilationH: 0", "dilationW: 0"),
     "max_pool2d-dilation-0"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns, 4, 4), 2), ("3D or 4D", "[4, 4]"),
     "max_pool2d-input-rank-2"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns, 1, 0, 4, 4), 2), ("[1, 0, 4, 4]",),
     "max_pool2d-no-channels"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), (2, 2, 2)), ("kernel_size", "[2, 2, 2]"),
     "max_pool2d-kernel-three-values"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2.0), ("kernel_size", "float"),
     "max_pool2d-kernel-float"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2, ceil_mode=1), ("ceil_mode", "int"),
     "max_pool2d-ceil-mode-int"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns, dtype="bool"), 2), ("Bool", "bool"),
     "max_pool2d-bool"),
    (lambda ns: ns.pooling.max_pool2d(_x(ns), 2**31), ("overflow", "2147483648"),
     "max_pool2d-kernel-overflows-int"),
    # -- avg_pool2d
    (lambda ns: ns.pooling.avg_pool2d(_x(ns), 2, divisor_override=0), ("divisor_override=0",),
     "avg_pool2d-divisor-0"),
    (lambda ns: ns.pooling.avg_pool2d(_x(ns, 4, 4), 2), ("-3", "[4, 4]"),
     "avg_pool2d-input-rank-2"),
    (lambda ns: ns.pooling.avg_pool2d(_x(ns), 2, 1, 2), ("pad=2", "kernel_size=2"),
     "avg_pool2d-padding-over-half"),
    (lambda ns: ns.pooling.avg_pool2d(_x(ns, 1, 1, 1, 4, 4), 2), ("[1, 1, 1, 4, 4]",),
     "avg_pool2d-input-rank-5"),
    (lambda ns: ns.pooling.avg_pool2d(_x(ns, dtype="int32"), 2), ("Int", "int32"),
     "avg_pool2d-int32"),
    (lambda ns: ns.pooling.avg_pool2d(_x(ns), 2, divisor_override=2.0),
     ("divisor_override", "float"), "avg_pool2d-divisor-float"),
    # -- adaptive_avg_pool2d
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns), (-1, 2)), ("{-1, 2}",),
     "adaptive_avg_pool2d-negative-size"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, 1, 1, 4, 4), (1, 2, 3)),
     ("output_size", "[1, 2, 3]"), "adaptive_avg_pool2d-three-sizes"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, dtype="int64"), 2), ("Long", "int64"),
     "adaptive_avg_pool2d-int64"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, dtype="int64"), 1), ("mean", "Long"),
     "adaptive_avg_pool2d-int64-mean"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, 1, 1, 1, 3, 3), 2),
     ("3D or 4D", "[1, 1, 1, 3, 3]"), "adaptive_avg_pool2d-input-rank-5"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, 1, 1, 0, 3), 2),
     ("[1, 1, 0, 3]", "dimension 2"), "adaptive_avg_pool2d-empty-height"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, 4, 4), (None, 2)),
     ("at least 3", "(None, 2)", "[4, 4]"),
     "adaptive_avg_pool2d-none-on-rank-2"),
    (lambda ns: ns.pooling.adaptive_avg_pool2d(_x(ns, 3), 1), ("-2", "[3]"),
     "adaptive_avg_pool2d-mean-of-rank-1"),
    # -- the modules
    (lambda ns: ns.pooling.MaxPool2d(2, padding=2)(_x(ns)), ("pad=2", "kernel_size=2"),
     "MaxPool2d-padding-over-half"),
    (lambda ns: ns.pooling.AvgPool2d(3)(_x(ns, 1, 2, 2)), ("1x2x2", "1x0x0"),
     "AvgPool2d-output-too-small"),
    (lambda ns: ns.pooling.AdaptiveAvgPool2d((2, 2, 2))(_x(ns, 1, 1, 1, 4, 4)),
     ("output_size", "[2, 2, 2]"), "AdaptiveAvgPool2d-three-sizes"),
]
