"""cuda: what torch.cuda answers on a machine without CUDA, which is every machine for manual.

``cuda.is_available()`` is False, so a script that picks its device with it picks the CPU;
seeding CUDA's generators does nothing, as it does in torch without a GPU.

Reference: torch/cuda/__init__.py, torch/cuda/random.py.
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: there is no CUDA generator (torch queues the call until one exists)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed, as ``manual_seed``."""
