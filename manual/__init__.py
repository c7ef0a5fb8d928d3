"""manual: the PyTorch training loop written by hand in NumPy.

The engine (``tensor``, ``backward``, ``no_grad``) and the initialisers are re-exported here,
so a loop reads ``manual.tensor(...)``, ``manual.no_grad()``, ``manual.manual_seed(0)``.
"""

from manual._allocator import keep_freed_memory
from manual._init import manual_seed
from manual.backward import backward
from manual.no_grad import enable_grad, is_grad_enabled, no_grad
from manual.tensor import Tensor, float32, float64, int64, tensor

keep_freed_memory()  # reuse freed memory across steps (manual/_allocator.py)

__all__ = [
    "Tensor",
    "backward",
    "enable_grad",
    "float32",
    "float64",
    "int64",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "tensor",
]
