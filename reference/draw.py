"""Pictures computed by the manual code itself: the picture is the computation.

* ``conv2d_picture``: the padded input, the kernel window at each output position and the
  output, one frame per output element; every number comes from ``manual/conv2d.py``'s loop
  form ``_conv2d_loops`` (the definition, equation 2 there).
* ``conv_transpose2d_picture``: each input pixel stamping a scaled copy of the kernel onto
  the canvas (``manual/conv_transpose2d.py``, equation 2), overlaps summed, the crop by
  padding (3); beside it the same output as conv2d's input gradient, from the manual engine.
* ``graph_picture``: the manual engine's graph for a loss: each node the operation and the
  shape of its output, each edge the gradient that flows back along it, each leaf its
  ``.grad`` after backward. ``expression_graph`` builds it for a small expression, parsed
  with ``ast`` and evaluated node by node from an allow-list (never ``eval``).

The data (``*_picture`` and ``*_graph``) is computed without matplotlib; ``draw_*`` plots it.
"""

from __future__ import annotations

import argparse
import ast
import io
import operator
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import manual
import manual.linear_regression as hand
from manual.backward import _graph, _sum_to
from manual.conv2d import _conv2d_loops, conv2d
from manual.conv_transpose2d import _conv_transpose2d_loops
from manual.graph import Node
from manual.tensor import Tensor

MAX_CELLS = 144  # frames, stamps and grids beyond this stop being readable pictures
COLORS = {"pad": "#e4e4e4", "cell": "white", "tap": "#f6b26b", "done": "#cfe2f3",
          "now": "#f6b26b", "stamp": "#b6d7a8", "cropped": "#d9d9d9"}


class DrawError(ValueError):
    """A request that cannot be drawn: reported in one line."""


# -- conv2d: the data ------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvFrame:
    """One output element: where it is, the kernel taps it reads and the value they give."""

    out: tuple[int, int]                      # (i, j) in the output
    taps: tuple[tuple[int, int, int, int], ...]  # (u, v, row, col): W[u, v] meets x_pad[row, col]
    value: float                              # y[i, j], from _conv2d_loops


@dataclass(frozen=True)
class Conv2dPicture:
    x: np.ndarray          # (H, W)
    weight: np.ndarray     # (kh, kw)
    x_pad: np.ndarray      # (H + 2 p, W + 2 p)
    padding: int
    stride: int
    dilation: int
    y: np.ndarray          # (H_out, W_out), from _conv2d_loops
    frames: tuple[ConvFrame, ...]


def example_values(shape: tuple[int, ...], low: int, high: int, seed: int) -> np.ndarray:
    """Small whole numbers (float64), so every sum in a picture is exact and readable."""
    return np.random.default_rng(seed).integers(low, high + 1, shape).astype(np.float64)


def conv2d_picture(size: tuple[int, int], kernel: tuple[int, int], stride: int = 1,
                   padding: int = 0, dilation: int = 1, seed: int = 0) -> Conv2dPicture:
    """x (size) and W (kernel) of small whole numbers, through _conv2d_loops (equation 2)."""
    x, w = example_values(size, 1, 4, seed), example_values(kernel, -1, 2, seed + 1)
    try:
        y = _conv2d_loops(manual.tensor(x[None, None]), manual.tensor(w[None, None]),
                          stride=stride, padding=padding, dilation=dilation).array[0, 0]
    except RuntimeError as error:
        raise DrawError(f"conv2d refuses these sizes: {error}") from None
    _check_cells("output elements", y.size)
    frames = []
    for i, j in np.ndindex(*y.shape):
        taps = tuple((u, v, stride * i + dilation * u, stride * j + dilation * v)
                     for u, v in np.ndindex(*w.shape))
        frames.append(ConvFrame((i, j), taps, float(y[i, j])))
    x_pad = np.pad(x, padding)
    return Conv2dPicture(x, w, x_pad, padding, stride, dilation, y, tuple(frames))


def _check_cells(what: str, count: int) -> None:
    if count > MAX_CELLS:
        raise DrawError(f"{count} {what} is too many to draw (at most {MAX_CELLS}): "
                        "choose a smaller --in")


