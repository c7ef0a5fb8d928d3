"""The reading room: a static site with one page per piece, the twins side by side.

``build(out)`` writes ``index.html`` (the pairs and each pair's check result, run at build
time), one page per piece (the manual twin's docstring with its numbered equations set as
math, the piece's pictures, then both files aligned by public name and highlighted with
Pygments), ``style.css`` and ``pictures/``. No server and no network at view time: every
link is a relative file, the styles sit in one local file, and there is no script.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from reference import checks
from reference.pairs import Pair, discover
from reference.teaching import draw, show

ASSETS = Path(__file__).parent / "site_assets"
DTYPES = ("float32", "float64")
Step = Callable[[str, int, int], None]  # (what, done, total)


class SiteError(ValueError):
    """An output folder the site cannot be written to: reported in one line."""


def build(out: str | Path, examples: int = 20, seed: int = 0, on_step: Step | None = None,
          pictures: bool = True) -> Path:
    """Write the site into ``out``; return the index page."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SiteError(f"--out {out}: a file of that name exists; choose a folder")
    try:
        (out / "pictures").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SiteError(f"--out {out}: cannot create the folder ({error.strerror})") from None
    step = on_step or (lambda what, done, total: None)
    found = discover()
    results = _run_checks(list(found), examples, seed, step)
    figures = _pictures(out / "pictures", step) if pictures else {}
    _stylesheet(out / "style.css")
    for k, (name, pair) in enumerate(found.items()):
        step(f"page {name}", k, len(found))
        (out / f"{name}.html").write_text(piece_page(pair, results.get(name, []),
                                                     figures.get(name, [])))
    index = out / "index.html"
    index.write_text(index_page(found, results, examples, seed))
    return index


def _run_checks(names: list[str], examples: int, seed: int,
                step: Step) -> dict[str, list[checks.CheckResult]]:
    results: dict[str, list[checks.CheckResult]] = {}
    todo = [(name, dtype) for name in names if name in checks.CHECKS for dtype in DTYPES]
    for k, (name, dtype) in enumerate(todo):
        step(f"check {name} ({dtype})", k, len(todo))
        results.setdefault(name, []).append(checks.run(name, examples, dtype, seed))
    return results


# -- pictures --------------------------------------------------------------------------------

