"""Two twins side by side, aligned by public name.

Each file is cut into its header (docstring and imports) and one block per top-level
definition; blocks with the same public name share a row, so ``SGD`` sits beside ``SGD``
however long the docstring above it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rich import box
from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from reference.pairs import Pair


def blocks(path: Path) -> list[tuple[str, str]]:
    """(name, source) for the header and each top-level definition, in file order."""
    source = path.read_text()
    lines = source.splitlines()
    starts = []
    for node in ast.parse(source).body:
        name = _name(node)
        if name:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            starts.append((name, first - 1))
    cuts = [("", 0)] + starts + [("", len(lines))]
    out = []
    for (name, begin), (_, end) in zip(cuts, cuts[1:]):
        out.append((name or "(header)", "\n".join(lines[begin:end]).rstrip("\n")))
    return out


def _name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def aligned(pair: Pair) -> list[tuple[str, str, str]]:
    """Rows of (name, manual block, native block); a block the other side lacks stays empty."""
    left, right = blocks(pair.manual_path), blocks(pair.native_path)
    right_by_name = dict(right)
    rows, used = [], set()
    for name, block in left:
        rows.append((name, block, right_by_name.get(name, "")))
        used.add(name)
    rows += [(name, "", block) for name, block in right if name not in used]
    return rows


def side_by_side(pair: Pair, plain: bool = False) -> Table:
    table = Table(show_lines=True, expand=True, box=box.MINIMAL, padding=(0, 1))
    table.add_column(f"manual/{pair.name}.py", ratio=1, overflow="fold")
    table.add_column(f"torch_native/{pair.name}.py", ratio=1, overflow="fold")
    for _, left, right in aligned(pair):
        table.add_row(code(left, plain), code(right, plain))
    return table


def parity_note(pair: Pair) -> str:
    """Where the piece's torch edges live, for the line under the twins."""
    if not pair.parity_paths:
        return ""
    files = ", ".join(f"manual/_parity/{p.name} ({len(p.read_text().splitlines())} lines)"
                      for p in pair.parity_paths)
    return (f"How it matches torch at the edges (refusals, node names, rounding, rare forms): "
            f"{files}; dealias show {pair.name} --parity prints it.")


def code(text: str, plain: bool) -> Group | Text | Syntax:
    if not text:
        return Text("")
    if plain:
        return Text(text)
    return Syntax(text, "python", theme="ansi_dark", word_wrap=True, background_color="default")
