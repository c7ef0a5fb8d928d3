"""The pair registry, and the contract every pair keeps: the same public names, in the same
order, with the same parameters and defaults."""

from __future__ import annotations

import inspect

import pytest

from reference.pairs import ENGINE, MANUAL_DIR, discover, unpaired

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


@pytest.mark.parametrize("name", sorted(discover()))
def test_a_piece_file_is_short_enough_to_read_as_its_lesson(name):
    """DESIGN.md's "Lesson first": a piece file is at most 150 lines, with at most four
    ``raise`` statements (torch's refusals live in manual/_parity/)."""
    lines = discover()[name].manual_path.read_text().splitlines()
    raises = [line for line in lines if line.strip().startswith("raise ")]
    assert len(lines) <= 150, f"manual/{name}.py has {len(lines)} lines"
    assert len(raises) <= 4, f"manual/{name}.py has {len(raises)} raise statements"


@pytest.mark.parametrize("name", ENGINE)
def test_an_engine_file_is_at_most_450_lines(name):
    lines = (MANUAL_DIR / f"{name}.py").read_text().splitlines()
    assert len(lines) <= 450, f"manual/{name}.py has {len(lines)} lines"