def _pictures(folder: Path, step: Step) -> dict[str, list[tuple[str, str]]]:
    """Draw the pictures once: {piece: [(file under pictures/, caption)]} (none without
    matplotlib)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {}
    step("drawing conv2d", 0, 3)
    conv = draw.conv2d_picture((4, 4), (3, 3), stride=1, padding=1)
    draw.draw_conv2d(conv, folder / "conv2d.png")
    step("drawing conv_transpose2d", 1, 3)
    transposed = draw.conv_transpose2d_picture((3, 3), (3, 3), stride=2, padding=1,
                                               output_padding=1)
    draw.draw_conv_transpose2d(transposed, folder / "conv_transpose2d.png")
    step("drawing the graph", 2, 3)
    draw.draw_graph(draw.thermometer_graph(), folder / "graph.png")
    graph = [("graph.png", "The manual engine's graph for the thermometer's loss (DOT text: "
              '<a href="pictures/graph.dot">graph.dot</a>). Each edge carries the gradient '
              "that flows back along it; the leaf shows its .grad after backward.")]
    return {
        "conv2d": [("conv2d.png", "x 4x4, W 3x3, stride 1, padding 1: the window of y[0, 0]. "
                    "Every number is computed by _conv2d_loops."),
                   ("conv2d-frames.png", "One frame per output element.")],
        "conv_transpose2d": [("conv_transpose2d.png", "x 3x3, W 3x3, stride 2, padding 1, "
                              "output_padding 1: each input pixel stamps x[i, j] W; the "
                              "stamps add up, the padding is cropped, and conv2d's input "
                              "gradient gives the same output.")],
        "backward": graph,
        "linear_regression": graph,
    }


def _stylesheet(path: Path) -> None:
    code_style = HtmlFormatter(style="default").get_style_defs(".code")
    path.write_text((ASSETS / "site.css").read_text() + "\n/* Pygments, style 'default' */\n"
                    + code_style + "\n")


# -- pages -----------------------------------------------------------------------------------

def _page(title: str, body: str) -> str:
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            "<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def index_page(found: dict[str, Pair], results: dict[str, list[checks.CheckResult]],
               examples: int, seed: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for name, pair in found.items():
        cells = "".join(f'<td class="verdict">{_verdict(r)}</td>'
                        for r in results.get(name, [])) or \
            f'<td colspan="{len(DTYPES)}">no check</td>'
        rows.append(f'<tr><td><a href="{name}.html">{name}</a></td>'
                    f"<td><code>manual/{name}.py</code><br><code>torch_native/{name}.py</code>"
                    f"</td><td>{_prose(_what(pair))}</td>{cells}</tr>")
    head = "".join(f"<th>{d}</th>" for d in DTYPES)
    body = (
        "<h1>dealias: the reading room</h1>\n"
        "<p>The PyTorch training loop, with every abstraction removed and put back, side by "
        "side. Each piece exists twice: written by hand in NumPy (<code>manual/</code>) and as "
        "the real PyTorch call (<code>torch_native/</code>). Open a piece to read its twins "
        "next to each other.</p>\n"
        f"<p class=\"meta\">Check results: <code>dealias check</code> on {examples} random "
        f"cases per piece and dtype, seed {seed}, run when this site was built ({when}). "
        "Max ULP against the allowed bound (* of the scale: sums, products, runs).</p>\n"
        f'<table class="pairs">\n<thead><tr><th>piece</th><th>files</th><th>what it is</th>'
        f"{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")
    return _page("dealias: the reading room", body)


def _what(pair: Pair) -> str:
    return pair.summary.split(": ", 1)[-1].split(". ")[0].rstrip(".")


def _verdict(r: checks.CheckResult) -> str:
    word = '<span class="agree">agree</span>' if r.ok else '<span class="disagree">DISAGREE</span>'
    if r.worst is None:  # the cases drawn compared no values (zero_grad with set_to_none)
        return f'{word} <span class="ulp">(no values compared)</span>'
    tol = r.worst.tolerance
    return (f"{word} <span class=\"ulp\">{r.worst.distance.max_ulp:.3g} / "
            f"{r.worst.allowed:g}{'*' if tol.of_scale else ''} ULP</span>")


def piece_page(pair: Pair, results: list[checks.CheckResult],
               figures: list[tuple[str, str]]) -> str:
    name = pair.name
    verdicts = "; ".join(f"{r.dtype}: {_verdict(r)}" for r in results) or "no check"
    doc = ast.get_docstring(ast.parse(pair.manual_path.read_text())) or ""
    parts = [f'<nav><a href="index.html">dealias</a> / {name}</nav>',
             f"<h1>{name}</h1>",
             f'<p class="meta">check ({results[0].examples if results else 0} cases per '
             f"dtype): {verdicts}</p>" if results else '<p class="meta">no check</p>',
             f'<section class="doc"><h2>The rule (manual/{name}.py)</h2>\n{doc_html(doc)}'
             "</section>"]
    if figures:
        parts.append('<section class="pictures"><h2>Pictures</h2>\n' + "\n".join(
            f'<figure><img src="pictures/{file}" alt="{html.escape(file)}">'
            f"<figcaption>{caption}</figcaption></figure>" for file, caption in figures)
            + "</section>")
    parts.append(twins_table(pair))
    parts.append(parity_fold(pair))
    return _page(f"{name} · dealias", "\n".join(parts))


def parity_fold(pair: Pair) -> str:
    """The piece's parity modules, folded under the twins: how it matches torch at the edges."""
    if not pair.parity_paths:
        return ""
    folds = []
    for path in pair.parity_paths:
        code = highlight(path.read_text(), PythonLexer(stripnl=False), HtmlFormatter(nowrap=True))
        folds.append(f'<details class="parity"><summary>manual/_parity/{path.name}</summary>'
                     f'<pre class="code">{code}</pre></details>')
    return ('<section><h2>How it matches torch at the edges</h2>\n<p>Torch\'s refusals, node '
            "names, dtype corners, internal paths and rounding, kept out of the lesson:</p>\n"
            + "\n".join(folds) + "</section>")