# -- conv_transpose2d: the data --------------------------------------------------------------

@dataclass(frozen=True)
class Stamp:
    """What input pixel (i, j) adds to the canvas: x[i, j] W, placed at (s i, s j)."""

    pixel: tuple[int, int]
    canvas: np.ndarray     # canvas-sized, zero outside the stamp
    cells: frozenset[tuple[int, int]]


@dataclass(frozen=True)
class ConvTransposePicture:
    x: np.ndarray          # (H, W)
    weight: np.ndarray     # (kh, kw)
    stride: int
    padding: int
    output_padding: int
    dilation: int
    stamps: tuple[Stamp, ...]
    canvas: np.ndarray     # the sum of the stamps, before the crop
    y: np.ndarray          # (H_out, W_out), from _conv_transpose2d_loops
    conv2d_grad: np.ndarray  # conv2d's dL/dx for dL/dy = x, from the manual engine


def conv_transpose2d_picture(size: tuple[int, int], kernel: tuple[int, int], stride: int = 1,
                             padding: int = 0, output_padding: int = 0, dilation: int = 1,
                             seed: int = 0) -> ConvTransposePicture:
    """Each stamp (equation 2), their sum, the crop (3); and conv2d's input gradient."""
    x, w = example_values(size, 1, 4, seed), example_values(kernel, -1, 2, seed + 1)
    _check_cells("input pixels", x.size)
    try:
        y = _conv_transpose2d_loops(manual.tensor(x[None, None]), manual.tensor(w[None, None]),
                                    stride=stride, padding=padding,
                                    output_padding=output_padding, dilation=dilation)
    except RuntimeError as error:
        raise DrawError(f"conv_transpose2d refuses these sizes: {error}") from None
    y = y.array[0, 0]
    canvas_shape = (y.shape[0] + 2 * padding, y.shape[1] + 2 * padding)   # (1)
    stamps = [_stamp(x, w, (i, j), canvas_shape, stride, dilation) for i, j in np.ndindex(*size)]
    canvas = np.sum([s.canvas for s in stamps], axis=0)
    grad = _conv2d_input_gradient(x, w, y.shape, stride, padding, dilation)
    return ConvTransposePicture(x, w, stride, padding, output_padding, dilation, tuple(stamps),
                                canvas, y, grad)


def _stamp(x: np.ndarray, w: np.ndarray, pixel: tuple[int, int], shape: tuple[int, int],
           stride: int, dilation: int) -> Stamp:
    canvas, cells = np.zeros(shape), set()
    i, j = pixel
    for u, v in np.ndindex(*w.shape):                                # (2)
        row, col = stride * i + dilation * u, stride * j + dilation * v
        canvas[row, col] += x[i, j] * w[u, v]
        cells.add((row, col))
    return Stamp(pixel, canvas, frozenset(cells))


def _conv2d_input_gradient(x: np.ndarray, w: np.ndarray, out_shape: tuple[int, int],
                           stride: int, padding: int, dilation: int) -> np.ndarray:
    """dL/dx of conv2d(x', W) at an input x' of the transposed output's shape, for dL/dy = x."""
    inp = manual.tensor(np.zeros((1, 1, *out_shape)), requires_grad=True)
    y = conv2d(inp, manual.tensor(w[None, None]), stride=stride, padding=padding,
               dilation=dilation)
    if y.shape[2:] != x.shape:
        raise DrawError(f"conv2d maps {out_shape[0]}x{out_shape[1]} to "
                        f"{y.shape[2]}x{y.shape[3]}, not to the input's {x.shape[0]}x"
                        f"{x.shape[1]}: the gradient view needs --output-padding < --stride")
    y.backward(manual.tensor(x[None, None]))
    return inp.grad.array[0, 0]


# -- the graph: the data ---------------------------------------------------------------------

@dataclass(frozen=True)
class GraphNode:
    id: str
    label: str                     # the operation, or the leaf's name
    shape: tuple[int, ...]
    dtype: str
    grad: np.ndarray | None = None  # a leaf's .grad after backward


