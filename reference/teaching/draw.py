"""Drawing the pictures that reference/teaching/pictures.py computes: matplotlib frames, an
animated GIF, and graphviz (or matplotlib) for graphs; ``draw`` runs ``dealias draw``."""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reference.teaching.pictures import (
    Conv2dPicture,
    ConvTransposePicture,
    DrawError,
    Graph,
    Stamp,
    conv2d_picture,
    conv_transpose2d_picture,
    edge_text,
    expression_graph,
    node_text,
    thermometer_graph,
)

COLORS = {"pad": "#e4e4e4", "cell": "white", "tap": "#f6b26b", "done": "#cfe2f3",
          "now": "#f6b26b", "stamp": "#b6d7a8", "cropped": "#d9d9d9"}


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