def twins_table(pair: Pair) -> str:
    """The two files in two columns, one row per public name (``show.aligned``)."""
    rows = []
    for name, left, right in show.aligned(pair):
        anchor = "def-" + re.sub(r"[^A-Za-z0-9_-]", "", name)            # (header): def-header
        rows.append(f'<tr class="name"><th colspan="2" id="{anchor}">'
                    f'<a href="#{anchor}">{html.escape(name)}</a></th></tr>')
        rows.append(f'<tr>{_code_cell("manual", left)}{_code_cell("native", right)}</tr>')
    return ('<section><h2>The twins</h2>\n<table class="twins">\n<colgroup><col class="manual">'
            '<col class="native"></colgroup>\n'
            f'<thead><tr><th class="manual">manual/{pair.name}.py</th>'
            f'<th class="native">torch_native/{pair.name}.py</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table></section>")


def _code_cell(side: str, source: str) -> str:
    if not source:
        return f'<td class="{side} empty"></td>'
    code = highlight(source, PythonLexer(stripnl=False), HtmlFormatter(nowrap=True))
    return f'<td class="{side}"><pre class="code">{code}</pre></td>'


# -- docstring math --------------------------------------------------------------------------

NUMBERED = re.compile(r"^(\s*)(\d+)\.\s+(.*)$")
NOTE = re.compile(r"^(\S.*?)\s{3,}(\S.*)$")  # formula, 3+ spaces, note
GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "eps": "ε", "epsilon": "ε",
         "eta": "η", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ",
         "theta": "θ"}


def doc_html(doc: str) -> str:
    """The docstring as HTML: prose as paragraphs, runs of numbered equations as a table of
    (number, formula, note) with their plain-text math set with sub- and superscripts."""
    out = []
    for block in re.split(r"\n\s*\n", doc.strip("\n")):
        lines = block.splitlines()
        if NUMBERED.match(lines[0]):
            out.append(_equations(lines))
        elif lines[0].startswith("* "):
            items = re.split(r"\n(?=\* )", block)
            out.append("<ul>" + "".join(f"<li>{_prose(item[2:])}</li>" for item in items)
                       + "</ul>")
        elif all(line.startswith("    ") for line in lines):
            out.append(f"<pre>{html.escape(_dedent(lines))}</pre>")
        else:
            out.append(f"<p>{_prose(block)}</p>")
    plain = html.escape(doc)
    return ("\n".join(out) + '\n<details><summary>the docstring as plain text</summary>'
            f"<pre>{plain}</pre></details>\n")


def _dedent(lines: list[str]) -> str:
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


def _prose(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"``(.+?)``|`(.+?)`", lambda m: f"<code>{m[1] or m[2]}</code>", escaped)


def _equations(lines: list[str]) -> str:
    rows = []
    for line in lines:
        numbered = NUMBERED.match(line)
        if numbered:
            number, text, kind = f"({numbered[2]})", numbered[3], "eq"
        else:
            indent = len(line) - len(line.lstrip())
            number, text, kind = "", line.strip(), "cont" if indent < 24 else "more"
        formula, note = ("", text) if kind == "more" else _split_note(text)
        rows.append(f'<tr class="{kind}"><td class="n">{number}</td>'
                    f'<td class="f">{math_html(formula)}</td>'
                    f'<td class="note">{math_html(note)}</td></tr>')
    return '<table class="equations">\n' + "\n".join(rows) + "\n</table>"


def _split_note(text: str) -> tuple[str, str]:
    match = NOTE.match(text)
    return (match[1], match[2]) if match else (text, "")


def math_html(text: str) -> str:
    """Plain-text math as HTML: x^2 and beta1^t as superscripts, x_pad and logp_ik as
    subscripts, Greek names as letters, sqrt as √, sum_j as Σ_j, <= >= != -> as symbols."""
    s = html.escape(text, quote=False)
    s = re.sub(r"\bsum_([A-Za-z0-9]{1,3})\b", r"Σ<sub>\1</sub>", s)
    s = re.sub(r"\b([A-Za-z]{1,5})_([A-Za-z0-9]{1,4})\b", r"\1<sub>\2</sub>", s)
    s = re.sub(r"\^(\(([^()]*)\)|[A-Za-z0-9]+)", lambda m: f"<sup>{m[2] or m[1]}</sup>", s)
    s = re.sub(r"\b(" + "|".join(GREEK) + r")([12])?\b",
               lambda m: GREEK[m[1]] + (f"<sub>{m[2]}</sub>" if m[2] else ""), s)
    s = re.sub(r"\bsqrt\b", "√", s)
    for plain, symbol in (("&lt;=", "≤"), ("&gt;=", "≥"), ("!=", "≠"), ("-&gt;", "→")):
        s = s.replace(plain, symbol)
    return s

