"""Tensor: a NumPy array that remembers the operation that made it.

Each operation does two things:

1. forward:  out = f(a, b, ...)                      computed with NumPy, right away
2. record:   out.grad_fn = Node(f's local derivative, edges to a's and b's nodes)
             (only when grad mode is on and some input requires grad)

``backward()`` (manual/backward.py) later walks those nodes from the output back to the
leaves, applying each local derivative: the chain rule, one node at a time. A node keeps the
arrays its derivative needs (``saved``) until the first backward frees them, as torch does.

Dtypes follow torch, not NumPy: Python floats make float32 tensors, and an operation between
a tensor and a Python number keeps the tensor's dtype (``_result_dtype`` below).

Reference: torch/_tensor.py (``Tensor``), torch/csrc/autograd/function.h (``Node``),
tools/autograd/derivatives.yaml (each operation's derivative).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from manual.no_grad import is_grad_enabled

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)

Derivative = Callable[[np.ndarray], Sequence[np.ndarray | None]]
Edge = Union["Node", "Tensor", None]  # a non-leaf's node, a leaf that requires grad, or nothing
Operand = Union["Tensor", float, int, bool]

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
_creation_order = itertools.count()


class Node:
    """One recorded operation: its local derivative and the edges to its inputs.

    ``derivative(grad_out)`` returns one gradient per input, each shaped like ``grad_out``'s
    contribution before any broadcasting is undone (the engine sums it back to shape).
    ``order`` increases with every node made, so newer nodes always sit nearer the output.
    """

    __slots__ = ("_name", "derivative", "inputs", "saves", "order", "retained", "shape", "dtype",
                 "versions")

    def __init__(self, name: str, derivative: Derivative, inputs: Sequence[Tensor], saves: bool,
                 out: np.ndarray, watched: Sequence[Tensor] = ()):
        self._name = name
        self.derivative: Derivative | None = derivative
        self.inputs: tuple[Edge, ...] = tuple(_edge(t) for t in inputs)
        self.saves = saves  # does the derivative hold arrays that backward frees?
        self.order = next(_creation_order)
        self.retained: Tensor | None = None  # the output tensor, if it called retain_grad()
        self.shape, self.dtype = out.shape, out.dtype  # what the output's gradient must be
        # the version of each tensor whose array the derivative reads: an in-place change
        # after this point would make the gradient wrong, so backward refuses it (as torch)
        self.versions = [(t, t._version[0]) for t in watched]

    def name(self) -> str:
        return self._name

    def apply(self, grad: np.ndarray) -> Sequence[np.ndarray | None]:
        """The local derivative: gradients of the inputs given the output's gradient."""
        if self.derivative is None:
            raise RuntimeError(_FREED)
        for t, version in self.versions:
            if t._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [manual.Tensor {list(t.shape)}, {t.dtype}] is "
                    f"at version {t._version[0]}; expected version {version} instead.")
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


