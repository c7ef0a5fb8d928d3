"""Shapes at their edges, each call made on both twins (manual/_parity/shapes.py, with
manual/indexing.py and manual/blas.py around it).

Matrix products of every kind of operand (vectors, matrices, batches, empty ones; mixed
dtypes, bools, operands that want a gradient): the result, its dtype and the node on top, or
torch's refusal in its class and words, by the path torch's matmul takes. Then views with an
inferred size, expansion to negative sizes, cat and stack refusals, writes through views of
leaves, and clone and contiguous.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import manual

# addmm's refusal of mixed dtypes names them as torch's C++ build does ("float != double",
# "long int" or "long" by compiler); manual names them as NumPy does ("float32 != float64",
# tests/error_cases/core.json), so only the words before the names are compared
MIXED = "expected m1 and m2 to have the same dtype, but got: "


def outcome(call, lib):
    """What call(lib) gives: a tensor's shape, dtype, values and node, or the refusal."""
    try:
        y = call(lib)
    except Exception as error:  # noqa: BLE001 (the class is compared)
        message = str(error)
        return type(error).__name__, MIXED if message.startswith(MIXED) else message
    node = y.grad_fn.name() if y.grad_fn is not None else None
    return (tuple(y.shape), str(y.dtype).split(".")[-1], np.asarray(y.detach().numpy()).tolist(),
            node, y.requires_grad)


def assert_agree(call) -> None:
    assert outcome(call, manual) == outcome(call, torch)


def operand(lib, shape, dtype, grad):
    """Small integers (sums of them are exact in every order), of the dtype asked for."""
    n = int(np.prod(shape))
    x = lib.tensor(((np.arange(n) % 3) + 1).reshape(shape).tolist(), dtype=getattr(lib, dtype))
    return x.requires_grad_() if grad else x


VECTORS = [(3,), (0,)]
MATRICES = [(2, 3), (3, 4), (1, 3), (3, 1), (0, 3), (2, 0)]
BATCHES = [(1, 2, 3), (2, 2, 3), (2, 3, 4), (1, 3, 4), (3, 1, 3), (2, 0, 3), (2, 3, 0)]
# (left, right, which operands want a gradient): both float32, then mixed dtypes and bools
DTYPES = [("float32", "float32", ((False, False), (True, False), (False, True))),
          ("float32", "float64", ((False, False), (True, False))),
          ("float64", "int64", ((False, False), (True, False))),
          ("int64", "float32", ((False, False),)), ("bool", "bool", ((False, False),)),
          ("bool", "float32", ((False, False),))]


def product_cases(left, right):
    for a, b, (da, db, grads) in itertools.product(left, right, DTYPES):
        for ga, gb in grads:
            yield a, b, da, db, ga, gb


def assert_products_agree(left, right) -> None:
    mismatched = []
    for a, b, da, db, ga, gb in product_cases(left, right):
        def call(lib, a=a, b=b, da=da, db=db, ga=ga, gb=gb):
            return operand(lib, a, da, ga) @ operand(lib, b, db, gb)
        m, t = outcome(call, manual), outcome(call, torch)
        if m != t:
            mismatched.append(f"{a} {da} grad={ga} @ {b} {db} grad={gb}: {m} != {t}")
    assert not mismatched, "\n".join(mismatched[:5])


@pytest.mark.parametrize("left, right", [
    (VECTORS, VECTORS + MATRICES), (MATRICES, VECTORS + MATRICES),
    (VECTORS + MATRICES, BATCHES), (BATCHES, VECTORS + MATRICES), (BATCHES, BATCHES),
], ids=["vector", "matrix", "by-a-batch", "batch-by", "batches"])
def test_matmul_results_nodes_and_refusals_as_torch(left, right):
    assert_products_agree(left, right)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, 3).mm(lib.ones(3)),
    lambda lib: lib.ones(3).mm(lib.ones(3, 2)),
    lambda lib: lib.ones(2, 3).mm(lib.ones(3, 2, dtype=lib.float64)),
    lambda lib: lib.ones(2, 3).mm(lib.ones(4, 2)),
    lambda lib: lib.ones(2, 3).mm(2.0),
    lambda lib: lib.ones(2, 3).matmul([1.0]),
    lambda lib: lib.ones(2, 3, dtype=lib.bool).mm(lib.ones(3, 2, dtype=lib.bool)),
    lambda lib: lib.tensor(2.0) @ lib.ones(2),
    lambda lib: lib.ones(2, 3, 4) @ lib.ones(3, 4, 5),
])
def test_mm_and_matmul_refusals(call):
    assert_agree(call)


