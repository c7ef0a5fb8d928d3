"""Tensor: a NumPy array that remembers the operation that made it.

A tensor is three things:

1. values:    ``.array``, a NumPy array (its shape and dtype are the tensor's)
2. autograd:  ``.requires_grad`` (is a gradient wanted?), ``.grad`` (where backward adds it,
              for a leaf), ``.grad_fn`` (the node of the operation that made it, or None
              for a leaf: a tensor made by the user, a parameter)
3. a version: a counter bumped by every in-place change, so backward can refuse to use
              values that changed after an operation saved them

Every operation is a function of the engine: pointwise (``a + b``, ``a.exp()``: manual/
pointwise.py), comparisons and logic (``a < b``, ``a & b``, ``a % b``: comparison.py),
reductions (``a.sum()``: reduction.py), shapes and indexing (``a.view(...)``, ``a[i]``:
indexing.py) and matrix products (``a @ b``: blas.py). Each computes its values
with NumPy and records its local derivative in the graph (manual/graph.py); the methods of
a tensor are those functions, bound at the end of this file: ``t.exp()`` is ``exp(t)``.

In-place updates (``p -= lr * g``, ``p.add_(g, alpha=-lr)``, ``zero_``, ``x[i] = v``)
change ``.array`` where it is (the writes of values are in manual/indexing.py). On a leaf
that requires grad they need ``no_grad()``, as in torch; on a tensor inside the graph
(``out += residual``) the operation is recorded as a new node that the tensor then carries.
A view (``x[0]``, ``x.view(...)``) shares its tensor's memory and remembers it as ``_base``.

Dtypes follow torch, not NumPy: Python floats make float32 tensors, and an operation between
a tensor and a Python number keeps the tensor's dtype (manual/_parity/dtypes.py).

Reference: torch/_tensor.py (``Tensor``), torch/csrc/autograd/variable.h (version counter,
in-place rebase of the history), torch/csrc/autograd/python_variable.cpp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from manual._parity import dtypes, engine, printing
from manual.device import CPU, check_device, device
from manual.no_grad import is_grad_enabled

if TYPE_CHECKING:
    from manual.graph import Node, RemovableHandle

float32, float64, int64 = dtypes.float32, dtypes.float64, dtypes.int64


class Tensor:
    """A NumPy array (``.array``) plus what autograd needs: ``requires_grad``, ``grad``,
    ``grad_fn``. Build one with ``manual.tensor(...)``."""

    __slots__ = ("array", "requires_grad", "_grad", "grad_fn", "_version", "_hooks",
                 "_post_hooks", "_base", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, array: Any, requires_grad: bool = False, grad_fn: Node | None = None):
        self.array = array if isinstance(array, np.ndarray) else engine.legacy_array(array)
        self.requires_grad = requires_grad
        self._grad: Tensor | None = None
        self.grad_fn = grad_fn
        self._version = [0]  # bumped by every in-place change; shared with detached views
        self._hooks: dict[int, Callable[..., Any]] | None = None        # register_hook
        self._post_hooks: dict[int, Callable[..., Any]] | None = None   # post-accumulate
        self._base: Tensor | None = None  # the tensor this one views, sharing its memory

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        engine.check_grad(value, self)  # a tensor of this shape and dtype, or None
        self._grad = value

    # -- what a tensor is ------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return printing.Size(self.array.shape)  # a tuple, printed as torch.Size([...])

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> device:
        return CPU

    is_cuda = False

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (shares memory, like ``torch``)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor | np.ndarray) -> None:
        self.array = np.asarray(value)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.array.shape[engine.check_dim(
            dim, self.ndim)]

    def is_contiguous(self) -> bool:
        return self.array.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def numel(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.array.ndim

    def __len__(self) -> int:
        engine.check_not_0d(self, "len() of")
        return len(self.array)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values; ``np.array(t)`` gets a copy, as from a torch tensor."""
        array = self.array if dtype is None else self.array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __repr__(self) -> str:
        """As torch prints it (str too): digits, widths, wrapping, suffixes."""
        return printing.tensor_repr(self)  # manual/_parity/printing.py

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in torch; any other
        tensor, and a Parameter, as an object: its str, refusing a format spec."""
        if self.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows, each selected on its own (torch unbinds: one UnbindBackward0 node with an
        output per row, where this engine, whose nodes have one output, records a
        SelectBackward0 per row; the gradients are the same)."""
        engine.check_not_0d(self, "iteration over")
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        engine.check_one_element(self, "bool")
        return bool(self.array)

    def __float__(self) -> float:
        engine.check_one_element(self, "number")
        return float(self.item())

    def __int__(self) -> int:
        engine.check_one_element(self, "number")
        return int(self.item())

    def __index__(self) -> int:
        engine.check_index(self)
        return int(self.item())

    # -- autograd --------------------------------------------------------------------------

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (manual/backward.py)."""
        from manual.backward import backward

        backward(self, gradient, retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf too (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is complete, before it goes on (a
        tensor it returns replaces the gradient)."""
        from manual.graph import add_hook

        engine.check_hook_target(self)
        if self.grad_fn is not None:
            return add_hook(self.grad_fn.hooks, hook)
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]
                                           ) -> RemovableHandle:
        """Call ``hook(self)`` after backward has accumulated into this leaf's ``.grad``."""
        from manual.graph import add_hook

        engine.check_post_hook_target(self)
        if self._post_hooks is None:
            self._post_hooks = {}
        return add_hook(self._post_hooks, hook)

    def detach(self) -> Tensor:
        """Same values (shared memory, and so the same version counter), no graph."""
        view = Tensor(self.array)
        view._version = self._version
        return view

    def detach_(self) -> Tensor:
        self.grad_fn, self.requires_grad = None, False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        engine.check_requires_grad(self, requires_grad)
        self.requires_grad = requires_grad
        return self

    # -- conversions -----------------------------------------------------------------------

    def item(self) -> float | int | bool:
        engine.check_one_element(self)
        return self.array.item()

    def numpy(self) -> np.ndarray:
        engine.check_numpy(self)
        return self.array

    def tolist(self) -> Any:
        return self.array.tolist()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other)``: a cast when
        the dtype changes, this very tensor when nothing does."""
        where, dtype = engine.to_arguments(args, kwargs)
        check_device(where)
        if kwargs.get("copy") and dtype in (None, self.dtype):
            from manual.indexing import clone

            return clone(self)
        return self if dtype is None else self.type(dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        check_device("cuda")
        return self

    def type(self, dtype: Any) -> Tensor:
        from manual.pointwise import cast

        return cast(self, dtype)

    def float(self) -> Tensor:
        return self.type(float32)

    def double(self) -> Tensor:
        return self.type(float64)

    def long(self) -> Tensor:
        return self.type(int64)

    def int(self) -> Tensor:
        return self.type(np.int32)

    def bool(self) -> Tensor:
        return self.type(bool)

    # -- in-place updates ------------------------------------------------------------------

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        from manual.pointwise import add

        return self._in_place(add, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        from manual.pointwise import sub

        return self._in_place(sub, other, alpha=alpha)

    def mul_(self, other: Any) -> Tensor:
        from manual.pointwise import mul

        return self._in_place(mul, other)

    def div_(self, other: Any) -> Tensor:
        from manual.pointwise import div

        return self._in_place(div, other)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        from manual.pointwise import clamp

        return self._in_place(clamp, min, max)

    def relu_(self) -> Tensor:
        from manual.pointwise import relu

        return self._in_place(relu)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with U(a, b) draws, as torch's generator makes them (manual/generator.py)."""
        from manual._parity.generator import fill
        from manual.generator import default_generator

        gen = generator or default_generator
        return fill(self, lambda n: gen.uniform(n, a, b, self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with N(mean, std^2) draws, as torch's generator makes them."""
        from manual._parity.generator import fill
        from manual.generator import default_generator

        gen, contiguous = generator or default_generator, self.array.flags.c_contiguous
        return fill(self, lambda n: gen.normal(n, mean, std, self.dtype, contiguous))

    def _in_place(self, operation: Callable[..., Tensor], *args: Any, through_view: bool = False,
                  **kwargs: Any) -> Tensor:
        """self = operation(self, ...), written into self's own array. Inside the graph, the
        operation is recorded on a copy of the old values, whose node this tensor takes on
        (``through_view``: torch writes through a view of self, as ``x[0] = v`` does)."""
        recording = is_grad_enabled() and (self.requires_grad or any(
            getattr(arg, "requires_grad", False) for arg in args))
        engine.check_in_place_target(self, recording, through_view)
        old = Tensor(np.array(self.array) if recording else self.array, self.requires_grad,
                     self.grad_fn)
        result = operation(old, *args, **kwargs)
        engine.check_in_place_shape(result.shape, self.shape)
        engine.check_in_place_cast(result.dtype, self.dtype)
        np.copyto(self.array, result.array, casting="unsafe")
        if recording:
            self.grad_fn, self.requires_grad = result.grad_fn, result.requires_grad
        self.mark_modified()
        return self

    def _update_in_place(self, update: Callable[[np.ndarray], Any]) -> Tensor:
        """Write with ``update(array)``, recording nothing: refused where torch would record."""
        recording = is_grad_enabled() and self.requires_grad
        engine.check_in_place_target(self, recording)
        if recording:
            raise RuntimeError(engine.GRAPH_IN_PLACE)
        update(self.array)
        self.mark_modified()
        return self

    def mark_modified(self) -> None:
        """Record an in-place change (the optimizers call it after updating ``.array``)."""
        self._version[0] += 1


# -- the operations, as methods: t.exp() is exp(t), t + u is add(t, u) ----------------------
# (imported here because those modules build Tensors: they need the class above)

from manual import blas, comparison, indexing, pointwise, reduction  # noqa: E402


def _where(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return pointwise.where(condition, self, other)  # torch: x.where(c, y) is where(c, x, y)


Tensor.add, Tensor.sub, Tensor.mul = pointwise.add, pointwise.sub, pointwise.mul
Tensor.div = Tensor.true_divide = pointwise.div
Tensor.__neg__ = Tensor.neg = pointwise.neg
Tensor.pow = pointwise.pow
Tensor.__abs__ = Tensor.abs = pointwise.abs
Tensor.reciprocal, Tensor.exp, Tensor.log = pointwise.reciprocal, pointwise.exp, pointwise.log
Tensor.sqrt, Tensor.tanh, Tensor.sigmoid = pointwise.sqrt, pointwise.tanh, pointwise.sigmoid
Tensor.sin, Tensor.cos, Tensor.relu = pointwise.sin, pointwise.cos, pointwise.relu
Tensor.clamp = Tensor.clip = pointwise.clamp
Tensor.where = _where
Tensor.eq, Tensor.ne, Tensor.lt = comparison.eq, comparison.ne, comparison.lt
Tensor.le, Tensor.gt, Tensor.ge = comparison.le, comparison.gt, comparison.ge
Tensor.bitwise_and, Tensor.bitwise_or = comparison.bitwise_and, comparison.bitwise_or
Tensor.bitwise_xor = comparison.bitwise_xor
Tensor.__invert__ = Tensor.bitwise_not = comparison.bitwise_not
Tensor.floor_divide, Tensor.remainder = comparison.floor_divide, comparison.remainder
Tensor.isclose, Tensor.allclose = comparison.isclose, comparison.allclose
Tensor.all, Tensor.any, Tensor.norm = reduction.all, reduction.any, reduction.norm
Tensor.bincount, Tensor.std, Tensor.var = reduction.bincount, reduction.std, reduction.var
Tensor.matmul = blas.matmul

# the operators: t + u is add(t, u), u + t is add(t, u) too (radd), ...; an operand the
# operation refuses makes the operator NotImplemented, as torch's (engine.operator)
for _names, _operation in (
        (("__add__", "__radd__"), pointwise.add), (("__sub__",), pointwise.sub),
        (("__rsub__",), pointwise.rsub), (("__mul__", "__rmul__"), pointwise.mul),
        (("__truediv__",), pointwise.div), (("__rtruediv__",), pointwise.rdiv),
        (("__pow__",), pointwise.pow), (("__rpow__",), pointwise.rpow),
        (("__eq__",), comparison.eq), (("__ne__",), comparison.ne),
        (("__lt__",), comparison.lt), (("__le__",), comparison.le),
        (("__gt__",), comparison.gt), (("__ge__",), comparison.ge),
        (("__and__", "__rand__"), comparison.bitwise_and),
        (("__or__", "__ror__"), comparison.bitwise_or),
        (("__xor__", "__rxor__"), comparison.bitwise_xor),
        (("__floordiv__",), comparison.floor_divide),
        (("__rfloordiv__",), comparison.rfloor_divide),
        (("__mod__",), comparison.remainder), (("__rmod__",), comparison.rremainder),
        (("__matmul__",), blas.matmul)):
    for _name in _names:
        setattr(Tensor, _name, engine.operator(_operation))
Tensor.mm = blas.mm
Tensor.sum, Tensor.mean = reduction.sum, reduction.mean
Tensor.max, Tensor.min = reduction.max, reduction.min
Tensor.argmax, Tensor.argmin = reduction.argmax, reduction.argmin
Tensor.__getitem__, Tensor.__setitem__ = indexing.getitem, indexing.setitem
Tensor.zero_, Tensor.fill_, Tensor.copy_ = indexing.zero_, indexing.fill_, indexing.copy_
Tensor.view, Tensor.reshape, Tensor.view_as = indexing.view, indexing.reshape, indexing.view_as
Tensor.unsqueeze, Tensor.squeeze = indexing.unsqueeze, indexing.squeeze
Tensor.flatten, Tensor.permute = indexing.flatten, indexing.permute
Tensor.transpose, Tensor.t = indexing.transpose, indexing.t
Tensor.T = property(indexing.T)
Tensor.expand, Tensor.expand_as = indexing.expand, indexing.expand_as
Tensor.contiguous, Tensor.clone = indexing.contiguous, indexing.clone