class Tensor:
    """A NumPy array (``.array``) plus what autograd needs: ``requires_grad``, ``grad``,
    ``grad_fn``. Build one with ``manual.tensor(...)``."""

    __slots__ = ("array", "requires_grad", "_grad", "grad_fn", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, array: np.ndarray, requires_grad: bool = False, grad_fn: Node | None = None):
        self.array = array
        self.requires_grad = requires_grad
        self._grad: Tensor | None = None
        self.grad_fn = grad_fn
        self._version = [0]  # bumped by every in-place change; shared with detached views

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        """torch's checks: a gradient is a tensor of this tensor's shape and dtype, or None."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
                    f"with dtype '{self.dtype}'. The gradient must match the tensor's dtype")
        self._grad = value

    # -- what a tensor is ------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

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
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.array.ndim

    def __len__(self) -> int:
        return len(self.array)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values; ``np.array(t)`` gets a copy, as from a torch tensor."""
        array = self.array if dtype is None else self.array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __repr__(self) -> str:
        extra = f", grad_fn={self.grad_fn!r}" if self.grad_fn else ""
        extra += ", requires_grad=True" if self.requires_grad and not self.grad_fn else ""
        return f"tensor({np.array2string(self.array, separator=', ')}{extra})"

    def __iter__(self):
        """The rows, each selected on its own (torch unbinds: one UnbindBackward0 node with an
        output per row, where this engine, whose nodes have one output, records a
        SelectBackward0 per row; the gradients are the same)."""
        return (self[i] for i in range(len(self)))

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

    def detach(self) -> Tensor:
        """Same values (shared memory, and so the same version counter), no graph."""
        view = Tensor(self.array)
        view._version = self._version
        return view

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach()."
            )
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def item(self) -> float | int | bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.array.size} elements cannot be converted to Scalar"
            )
        return self.array.item()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self.array

    def tolist(self) -> Any:
        return self.array.tolist()

    # -- in-place updates (never recorded: use them under no_grad) ---------------------------

    def zero_(self) -> Tensor:
        return self._update_in_place(lambda a: a.fill(0))

    def copy_(self, src: Tensor | np.ndarray) -> Tensor:
        return self._update_in_place(lambda a: np.copyto(a, np.asarray(src), casting="unsafe"))

    def __iadd__(self, other: Operand) -> Tensor:
        return self._update_in_place(lambda a: np.add(a, _value(other, a.dtype), out=a))

    def __isub__(self, other: Operand) -> Tensor:
        return self._update_in_place(lambda a: np.subtract(a, _value(other, a.dtype), out=a))

    def __imul__(self, other: Operand) -> Tensor:
        return self._update_in_place(lambda a: np.multiply(a, _value(other, a.dtype), out=a))

    def __itruediv__(self, other: Operand) -> Tensor:
        return self._update_in_place(lambda a: np.divide(a, _value(other, a.dtype), out=a))

    def _update_in_place(self, update: Callable[[np.ndarray], Any]) -> Tensor:
        if is_grad_enabled() and self.requires_grad:
            if self.is_leaf:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            raise RuntimeError(
                "in-place operations on tensors in the graph are not recorded by the manual "
                "engine; write the out-of-place form (x = x + y) or use no_grad()"
            )
        update(self.array)
        self.mark_modified()
        return self

    def mark_modified(self) -> None:
        """Record an in-place change (the optimizers call it after updating ``.array``)."""
        self._version[0] += 1

    # -- arithmetic (each: forward, then the derivative it records) ------------------------

    def __add__(self, other: Operand) -> Tensor:
        a, b = _operands(self, other)

        def derivative(grad):  # d(a + b) = da + db
            return grad, grad

        return record("AddBackward0", a.array + b.array, (a, b), derivative)

    def __radd__(self, other: Operand) -> Tensor:
        return self + other

    def __sub__(self, other: Operand) -> Tensor:
        a, b = _operands(self, other)

        def derivative(grad):  # d(a - b) = da - db
            return grad, -grad

        return record("SubBackward0", a.array - b.array, (a, b), derivative)

    def __rsub__(self, other: Operand) -> Tensor:
        b, a = _operands(self, other)

        def derivative(grad):  # d(a - b) = da - db, with b this tensor
            return -grad, grad

        name = "RsubBackward0" if isinstance(other, (Tensor, np.ndarray)) else "RsubBackward1"
        return record(name, a.array - b.array, (b, a), derivative)

    def __neg__(self) -> Tensor:
        def derivative(grad):  # d(-a) = -da
            return (-grad,)

        return record("NegBackward0", -self.array, (self,), derivative)

    def __mul__(self, other: Operand) -> Tensor:
        a, b = _operands(self, other)
        a_values, b_values = a.array, b.array

        def derivative(grad):  # d(a * b) = b da + a db
            return grad * b_values, grad * a_values

        return record("MulBackward0", a_values * b_values, (a, b), derivative, saves=True,
                      reads=needed((a, b), (b, a)))

    def __rmul__(self, other: Operand) -> Tensor:
        return self * other

    def __truediv__(self, other: Operand) -> Tensor:
        a, b = _operands(self, other, true_division=True)
        a_values, b_values = a.array, b.array

        def derivative(grad):  # d(a / b) = da / b - a db / b^2
            return grad / b_values, -grad * ((a_values / b_values) / b_values)

        return record("DivBackward0", a_values / b_values, (a, b), derivative, saves=True,
                      reads=needed((a, b), (b, a), (b, b)))

    def __rtruediv__(self, other: Operand) -> Tensor:
        """other / self as torch computes it: self.reciprocal() * other, rounding twice (so
        3 / x differs from a correctly rounded quotient in about a quarter of the elements).
        Reference: torch/_tensor.py (``__rdiv__``)."""
        return self.reciprocal() * other

    def reciprocal(self) -> Tensor:
        """1 / a, silently inf at 0 and past float range, as torch."""
        if self.dtype.kind != "f":
            return _cast(self, float32).reciprocal()  # torch takes integers to the default float
        with np.errstate(divide="ignore", over="ignore"):
            out = np.reciprocal(self.array)

        def derivative(grad):  # d(1 / a) = -da / a^2, written with 1 / a as torch: -da (1/a)^2
            with np.errstate(over="ignore"):
                return (-grad * (out * out),)

        return record("ReciprocalBackward0", out, (self,), derivative, saves=True,
                      reads_output=True)

    def __pow__(self, exponent: float | int) -> Tensor:
        if isinstance(exponent, Tensor):
            raise TypeError("manual.Tensor supports only a Python number as exponent")
        base = self.array

        def derivative(grad):  # d(a^n) = n a^(n-1) da
            if exponent == 0:
                return (np.zeros_like(grad),)
            return (grad * (exponent * _power(base, exponent - 1)),)

        return record("PowBackward0", _power(base, exponent), (self,), derivative, saves=True,
                      reads=(self,))

    def __matmul__(self, other: Tensor) -> Tensor:
        if self.dtype != other.dtype:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {self.dtype} != "
                f"{other.dtype}"
            )
        a, b = self.array, other.array

        def derivative(grad):  # d(a @ b) = da @ b + a @ db
            return _matmul_backward(grad, a, b)

        return record("MmBackward0", a @ b, (self, other), derivative, saves=True,
                      reads=needed((self, other), (other, self)))

    # -- elementwise functions -------------------------------------------------------------

    def exp(self) -> Tensor:
        if self.dtype.kind != "f":
            return _cast(self, float32).exp()  # torch takes integers to the default float
        out = np.exp(self.array)

        def derivative(grad):  # d(e^a) = e^a da
            return (grad * out,)

        return record("ExpBackward0", out, (self,), derivative, saves=True, reads_output=True)

    def log(self) -> Tensor:
        if self.dtype.kind != "f":
            return _cast(self, float32).log()
        a = self.array

        def derivative(grad):  # d(log a) = da / a
            return (grad / a,)

        return record("LogBackward0", np.log(a), (self,), derivative, saves=True, reads=(self,))

    def relu(self) -> Tensor:
        a = self.array
        out = _zero_where(a < 0, a)  # torch's clamp_min: NaN and -0.0 stay

        def derivative(grad):  # d(relu a) = da where relu(a) > 0 (or NaN), else 0
            return (_zero_where(out <= 0, grad),)

        return record("ReluBackward0", out, (self,), derivative, saves=True, reads_output=True)

    # -- reductions and shapes -------------------------------------------------------------

    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        shape, axes = self.shape, _axes(dim, self.ndim)

        def derivative(grad):  # each input element contributed once: spread grad back
            return (np.broadcast_to(_unsqueeze(grad, axes, keepdim), shape),)

        out = np.sum(self.array, axis=axes, keepdims=keepdim)
        return record("SumBackward0" if dim is None else "SumBackward1",
                      np.asarray(out, dtype=_sum_dtype(self.dtype)), (self,), derivative)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        if self.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {self.dtype}"
            )
        shape, axes = self.shape, _axes(dim, self.ndim)
        count = int(np.prod([shape[i] for i in axes]))

        def derivative(grad):  # each input element contributed 1/count: spread grad / count
            return (np.broadcast_to(_unsqueeze(grad, axes, keepdim) / count, shape),)

        out = np.asarray(np.mean(self.array, axis=axes, keepdims=keepdim), dtype=self.dtype)
        return record("MeanBackward0" if dim is None else "MeanBackward1", out, (self,),
                      derivative)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        old_shape = self.shape
        new_shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape

        def derivative(grad):  # same elements, old shape
            return (grad.reshape(old_shape),)

        return record("ViewBackward0", self.array.reshape(new_shape), (self,), derivative)

    view = reshape

    @property
    def T(self) -> Tensor:  # noqa: N802 (torch's name)
        return self._transposed("PermuteBackward0")  # torch: a permute of every dim

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self._transposed("TBackward0")

    def _transposed(self, name: str) -> Tensor:
        def derivative(grad):  # transpose back
            return (grad.T,)

        return record(name, self.array.T, (self,), derivative)

    def __getitem__(self, index: Any) -> Tensor:
        shape, dtype = self.shape, self.dtype
        index = index.array if isinstance(index, Tensor) else index

        def derivative(grad):  # the picked elements get grad, the others 0
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, grad)
            return (full,)

        out = self.array[index]  # NumPy refuses a bad index first, with IndexError as torch
        name = _index_node_name(index, shape)  # advanced indexing saves its indices
        return record(name, out, (self,), derivative, saves=name == "IndexBackward0")

    # -- comparisons (no gradient) ---------------------------------------------------------

    def __eq__(self, other: object) -> Tensor | bool:  # type: ignore[override]
        if other is None:
            return False
        return Tensor(np.asarray(self.array == _value(other, self.dtype)))

    def __lt__(self, other: Operand) -> Tensor:
        return Tensor(np.asarray(self.array < _value(other, self.dtype)))

    def __gt__(self, other: Operand) -> Tensor:
        return Tensor(np.asarray(self.array > _value(other, self.dtype)))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
            )
        return bool(self.array)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return Tensor(np.asarray(np.argmax(self.array, axis=dim, keepdims=keepdim)))

    def float(self) -> Tensor:
        return self if self.dtype == float32 else _cast(self, float32)

    def double(self) -> Tensor:
        return self if self.dtype == float64 else _cast(self, float64)


