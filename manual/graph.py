"""The graph: each result remembers the operation that made it, and how to send a gradient back.

Every operation on tensors does two things:

1. forward:  out = f(a, b, ...)                      computed with NumPy, right away
2. record:   out.grad_fn = Node(f's local derivative, edges to a's and b's nodes)
             only when grad mode is on and some input requires grad

A node's edges point at its inputs' nodes, or at the input itself when it is a leaf that
requires grad (where backward accumulates ``.grad``), or nowhere. ``backward()``
(manual/backward.py) walks the nodes from the output back to the leaves, applying each
local derivative: the chain rule, one node at a time.

A node keeps the arrays its derivative needs until the first backward frees them
(``saves``), and the version of each tensor it reads as it is (``reads``): changing one of
those in place before backward would make the gradient wrong, so backward refuses it.

Hooks, as torch's: ``t.register_hook(fn)`` calls fn(grad) when t's gradient is complete
(a returned tensor replaces it); ``t.register_post_accumulate_grad_hook(fn)`` calls fn(t)
after backward has accumulated into a leaf's ``.grad``.

Reference: torch/csrc/autograd/function.h (``Node``), torch/csrc/autograd/variable.h (the
version counter), torch/_tensor.py (``register_hook``,
``register_post_accumulate_grad_hook``), torch/utils/hooks.py (``RemovableHandle``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from manual._parity import engine as parity
from manual.no_grad import is_grad_enabled

if TYPE_CHECKING:
    from manual.tensor import Tensor

Derivative = Callable[[np.ndarray], Sequence[np.ndarray | None]]
Edge = Union["Node", "Tensor", None]  # a non-leaf's node, a leaf that requires grad, or nothing

_creation_order = itertools.count()


class Node:
    """One recorded operation: its local derivative and the edges to its inputs.

    ``derivative(grad_out)`` returns one gradient per input, each shaped like ``grad_out``'s
    contribution before any broadcasting is undone (the engine sums it back to shape).
    ``order`` increases with every node made, so newer nodes always sit nearer the output.
    """

    __slots__ = ("_name", "derivative", "inputs", "saves", "order", "retained", "shape", "dtype",
                 "versions", "hooks")

    def __init__(self, name: str, derivative: Derivative, inputs: Sequence[Tensor], saves: bool,
                 out: np.ndarray, watched: Sequence[Tensor] = ()):
        self._name = name
        self.derivative: Derivative | None = derivative
        self.inputs: tuple[Edge, ...] = tuple(_edge(t) for t in inputs)
        self.saves = saves  # does the derivative hold arrays that backward frees?
        self.order = next(_creation_order)
        self.retained: Tensor | None = None  # the output tensor, if it called retain_grad()
        self.shape, self.dtype = out.shape, out.dtype  # what the output's gradient must be
        self.versions = [(t, t._version[0]) for t in watched]  # what the derivative reads
        self.hooks: dict[int, Callable[[Any], Any]] = {}  # the output's register_hook()s

    def name(self) -> str:
        return self._name

    def apply(self, grad: np.ndarray) -> Sequence[np.ndarray | None]:
        """The local derivative: gradients of the inputs given the output's gradient."""
        if self.derivative is None:
            raise RuntimeError(parity.FREED)
        parity.check_versions(self.versions)  # nothing it reads was changed in place
        return self.derivative(grad)

    def release(self) -> None:
        """Free the saved arrays (a node that saved none stays usable, as in torch)."""
        if self.saves:
            self.derivative = None
            self.versions = []

    def __repr__(self) -> str:
        return f"<{self._name}>"


def _edge(t: Tensor) -> Edge:
    """Where a gradient for ``t`` goes: its node, itself if a leaf that wants grad, or nowhere."""
    if t.grad_fn is not None:
        return t.grad_fn
    return t if t.requires_grad else None


def record(name: str, out: np.ndarray, inputs: Sequence[Tensor], derivative: Derivative,
           saves: bool = False, reads: Sequence[Tensor] = (), reads_output: bool = False
           ) -> Tensor:
    """The result of an operation, with its node recorded when autograd needs one.

    ``derivative(grad_out)`` returns one gradient per tensor in ``inputs``; ``saves`` says
    whether it holds arrays of the forward pass, which backward frees. ``reads`` lists the
    tensors whose arrays it reads as they are, not copied (and ``reads_output`` the result):
    changing one in place before backward is then an error, as in torch.
    """
    from manual.tensor import Tensor

    out = np.asarray(out)
    if not (is_grad_enabled() and any(t.requires_grad for t in inputs)):
        return Tensor(out)
    result = Tensor(out, requires_grad=True)
    watched = (*reads, result) if reads_output else reads
    result.grad_fn = Node(name, derivative, inputs, saves, out, watched)
    return result


def needed(*pairs: tuple[Tensor, Tensor]) -> tuple[Tensor, ...]:
    """What a derivative reads, as torch saves it: for each (input, tensor) pair, ``tensor``
    is read only if ``input`` wants a gradient (d(a b)/da reads b, so b is watched only
    when a requires grad)."""
    return tuple(read for input, read in pairs if input.requires_grad)


_handles = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks_dict_ref = hooks
        self.id = next(_handles)

    def remove(self) -> None:
        self.hooks_dict_ref.pop(self.id, None)


_backward_hooks: dict[int, Callable[..., Any]] = {}
_backward_post_hooks: dict[int, Callable[..., Any]] = {}


def register_backward_hook(hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Call ``hook(tensor)`` each time backward starts from ``tensor`` (the loss, usually):
    what a tool sees of ``loss.backward()``, as torch's __torch_function__ modes see it."""
    return add_hook(_backward_hooks, hook)


def register_backward_post_hook(hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Call ``hook(tensor)`` when a backward from ``tensor`` has filled every ``.grad``."""
    return add_hook(_backward_post_hooks, hook)


def backward_started(tensor: Tensor) -> None:
    for hook in list(_backward_hooks.values()):
        hook(tensor)


def backward_finished(tensor: Tensor) -> None:
    for hook in list(_backward_post_hooks.values()):
        hook(tensor)


def add_hook(hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook`` in ``hooks``, in order, and return the handle that removes it."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
