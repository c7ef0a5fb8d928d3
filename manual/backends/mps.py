"""mps: Apple's GPU backend, which manual does not have.

Reference: torch/backends/mps/__init__.py.
"""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
