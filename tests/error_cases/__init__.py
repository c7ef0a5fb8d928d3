"""The error catalog: bad calls, each written once and run on both twins.

A case is a function of a namespace ``ns`` that holds one side's pieces (``ns.linear`` is
manual/linear.py or torch_native/linear.py; every pair is there), its engine (``ns.lib``:
``manual`` or ``torch``) and ``ns.t(data, dtype, requires_grad)`` to make a tensor. Each
module of this package holds the cases of some pieces in ``CASES``, as (call, words the
manual message must contain, id), and the whole reviewed message of each in a JSON file of
the same name; tests/test_errors.py runs them all.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

import manual
from reference.pairs import discover

Case = tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]


def _side(package: str, lib: Any) -> SimpleNamespace:
    pieces = {p: importlib.import_module(f"{package}.{p}") for p in discover()}
    ns = SimpleNamespace(lib=lib, **pieces)

    def t(data: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        return lib.tensor(np.asarray(data, dtype=dtype), requires_grad=requires_grad)

    ns.t = t
    return ns


MANUAL = _side("manual", manual)
TORCH = _side("torch_native", torch)


def raised(call: Callable[[SimpleNamespace], Any], ns: SimpleNamespace) -> BaseException | None:
    try:
        call(ns)
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return error
    return None


def zeros(ns: SimpleNamespace, *shape: int, dtype: str = "float32", grad: bool = False) -> Any:
    return ns.t(np.zeros(shape), dtype, requires_grad=grad)


def ones(ns: SimpleNamespace, *shape: int, dtype: str = "float32", grad: bool = False) -> Any:
    return ns.t(np.ones(shape), dtype, requires_grad=grad)


def param(ns: SimpleNamespace) -> Any:
    return ones(ns, 2, grad=True)


def non_leaf(ns: SimpleNamespace) -> Any:
    return param(ns) * 2


def linear_model(ns: SimpleNamespace) -> Any:
    ns.lib.manual_seed(0)
    return ns.linear.Linear(2, 1)


def catalog() -> tuple[list[Case], dict[str, str]]:
    """Every module's cases, and every reviewed message by case id."""
    cases, messages = [], {}
    here = Path(__file__).parent
    for module in sorted(m.name for m in pkgutil.iter_modules([str(here)])):
        cases += importlib.import_module(f"{__name__}.{module}").CASES
        messages.update(json.loads((here / f"{module}.json").read_text()))
    return cases, messages
