"""Memory: backward frees what the forward pass saved, so a training loop runs in constant
memory; ``total = total + loss`` keeps every step's graph alive, in the manual engine as in
torch. Measured with tracemalloc (which sees NumPy's arrays and Python's objects, not
torch's C++ allocations: for torch the graph's nodes are counted instead)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import manual
import manual.sgd
import torch_native.sgd
from reference.convert import to_manual, to_torch
from reference.debugging.models import batches, build_model

KIB = 1024


def training(side, batch_size=4):
    """The MLP, momentum SGD and four batches on ``side``; ``step()`` runs one step."""
    model, loss_fn = build_model("mlp", side, seed=0)
    sgd = manual.sgd if side == "manual" else torch_native.sgd
    optimizer = sgd.SGD(model.parameters(), lr=0.01, momentum=0.9)
    convert = to_manual if side == "manual" else to_torch
    data = [(convert(x), convert(y)) for x, y in batches("mlp", 0, 4, batch_size)]
    count = iter(range(10**9))

    def step():
        x, y = data[next(count) % len(data)]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def traced_now():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_2000_training_steps_run_in_constant_memory():
    step = training("manual")
    tracemalloc.start()
    try:
        total, traced = 0.0, {}
        for i in range(1, 2001):
            total += step().item()                  # the right way: a float, no graph
            if i in (500, 2000):
                traced[i] = traced_now()
    finally:
        tracemalloc.stop()
    # A step whose graph stayed alive would keep > 1 KiB (the leak test below measures it):
    # > 1.5 MiB over these 1500 steps. 64 KiB is 44 bytes a step, less than one small
    # array; what is seen (about 10 KiB) is NumPy's cache of dtype names filling up.
    assert traced[2000] - traced[500] < 64 * KIB, traced
    assert np.isfinite(total)


def test_backward_frees_the_saved_arrays():
    # a batch of 256: the hidden activations alone are 256 x 16 float32, 16 KiB
    kept, losses = {}, {}
    x, y = (to_manual(a) for a in batches("mlp", 1, 1, 256)[0])
    for retain in (False, True):
        model, loss_fn = build_model("mlp", "manual", seed=0)
        tracemalloc.start()
        try:
            before = traced_now()
            losses[retain] = loss_fn(model(x), y)
            losses[retain].backward(retain_graph=retain)
            kept[retain] = traced_now() - before    # what the live loss and grads still hold
        finally:
            tracemalloc.stop()
    assert kept[True] - kept[False] > 16 * KIB, kept
    # the freed graph cannot be walked again, as in torch; the retained one can
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        losses[False].backward()
    losses[True].backward()


def _graph_nodes(root) -> int:
    """How many nodes the graph behind ``root`` has (either engine's)."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node, manual.Tensor):         # a manual leaf: no node behind it
            continue
        if hasattr(node, "next_functions"):         # torch
            stack.extend(fn for fn, _ in node.next_functions)
        else:                                       # manual: edges to nodes or leaves
            stack.extend(node.inputs)
    return len(seen)


def test_summing_losses_without_item_keeps_every_graph_alive_in_both_engines():
    nodes = {}
    for side in ("manual", "torch"):
        step = training(side)
        total = 0
        counts = []
        for i in range(1, 301):
            total = total + step()                  # the classic leak: no .item()
            if i % 100 == 0:
                counts.append(_graph_nodes(total.grad_fn))
        # every 100 steps add the same number of nodes and none is freed: at least the two
        # layers, the relu, the loss and the addition of each step (measured: 5 a step in
        # the manual engine, 8 in torch, which adds transposes and splits cross-entropy)
        per_100 = counts[1] - counts[0]
        assert per_100 >= 500 and counts[2] - counts[1] == per_100, counts
        nodes[side] = counts
    assert nodes["manual"][2] > 1500 and nodes["torch"][2] > 1500, nodes


def test_summing_losses_without_item_grows_traced_memory_in_the_manual_engine():
    traced = {}
    for right_way in (True, False):
        step = training("manual")
        total = 0.0 if right_way else 0
        tracemalloc.start()
        try:
            for i in range(1, 301):
                total = total + (step().item() if right_way else step())
                if i in (100, 300):
                    traced[right_way, i] = traced_now()
        finally:
            tracemalloc.stop()
    leak = traced[False, 300] - traced[False, 100]
    flat = traced[True, 300] - traced[True, 100]
    # each kept graph costs about 1.2 KiB: 200 steps, about 240 KiB
    assert leak > 100 * KIB, traced
    assert flat < 16 * KIB, traced