@dataclass(frozen=True)
class GraphEdge:
    source: str                    # the node the gradient leaves
    target: str                    # the node or leaf it reaches
    grad: np.ndarray               # summed back to the target's shape (backward's step 3)


@dataclass(frozen=True)
class Graph:
    title: str
    nodes: tuple[GraphNode, ...]   # the output's node first, then backward's order, then leaves
    edges: tuple[GraphEdge, ...]

    def dot(self) -> str:
        """Graphviz DOT: the output at the top, gradients flowing down to the leaves."""
        lines = [f"// {self.title}", "digraph manual_graph {", "  rankdir=TB;",
                 '  node [shape=box, fontname="monospace", fontsize=10];',
                 '  edge [fontname="monospace", fontsize=9];']
        for node in self.nodes:
            style = ', style=filled, fillcolor="#cfe2f3"' if node.grad is not None else ""
            lines.append(f'  {node.id} [label="{_dot_escape(node_text(node))}"{style}];')
        for edge in self.edges:
            lines.append(f'  {edge.source} -> {edge.target} '
                         f'[label="{_dot_escape(edge_text(edge))}"];')
        return "\n".join(lines + ["}"]) + "\n"


def node_text(node: GraphNode) -> str:
    shape = f"{node.shape} {node.dtype}"
    if node.grad is None:
        return f"{node.label}\n{shape}"
    return f"leaf {node.label} {shape}\n.grad = {array_text(node.grad)}"


def edge_text(edge: GraphEdge) -> str:
    return array_text(edge.grad)


def array_text(a: np.ndarray, most: int = 3) -> str:
    """A short rendering of an array: all of it when small, else its shape and first values."""
    values = [f"{v:.6g}" for v in np.ravel(a)[:most]]
    if a.ndim == 0:
        return values[0]
    if a.size <= most:
        return f"[{', '.join(values)}]"
    return f"{a.shape}: [{', '.join(values)}, ...]"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def graph_of(loss: Tensor, leaves: dict[str, Tensor], title: str) -> Graph:
    """Walk loss's graph as manual/backward.py does, keeping the gradient on every edge, then
    run the engine's own backward for the leaves' ``.grad``."""
    if loss.grad_fn is None:
        raise DrawError("the expression does not depend on any leaf: nothing to draw")
    if loss.array.size != 1:
        raise DrawError(f"the expression gives shape {loss.shape}, not one number: end it "
                        "with .sum() or .mean()")
    nodes = _graph(loss.grad_fn)                                      # newest first
    ids = {node: f"n{k}" for k, node in enumerate(nodes)}
    names = {id(t): name for name, t in leaves.items()}
    ids.update({t: f"leaf_{names[id(t)]}" for t in leaves.values()})
    grads: dict[Node, np.ndarray] = {loss.grad_fn: np.ones_like(loss.array)}
    edges = []
    for node in nodes:
        grad_out = grads.pop(node)
        for edge, grad_in in zip(node.inputs, node.apply(grad_out)):  # the node's derivative
            if edge is None:
                continue
            grad_in = _sum_to(grad_in, edge.shape).astype(edge.dtype, copy=False)
            edges.append(GraphEdge(ids[node], ids[edge], grad_in))
            if isinstance(edge, Node):
                grads[edge] = grad_in if edge not in grads else grads[edge] + grad_in
    loss.backward()                                                   # the engine's own walk
    found = [GraphNode(ids[n], n.name(), n.shape, str(n.dtype)) for n in nodes]
    found += [GraphNode(ids[t], name, t.shape, str(t.dtype), t.grad.array)
              for name, t in leaves.items() if t.grad is not None]
    return Graph(title, tuple(found), tuple(edges))


def thermometer_graph() -> Graph:
    """The book's loss at params [1.0, 0.0] with the raw readings (section 5.5): params.grad
    is [4517.2969, 82.6]."""
    t_u, t_c = manual.tensor(hand.T_U), manual.tensor(hand.T_C)
    params = manual.tensor([1.0, 0.0], requires_grad=True)
    loss = hand.loss_fn(hand.model(t_u, *params), t_c)
    return graph_of(loss, {"params": params},
                    "loss_fn(model(t_u, *params), t_c), manual/linear_regression.py")