def _index_node_name(index: Any, shape: tuple[int, ...]) -> str:
    """The node torch leaves on top for ``a[index]``: advanced indexing (lists, arrays, masks,
    booleans) is one Index node; otherwise torch selects (an int), slices (a slice) and
    unsqueezes (None) one dim at a time, and the last of those names the node. In a tuple, a
    slice that keeps the whole dim (from 0, step 1, to its end or beyond) is skipped, and an
    index that does nothing else is an alias; a bare ``a[:]`` is still a slice."""
    if isinstance(index, slice):
        return "SliceBackward0"
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (list, np.ndarray, bool, np.bool_)) for p in parts):
        return "IndexBackward0"
    dims = iter(range(len(shape)))
    last = "AliasBackward0"
    for part in parts:
        if part is Ellipsis:  # the dims no other part takes
            for _ in range(len(shape) - sum(p is not None and p is not Ellipsis for p in parts)):
                next(dims)
        elif part is None:
            last = "UnsqueezeBackward0"
        elif isinstance(part, slice):
            if not _whole(part, shape[next(dims)]):
                last = "SliceBackward0"
        else:
            next(dims)
            last = "SelectBackward0"
    return last


def _whole(part: slice, size: int) -> bool:
    """Does the slice keep every element of a dim of this size, in order?"""
    return (part.start in (None, 0) and part.step in (None, 1)
            and (part.stop is None or part.stop >= size))


