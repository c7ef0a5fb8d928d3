"""cudnn: the flags scripts set (``deterministic``, ``benchmark``); manual has no cuDNN.

Reference: torch/backends/cudnn/__init__.py.
"""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    return False
