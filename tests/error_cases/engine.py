"""The engine's refusals: the tensor API's bad calls (creation, views and shapes, joining,
matrix products, pointwise operations, reductions, indexing, conversions, in-place writes),
each written once and run on both twins by tests/test_errors.py.

A case is (call, words, id): ``call(ns)`` runs the bad call with ``ns.lib`` (manual or
torch), ``words`` must appear in manual's message, and the whole reviewed message is
engine.json's entry under ``id``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.error_cases import ones, param, zeros


def _set(ns: SimpleNamespace, target: Any, index: Any, value: Any) -> None:
    target[index] = value


def _expanded_add(ns: SimpleNamespace) -> Any:
    return zeros(ns, 3, 1).expand(3, 2).add_(1)


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    # -- creation
    (lambda ns: ns.lib.tensor("a"), ("str",), "tensor-of-a-string"),
    (lambda ns: ns.lib.tensor([[1.0], [1.0, 2.0]]), ("length 1", "dim 1", "got 2"),
     "tensor-of-ragged-lists"),
    (lambda ns: ns.lib.tensor([[0.5], 0.5]), ("sequence",), "tensor-of-a-list-and-a-number"),
    (lambda ns: ns.lib.tensor([1.0], device="cuda"), ("CUDA",), "tensor-on-cuda"),
    (lambda ns: ns.lib.zeros(), ("size",), "zeros-without-a-size"),
    (lambda ns: ns.lib.zeros(2, -1), ("non-negative", "[2, -1]"), "zeros-negative-size"),
    (lambda ns: ns.lib.ones(-1), ("negative dimension -1",), "ones-negative-size"),
    (lambda ns: ns.lib.full(2, 1.0), ("size", "int"), "full-size-as-an-int"),
    (lambda ns: ns.lib.from_numpy([1.0]), ("np.ndarray", "list"), "from-numpy-of-a-list"),
    (lambda ns: ns.lib.arange(0, 1, 0), ("step", "nonzero"), "arange-zero-step"),
    (lambda ns: ns.lib.arange(0, 5, -1), ("bound", "step sign"), "arange-step-of-wrong-sign"),
    (lambda ns: ns.lib.arange(0, float("inf")), ("0 -> inf",), "arange-to-infinity"),
    (lambda ns: ns.lib.linspace(0, 1, -1), ("steps", "non-negative"),
     "linspace-negative-steps"),
    (lambda ns: ns.lib.device("gpu"), ("device string: gpu",), "device-unknown-type"),
    (lambda ns: zeros(ns, 2).cuda(), ("CUDA",), "cuda"),
    (lambda ns: zeros(ns, 2).to("cuda"), ("CUDA",), "to-cuda"),
    # -- views and shapes
    (lambda ns: zeros(ns, 2, 3).view(4), ("[4]", "size 6"), "view-shape-of-other-size"),
    (lambda ns: zeros(ns, 2, 3).t().view(6), ("view", "reshape"), "view-of-non-contiguous"),
    (lambda ns: zeros(ns, 2, 3).view(-1, -1), ("one dimension",), "view-two-inferred-dims"),
    (lambda ns: zeros(ns, 2, 3).view(-2, 3), ("-2", "[-2, 3]"), "view-negative-size"),
    (lambda ns: zeros(ns, 2, 3).reshape(7), ("[7]", "size 6"), "reshape-shape-of-other-size"),
    (lambda ns: zeros(ns, 2, 3, 4).permute(0, 1), ("input.dim() = 3", "len(dims) = 2"),
     "permute-too-few-dims"),
    (lambda ns: zeros(ns, 2, 3, 4).permute(0, 1, 1), ("duplicate",), "permute-repeated-dim"),
    (lambda ns: zeros(ns, 2, 3, 4).permute(0, 1, 3), ("[-3, 2]", "got 3"),
     "permute-dim-out-of-range"),
    (lambda ns: zeros(ns, 2, 3).transpose(0, 2), ("[-2, 1]", "got 2"),
     "transpose-dim-out-of-range"),
    (lambda ns: zeros(ns, 2, 3).unsqueeze(3), ("[-3, 2]", "got 3"),
     "unsqueeze-dim-out-of-range"),
    (lambda ns: zeros(ns, 2, 3).squeeze(2), ("[-2, 1]", "got 2"), "squeeze-dim-out-of-range"),
    (lambda ns: zeros(ns, 2, 3, 4).flatten(2, 1), ("start_dim", "end_dim"),
     "flatten-start-after-end"),
    (lambda ns: zeros(ns, 2, 3).expand(2, 4), ("(4)", "(3)", "dimension 1"),
     "expand-non-singleton-dim"),
    (lambda ns: zeros(ns, 2, 3).expand(3), ("sizes provided (1)", "dimensions in the tensor (2)"),
     "expand-too-few-sizes"),
    (lambda ns: zeros(ns, 3).expand(-1, 3), ("-1", "leading"), "expand-new-dim-of-minus-one"),
    (lambda ns: zeros(ns, 2, 3).size(2), ("[-2, 1]", "got 2"), "size-dim-out-of-range"),
    # -- joining
    (lambda ns: ns.lib.cat([zeros(ns, 2, 3), zeros(ns, 2, 2)]),
     ("dimension 0", "size 3", "size 2", "tensor number 1"), "cat-mismatched-shapes"),
    (lambda ns: ns.lib.cat([zeros(ns, 2, 3), zeros(ns, 3)]), ("got 2 and 1",),
     "cat-different-dims"),
    (lambda ns: ns.lib.cat([ns.t(1.0), ns.t(2.0)]), ("zero-dimensional", "position 0"),
     "cat-of-0d-tensors"),
    (lambda ns: ns.lib.cat([]), ("non-empty",), "cat-of-nothing"),
    (lambda ns: ns.lib.cat(zeros(ns, 2, 2)), ("tensors", "Tensor"), "cat-of-a-tensor"),
    (lambda ns: ns.lib.cat([zeros(ns, 2), 1.0]), ("element 1", "float"), "cat-of-a-number"),
    (lambda ns: ns.lib.cat([zeros(ns, 2, 3), zeros(ns, 2, 3)], 2), ("[-2, 1]", "got 2"),
     "cat-dim-out-of-range"),
    (lambda ns: ns.lib.stack([zeros(ns, 2, 3), zeros(ns, 2, 2)]),
     ("[2, 3]", "entry 0", "[2, 2]", "entry 1"), "stack-unequal-shapes"),
    (lambda ns: ns.lib.stack([]), ("non-empty",), "stack-of-nothing"),
    (lambda ns: ns.lib.stack([zeros(ns, 2), zeros(ns, 2)], 3), ("[-2, 1]", "got 3"),
     "stack-dim-out-of-range"),
    # -- matrix products
    (lambda ns: zeros(ns, 3).mm(zeros(ns, 3, 4)), ("self", "matrix"), "mm-of-a-vector"),
    (lambda ns: zeros(ns, 2, 3).mm(zeros(ns, 3)), ("mat2", "matrix"), "mm-by-a-vector"),
    (lambda ns: zeros(ns, 2, 3).mm(zeros(ns, 4, 4)), ("2x3", "4x4"), "mm-shapes"),
    (lambda ns: zeros(ns, 2, 3).mm(2.0), ("mat2", "float"), "mm-by-a-number"),
    (lambda ns: zeros(ns) @ zeros(ns, 3), ("0D", "1D"), "matmul-of-a-0d-tensor"),
    (lambda ns: zeros(ns, 3) @ zeros(ns, 4), ("[3]", "[4]"), "matmul-vectors-of-two-sizes"),
    (lambda ns: zeros(ns, 2, 3) @ zeros(ns, 4), ("2x3", "vec (4)"), "matmul-matrix-by-vector"),
    (lambda ns: zeros(ns, 2, 2, 3) @ zeros(ns, 2, 4, 2), ("[2, 3]", "[2, 4]"),
     "matmul-batches-inner-sizes"),
    (lambda ns: zeros(ns, 2, 2, 3) @ zeros(ns, 3, 3, 2), ("(2)", "(3)", "dimension 0"),
     "matmul-batches-do-not-broadcast"),
    (lambda ns: zeros(ns, 2, 3).matmul([1.0]), ("other", "list"), "matmul-by-a-list"),
    (lambda ns: zeros(ns, 2, 3, dtype="bool") @ zeros(ns, 3, 2, dtype="bool"), ("Bool",),
     "matmul-of-bools"),
    # -- pointwise
    (lambda ns: -zeros(ns, 2, dtype="bool"), ("Negation", "bool"), "neg-of-bools"),
    (lambda ns: zeros(ns, 2, dtype="bool") - zeros(ns, 2, dtype="bool"),
     ("Subtraction", "two bool"), "sub-of-bools"),
    (lambda ns: zeros(ns, 2, dtype="bool") - 1, ("Subtraction", "a bool tensor"),
     "sub-of-bools-and-a-number"),
    (lambda ns: zeros(ns, 2, dtype="bool").abs(), ("abs", "Bool"), "abs-of-bools"),
    (lambda ns: zeros(ns, 2, dtype="int64").add(1, alpha=0.5), ("alpha", "integral"),
     "add-float-alpha-to-integers"),
    (lambda ns: ones(ns, 2, dtype="int64") ** -1, ("negative",), "pow-integers-to-negative"),
    (lambda ns: zeros(ns, 2).clamp(), ("min", "max"), "clamp-without-bounds"),
    (lambda ns: zeros(ns, 2).clamp_(), ("min", "max"), "clamp_-without-bounds"),
    (lambda ns: ns.lib.where(zeros(ns, 2), zeros(ns, 2), zeros(ns, 2)),
     ("condition", "Float"), "where-float-condition"),
    (lambda ns: ns.lib.where(zeros(ns, 2, dtype="bool"), zeros(ns, 2), zeros(ns, 3)),
     ("(2)", "(3)"), "where-shapes-do-not-broadcast"),
    (lambda ns: zeros(ns, 2) + [1.0, 2.0], ("list",), "add-a-list"),
    (lambda ns: zeros(ns, 2).mul(None), ("NoneType",), "mul-by-none"),
    # -- reductions
    (lambda ns: zeros(ns, 0).max(), ("max()", "numel() == 0"), "max-of-nothing"),
    (lambda ns: zeros(ns, 0, 3).max(0), ("max()", "dim 0", "non-zero"),
     "max-along-an-empty-dim"),
    (lambda ns: zeros(ns, 0).argmax(), ("argmax()", "numel() == 0"), "argmax-of-nothing"),
    (lambda ns: zeros(ns, 3, dtype="bool").argmax(), ("argmax()", "bool"), "argmax-of-bools"),
    (lambda ns: zeros(ns, 2, 3).sum((1, -1)), ("dim 1", "multiple"), "sum-repeated-dim"),
    (lambda ns: zeros(ns, 2, 3).max(2), ("[-2, 1]", "got 2"), "max-dim-out-of-range"),
    (lambda ns: zeros(ns, 2, 3).argmin(dim=-3), ("[-2, 1]", "got -3"),
     "argmin-dim-out-of-range"),
    # -- indexing and conversions
    (lambda ns: zeros(ns, 2, 3)[2], ("index 2", "size 2"), "index-out-of-range"),
    (lambda ns: zeros(ns, 2, 3)[ns.t([0.0])], ("long", "bool"), "index-by-a-float-tensor"),
    (lambda ns: zeros(ns, 2, 3)[1.0], ("float",), "index-by-a-float"),
    (lambda ns: zeros(ns, 2, 3)[ns.t([True, False, True], "bool")], ("3", "2"),
     "index-by-a-mask-of-another-shape"),
    (lambda ns: ns.t(1.0)[0], ("0-dim", "item()"), "index-into-a-0d-tensor"),
    (lambda ns: float(zeros(ns, 2)), ("one element",), "float-of-two"),
    (lambda ns: int(zeros(ns, 0)), ("one element",), "int-of-nothing"),
    (lambda ns: zeros(ns, 0).item(), ("0 elements",), "item-of-nothing"),
    (lambda ns: bool(zeros(ns, 0)), ("no values",), "bool-of-nothing"),
    (lambda ns: format(zeros(ns, 2), ".4f"), ("format",), "format-spec-of-two"),
    (lambda ns: len(ns.t(1.0)), ("len()", "0-d"), "len-of-a-0d-tensor"),
    (lambda ns: list(ns.t(1.0)), ("iteration", "0-d"), "iterate-a-0d-tensor"),
    # -- comparisons, logic and integer-style division
    (lambda ns: ns.t([1.0]) & ns.t([1.0]), ("bitwise_and", "Float"), "bitwise-and-of-floats"),
    (lambda ns: ns.t([1.0], "float64") | 1, ("bitwise_or", "Double"), "bitwise-or-of-doubles"),
    (lambda ns: ~ns.t([1.0]), ("~", "integer and Boolean"), "invert-a-float"),
    (lambda ns: ns.t([5, 7], "int64") % ns.t([2, 0], "int64"), ("ZeroDivisionError",),
     "remainder-of-integers-by-zero"),
    (lambda ns: ns.t([5], "int64") // 0, ("ZeroDivisionError",),
     "floor-divide-an-integer-by-zero"),
    (lambda ns: ns.t([True], "bool") % ns.t([True], "bool"), ("remainder", "Bool"),
     "remainder-of-bools"),
    (lambda ns: ns.t([True], "bool") // True, ("div_floor", "Bool"), "floor-divide-bools"),
    # -- in-place writes
    (lambda ns: zeros(ns, 2, 3).add_(zeros(ns, 2, 2, 3)), ("[2, 3]", "[2, 2, 3]"),
     "add_-result-of-another-shape"),
    (lambda ns: zeros(ns, 2, 3).copy_(zeros(ns, 2)), ("(3)", "(2)", "dimension 1"),
     "copy_-shapes-do-not-broadcast"),
    (lambda ns: zeros(ns, 3).copy_(zeros(ns, 2, 3)), ("[3]", "[2, 3]"),
     "copy_-source-larger"),
    (lambda ns: zeros(ns, 3).fill_(zeros(ns, 1)), ("0-dimension", "1 dimensions"),
     "fill_-with-a-1d-tensor"),
    (lambda ns: ns.t([1, 2], "int64").mul_(1.5), ("Float", "Long"), "mul_-float-into-integers"),
    (_expanded_add, ("single memory location", "clone()"), "add_-into-an-expanded-tensor"),
    (lambda ns: param(ns).zero_(), ("leaf", "in-place"), "zero_-of-a-leaf"),
    (lambda ns: param(ns)[0].add_(1), ("view of a leaf",), "add_-into-a-view-of-a-leaf"),
    (lambda ns: _set(ns, param(ns), 0, 1.0), ("view of a leaf",), "setitem-into-a-leaf"),
    (lambda ns: _set(ns, param(ns), [0], 1.0), ("leaf", "in-place"),
     "setitem-into-a-leaf-by-a-list"),
    (lambda ns: _set(ns, zeros(ns, 2, 3), slice(0, 2), zeros(ns, 2)), ("(3)", "(2)", "[2, 3]"),
     "setitem-value-of-another-shape"),
]
