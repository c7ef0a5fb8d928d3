"""manual.utils: torch.utils's names that a training loop uses.

A namespace: it re-exports, and holds no logic.
"""

from manual.utils import data
