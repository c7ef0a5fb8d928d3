"""no_grad: switch off graph recording, the manual twin of ``torch.no_grad``.

While grad mode is off, every operation computes its values but records no node: the
result has no ``grad_fn`` and ``requires_grad=False``, even if an input requires grad.

1. inside ``no_grad()``:  y = f(x)  stores only y's values; nothing saved for backward
2. outside:               y = f(x)  records f's node, its inputs and the arrays its
                          derivative needs

The seeds' hand-written update ``w -= lr * w.grad`` needs it: ``w`` is a leaf that requires
grad, and an in-place change to it while the graph is being recorded is an error (torch:
"a leaf Variable that requires grad is being used in an in-place operation").

Reference: torch/autograd/grad_mode.py, ``no_grad`` and ``enable_grad``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when operations record the graph (torch.is_grad_enabled)."""
    return _grad_enabled


def _set_grad_enabled(mode: bool) -> bool:
    """Switch grad mode and return the previous one."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, mode
    return previous


class _GradMode:
    """A context manager and decorator that sets grad mode to ``self.mode``."""

    mode: bool

    def __new__(cls, orig_func: _F | None = None) -> Any:
        """Like torch's, it also decorates without parentheses: ``@no_grad``."""
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self) -> None:
        self._previous = _set_grad_enabled(self.mode)

    def __exit__(self, *exc_info: object) -> None:
        _set_grad_enabled(self._previous)

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 (torch's name)
    """Context manager and decorator that turns graph recording off (1)."""

    mode = False

    def __init__(self) -> None:
        super().__init__()


class enable_grad(_GradMode):  # noqa: N801 (torch's name)
    """Context manager and decorator that turns graph recording back on (2)."""

    mode = True