def record(name: str, out: np.ndarray, inputs: Sequence[Tensor], derivative: Derivative,
           saves: bool = False, reads: Sequence[Tensor] = (), reads_output: bool = False
           ) -> Tensor:
    """The result of an operation, with its node recorded when autograd needs one.

    ``derivative(grad_out)`` returns one gradient per tensor in ``inputs``; ``saves`` says
    whether it holds arrays of the forward pass, which backward frees. ``reads`` lists the
    tensors whose arrays it reads as they are, not copied (and ``reads_output`` the result):
    changing one in place before backward is then an error, as in torch.
    """
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


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor with a copy of ``data``, typed as ``torch.tensor`` types it:
    Python floats become float32, Python ints int64, a NumPy array keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.array
    array = np.array(data, dtype=dtype if dtype is not None else _default_dtype(data))
    return Tensor(array).requires_grad_(requires_grad) if requires_grad else Tensor(array)


def _default_dtype(data: Any) -> np.dtype | None:
    """torch.tensor's inference: NumPy keeps its dtype; Python numbers map as torch maps them."""
    if isinstance(data, (np.ndarray, np.generic)):
        return None
    kinds = np.asarray(data).dtype.kind
    return {"f": float32, "i": int64, "u": int64, "b": np.dtype(bool)}.get(kinds)


