"""backward: the chain rule, applied node by node from the output back to the leaves.

For an output y and every leaf x that requires grad:

1. start:       dy/dy = gradient (1 for a scalar output)
2. each node:   d(input) = node's local derivative applied to d(output), newest node first
3. broadcast:   a gradient is summed back to its input's shape (and cast to its dtype)
4. fan-in:      gradients reaching the same node or leaf by several paths are added
5. leaves:      x.grad = d(x) if x.grad is None, else x.grad += d(x)   (accumulates: this
                is why the loop calls zero_grad). As torch's AccumulateGrad steals a gradient
                that nothing else holds, a fresh d(x) becomes x.grad as it is; the engine
                copies one that the caller, another leaf or a retained grad would share,
                or one laid out otherwise than x (a sum of transposed gradients)
6. free:        each node drops its saved arrays unless retain_graph=True

Nodes are visited in reverse creation order. A node is always made after the nodes of its
inputs, so this is a topological order; it is also the order torch's engine picks from its
ready queue (highest sequence number first), so sums in step 4 happen in torch's order.

Reference: torch/autograd/__init__.py (``backward``), torch/csrc/autograd/engine.cpp
(``Engine::execute``, ``validate_outputs``), torch/csrc/autograd/functions/accumulate_grad.h.
"""

from __future__ import annotations

import numpy as np

from manual._parity.engine import check_hook_result, run_post_accumulate_hooks
from manual.graph import Node, backward_finished, backward_started
from manual.tensor import Tensor


def backward(
    tensor: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None
) -> None:
    """Accumulate d(tensor)/d(leaf) into ``.grad`` of every leaf that requires grad."""
    backward_started(tensor)                     # tools see the loss (manual/graph.py's hooks)
    _chain_rule(tensor, gradient, retain_graph)
    backward_finished(tensor)                    # and every .grad filled


def _chain_rule(tensor: Tensor, gradient: Tensor | None, retain_graph: bool | None) -> None:
    """Equations (1) to (6)."""
    grad = _initial_gradient(tensor, gradient)                       # (1) the engine's own
    if tensor.grad_fn is None:
        _to_leaf(tensor, grad)                                       # a leaf: (5) directly
        return
    nodes = _graph(tensor.grad_fn)
    grads: dict[Node, np.ndarray] = {tensor.grad_fn: grad}
    leaf_grads: dict[Tensor, np.ndarray] = {}
    handed: dict[int, int] = {}  # how many leaves each array went to, by identity
    for node in nodes:                                               # newest first
        grad_out = _run_hooks(node.hooks, grads.pop(node))          # register_hook()s
        if node.retained is not None:
            _accumulate(node.retained, np.array(grad_out))           # a copy: grad_out goes on
        for edge, grad_in in zip(node.inputs, node.apply(grad_out)):   # (2)
            if edge is None:
                continue
            grad_in = _sum_to(grad_in, edge.shape).astype(edge.dtype, copy=False)  # (3)
            sums = leaf_grads if isinstance(edge, Tensor) else grads
            sums[edge] = grad_in if edge not in sums else sums[edge] + grad_in     # (4)
            if sums is leaf_grads:
                key = id(sums[edge])
                handed[key] = handed.get(key, 0) + 1
    for leaf, grad_in in leaf_grads.items():
        alone = handed[id(grad_in)] == 1                             # no other leaf has it
        _to_leaf(leaf, grad_in if alone else np.array(grad_in))      # (5)
    if not retain_graph:
        for node in nodes:
            node.release()                                           # (6)


def _initial_gradient(tensor: Tensor, gradient: Tensor | None) -> np.ndarray:
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones_like(tensor.array)
    grad = np.array(gradient, dtype=tensor.dtype)  # a copy: the caller keeps theirs
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {type(tensor.shape)(grad.shape)} "
            f"and output[0] has a shape of {tensor.shape}."
        )
    return grad


def _graph(root: Node) -> list[Node]:
    """Every node that leads to ``root``, newest first."""
    seen = {root}
    stack = [root]
    while stack:
        for edge in stack.pop().inputs:
            if isinstance(edge, Node) and edge not in seen:
                seen.add(edge)
                stack.append(edge)
    return sorted(seen, key=lambda node: node.order, reverse=True)


def _sum_to(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo broadcasting: sum over the dims it added in front and the size-1 dims it stretched."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def _to_leaf(t: Tensor, grad: np.ndarray) -> None:
    """(5) with the leaf's hooks: its register_hook()s see the gradient first (and may
    replace it), its post-accumulate hooks see the leaf after (and must return None)."""
    _accumulate(t, _run_hooks(t._hooks, grad))
    run_post_accumulate_hooks(t, t._post_hooks or {}, Tensor)


def _run_hooks(hooks: dict | None, grad: np.ndarray) -> np.ndarray:
    """Each hook in turn gets the gradient as a tensor; a tensor it returns replaces it."""
    for hook in list((hooks or {}).values()):
        given = Tensor(grad)
        replaced = hook(given)
        if check_hook_result(hook, given, replaced, Tensor):
            grad = np.asarray(replaced.array)
    return grad



def _accumulate(t: Tensor, grad: np.ndarray) -> None:
    """torch's AccumulateGrad: a new ``.grad`` the first time, then ``+=`` in place.

    backward hands over arrays that nothing else holds, so the first becomes ``.grad`` as it
    is (torch steals a gradient whose use count allows it), unless it is a view into another
    array, a NumPy scalar (not writeable) or laid out otherwise than the leaf (a transposed
    gradient): those are copied into an array laid out as the leaf (torch's
    ``clone_obey_contract``), so that a contiguous leaf gets a contiguous ``.grad``.
    """
    if t.grad is None:
        owned = grad.flags.owndata and grad.flags.writeable and grad.strides == t.array.strides
        if not owned:
            grad = _copy_laid_out_as(t.array, grad)
        t.grad = Tensor(grad)
    else:
        t.grad.array += grad


def _copy_laid_out_as(leaf: np.ndarray, grad: np.ndarray) -> np.ndarray:
    copy = np.empty_like(leaf)  # the leaf's dtype, shape and order of strides
    copy[...] = grad
    return copy
