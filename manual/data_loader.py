"""data_loader: TensorDataset, which pairs samples by row, and DataLoader, which batches them.

``TensorDataset(x, y)`` is indexed like one table: item i is ``(x[i], y[i])``. A loader
over a dataset of N items, batch size B, does once per epoch (one ``for`` loop over it):

1. order = 0, 1, ..., N - 1                         shuffle=False (or the user's sampler)
   order = a random permutation of 0 .. N - 1       shuffle=True
2. cut order into consecutive chunks of B indices   a short last one (N mod B) unless drop_last
3. batch = [dataset[i] for i in chunk]              a list of B tuples (x_i, y_i)
4. collate: stack each field along a new dim 0      [x of (B, *x_i.shape), y of (B, ...)]

so ``len(loader)`` is ceil(N / B), or floor(N / B) with drop_last. In (4) a tuple of fields
becomes a *list* of batched fields (torch's ``default_collate``). ``batch_size=None`` turns
batching off: items come one at a time.

Random draws, as torch makes them, from the generator that ``manual.manual_seed`` seeds
(manual/generator.py: torch's 32-bit Mersenne Twister):

5. every epoch, on ``iter(loader)``: one 64-bit draw (two 32-bit draws), the "base seed"
   torch hands to worker processes. It is drawn even with shuffle=False and no workers,
   so looping over a loader moves the generator that initial weights come from.
6. shuffle, generator=None: at the first batch, seed = one 64-bit draw mod 2^63; a fresh
   generator seeded with it (torch keeps the seed's low 32 bits) shuffles
7. the shuffle is torch's ``randperm(N)``: r = [0, 1, ..., N - 1]; for i = 0 .. N - 2:
   z = (32-bit draw) mod (N - i); swap r[i] and r[i + z]
8. when the permutation runs out, torch draws a second one and yields none of it (its
   RandomSampler slices ``randperm(N)[:0]``). Only a generator of your own sees it.

``generator``: a ``manual.Generator`` (torch: a ``torch.Generator``); from the same seed
both give the same batches. The loader draws (5), a permutation (7) and an
unused one (8) from it each epoch, instead of (5) and (6) from the global generator.

Quirks: the last batch is smaller unless drop_last (N = 5, B = 2 gives [0, 1], [2, 3],
[4]), so sum(batch means) / len(loader) weighs item 4 as much as items 0 and 1 together:
the mean over batches is not the mean over items. drop_last=True with shuffle drops
different items every epoch; with shuffle=False the same last N mod B are never seen.

Reference: torch/utils/data/dataset.py (``TensorDataset``), dataloader.py (``DataLoader``,
``_BaseDataLoaderIter``), sampler.py (``SequentialSampler``, ``RandomSampler``), collate.py
(``default_collate``), ATen/native/TensorFactories.cpp (``randperm_cpu``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from manual._parity import data_loader as parity
from manual.generator import Generator, default_generator, randperm
from manual.graph import record
from manual.tensor import Tensor


class TensorDataset:
    """Item i is ``(t[i] for t in tensors)``; every tensor must have the same first size."""

    def __init__(self, *tensors: Tensor) -> None:
        parity.check_sizes(tensors)  # torch's refusal, an AssertionError
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class DataLoader:
    """Batches of a dataset: index chunks from a sampler (1, 2), items (3), stacked (4)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None, drop_last: bool = False,
                 generator: Generator | None = None, *, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 **workers: Any) -> None:
        parity.check(dataset, batch_size, shuffle, sampler, drop_last)  # torch's refusals
        parity.check_workers(num_workers, workers)  # worker processes: the same batches here
        if sampler is None:  # (1) the order of the items: 0 .. N - 1, or a shuffle
            sampler = _Sampler(dataset, shuffle, generator)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.generator = sampler, generator
        self.collate_fn = collate_fn or _collate

    def __iter__(self) -> Iterator[Any]:
        (self.generator or default_generator).random64(1)                # (5) the base seed
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        if self.batch_size is None:  # no batching: each item on its own, as default_convert
            yield from (parity.convert(self.dataset[i]) for i in self.sampler)
            return
        indices = iter(self.sampler)  # run to its end, so (8) happens with drop_last too
        while chunk := list(itertools.islice(indices, self.batch_size)):       # (2)
            if len(chunk) == self.batch_size or not self.drop_last:            # (2) short last
                yield self.collate_fn([self.dataset[i] for i in chunk])        # (3) (4)

    def __len__(self) -> int:
        n = len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)  # ceil


class _Sampler:
    """The order (1), with N read when iterated: 0 .. N - 1 as torch's SequentialSampler, or
    a fresh permutation every epoch, drawn as torch's RandomSampler draws it."""

    def __init__(self, data_source: Any, shuffle: bool,
                 generator: Generator | None) -> None:
        self.data_source, self.shuffle, self.generator = data_source, shuffle, generator

    def __iter__(self) -> Iterator[int]:
        n, generator = len(self.data_source), self.generator
        if not self.shuffle:
            yield from range(n)                                                 # (1)
            return
        if generator is None:
            seed = int(default_generator.random64(1)[0]) % 2**63                # (6)
            generator = Generator().manual_seed(seed)                           # (6)
        yield from randperm(n, generator=generator).tolist()                    # (1) (7)
        randperm(n, generator=generator)                                        # (8) unused

    def __len__(self) -> int:
        return len(self.data_source)


def _collate(batch: Sequence[Any]) -> Any:
    """(4) torch's default_collate: one batched value per field of the items."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)                                  # (4) (B, *x_i.shape)
    if parity.is_fields(elem):                                # an item (x_i, y_i, ...)
        parity.check_fields(batch)                            # as many fields in each
        return [_collate(field) for field in zip(*batch)]     # (4) a tuple becomes a list
    return parity.collate(batch, _collate)  # arrays, Python numbers, strings, dicts


def _stack(batch: Sequence[Tensor]) -> Tensor:
    """torch.stack(batch, 0): a new first dim; each item's gradient is its slice of it."""
    parity.check_stack(batch)  # equal shapes, in torch's words
    out = np.stack([t.array for t in batch])  # (B, *item shape)

    def derivative(grad):
        return tuple(grad[i] for i in range(len(batch)))

    return record("StackBackward0", out, batch, derivative)
