"""data_loader: TensorDataset, which pairs samples by row, and DataLoader, which batches them.

``TensorDataset(x, y)`` is indexed like one table: item i is ``(x[i], y[i])``. A loader
over a dataset of N items, batch size B, does once per epoch (one ``for`` loop over it):

1. order = 0, 1, ..., N - 1                         shuffle=False (or the user's sampler)
   order = a random permutation of 0 .. N - 1       shuffle=True
2. cut order into consecutive chunks of B indices   the last has N mod B, if that is not 0;
                                                    drop_last=True drops it
3. batch = [dataset[i] for i in chunk]              a list of B tuples (x_i, y_i)
4. collate: stack each field along a new dim 0      [x of (B, *x_i.shape), y of (B, ...)]

so ``len(loader)`` is ceil(N / B), or floor(N / B) with drop_last. Collation (4) follows
torch's ``default_collate``: tensors and NumPy arrays are stacked, Python ints become an
int64 tensor and Python floats a float64 one, a tuple of fields becomes a *list* of
batched fields, a dict one dict of batches, strings stay a sequence of strings.
``batch_size=None`` turns batching off: items come one at a time, tuples still turned
into lists (torch's ``default_convert``).

Random draws, as torch makes them (shown for torch's generator; here it is
``manual._init.generator()``, the NumPy ``RandomState`` that ``manual.manual_seed`` seeds,
which runs the same 32-bit Mersenne Twister):

5. every epoch, on ``iter(loader)``: one 64-bit draw (two 32-bit draws), the "base seed"
   torch hands to worker processes. It is drawn even with shuffle=False and no workers,
   so looping over a loader moves the generator that initial weights come from.
6. shuffle, generator=None: at the first batch, seed = one 64-bit draw mod 2^63; a fresh
   generator seeded with it (torch keeps the seed's low 32 bits) shuffles
7. the shuffle is torch's CPU ``randperm`` for N < 2^32 / 20:
   r = [0, 1, ..., N - 1]; for i = 0 .. N - 2: z = (32-bit draw) mod (N - i); swap r[i]
   and r[i + z]. From N = 214,748,364 on, torch uses 64-bit draws and the inside-out
   shuffle: for i = 0 .. N - 1: z = (64-bit draw) mod (i + 1); r[i] = r[z]; r[z] = i.
8. when the permutation runs out, torch draws a second one and yields none of it (its
   RandomSampler slices ``randperm(N)[:0]``). Only a generator of your own sees it.

``generator``: a ``numpy.random.RandomState`` (torch: a ``torch.Generator``). With the
same seed, ``RandomState(s)`` and ``torch.Generator().manual_seed(s)`` give the same
batches; the loader then draws (5), a permutation (7) and an unused one (8) from it each
epoch, instead of (5) and (6) from the global generator.

Quirks:

* The last batch is smaller unless drop_last: N = 5, B = 2 gives [0, 1], [2, 3], [4].
  Averaging an epoch's loss as sum(batch means) / len(loader) then weighs the items of the
  small batch more than the others (here item 4 counts as much as items 0 and 1 together):
  the mean over batches is not the mean over items.
* drop_last=True with shuffle drops different items every epoch; with shuffle=False the
  same last N mod B items are never seen.
* ``shuffle`` and ``sampler`` together are refused; a ``sampler`` is any iterable of
  indices (a list works; ``len(loader)`` then needs ``len(sampler)``).
* shuffle=True over an empty dataset is refused when the loader is made (``num_samples``).
* ``TensorDataset`` refuses tensors of different first dimensions with an AssertionError.

Reference: torch/utils/data/dataset.py (``TensorDataset``), dataloader.py (``DataLoader``,
``_BaseDataLoaderIter``), sampler.py (``SequentialSampler``, ``RandomSampler``,
``BatchSampler``), _utils/collate.py (``default_collate``, ``default_convert``),
_utils/fetch.py (``_MapDatasetFetcher``), ATen/native/TensorFactories.cpp (``randperm_cpu``),
ATen/core/DistributionsHelper.h and CPUGeneratorImpl.cpp (``random64``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from manual import _init
from manual.creation import tensor
from manual.graph import record
from manual.tensor import Tensor, float64

_SMALL_N = 2**32 // 20  # randperm's switch to 64-bit draws (std::numeric_limits<uint32_t>)
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


class TensorDataset:
    """Item i is ``(t[i] for t in tensors)``; every tensor must have the same first size."""

    def __init__(self, *tensors: Tensor) -> None:
        for t in tensors:
            if tensors[0].size(0) != t.size(0):
                raise AssertionError(f"Size mismatch between tensors: first dims "
                                     f"{tensors[0].size(0)} and {t.size(0)}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class DataLoader:
    """Batches of a dataset: index chunks from a sampler (1, 2), items (3), stacked (4)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None, drop_last: bool = False,
                 generator: np.random.RandomState | None = None) -> None:
        # torch's refusals, in torch's order
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle, but got "
                             f"shuffle={shuffle}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        # where the order of the items comes from (1): the user, 0 .. N - 1, or a shuffle
        if sampler is None:
            sampler = _RandomSampler(dataset, generator) if shuffle else _SequentialSampler(
                dataset)
        if batch_size is not None:
            _check_batching(batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.generator = sampler, generator

    def __iter__(self) -> Iterator[Any]:
        _random64(self.generator if self.generator is not None else _init.generator())  # (5)
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        if self.batch_size is None:  # no batching: each item on its own
            yield from (_convert(self.dataset[i]) for i in self.sampler)
            return
        for chunk in _chunks(iter(self.sampler), self.batch_size, self.drop_last):  # (2)
            yield _collate([self.dataset[i] for i in chunk])                  # (3) (4)

    def __len__(self) -> int:
        n = len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)  # ceil


