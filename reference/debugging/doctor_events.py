"""What doctor's watch hands its checks: one event per thing the loop did, and the
helpers that read tensors, graphs and modules of either engine alike.

The events: Forward (an outermost module call), LossCall (a loss function's input and
reduction), Backward (the loss, the leaves its graph reaches, their .grad before and
after), Step (an optimizer's parameters and gradients before its step, the values after),
Clip, Broadcast ((N, 1) against (N,) into (N, N)), Origin (the first non-finite value of a
step), StepEnd (what the user's names hold when a step ends), Rebound, Warned and Raised.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import manual
from manual import module as manual_module
from manual import optimizer as manual_optimizer
from reference.convert import to_numpy


class Stop(BaseException):  # noqa: N818 (a signal, not an error: user code must not catch it)
    """The watched steps are done: ends a script early (a BaseException, so that a script's
    ``except Exception`` lets it through)."""


# -- the events ----------------------------------------------------------------------------

@dataclass
class Forward:
    """An outermost module call."""

    step: int
    module: Any
    name: str
    grad: bool                      # grad mode was on
    training: bool
    switches: list[str]             # its dropout and batch-norm modules, "name (Type)"


@dataclass
class LossCall:
    step: int
    function: str
    input: np.ndarray
    made_by: str                    # the operation that made the input ("" without a graph)
    reduction: str
    output: Any


@dataclass
class Backward:
    step: int
    loss: Any
    value: np.ndarray
    reached: dict[int, Any]         # id -> each leaf the graph reaches
    nodes: list[str]                # its operations, nearest the loss first
    site: tuple[str, int] | None    # the user's line that called backward
    source: LossCall | None         # the loss call whose output backward starts from
    closure: bool                   # inside an optimizer's step (LBFGS's closure)
    before: dict[int, np.ndarray | None]
    after: dict[int, np.ndarray | None] = field(default_factory=dict)

    def fresh(self, pid: int) -> np.ndarray | None:
        """What this backward added to a leaf's .grad."""
        after, before = self.after.get(pid), self.before.get(pid)
        if after is None:
            return None
        return after if before is None or before.shape != after.shape else after - before


@dataclass
class Step:
    """One optimizer.step(): its parameters' values and gradients before, values after."""

    step: int
    optimizer: Any
    name: str
    count: int                      # this optimizer's own step number
    params: list[Any]
    before: list[np.ndarray]
    grads: list[np.ndarray | None]
    lrs: list[float]
    after: list[np.ndarray] = field(default_factory=list)


@dataclass
class Clip:
    step: int
    function: str
    threshold: float
    given: int                      # parameters it was given
    with_grad: int                  # of which with a .grad
    norm: float                     # their gradients' 2-norm before clipping


@dataclass
class Broadcast:
    step: int
    op: str
    shapes: list[tuple[int, ...]]   # the operands' shapes that are known
    out: tuple[int, ...]


@dataclass
class Origin:
    """The first non-finite value of a step: where it came from."""

    step: int
    where: str


@dataclass
class Held:
    """What one name of the user's code holds: tensors with a graph, the nodes they keep."""

    container: bool                 # a list, tuple, dict or deque (else a tensor)
    graphs: int
    nodes: int
    ids: frozenset[int]             # a container's tensors; a tensor's graph nodes
    kept: tuple[Any, ...]           # what the ids name, kept alive so that no id is reused

    def keeps(self, before: Held) -> bool:
        """Does this hold all that ``before`` held, and more: the same tensors and new ones
        (a container), or a graph grown from the one before (a tensor)?"""
        if self.container != before.container:
            return False
        if self.container:
            return before.ids < self.ids
        return id(before.kept[0]) in self.ids and before.kept[0] is not self.kept[0]


@dataclass
class StepEnd:
    step: int
    returned: Any
    holders: dict[str, Held]


@dataclass
class Warned:
    step: int
    category: str
    message: str


@dataclass
class Rebound:
    """Names that held a trainable leaf and now hold a tensor that is not one."""

    step: int
    names: dict[str, Any]


@dataclass
class Raised:
    step: int
    error: BaseException


# -- values --------------------------------------------------------------------------------

def is_tensor(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, manual.Tensor))


def is_module(value: Any) -> bool:
    return isinstance(value, (torch.nn.Module, manual_module.Module))


def is_optimizer(value: Any) -> bool:
    return isinstance(value, (torch.optim.Optimizer, manual_optimizer.Optimizer))


def is_scheduler(value: Any) -> bool:
    return (not isinstance(value, type) and hasattr(value, "last_epoch")
            and is_optimizer(getattr(value, "optimizer", None)))


def values(t: Any) -> np.ndarray | None:
    """A float64 NumPy copy of a tensor of either engine (None for None)."""
    if t is None:
        return None
    if isinstance(t, torch.Tensor) and t.dtype == torch.bfloat16:
        t = t.float()
    return np.array(to_numpy(t), dtype=np.float64)


def finite(t: Any) -> bool:
    if isinstance(t, torch.Tensor):
        return not t.is_floating_point() or bool(torch.isfinite(t).all())
    return not np.issubdtype(t.array.dtype, np.floating) or bool(np.isfinite(t.array).all())


def tensors(value: Any) -> list[Any]:
    """The tensors in a module's inputs or outputs (a tensor, or tuples, lists, dicts)."""
    if is_tensor(value):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors(item)]
    return []


def made_by(t: Any) -> str:
    """The name of the operation that made ``t``: torch's and manual's nodes both say."""
    node = getattr(t, "grad_fn", None)
    return node.name() if node is not None else ""


def params_of(optimizer: Any) -> list[Any]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def walk(loss: Any) -> tuple[dict[int, Any], list[Any]]:
    """The leaves a backward from ``loss`` reaches (by id) and its nodes, nearest first:
    torch's nodes through next_functions (AccumulateGrad holds the leaf), manual's through
    their input edges (a leaf is its own edge)."""
    leaves: dict[int, Any] = {}
    if loss.grad_fn is None:
        if loss.requires_grad:
            leaves[id(loss)] = loss
        return leaves, []
    nodes, seen, queue = [], set(), deque([loss.grad_fn])
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, manual.Tensor) or hasattr(node, "variable"):
            leaf = getattr(node, "variable", node)
            leaves[id(leaf)] = leaf
            continue
        nodes.append(node)
        if hasattr(node, "next_functions"):
            queue.extend(fn for fn, _ in node.next_functions if fn is not None)
        else:
            queue.extend(edge for edge in node.inputs if edge is not None)
    return leaves, nodes


def column_against_row(out: tuple[int, ...], model_side: tuple[int, ...],
                       other: tuple[int, ...] | None) -> bool:
    """(N, 1) against (N,), either way round, into (N, N): ``model_side`` is the shape of the
    operand that comes from the model (in the graph), ``other`` the shape of the one that
    does not (None where it is unknown: a manual node keeps no shape for an operand outside
    the graph). Two operands from the model (pairwise differences) are on purpose."""
    if len(out) != 2 or out[0] != out[1] or out[0] < 2:
        return False
    pair = {(out[0],), (out[0], 1)}
    return model_side in pair and (other is None or {model_side, other} == pair)


def switches(module: Any, name: str) -> list[str]:
    """The modules under ``module`` that act differently in train() and eval()."""
    found = []
    for sub, m in module.named_modules():
        kind = type(m).__name__
        if ("Dropout" in kind and getattr(m, "p", 0) > 0 or kind.startswith("BatchNorm")
                or kind.startswith("SyncBatchNorm")):
            found.append(f"{name}.{sub} ({kind})" if sub else f"{name} ({kind})")
    return found