# -- --expr: a small expression, evaluated from an allow-list ----------------------------------

OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
METHODS = ("sum", "mean", "exp", "log", "relu")
ALLOWED = (f"names from --leaf, numbers, + - * / ** @, and the methods "
           f"{', '.join(METHODS)} (sum and mean may take a dim)")


def parse_leaf(text: str) -> tuple[str, np.ndarray]:
    """NAME=VALUES: a number, a list (1,2,3) or rows split by ';' (1,2;3,4), as float32."""
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise DrawError(f"--leaf {text!r}: write NAME=VALUES, as in a=1,2 or m=1,2;3,4")
    try:
        rows = [[float(v) for v in row.split(",")] for row in values.split(";")]
        array = np.array(rows if ";" in values else rows[0], dtype=np.float32)
    except ValueError:
        raise DrawError(f"--leaf {text!r}: the values must be numbers split by ',' and rows "
                        "of equal length split by ';'") from None
    return name, array[0] if array.shape == (1,) and "," not in values else array


def expression_graph(expr: str, leaf_texts: list[str]) -> Graph:
    """The graph of ``expr`` over the named leaves, each a float32 tensor requiring grad."""
    leaves: dict[str, Tensor] = {}
    for text in leaf_texts:
        name, array = parse_leaf(text)
        if name in leaves:
            raise DrawError(f"--leaf {name} is given twice")
        leaves[name] = manual.tensor(array, requires_grad=True)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise DrawError(f"--expr {expr!r} is not a Python expression") from None
    try:
        loss = _evaluate(tree.body, leaves)
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        if isinstance(error, DrawError):
            raise
        raise DrawError(f"--expr {expr!r}: {str(error).splitlines()[0]}") from None
    if not isinstance(loss, Tensor):
        raise DrawError(f"--expr {expr!r} is a plain number: use a leaf")
    return graph_of(loss, leaves, expr)


def _evaluate(node: ast.expr, leaves: dict[str, Tensor]) -> Tensor | float:
    """Evaluate one allowed AST node; anything else is refused."""
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            known = ", ".join(leaves) or "none: add --leaf NAME=VALUES"
            raise DrawError(f"--expr: unknown name {node.id!r}; the leaves are: {known}")
        return leaves[node.id]
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _evaluate(node.left, leaves), _evaluate(node.right, leaves)
        if isinstance(node.op, ast.Pow) and isinstance(right, Tensor):
            raise DrawError("--expr: the exponent of ** must be a number")
        return OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_evaluate(node.operand, leaves))
    if isinstance(node, ast.Call) and _allowed_call(node):
        target = _evaluate(node.func.value, leaves)
        if not isinstance(target, Tensor):
            raise DrawError(f"--expr: .{node.func.attr}() needs a tensor, not a number")
        return getattr(target, node.func.attr)(*(a.value for a in node.args))
    raise DrawError(f"--expr: {ast.unparse(node)!r} is not allowed; use {ALLOWED}")