class _SequentialSampler:
    """0, 1, ..., N - 1, with N read when iterated, as torch reads it."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))                               # (1)

    def __len__(self) -> int:
        return len(self.data_source)


class _RandomSampler:
    """A fresh permutation of 0 .. N - 1 every epoch, drawn as torch's RandomSampler draws."""

    def __init__(self, data_source: Any, generator: np.random.RandomState | None) -> None:
        if len(data_source) <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={len(data_source)}")
        self.data_source, self.generator = data_source, generator

    def __iter__(self) -> Iterator[int]:
        n, generator = len(self.data_source), self.generator
        if generator is None:
            seed = _random64(_init.generator()) % 2**63                          # (6)
            generator = np.random.RandomState(seed & 0xFFFF_FFFF)
        yield from _randperm(n, generator)                                      # (1) (7)
        _randperm(n, generator)                                                 # (8)

    def __len__(self) -> int:
        return len(self.data_source)


def _check_batching(batch_size: Any, drop_last: Any) -> None:
    """torch's BatchSampler refusals: a positive int (not a bool) and a bool."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError("batch_size should be a positive integer value, but got "
                         f"batch_size={batch_size}")
    if not isinstance(drop_last, bool):
        raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")


def _chunks(indices: Iterator[int], batch_size: int, drop_last: bool) -> Iterator[list[int]]:
    """Consecutive chunks of ``batch_size`` indices; a short last one unless drop_last.
    The index iterator is always run to its end, so (8) happens with drop_last too."""
    chunk = list(itertools.islice(indices, batch_size))
    while chunk:
        if len(chunk) == batch_size or not drop_last:
            yield chunk
        chunk = list(itertools.islice(indices, batch_size))


def _random64(generator: np.random.RandomState) -> int:
    """torch's ``random64()``: two 32-bit draws, the first as the high half."""
    high, low = generator.randint(0, 2**32, size=2, dtype=np.uint32)  # raw 32-bit outputs
    return (int(high) << 32) | int(low)


def _randperm(n: int, generator: np.random.RandomState) -> list[int]:
    """torch's CPU randperm(n): a swap per position, each from one draw mod what is left."""
    if n >= _SMALL_N:
        return _randperm_inside_out(n, generator)
    r = list(range(n))
    draws = generator.randint(0, 2**32, size=max(n - 1, 0), dtype=np.uint32)  # (n - 1,)
    offsets = draws % np.arange(n, 1, -1, dtype=np.uint64)   # (n - 1,): z_i = draw_i mod (n - i)
    for i, z in enumerate(offsets.tolist()):
        r[i], r[i + z] = r[i + z], r[i]                                       # (7)
    return r


def _randperm_inside_out(n: int, generator: np.random.RandomState) -> list[int]:
    """randperm for n >= 2^32 / 20: item i goes to a place z <= i drawn with 64 bits."""
    r = [0] * n
    for i in range(n):
        z = _random64(generator) % (i + 1)                                      # (7)
        r[i], r[z] = r[z], i
    return r


def _collate(batch: Sequence[Any]) -> Any:
    """torch's default_collate: one batched value per field of the items (4)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        return _stack([Tensor(np.asarray(b)) for b in batch])
    if isinstance(elem, float):
        return tensor(list(batch), dtype=float64)  # Python floats batch as float64
    if isinstance(elem, int):
        return tensor(list(batch))                 # Python ints as int64 (bools as bool)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return {key: _collate([item[key] for item in batch]) for key in elem}
    if isinstance(elem, Sequence):
        if any(len(item) != len(elem) for item in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [_collate(field) for field in zip(*batch)]  # a tuple becomes a list
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _stack(batch: Sequence[Tensor]) -> Tensor:
    """torch.stack(batch, 0): a new first dim; each item's gradient is its slice of it."""
    for i, t in enumerate(batch):
        if t.shape != batch[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(batch[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    out = np.stack([t.array for t in batch])  # (B, *item shape)

    def derivative(grad):
        return tuple(grad[i] for i in range(len(batch)))

    return record("StackBackward0", out, batch, derivative)


def _convert(item: Any) -> Any:
    """torch's default_convert, for batch_size=None: arrays become tensors, tuples lists."""
    if isinstance(item, (np.ndarray, np.generic)):
        return Tensor(np.asarray(item))
    if isinstance(item, Mapping):
        return {key: _convert(value) for key, value in item.items()}
    if isinstance(item, (tuple, list)):
        return [_convert(value) for value in item]
    return item
