"""manual.backends: the flags scripts set on torch.backends, with nothing behind them.

A namespace: it re-exports, and holds no logic.
"""

from manual.backends import cudnn, mps
