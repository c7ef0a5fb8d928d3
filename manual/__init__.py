"""manual: the PyTorch training loop written by hand in NumPy, reachable by torch's names.

``import manual as torch`` style code works: ``manual.tensor``, ``manual.zeros``,
``manual.float32``, ``manual.no_grad()``, ``manual.manual_seed(0)``, ``manual.nn``,
``manual.optim``, ``manual.utils.data``. This module re-exports the engine and the pieces;
it holds no logic.
"""

import numpy as _np

from manual._allocator import keep_freed_memory
from manual._parity.printing import Size, set_printoptions
from manual.backward import backward
from manual.blas import matmul, mm
from manual.comparison import (
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    floor_divide,
    ge,
    gt,
    isclose,
    le,
    lt,
    ne,
    remainder,
)
from manual.creation import (
    arange,
    as_tensor,
    empty,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand_like,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from manual.device import device
from manual.generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    rand,
    randint,
    randn,
    randperm,
    seed,
    set_rng_state,
)
from manual.indexing import (
    cat,
    clone,
    flatten,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from manual.no_grad import enable_grad, is_grad_enabled, no_grad
from manual.pointwise import (
    abs,
    add,
    clamp,
    cos,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from manual.reduction import (  # noqa: A004 (torch's names)
    all,
    any,
    argmax,
    argmin,
    bincount,
    equal,
    max,
    mean,
    min,
    norm,
    std,
    sum,
    var,
)
from manual.serialization import load, save
from manual.softmax import log_softmax  # manual.softmax stays the piece's module
from manual.tensor import Tensor, float32, float64, int64

from manual import accelerator, backends, cuda, nn, optim, utils  # isort: skip (need the above)

# torch's other names for its dtypes
float, double, long = float32, float64, int64
int32, int16, int8, uint8 = (_np.dtype(t) for t in (_np.int32, _np.int16, _np.int8, _np.uint8))
int, bool = int32, _np.dtype(_np.bool_)

keep_freed_memory()  # reuse freed memory across steps (manual/_allocator.py)
