"""accelerator: torch.accelerator's answer on a machine without one (manual: NumPy, CPU).

Reference: torch/accelerator/__init__.py.
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    return None


def device_count() -> int:
    return 0
