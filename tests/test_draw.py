"""dealias draw: the numbers in each picture are the manual code's own, and each picture is
written (PNG, SVG, GIF, DOT); --expr evaluates only what its allow-list names."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import manual
from manual.conv2d import conv2d
from manual.conv_transpose2d import conv_transpose2d
from reference import cli
from reference.cli import main
from reference.teaching import draw, pictures

PNG = b"\x89PNG\r\n\x1a\n"


# -- conv2d ----------------------------------------------------------------------------------

def test_conv2d_frames_by_hand():
    # x 3x3 of 1..4 and W 2x2 at stride 1: frame (0, 0) reads the top-left 2x2 window.
    p = pictures.conv2d_picture((3, 3), (2, 2))
    first = p.frames[0]
    assert first.out == (0, 0)
    assert [(row, col) for _, _, row, col in first.taps] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    by_hand = sum(p.weight[u, v] * p.x[row, col] for u, v, row, col in first.taps)
    assert first.value == by_hand


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    ((5, 5), (3, 3), 1, 1, 1),
    ((6, 5), (3, 2), 2, 1, 1),
    ((7, 7), (3, 3), 1, 0, 2),
    ((4, 6), (1, 3), 3, 2, 1),
])
def test_conv2d_frames_are_manual_conv2d(size, kernel, stride, padding, dilation):
    p = pictures.conv2d_picture(size, kernel, stride, padding, dilation)
    y = conv2d(manual.tensor(p.x[None, None]), manual.tensor(p.weight[None, None]),
               stride=stride, padding=padding, dilation=dilation).array[0, 0]
    assert [f.out for f in p.frames] == list(np.ndindex(*y.shape))   # one frame per element
    assert np.array_equal([f.value for f in p.frames], y.ravel())
    for f in p.frames:  # the taps drawn are the ones that give the number drawn
        assert f.value == sum(p.weight[u, v] * p.x_pad[row, col] for u, v, row, col in f.taps)


def test_conv2d_pictures_are_written(tmp_path):
    p = pictures.conv2d_picture((3, 3), (2, 2))
    written = draw.draw_conv2d(p, tmp_path / "c.png")
    assert [w.name for w in written] == ["c.png", "c-frames.png"]
    assert all(w.read_bytes()[:8] == PNG for w in written)
    gif = draw.draw_conv2d(pictures.conv2d_picture((2, 2), (2, 2)), tmp_path / "c.gif")
    assert gif[0].read_bytes()[:6] == b"GIF89a" and gif[1].read_bytes()[:8] == PNG


# -- conv_transpose2d ------------------------------------------------------------------------

@pytest.mark.parametrize("size, kernel, stride, padding, output_padding, dilation", [
    ((3, 3), (3, 3), 2, 0, 0, 1),
    ((3, 3), (3, 3), 2, 1, 1, 1),
    ((2, 4), (2, 3), 3, 1, 2, 1),
    ((3, 2), (3, 3), 1, 1, 0, 2),
])
def test_the_stamps_add_up_to_conv_transpose2d_and_conv2d_gradient(
        size, kernel, stride, padding, output_padding, dilation):
    p = pictures.conv_transpose2d_picture(size, kernel, stride, padding, output_padding, dilation)
    y = conv_transpose2d(manual.tensor(p.x[None, None]), manual.tensor(p.weight[None, None]),
                         stride=stride, padding=padding, output_padding=output_padding,
                         dilation=dilation).array[0, 0]
    total = np.sum([s.canvas for s in p.stamps], axis=0)
    cropped = total[padding:padding + y.shape[0], padding:padding + y.shape[1]]
    assert len(p.stamps) == p.x.size
    assert np.array_equal(cropped, y)
    assert np.array_equal(p.y, y)
    assert np.array_equal(p.conv2d_grad, y)
    for s in p.stamps:  # each stamp is x[i, j] W, nothing else
        i, j = s.pixel
        assert np.count_nonzero(s.canvas) <= p.weight.size
        assert s.canvas.sum() == p.x[i, j] * p.weight.sum()


def test_conv_transpose2d_picture_is_written(tmp_path):
    p = pictures.conv_transpose2d_picture((2, 2), (3, 3), stride=2, padding=1, output_padding=1)
    written = draw.draw_conv_transpose2d(p, tmp_path / "t.png")
    assert written == [tmp_path / "t.png"] and written[0].read_bytes()[:8] == PNG


# -- the graph -------------------------------------------------------------------------------

def test_the_thermometer_graph_in_dot():
    graph = pictures.thermometer_graph()
    text = graph.dot()
    ops = [n.label for n in graph.nodes if n.grad is None]
    assert sorted(ops) == sorted(["MeanBackward0", "PowBackward0", "SubBackward0",
                                  "AddBackward0", "MulBackward0", "SelectBackward0",
                                  "SelectBackward0"])
    for node in graph.nodes:
        assert f"{node.label}\\n{node.shape} {node.dtype}" in text or node.grad is not None
        assert f"  {node.id} [label=" in text
    assert "PowBackward0\\n(11,) float32" in text and "MeanBackward0\\n() float32" in text
    [leaf] = [n for n in graph.nodes if n.grad is not None]
    assert np.allclose(leaf.grad, [4517.2969, 82.6])          # the book's params.grad
    assert "leaf params (2,) float32\\n.grad = [4517.3, 82.6]" in text
    assert text.count(" -> ") == len(graph.edges) == 8


def test_edge_gradients_are_the_engines():
    # the gradients on the edges into a leaf add up to the .grad the engine's backward gives
    graph = pictures.expression_graph("(a * b + a).sum()", ["a=1,2", "b=3,4"])
    into = {}
    for edge in graph.edges:
        into.setdefault(edge.target, []).append(edge.grad)
    leaves = {n.label: n for n in graph.nodes if n.grad is not None}
    assert np.array_equal(leaves["a"].grad, [4.0, 5.0]) and np.array_equal(leaves["b"].grad,
                                                                            [1.0, 2.0])
    for leaf in leaves.values():
        assert np.array_equal(np.sum(into[leaf.id], axis=0), leaf.grad)
    assert len(into["leaf_a"]) == 2  # a reaches the sum by two paths


def test_a_node_reached_twice_passes_on_the_sum():
    a = manual.tensor([0.5, 1.0], requires_grad=True)
    c = a.exp()
    graph = pictures.graph_of((c * c).sum(), {"a": a}, "(c * c).sum(), c = a.exp()")
    [into_a] = [e.grad for e in graph.edges if e.target == "leaf_a"]
    assert np.allclose(into_a, 2 * np.exp(2 * a.array), rtol=1e-6)  # both paths through c
    assert np.array_equal(into_a, a.grad.array)


def test_graph_files(tmp_path):
    written = draw.draw_graph(pictures.thermometer_graph(), tmp_path / "g.png")
    assert written == [tmp_path / "g.png", tmp_path / "g.dot"]
    assert written[0].read_bytes()[:8] == PNG
    assert written[1].read_text().startswith("// loss_fn")
    graph = pictures.expression_graph("a.exp().mean()", ["a=1,2"])
    svg = draw.draw_graph(graph, tmp_path / "e.svg")
    assert b"<svg" in svg[0].read_bytes()[:500]


def test_the_levels_put_each_node_below_its_users():
    graph = pictures.thermometer_graph()
    level = draw.graph_levels(graph)
    for edge in graph.edges:
        assert level[edge.target] > level[edge.source]


@pytest.mark.parametrize("expr", [
    "__import__('os').system('true')",
    "a.__class__",
    "(a * b).sum().__class__.__bases__",
    "open('x')",
    "a.numpy()",
    "a.sum(keepdim=True)",
    "[a, b]",
    "a if b else a",
    "lambda: a",
    "a.sum(b)",
    "'text'",
])
def test_expr_refuses_what_is_not_allowed(expr):
    with pytest.raises(pictures.DrawError) as error:
        pictures.expression_graph(expr, ["a=1,2", "b=3,4"])
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("expr, leaves, message", [
    ("(c * a).sum()", ["a=1"], "unknown name 'c'"),
    ("a * b", ["a=1,2", "b=3,4"], "not one number"),
    ("a ** b", ["a=1", "b=2"], "exponent"),
    ("(a +", ["a=1"], "not a Python expression"),
    ("a", ["a=x"], "must be numbers"),
    ("a", ["a=1", "a=2"], "given twice"),
])
def test_expr_mistakes_are_named(expr, leaves, message):
    with pytest.raises(pictures.DrawError, match=message):
        pictures.expression_graph(expr, leaves)


def test_leaves_parse():
    assert pictures.parse_leaf("a=2") == ("a", np.float32(2.0))
    name, rows = pictures.parse_leaf("m=1,2;3,4")
    assert name == "m" and rows.shape == (2, 2) and rows.dtype == np.float32


# -- the command line ------------------------------------------------------------------------

def test_draw_commands(tmp_path, capsys):
    assert main(["draw", "conv2d", "--in", "3x3", "--kernel", "2", "--out",
                 str(tmp_path / "c.svg")]) == 0
    assert (tmp_path / "c.svg").read_bytes().lstrip()[:5] in (b"<?xml", b"<svg ")
    assert main(["draw", "conv_transpose2d", "--in", "2x2", "--kernel", "3", "--stride", "2",
                 "--out", str(tmp_path / "t.png")]) == 0
    assert main(["draw", "graph", "--expr", "(a * a).sum()", "--leaf", "a=1,2", "--out",
                 str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert "c-frames.svg" in out and "t.png" in out and "g.dot" in out
    assert "a (2,) float32" in (tmp_path / "g.dot").read_text()


@pytest.mark.parametrize("args, message", [
    (["conv2d", "--in", "2x2", "--kernel", "3"], "conv2d refuses these sizes"),
    (["conv2d", "--in", "20x20"], "too many to draw"),
    (["conv2d", "--out", "x.jpg"], "must end in .png, .svg, .gif"),
    (["conv2d", "--out", "/no/such/folder/x.png"], "there is no folder"),
    (["conv_transpose2d", "--stride", "1", "--dilation", "2", "--output-padding", "1"],
     "gradient view needs --output-padding < --stride"),
    (["graph", "--expr", "a.__class__", "--leaf", "a=1"], "is not allowed"),
    (["graph", "--leaf", "a=1"], "--leaf needs --expr"),
])
def test_draw_mistakes_are_one_line(args, message, capsys):
    assert main(["draw", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_size_parses():
    assert cli._size("5x4") == (5, 4) and cli._size("3") == (3, 3)
    with pytest.raises(argparse.ArgumentTypeError):
        cli._size("0x3")