def _allowed_call(node: ast.Call) -> bool:
    """A method from METHODS; sum and mean may take one whole-number dim, the others nothing."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in METHODS):
        return False
    if node.keywords:
        return False
    most = 1 if node.func.attr in ("sum", "mean") else 0
    return len(node.args) <= most and all(
        isinstance(a, ast.Constant) and type(a.value) is int for a in node.args)


# -- plotting --------------------------------------------------------------------------------

SUFFIXES = {"conv2d": (".png", ".svg", ".gif"), "conv_transpose2d": (".png", ".svg", ".gif"),
            "graph": (".png", ".svg", ".dot")}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise DrawError("drawing needs matplotlib: pip install 'dealias[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.3g}"


def _grid(ax, values: np.ndarray, colors: Callable[[int, int], str], title: str,
          texts: Callable[[int, int], str] | None = None, fontsize: float = 9) -> None:
    """One square per element, filled with colors(r, c), showing texts(r, c) (the value)."""
    from matplotlib.colors import to_rgb

    h, w = values.shape
    fill = np.array([[to_rgb(colors(r, c)) for c in range(w)] for r in range(h)])
    ax.imshow(fill, extent=(0, w, h, 0), interpolation="nearest")
    ax.hlines(range(h + 1), 0, w, color="0.55", lw=0.7)
    ax.vlines(range(w + 1), 0, h, color="0.55", lw=0.7)
    for r, c in np.ndindex(h, w):
        text = texts(r, c) if texts else _number(values[r, c])
        if text:
            ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=fontsize)
    ax.set_xlim(-0.05, w + 0.05)
    ax.set_ylim(h + 0.05, -0.05)
    ax.axis("off")
    ax.set_title(title, fontsize=fontsize + 1)


def _pad_color(p: Conv2dPicture, r: int, c: int) -> str:
    h, w = p.x.shape
    inside = p.padding <= r < p.padding + h and p.padding <= c < p.padding + w
    return COLORS["cell"] if inside else COLORS["pad"]


def _conv2d_frame(p: Conv2dPicture, k: int, axes, fontsize: float = 8,
                  every_output: bool = False) -> None:
    """Frame k: the window of output element k on x_pad, and the outputs computed so far
    (or all of them)."""
    frame = p.frames[k]
    taps = {(row, col): p.weight[u, v] for u, v, row, col in frame.taps}

    def pad_text(r: int, c: int) -> str:
        value = _number(p.x_pad[r, c])
        return f"{value}\n×{_number(taps[r, c])}" if (r, c) in taps else value

    _grid(axes[0], p.x_pad, lambda r, c: COLORS["tap"] if (r, c) in taps else _pad_color(p, r, c),
          "x padded, the window", pad_text, fontsize)
    done = {f.out: f.value for f in (p.frames if every_output else p.frames[:k + 1])}
    _grid(axes[1], p.y, lambda r, c: COLORS["now"] if (r, c) == frame.out else
          COLORS["done"] if (r, c) in done else COLORS["cell"],
          f"y[{frame.out[0]}, {frame.out[1]}] = Σ x·w = {_number(frame.value)}",
          lambda r, c: _number(done[r, c]) if (r, c) in done else "", fontsize)


def draw_conv2d(p: Conv2dPicture, out: Path) -> list[Path]:
    """The summary at ``out`` and the frames beside it (a strip, or an animated GIF)."""
    plt = _pyplot()
    if out.suffix.lower() == ".gif":
        summary = out.with_name(out.stem + "-summary.png")
        _save_gif(len(p.frames), lambda k, axes: _conv2d_frame(p, k, axes), (6, 3.2), out)
        written = [out, summary]
    else:
        summary, strip = out, out.with_name(f"{out.stem}-frames{out.suffix}")
        _conv2d_strip(p, strip)
        written = [summary, strip]
    fig, axes = plt.subplots(1, 3, figsize=(10, 4.6), layout="constrained",
                             width_ratios=[p.x_pad.shape[1], p.weight.shape[1] + 1, p.y.shape[1]])
    _conv2d_frame(p, 0, (axes[0], axes[2]), fontsize=9, every_output=True)
    _grid(axes[1], p.weight, lambda r, c: COLORS["tap"], "W, the kernel")
    fig.suptitle(_conv2d_caption(p), fontsize=10)
    fig.savefig(summary, dpi=110)
    plt.close(fig)
    return written


def _conv2d_caption(p: Conv2dPicture) -> str:
    (h, w), (kh, kw), (ho, wo) = p.x.shape, p.weight.shape, p.y.shape
    return (f"conv2d: x {h}x{w}, W {kh}x{kw}, stride {p.stride}, padding {p.padding}, "
            f"dilation {p.dilation} -> y {ho}x{wo}\n"
            f"y[i, j] = Σ_u,v W[u, v] x_pad[{p.stride} i + {p.dilation} u, "
            f"{p.stride} j + {p.dilation} v]    (manual/conv2d.py, equation 2)\n"
            f"H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1 = "
            f"floor(({h} + {2 * p.padding} - {p.dilation * (kh - 1)} - 1) / {p.stride}) + 1 "
            f"= {ho}")


def _conv2d_strip(p: Conv2dPicture, path: Path) -> None:
    plt = _pyplot()
    columns = p.y.shape[1]
    rows = p.y.shape[0]
    fig, axes = plt.subplots(rows, 2 * columns, squeeze=False,
                             figsize=(2 * columns * 1.9, rows * 2.1),
                             width_ratios=[p.x_pad.shape[1], p.y.shape[1]] * columns)
    for k, frame in enumerate(p.frames):
        i, j = frame.out
        _conv2d_frame(p, k, (axes[i, 2 * j], axes[i, 2 * j + 1]), fontsize=5)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.45 / (rows * 2.1),
                        wspace=0.15, hspace=0.3)
    fig.suptitle("conv2d, one frame per output element (from _conv2d_loops)", fontsize=11)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _save_gif(count: int, draw_frame: Callable, figsize: tuple[float, float],
              path: Path) -> None:
    """Draw each frame on a fresh figure and join them into one looping GIF (Pillow)."""
    from PIL import Image

    plt = _pyplot()
    images = []
    for k in range(count):
        fig, axes = plt.subplots(1, 2, figsize=figsize)
        draw_frame(k, axes)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    images[0].save(path, save_all=True, append_images=images[1:], duration=900, loop=0)


def _canvas_color(p: ConvTransposePicture, r: int, c: int, stamp: Stamp | None = None) -> str:
    if stamp is not None and (r, c) in stamp.cells:
        return COLORS["stamp"]
    ho, wo = p.y.shape
    inside = p.padding <= r < p.padding + ho and p.padding <= c < p.padding + wo
    return COLORS["cell"] if inside else COLORS["cropped"]


def _transpose_frame(p: ConvTransposePicture, k: int, axes, fontsize: float = 8) -> None:
    """Frame k: input pixel k highlighted, the canvas after its stamp."""
    stamp = p.stamps[k]
    _grid(axes[0], p.x, lambda r, c: COLORS["now"] if (r, c) == stamp.pixel else COLORS["cell"],
          f"x[{stamp.pixel[0]}, {stamp.pixel[1]}] scatters x·W", fontsize=fontsize)
    so_far = np.sum([s.canvas for s in p.stamps[:k + 1]], axis=0)
    _grid(axes[1], so_far, lambda r, c: _canvas_color(p, r, c, stamp),
          f"canvas after {k + 1} of {len(p.stamps)} stamps", fontsize=fontsize)


def draw_conv_transpose2d(p: ConvTransposePicture, out: Path) -> list[Path]:
    """The stamps, their sum, the crop and conv2d's gradient at ``out`` (and the GIF)."""
    plt = _pyplot()
    written = [out]
    if out.suffix.lower() == ".gif":
        _save_gif(len(p.stamps), lambda k, axes: _transpose_frame(p, k, axes), (6, 3.2), out)
        out = out.with_name(out.stem + "-summary.png")
        written.append(out)
    h, w = p.x.shape
    fig = plt.figure(figsize=(max(12.0, 2.2 * w), 3.6 + 2.3 * h), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.6, 2.3 * h])
    _transpose_summary(p, top.subplots(1, 5, width_ratios=[w, p.weight.shape[1],
                       p.canvas.shape[1], p.y.shape[1], p.y.shape[1]]))
    axes = bottom.subplots(h, w, squeeze=False)
    for stamp in p.stamps:
        i, j = stamp.pixel
        _grid(axes[i, j], stamp.canvas, lambda r, c, s=stamp: _canvas_color(p, r, c, s),
              f"x[{i}, {j}] = {_number(p.x[i, j])}: {_number(p.x[i, j])}·W at "
              f"({p.stride * i}, {p.stride * j})",
              lambda r, c, s=stamp: _number(s.canvas[r, c]) if (r, c) in s.cells else "",
              fontsize=6)
    bottom.suptitle("the stamps, one per input pixel (manual/conv_transpose2d.py, equation 2); "
                    "grey: cropped by padding", fontsize=10)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return written


