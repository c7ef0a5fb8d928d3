"""Catalog cases of load: a file naming a global outside torch's allow-list, one naming a
blocked module, a zip archive that is not one."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch


class _Custom:
    def __reduce__(self) -> tuple:
        return (_Custom, ())


class _System:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo never",))


def _saved(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


CUSTOM, SYSTEM = _saved({"x": _Custom()}), _saved(_System())

CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    (lambda ns: ns.serialization.load(io.BytesIO(CUSTOM)),
     ("Unsupported global", "_Custom"), "load-a-custom-class"),
    (lambda ns: ns.serialization.load(io.BytesIO(SYSTEM)),
     ("system", "blocked"), "load-a-blocked-module"),
    (lambda ns: ns.serialization.load(io.BytesIO(b"PK\x03\x04 not a zip")),
     ("not a ZIP archive",), "load-a-broken-archive"),
]
