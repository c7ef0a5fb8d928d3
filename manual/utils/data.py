"""manual.utils.data: torch.utils.data's names, from manual/data_loader.py and dataset.py.

A namespace: it re-exports, and holds no logic.
"""

from manual.data_loader import DataLoader, TensorDataset
from manual.dataset import Dataset, Subset, random_split
