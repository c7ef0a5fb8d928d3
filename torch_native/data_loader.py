"""data_loader: TensorDataset, which pairs samples by row, and DataLoader, which batches them.

``TensorDataset(x, y)`` is indexed like one table: item i is ``(x[i], y[i])``. A loader
over a dataset of N items, batch size B, does once per epoch:

1. order = 0, 1, ..., N - 1 (SequentialSampler), or torch.randperm(N) (RandomSampler)
2. cut order into chunks of B indices (BatchSampler); drop_last drops a short last one
3. batch = [dataset[i] for i in chunk]
4. default_collate: stack each field along a new dim 0; a tuple of fields becomes a list

``len(loader)`` is ceil(N / B), or floor(N / B) with drop_last.

Random draws: every ``iter(loader)`` takes a 64-bit "base seed" from the generator (even
with shuffle=False); with shuffle and generator=None, RandomSampler then takes a seed from
the global generator and shuffles with a fresh ``torch.Generator`` seeded by it; with a
``generator`` of your own it shuffles with that one, and draws one unused permutation more
at the end of each epoch.

Quirk: the last batch is smaller unless drop_last, so sum(batch losses) / len(loader) is
not the mean over items.

Manual twin: manual/data_loader.py, where the sampler, the batching, the collation and the
random permutation are written out.

Reference: torch/utils/data/dataset.py (``TensorDataset``), dataloader.py (``DataLoader``),
sampler.py, _utils/collate.py (``default_collate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.utils.data


class TensorDataset(torch.utils.data.TensorDataset):
    """torch.utils.data.TensorDataset, with the signature the manual twin has."""

    def __init__(self, *tensors: torch.Tensor) -> None:
        super().__init__(*tensors)


class DataLoader(torch.utils.data.DataLoader):
    """torch.utils.data.DataLoader, with the parameters the manual twin has."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None, drop_last: bool = False,
                 generator: torch.Generator | None = None, *, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 **workers: Any) -> None:
        super().__init__(dataset, batch_size=batch_size, shuffle=shuffle, sampler=sampler,
                         drop_last=drop_last, generator=generator, num_workers=num_workers,
                         collate_fn=collate_fn, pin_memory=pin_memory, **workers)
