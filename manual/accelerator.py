"""accelerator: torch.accelerator's answer on a machine without one (manual: NumPy, CPU).

Reference: torch/accelerator/__init__.py.
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:  # pragma: no mutate
    return None  # with no accelerator, checking whether it is available changes nothing


def device_count() -> int:
    return 0
