"""manual.nn.utils: torch.nn.utils's names.

A namespace: it re-exports, and holds no logic.
"""