def _transpose_summary(p: ConvTransposePicture, axes) -> None:
    ho, wo = p.y.shape
    same = np.array_equal(p.y, p.conv2d_grad)
    _grid(axes[0], p.x, lambda r, c: COLORS["cell"], "x, the input")
    _grid(axes[1], p.weight, lambda r, c: COLORS["stamp"], "W, the kernel")
    _grid(axes[2], p.canvas, lambda r, c: _canvas_color(p, r, c),
          f"canvas = Σ stamps, crop {p.padding}", fontsize=8)
    _grid(axes[3], p.y, lambda r, c: COLORS["done"],
          f"y = conv_transpose2d(x, W), {ho}x{wo}", fontsize=8)
    _grid(axes[4], p.conv2d_grad, lambda r, c: COLORS["done"],
          f"dL/dx' of conv2d(x', W), dL/dy = x:\n{'the same' if same else 'DIFFERENT'}",
          fontsize=8)
    axes[0].figure.suptitle(
        f"conv_transpose2d: stride {p.stride}, padding {p.padding}, output_padding "
        f"{p.output_padding}, dilation {p.dilation}; overlapping stamps add up", fontsize=10)


def draw_graph(graph: Graph, out: Path) -> list[Path]:
    """The DOT text always (``out`` or beside it); the image with graphviz's dot if present,
    otherwise drawn with matplotlib."""
    dot_path = out if out.suffix.lower() == ".dot" else out.with_suffix(".dot")
    dot_path.write_text(graph.dot())
    if out.suffix.lower() == ".dot":
        return [dot_path]
    dot = shutil.which("dot")
    if dot:
        subprocess.run([dot, f"-T{out.suffix[1:]}", str(dot_path), "-o", str(out)], check=True,
                       timeout=60)
    else:
        _graph_matplotlib(graph, out)
    return [out, dot_path]


