"""backward: the engine's walk over the graph, against torch and against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import torch_native.backward
from manual.backward import backward
from manual.graph import record
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, dtypes


def test_hand_example():
    # loss = (w x + b - y)^2 at w=2, x=3, b=1, y=4: dloss/dw = 2 (wx+b-y) x = 18, dloss/db = 6
    w = manual.tensor(2.0, requires_grad=True)
    b = manual.tensor(1.0, requires_grad=True)
    loss = (w * 3.0 + b - 4.0) ** 2
    backward(loss)
    assert (w.grad.item(), b.grad.item()) == (18.0, 6.0)


# A random graph of exactly rounded operations, with operands reused (fan-in). Every op and
# every sum of incoming gradients rounds as torch rounds, and the manual engine visits nodes
# in torch's order, so the gradients must agree to the bit.
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "neg": lambda a, b: -a,
    "relu": lambda a, b: a.relu(),
    "square": lambda a, b: a**2,
}


ALL_OPS = tuple(sorted(OPS))
SMOOTH = tuple(sorted(set(OPS) - {"relu"}))  # finite differences need a derivative everywhere


@st.composite
def programs(draw, ops=ALL_OPS):
    n_leaves = draw(st.integers(1, 3))
    steps = draw(st.lists(
        st.tuples(st.sampled_from(ops), st.integers(0, 99), st.integers(0, 99)),
        min_size=1, max_size=8))
    return n_leaves, steps


def run_program(program, leaves):
    n_leaves, steps = program
    pool = list(leaves)
    for name, i, j in steps:
        pool.append(OPS[name](pool[i % len(pool)], pool[j % len(pool)]))
    return pool[-1] + pool[0] * 0.5  # reuse a leaf once more at the end


@given(programs(), dtypes, st.tuples(st.integers(1, 3), st.integers(1, 3)), st.data())
def test_random_graphs_match_torch_to_the_bit(program, dtype, shape, data):
    values = [data.draw(arrays(dtype, shape, bound=2)) for _ in range(program[0])]
    grad = data.draw(arrays(dtype, shape, bound=2))
    m_leaves = [manual.tensor(v, requires_grad=True) for v in values]
    t_leaves = [torch.tensor(v, requires_grad=True) for v in values]
    m_out, t_out = run_program(program, m_leaves), run_program(program, t_leaves)
    assert_twins_agree("forward", "backward", m_out, t_out)
    # twice: the second pass adds into existing .grad, where the order of sums shows
    for retain_graph, label in ((True, "first"), (None, "second")):
        backward(m_out, manual.tensor(grad), retain_graph)
        torch_native.backward.backward(t_out, torch.tensor(grad), retain_graph)
        for i, (m, t) in enumerate(zip(m_leaves, t_leaves)):
            assert (m.grad is None) == (t.grad is None)
            if t.grad is not None:
                assert_twins_agree(f"{label} backward, leaf {i}", "backward", m.grad, t.grad)


@given(programs(ops=SMOOTH), st.data())
def test_gradients_match_central_differences(program, data):
    # Torch-free. In float64 with h = 1e-6 the central difference is within about
    # h^2 |f'''| + eps |f| / h ~ 1e-10 of the derivative for these bounded programs.
    values = [data.draw(arrays(np.dtype(np.float64), (2,), bound=2)) for _ in range(program[0])]
    leaves = [manual.tensor(v, requires_grad=True) for v in values]
    run_program(program, leaves).sum().backward()
    h = 1e-6
    for i, (leaf, value) in enumerate(zip(leaves, values)):
        for k in range(value.size):
            step = np.zeros_like(value)
            step[k] = h
            plus = _evaluate(program, values, leaf_index=i, value=value + step)
            minus = _evaluate(program, values, leaf_index=i, value=value - step)
            numeric = (plus - minus) / (2 * h)
            analytic = 0.0 if leaf.grad is None else leaf.grad.array[k]
            assert abs(analytic - numeric) <= 1e-5 * (1 + abs(numeric)), (k, analytic, numeric)


def _evaluate(program, values, leaf_index, value):
    vals = list(values)
    vals[leaf_index] = value
    with manual.no_grad():
        return run_program(program, [manual.tensor(v) for v in vals]).sum().item()


def test_saved_arrays_are_freed_after_backward():
    for twin in (manual, torch):
        x = twin.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = manual.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.array, np.float32([4, 8]))


def test_a_graph_that_saved_nothing_can_be_walked_twice_as_in_torch():
    for twin in (manual, torch):
        x = twin.tensor([1.0, 2.0], requires_grad=True)
        loss = (x + 1.0).sum()
        loss.backward()
        loss.backward()
        assert x.grad.tolist() == [2.0, 2.0]


def test_errors_match_torch():
    cases = [
        ("non-scalar output", lambda t: (t.tensor([1.0, 2.0], requires_grad=True) * 2).backward()),
        ("no grad", lambda t: t.tensor([1.0, 2.0]).sum().backward()),
        ("bad shape", lambda t: (t.tensor([1.0, 2.0], requires_grad=True) * 2)
         .backward(t.tensor([1.0, 2.0, 3.0]))),
    ]
    for label, call in cases:
        with pytest.raises(RuntimeError) as expected:
            call(torch)
        with pytest.raises(RuntimeError) as actual:
            call(manual)
        assert str(actual.value).split(":")[0] == str(expected.value).split(":")[0], label


def test_leaf_gradient_accumulates_in_place():
    x = manual.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first  # the same tensor, added into
    np.testing.assert_array_equal(first.array, np.float32([5, 5]))


def test_a_fresh_gradient_becomes_the_grad():
    # torch-free: a leaf takes a gradient that nothing else holds as it is (torch's
    # AccumulateGrad steals it); a NumPy scalar is made an array
    fresh = np.float32([3.0, 4.0])                    # what a derivative returns, held by none
    leaf = manual.tensor([1.0, 2.0], requires_grad=True)
    record("Stolen", leaf.array * 1, (leaf,), lambda grad: (fresh,)).sum().backward()
    assert leaf.grad.array is fresh
    other = manual.tensor([5.0, 6.0], requires_grad=True)
    both = (leaf, other * 1.0)                        # a node reads it too, and keeps nothing
    leaf.grad = None
    record("Both", leaf.array * 1, both, lambda grad: (fresh, fresh)).sum().backward()
    assert leaf.grad.array is fresh and other.grad.tolist() == [3.0, 4.0]

    scalar = manual.tensor(1.0, requires_grad=True)
    (scalar * 2.0).backward()                         # a 0-d product: a NumPy scalar
    assert type(scalar.grad.array) is np.ndarray and scalar.grad.item() == 2.0


def test_a_gradient_that_would_be_shared_is_copied():
    # torch-free: no leaf's grad shares memory with the caller's gradient, another leaf's
    # grad (a + b passes one array to both) or a retained non-leaf's grad
    gradient = manual.tensor(np.ones((2, 2), np.float32))
    outputs = [lambda x: x, lambda x: x + 1.0, lambda x: x.reshape(4).reshape(2, 2)]
    for output in outputs:                            # the caller's array, as it is or a view
        leaf = manual.tensor(np.ones((2, 2), np.float32), requires_grad=True)
        output(leaf).backward(gradient)
        assert not np.shares_memory(leaf.grad.array, gradient.array)

    pairs = [lambda a, b: a + b, lambda a, b: a.reshape(4) + b.reshape(4),  # one array,
             lambda a, b: (a * 1.0) + (b * 1.0), lambda a, b: a + 0.0]      # or views of it
    for pair in pairs:                                # and a retained grad on the way
        a, b = (manual.tensor(np.ones((2, 2), np.float32), requires_grad=True) for _ in "ab")
        total = pair(a, b)
        total.retain_grad()
        total.backward(manual.tensor(np.ones(total.shape, np.float32)))
        grads = [t.grad.array for t in (a, b, total) if t.grad is not None]
        assert not any(np.shares_memory(p, q) for i, p in enumerate(grads) for q in grads[i + 1:])


@pytest.mark.parametrize("retain", [False, True])
def test_a_gradient_passed_through_to_two_leaves_stays_two_arrays(retain):
    # torch-free: (a + b) @ c hands the same array to a and b; each must get its own, so that
    # a second backward adds into each once
    a, b = (manual.tensor(np.ones((2, 3), np.float32), requires_grad=True) for _ in range(2))
    c = manual.tensor(np.full((3, 1), 2.0, np.float32))
    loss = ((a + b) @ c).sum()
    loss.backward(retain_graph=retain)
    assert not np.shares_memory(a.grad.array, b.grad.array)
    if retain:
        loss.backward()
    expected = np.full((2, 3), 4.0 if retain else 2.0, np.float32)
    np.testing.assert_array_equal(a.grad.array, expected)
    np.testing.assert_array_equal(b.grad.array, expected)


def test_broadcast_gradient_is_summed_back_to_shape():
    b = manual.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = manual.tensor(np.ones((4, 3), np.float32))
    (x * b).sum().backward()
    np.testing.assert_array_equal(b.grad.array, np.float32([4, 4, 4]))


@pytest.mark.parametrize("lib", [manual, torch], ids=["manual", "torch"])
def test_a_saved_tensor_changed_in_place_is_refused(lib):
    # y = w * w saves w; changing w in place before backward would give a wrong gradient
    w = lib.tensor([2.0], requires_grad=True)
    y = (w * w).sum()
    with lib.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("lib", [manual, torch], ids=["manual", "torch"])
def test_an_optimizer_step_before_a_retained_backward_is_refused(lib):
    import manual.sgd
    import torch_native.sgd
    sgd = manual.sgd if lib is manual else torch_native.sgd
    w = lib.tensor([[1.0, 2.0]], requires_grad=True)
    loss = (w * w).sum()                       # d/dw reads w itself
    loss.backward(retain_graph=True)
    sgd.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    # w @ x reads w only for x's gradient, and x wants none: torch does not refuse that
    w = lib.tensor([[1.0, 2.0]], requires_grad=True)
    loss = (w @ lib.tensor([[3.0], [4.0]])).sum()
    loss.backward(retain_graph=True)
    sgd.SGD([w], lr=0.1).step()
    loss.backward()


def test_an_in_place_change_of_what_backward_does_not_read_is_fine():
    # exp saves its result, not its input (as torch): changing x afterwards is harmless
    for lib in (manual, torch):
        x = lib.tensor([1.0], requires_grad=True)
        y = x.exp().sum()
        with lib.no_grad():
            x += 1.0
        y.backward()
        assert abs(x.grad.item() - 2.718281828) < 1e-6