def _cast(t: Tensor, dtype: np.dtype) -> Tensor:
    def derivative(grad):  # the values pass through; the engine casts grad back
        return (grad,)

    return record("ToCopyBackward0", t.array.astype(dtype), (t,), derivative)


# -- helpers: torch's type promotion, axes, broadcasting -----------------------------------

def _power(base: np.ndarray, exponent: float | int) -> np.ndarray:
    """base ** exponent as torch's CPU kernel computes it: a few exponents by multiplication
    (2: b*b, 3: b*b*b, -1: 1/b, -2: 1/(b*b)), 0.5 by sqrt, -0.5 by 1/sqrt, the rest by libm's
    pow (which differs at the edges: pow(-inf, -0.5) is 0, 1/sqrt(-inf) is NaN)."""
    if base.dtype.kind != "f":
        return base**exponent
    special = {
        2: lambda b: b * b,
        3: lambda b: b * b * b,
        -1: lambda b: 1 / b,
        -2: lambda b: 1 / (b * b),
        0.5: np.sqrt,
        -0.5: lambda b: 1 / np.sqrt(b),
    }
    power = special.get(exponent, lambda b: b**exponent)
    return np.asarray(power(base)).astype(base.dtype, copy=False)


_SAME_WIDTH_INTS = {2: np.int16, 4: np.int32, 8: np.int64}