# -- view, reshape, expand ---------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(6.0).view(-1, 3),
    lambda lib: lib.arange(6.0).reshape(2, -1, 1),
    lambda lib: lib.arange(6.0).view(1, -1, 1, 1),
    lambda lib: lib.arange(6.0).view(3, 1, -1),
    lambda lib: lib.arange(6.0).view(-1),
    lambda lib: lib.zeros(0, 3).view(-1, 3),
    lambda lib: lib.arange(6.0).view(-1, 4),
    lambda lib: lib.arange(6.0).view(0, -1),
    lambda lib: lib.arange(6.0).view(-1, -1),
    lambda lib: lib.arange(6.0).view(-2, 3),
    lambda lib: lib.arange(6.0).view(2, 2),
])
def test_views_infer_the_size_left_as_torch(call):
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0).view(0, -1),
    lambda lib: lib.zeros(0).view(-1, 0),
    lambda lib: lib.zeros(0).reshape(2, -1, 0),
    lambda lib: lib.zeros(0, 3).view(3, 0, -1),
])
def test_an_empty_view_cannot_infer_a_size(call):
    """Any size would do: torch calls it ambiguous."""
    assert_agree(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(1).expand(-2),
    lambda lib: lib.ones(1, 1).expand(2, -3),
    lambda lib: lib.ones(2).expand(2, -2),
    lambda lib: lib.ones(2, 1).expand(-2, 3),
    lambda lib: lib.ones(2).expand(3, -2),
    lambda lib: lib.ones(1).expand(-1, 2),
    lambda lib: lib.ones(2, 1).expand(-1, 3),
    lambda lib: lib.ones(1).expand(2, 2),
])
def test_expand_to_negative_sizes_as_torch(call):
    assert_agree(call)


# -- cat and stack -----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib: lib.cat([lib.zeros(0), lib.ones(2, 3), lib.ones(2, 4)]),
    lambda lib: lib.cat([lib.ones(2, 3), lib.zeros(0), lib.ones(3, 4)], 1),
    lambda lib: lib.cat([lib.ones(2, 3), lib.zeros(0), lib.ones(2, 4)], 1),
    lambda lib: lib.cat([lib.zeros(0), lib.zeros(0)]),
    lambda lib: lib.stack(lib.ones(2, 3)),
    lambda lib: lib.stack([lib.ones(2), 3]),
    lambda lib: lib.stack([lib.ones(2), lib.ones(3)]),
    lambda lib: lib.stack([]),
])
def test_cat_and_stack_as_torch(call):
    assert_agree(call)


# -- writes into leaves ------------------------------------------------------------------------

@pytest.mark.parametrize("index", [
    0, -1, slice(1, None), slice(None), slice(0, 3), slice(0, 5), slice(0, 2), None, Ellipsis,
    [0, 1], (slice(None), 0), (0, slice(None)), (slice(0, 5),), (None, 0), (Ellipsis, 1),
])
def test_a_write_into_a_leaf_that_wants_a_gradient_is_refused_as_torch(index):
    """Through a view of it (a select, a partial slice, an unsqueeze) or into it."""
    def write(lib):
        x = lib.zeros(3, 2, requires_grad=True)
        x[index] = 1.0
        return x
    assert_agree(write)


@pytest.mark.parametrize("index", [0, slice(1, None), None, (slice(None), 1), (None, 0)])
def test_a_write_through_a_view_copies_slices(index):
    def write(lib):
        x = lib.zeros(3, 2, requires_grad=True) * 1
        x[index] = lib.tensor(2.0, requires_grad=True)
        return x
    assert_agree(write)


# -- clone, contiguous -------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(6.0).view(2, 3).t(),
    lambda lib: lib.arange(24.0).view(2, 3, 4).permute(2, 0, 1),
    lambda lib: lib.arange(6.0).view(2, 3),
])
def test_clone_keeps_the_layout_and_contiguous_makes_rows(make):
    for lib in (manual, torch):
        x = make(lib)
        clone, rows = x.clone(), x.contiguous()
        assert clone.is_contiguous() == x.is_contiguous()
        assert rows.is_contiguous()
        assert (rows is x) == x.is_contiguous()
        assert clone.tolist() == rows.tolist() == x.tolist()
        x.add_(1)
        assert clone.tolist() != x.tolist()


def test_a_copy_wants_a_gradient_and_passes_it_back():
    def copied(lib):
        x = lib.arange(6.0).view(2, 3).t().detach().requires_grad_()
        y = x.contiguous()
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
        return x.grad
    assert_agree(copied)


@pytest.mark.parametrize("call", [
    lambda lib: lib.stack([lib.ones(2, 3), lib.zeros(2, 3)]),
    lambda lib: lib.stack([lib.ones(2, 3), lib.zeros(2, 3)], -1),
    lambda lib: lib.stack([lib.ones(2, 3, requires_grad=True), lib.zeros(2, 3)], 1),
])
def test_stack_along_a_new_first_dim_by_default(call):
    assert_agree(call)


@pytest.mark.parametrize("value", [2.5, 3, "tensor"])
def test_fill_of_a_result_names_its_node_and_passes_the_gradient(value):
    def filled(lib):
        w = lib.tensor(1.5, requires_grad=True)
        x = lib.ones(2, 3, requires_grad=True) * 1
        x.fill_(w * 2 if value == "tensor" else value)
        node = x.grad_fn.name()
        (x * lib.arange(6.0).view(2, 3)).sum().backward()
        return lib.tensor([len(node), float(w.grad is not None and w.grad.item())]), node
    (m, m_node), (t, t_node) = filled(manual), filled(torch)
    assert m_node == t_node
    assert m.tolist() == t.tolist()