def graph_levels(graph: Graph) -> dict[str, int]:
    """Each node's depth: its longest path from the output (so a leaf sits below all users)."""
    level = {graph.nodes[0].id: 0}
    for node in graph.nodes:  # the output first, then backward's order: parents come first
        for edge in graph.edges:
            if edge.source == node.id:
                level[edge.target] = max(level.get(edge.target, 0), level[node.id] + 1)
    return level


def _graph_matplotlib(graph: Graph, out: Path) -> None:
    plt = _pyplot()
    level = graph_levels(graph)
    rows: dict[int, list[str]] = {}
    for node in graph.nodes:
        rows.setdefault(level[node.id], []).append(node.id)
    width = max(len(r) for r in rows.values())
    where = {nid: ((k + 0.5) * width / len(ids), -2.0 * depth)
             for depth, ids in rows.items() for k, nid in enumerate(ids)}
    fig, ax = plt.subplots(figsize=(3.6 * width + 1.5, 1.45 * len(rows) + 0.8))
    for edge in graph.edges:
        (x0, y0), (x1, y1) = where[edge.source], where[edge.target]
        (x0, y0), (x1, y1) = (x0, y0 - 0.45), (x1, y1 + 0.45)       # box edge to box edge
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": "0.35"})
        t = 0.55 / (y0 - y1)                                          # just below the source
        ax.text(x0 + t * (x1 - x0), y0 - 0.55, edge_text(edge), ha="center", va="center",
                fontsize=7, family="monospace", color="#a61c00", zorder=5,
                bbox={"boxstyle": "round", "fc": "white", "ec": "none", "alpha": 0.9})
    for node in graph.nodes:
        x, y = where[node.id]
        ax.text(x, y, node_text(node), ha="center", va="center", fontsize=8,
                family="monospace", bbox={"boxstyle": "round", "ec": "0.3", "fc":
                COLORS["done"] if node.grad is not None else "white"})
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-2.0 * (len(rows) - 1) - 0.8, 0.8)
    ax.axis("off")
    ax.set_title(f"{graph.title}\nedges: the gradient flowing back; blue: leaves and .grad",
                 fontsize=9)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)