def _zero_where(mask: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``np.where(mask, 0, a)``: +0 where the mask is true, a's element elsewhere.

    Floats take the fast path, ``_zero_where_bits``, with the same bits; other dtypes, a
    0-d mask or one that broadcasts against a take NumPy's where.
    """
    if (isinstance(mask, np.ndarray) and mask.shape == a.shape and a.dtype.kind == "f"
            and a.itemsize in _SAME_WIDTH_INTS):
        return _zero_where_bits(mask, a)
    return np.where(mask, a.dtype.type(0), a)


def _zero_where_bits(mask: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``np.where(mask, 0, a)`` for floats, on their bits: each element ANDed with all zeros
    (the bits of +0.0) under the mask and with all ones (itself, NaN and -0.0 included)
    elsewhere. NumPy's where has no vectorised loop; this cast, subtract and AND have, and
    take a quarter of its time on the MLP's activations."""
    ints = _SAME_WIDTH_INTS[a.itemsize]
    keep = mask.astype(ints)            # 1 where zeroed, 0 where kept
    keep -= 1                           # 0 where zeroed, -1 (every bit set) where kept
    keep &= a.view(ints)
    return keep.view(a.dtype)


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _casts_down(result: np.dtype, out: np.dtype) -> bool:
    """Would storing ``result`` in ``out`` lower its kind (bool < int < float)? torch's in-place
    operations refuse that: "result type Float can't be cast to the desired output type Long"."""
    ranks = {"b": 0, "u": 1, "i": 1, "f": 2}
    return ranks[np.dtype(result).kind] > ranks[np.dtype(out).kind]


def _torch_name(dtype: np.dtype) -> str:
    """A dtype as torch's messages name it (Float, Long, Bool, ...)."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _result_dtype(*operands: Operand) -> np.dtype:
    """torch's type promotion, which ranks operands in three tiers: tensors with dimensions,
    then 0-d tensors, then Python numbers (a float counts as float32). A lower tier changes
    the result only when it is of a higher kind (bool < int < float), so float32 * 2.5 stays
    float32 and int64 * 2.5 becomes float32, where NumPy would give float64."""
    tiers: list[np.dtype | None] = [None, None, None]
    for x in operands:
        if isinstance(x, (Tensor, np.ndarray)):  # a NumPy array counts as a tensor
            tier, dtype = (0 if np.ndim(x) else 1), np.asarray(x).dtype
        else:  # a Python or NumPy number: float32 if a float, int64 if an integer
            tier, dtype = 2, _NUMBER_DTYPES[np.asarray(x).dtype.kind]
        tiers[tier] = dtype if tiers[tier] is None else _promote(tiers[tier], dtype)
    dims, zero_dim, numbers = tiers
    return _combine(dims, _combine(zero_dim, numbers))


_NUMBER_DTYPES = {"f": float32, "i": int64, "u": int64, "b": np.dtype(bool)}


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: an integer meeting a float takes the float's type as it is."""
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """c10's combine_categories: the higher tier wins unless the lower is of a higher kind."""
    if higher is None or lower is None:
        return higher if lower is None else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def _operands(a: Tensor, b: Operand, true_division: bool = False) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of the result's dtype (a Python number becomes a 0-d tensor)."""
    dtype = _result_dtype(a, b)
    if isinstance(b, (Tensor, np.ndarray)) and a.shape != np.shape(b):
        _check_broadcast(a.shape, np.shape(b))
    if true_division and dtype.kind in "biu":
        dtype = float32  # torch's true division of integers gives the default float dtype
    if not isinstance(b, Tensor):
        b = Tensor(np.asarray(b).astype(dtype, copy=False))
    return _as_dtype(a, dtype), _as_dtype(b, dtype)


def _check_broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """torch's refusal of shapes that do not broadcast, naming the first dim that clashes."""
    for dim in range(1, min(len(a), len(b)) + 1):
        if a[-dim] != b[-dim] and 1 not in (a[-dim], b[-dim]):
            raise RuntimeError(
                f"The size of tensor a ({a[-dim]}) must match the size of tensor b ({b[-dim]}) "
                f"at non-singleton dimension {max(len(a), len(b)) - dim}")


def _as_dtype(t: Tensor, dtype: np.dtype) -> Tensor:
    return t if t.dtype == dtype else _cast(t, dtype)


def _value(other: Operand, dtype: np.dtype) -> Any:
    """The raw value of an operand of an in-place update (the tensor keeps its dtype)."""
    return other.array if isinstance(other, Tensor) else np.asarray(other, dtype=dtype)


def _sum_dtype(dtype: np.dtype) -> np.dtype:
    return int64 if dtype.kind in "biu" else dtype  # torch sums bools and ints as int64


def _axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                f"{max(ndim, 1) - 1}], but got {d})"
            )
    return tuple(sorted(d % max(ndim, 1) for d in dims)) if ndim else ()


def _unsqueeze(grad: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Put the reduced axes back as size 1, so grad broadcasts against the input."""
    return grad if keepdim else np.expand_dims(grad, axes)


def _matmul_backward(grad: np.ndarray, a: np.ndarray, b: np.ndarray):
    """da = grad @ b^T and db = a^T @ grad, with 1-D operands treated as torch treats them
    (a vector on the left is a row, on the right a column, and that axis is dropped)."""
    a2 = a[None, :] if a.ndim == 1 else a            # (..., n, k)
    b2 = b[:, None] if b.ndim == 1 else b            # (..., k, m)
    g2 = grad[..., None] if b.ndim == 1 else grad    # (..., n, m) with m = 1 for a vector b
    g2 = g2[..., None, :] if a.ndim == 1 else g2     # (..., n, m) with n = 1 for a vector a
    da = g2 @ np.swapaxes(b2, -1, -2)                # (..., n, k)
    db = np.swapaxes(a2, -1, -2) @ g2                # (..., k, m)
    return (da[..., 0, :] if a.ndim == 1 else da), (db[..., 0] if b.ndim == 1 else db)
