"""The pair registry, and the contract every pair keeps: the same public names, in the same
order, with the same parameters and defaults."""

from __future__ import annotations

import inspect

import pytest

from reference.pairs import discover, unpaired

PAIRS = discover()


def test_every_piece_of_the_loop_is_paired():
    assert {"backward", "linear", "mse_loss", "sgd", "zero_grad", "no_grad",
            "linear_regression", "training_loop"} <= set(PAIRS)
    assert unpaired() == []


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_twins_export_the_same_names_in_the_same_order(name):
    pair = PAIRS[name]
    assert pair.public_names("manual") == pair.public_names("native")
    assert pair.summary


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_twins_have_the_same_signatures(name):
    pair = PAIRS[name]
    manual_module, native_module = pair.manual_module(), pair.native_module()
    for public in pair.public_names("manual"):
        m, t = getattr(manual_module, public), getattr(native_module, public)
        if not callable(m):  # a constant, or an object such as the default generator
            same = m == t if isinstance(m, (int, float, str, tuple)) else (
                type(m).__name__ == type(t).__name__)
            assert same, f"{name}.{public}: values differ"
            continue
        assert _parameters(m) == _parameters(t), f"{name}.{public}: signatures differ"


def _parameters(obj) -> list[tuple[str, str, object]]:
    """(name, kind, default) of each parameter; a class by its constructor. A default that is
    an object of its library (the default generator) is compared by its type's name."""
    signature = inspect.signature(obj)
    return [(p.name, p.kind.name, _default(p.default)) for p in signature.parameters.values()]


def _default(value: object) -> object:
    plain = (type(None), bool, int, float, str, tuple, type(inspect.Parameter.empty))
    return value if isinstance(value, plain) else type(value).__name__
