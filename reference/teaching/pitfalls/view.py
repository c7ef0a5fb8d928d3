"""What `dealias pitfalls` prints: the list, and one pitfall's loops side by side with the
numbers from running both on both engines."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import torch
from rich import box
from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from reference.teaching.pitfalls import ENGINES, PITFALLS, Pitfall, Run, run


def listing() -> Table:
    table = Table(title="the pitfalls (dealias pitfalls NAME for one)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("name", no_wrap=True)
    table.add_column("what goes wrong", overflow="fold")
    table.add_column("dealias doctor watches for", overflow="fold")
    for number, pitfall in enumerate(PITFALLS.values(), 1):
        table.add_row(str(number), pitfall.name, pitfall.title, pitfall.doctor or "-")
    return table


def measure(pitfall: Pitfall, on_run: Callable[[str], None] = lambda what: None
            ) -> dict[tuple[str, str], Run]:
    """Both loops on both engines, keyed by (which, engine)."""
    runs = {}
    with _one_thread():
        for which in ("buggy", "fixed"):
            for engine in ENGINES:
                on_run(f"{which} loop on {engine}")
                runs[which, engine] = run(pitfall, which, engine)
    return runs


@contextmanager
def _one_thread():
    """These tensors are tiny: handing them to a second thread costs more than it saves."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def detail(pitfall: Pitfall, runs: dict[tuple[str, str], Run], plain: bool = False) -> Group:
    heading = Text(f"{pitfall.name}: {pitfall.title}", style="" if plain else "bold")
    why = Text(f"{pitfall.explanation}\n\nIn the manual code: {pitfall.manual_ref}")
    return Group(heading, Text(""), why, Text(""), loops(pitfall, plain), numbers(pitfall, runs))


def loops(pitfall: Pitfall, plain: bool = False) -> Table:
    table = Table(box=box.MINIMAL, expand=True, padding=(0, 1))
    for label in pitfall.labels:
        table.add_column(label, ratio=1, overflow="fold")
    table.add_row(*(_code(pitfall.source(which), plain) for which in ("buggy", "fixed")))
    return table


def _code(source: str, plain: bool) -> Text | Syntax:
    if plain:
        return Text(source)
    return Syntax(source, "python", theme="ansi_dark", word_wrap=True,
                  background_color="default")


def numbers(pitfall: Pitfall, runs: dict[tuple[str, str], Run]) -> Table:
    """One row per number a loop reported; one column per loop and engine."""
    table = Table(title="the numbers, from running both loops on both engines",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    keys = list(runs)
    for which, engine in keys:
        label = pitfall.labels[0 if which == "buggy" else 1]
        table.add_column(f"{label}\n{engine}", justify="right", overflow="fold")
    names = list(dict.fromkeys(name for r in runs.values() for name in r.numbers))
    for name in names:
        table.add_row(name, *(_cell(runs[k].numbers.get(name)) for k in keys))
    if any(r.warnings for r in runs.values()):
        table.add_row("warnings", *(_warnings(runs[k].warnings) for k in keys))
    table.add_row("shows the bug", *("yes" if runs[k].shows_symptom else "no" for k in keys),
                  style="bold")
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _warnings(messages: list[str]) -> str:
    if not messages:
        return "0"
    first = messages[0]
    return f"{len(messages)} x {first[:90]}{'...' if len(first) > 90 else ''}"
