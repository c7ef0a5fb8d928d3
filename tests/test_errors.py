"""Bad input: each bad call is written once, run on both twins, and must be refused alike.

The cases are in tests/error_cases/ (one module per group of pieces). The test runs torch's
twin live, so the expected exception class is torch's own; the manual twin must raise the
same class, with a message that names the offending argument and its value (the words
listed beside each case; compared without case). The whole message, as reviewed, is in the
JSON file beside each module: a change of wording is a change to that file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from reference.convert import to_numpy
from tests.error_cases import MANUAL, TORCH, catalog, linear_model, raised

CASES, MESSAGES = catalog()


@pytest.mark.parametrize(("call", "words"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_refused_like_torch(call: Callable[[SimpleNamespace], Any], words: tuple[str, ...]):
    torch_error = raised(call, TORCH)
    manual_error = raised(call, MANUAL)
    assert torch_error is not None, "torch accepts this call: it is not a bad call"
    assert manual_error is not None, f"manual accepts it; torch raises {torch_error!r}"
    assert type(manual_error) is type(torch_error), (
        f"manual raises {manual_error!r}, torch {torch_error!r}")
    message = str(manual_error).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"manual's message {str(manual_error)!r} does not name {missing}"


@pytest.mark.parametrize(("call", "case"), [(c[0], c[2]) for c in CASES],
                         ids=[c[2] for c in CASES])
def test_the_message_is_the_reviewed_one(call: Callable[[SimpleNamespace], Any], case: str):
    message = str(raised(call, MANUAL))
    if "MUTANT_UNDER_TEST" in os.environ:  # Python's own TypeError names mutmut's copy of the
        message = re.sub(r"\bx_(\w+?)__mutmut_(?:orig|\d+)\(", r"\1(", message)  # function
    assert message == MESSAGES[case]


def test_catalog_size():
    assert len(CASES) >= 40


def test_empty_micro_batch_list_is_a_step_with_no_gradients():
    """k = 0 micro-batches: both twins zero the grads, step (skipping every parameter, its
    grad being None) and return 0.0; the parameters do not move."""
    results = []
    for ns in (MANUAL, TORCH):
        model = linear_model(ns)
        before = [np.array(to_numpy(p)) for p in model.parameters()]
        total = ns.grad_accumulation.accumulation_step(
            model, ns.mse_loss.mse_loss, ns.sgd.SGD(model.parameters(), lr=0.1), [])
        after = [to_numpy(p) for p in model.parameters()]
        assert all(np.array_equal(a, b) for a, b in zip(before, after))
        results.append(total)
    assert results == [0.0, 0.0]