# -- the command line ------------------------------------------------------------------------

EXAMPLES = """\
examples:
  dealias draw conv2d --in 5x5 --kernel 3 --stride 1 --padding 1
  dealias draw conv2d --in 5x5 --kernel 3 --dilation 2 --out dilated.gif
  dealias draw conv_transpose2d --in 3x3 --kernel 3 --stride 2 --padding 1
  dealias draw graph                     the thermometer's loss, as DOT and a picture
  dealias draw graph --expr "(a * b + a).sum()" --leaf a=1,2 --leaf b=3,4 --out ab.svg
"""


def size(text: str) -> tuple[int, int]:
    """"5x5", "4x6" or "3": a (height, width) of positive whole numbers."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*", text)
    if not match or int(match[1]) < 1 or (match[2] is not None and int(match[2]) < 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write HxW (5x5) or N")
    return int(match[1]), int(match[2] or match[1])


def _whole(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"\d+", text.strip()) or int(text) < low:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {low}")
        return int(text)
    return parse


def add_parsers(commands) -> None:
    """``draw conv2d``, ``draw conv_transpose2d`` and ``draw graph`` under ``commands``."""
    parser = commands.add_parser("draw", help="draw a convolution step by step, or a graph",
                                 epilog=EXAMPLES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    pictures = parser.add_subparsers(dest="picture", required=True, metavar="PICTURE")
    for name, help_text in (("conv2d", "the kernel window at every output element"),
                            ("conv_transpose2d", "every input pixel stamping the kernel")):
        one = pictures.add_parser(name, help=help_text, epilog=EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        one.add_argument("--in", dest="size", type=size, default=(5, 5) if name == "conv2d"
                         else (3, 3), metavar="HxW",
                         help=f"input size (default: {'5x5' if name == 'conv2d' else '3x3'})")
        one.add_argument("--kernel", type=size, default=(3, 3), metavar="KxK",
                         help="kernel size, 3 or 3x2 (default: 3)")
        for option, low in (("--stride", 1), ("--padding", 0), ("--dilation", 1)):
            one.add_argument(option, type=_whole(low), default=1 if low else 0)
        if name == "conv_transpose2d":
            one.add_argument("--output-padding", type=_whole(0), default=0)
        one.add_argument("--out", default=f"{name}.png", metavar="FILE",
                         help=".png or .svg (summary and frames), .gif (animated frames)")
    one = pictures.add_parser("graph", help="the manual engine's graph, gradients on the edges",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    one.add_argument("--expr", help="a small expression over the leaves, e.g. '(a * b).sum()' "
                     f"(allowed: {ALLOWED}); default: the thermometer's loss")
    one.add_argument("--leaf", action="append", default=[], metavar="NAME=VALUES",
                     help="a leaf for --expr: a=2, a=1,2,3 or m=1,2;3,4 (float32)")
    one.add_argument("--out", default="graph.png", metavar="FILE",
                     help=".png or .svg (and the DOT text beside it), or .dot")


def draw(args: argparse.Namespace) -> list[Path]:
    """Run ``dealias draw PICTURE``: the files written. Raises DrawError for a bad request."""
    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES[args.picture]:
        raise DrawError(f"--out {args.out}: the file must end in "
                        f"{', '.join(SUFFIXES[args.picture])}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise DrawError(f"--out {args.out}: there is no folder {str(folder)!r}")
    if args.picture == "graph":
        if args.leaf and not args.expr:
            raise DrawError("--leaf needs --expr")
        graph = expression_graph(args.expr, args.leaf) if args.expr else thermometer_graph()
        return draw_graph(graph, out)
    if out.suffix.lower() != ".dot":
        _pyplot()
    if args.picture == "conv2d":
        p = conv2d_picture(args.size, args.kernel, args.stride, args.padding, args.dilation)
        return draw_conv2d(p, out)
    p = conv_transpose2d_picture(args.size, args.kernel, args.stride, args.padding,
                                 args.output_padding, args.dilation)
    return draw_conv_transpose2d(p, out)
