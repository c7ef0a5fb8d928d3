"""Pictures computed by the manual code itself: the picture is the computation.

This module computes them (no matplotlib); reference/teaching/draw.py draws them.

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

"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

import numpy as np

import manual
import manual.linear_regression as hand
from manual.backward import _graph, _sum_to
from manual.conv2d import _conv2d_loops, conv2d
from manual.conv_transpose2d import _conv_transpose2d_loops
from manual.graph import Node
from manual.tensor import Tensor

MAX_CELLS = 144  # frames, stamps and grids beyond this stop being readable pictures

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
    shape = f"{tuple(node.shape)} {node.dtype}"
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
    return f"{tuple(a.shape)}: [{', '.join(values)}, ...]"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def graph_of(loss: Tensor, leaves: dict[str, Tensor], title: str) -> Graph:
    """Walk loss's graph as manual/backward.py does, keeping the gradient on every edge, then
    run the engine's own backward for the leaves' ``.grad``."""
    if loss.grad_fn is None:
        raise DrawError("the expression does not depend on any leaf: nothing to draw")
    if loss.array.size != 1:
        raise DrawError(f"the expression gives shape {tuple(loss.shape)}, not one number: end it "
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


