"""manual.utils.data: torch.utils.data's names, from manual/data_loader.py.

A namespace: it re-exports, and holds no logic.
"""

from manual.data_loader import DataLoader, TensorDataset
