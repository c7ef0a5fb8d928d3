"""The data loader at torch's edges: its refusals, and collate's other kinds.

* Refusals, in torch's order: a ``sampler`` with shuffle (``DataLoader.__init__``);
  ``batch_size=None`` with drop_last (the same); shuffle over an empty dataset
  (``RandomSampler.__init__``: ``num_samples``); a batch_size that is not a positive int (a
  bool is refused) and a drop_last that is not a bool (``BatchSampler.__init__``).
  ``TensorDataset`` refuses tensors of different first sizes with an AssertionError.
* Collation of what is not a tensor or a tuple of fields, in torch's order of checks:
  NumPy arrays and scalars are stacked as tensors, Python floats become a float64 tensor,
  Python ints an int64 one (bools a bool one), strings and bytes stay a sequence of them, a
  dict becomes one dict of batches; anything else is refused. Items of fields must all have
  as many fields, and stacked tensors the same shape.
* ``batch_size=None`` (torch's ``default_convert``): each item on its own, NumPy arrays
  turned into tensors, inside dicts, tuples and lists too, tuples turned into lists.

Reference: torch/utils/data/dataset.py (``TensorDataset``), dataloader.py (``DataLoader``),
sampler.py (``RandomSampler``, ``BatchSampler``), _utils/collate.py (``collate``,
``default_convert``), ATen/native/TensorShape.cpp (``stack``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from manual.creation import tensor
from manual.tensor import Tensor, float64

COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                 "or lists; found {}")


def check(dataset: Any, batch_size: int | None, shuffle: bool,
          sampler: Iterable[int] | None, drop_last: bool) -> None:
    """The DataLoader's, RandomSampler's and BatchSampler's refusals, in torch's order."""
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle, but got "
                         f"shuffle={shuffle}")
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually "
                         "exclusive with drop_last")
    if sampler is None and shuffle and len(dataset) <= 0:
        raise ValueError("num_samples should be a positive integer value, but got "
                         f"num_samples={len(dataset)}")
    if batch_size is None:
        return
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError("batch_size should be a positive integer value, but got "
                         f"batch_size={batch_size}")
    if not isinstance(drop_last, bool):
        raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")


WORKER_OPTIONS = ("timeout", "worker_init_fn", "multiprocessing_context", "prefetch_factor",
                  "persistent_workers", "pin_memory_device", "in_order")


def check_workers(num_workers: int, options: dict[str, Any]) -> None:
    """torch's worker processes load the same batches in the same order as its main
    process; manual loads every batch in its own, whatever ``num_workers`` says. Unknown
    keywords are refused as Python refuses them."""
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    for name in options:
        if name not in WORKER_OPTIONS:
            raise TypeError(f"DataLoader.__init__() got an unexpected keyword argument "
                            f"'{name}'")


def check_sizes(tensors: Sequence[Tensor]) -> None:
    """TensorDataset's refusal: every tensor with the first tensor's first size."""
    for t in tensors:
        if tensors[0].size(0) != t.size(0):
            raise AssertionError(f"Size mismatch between tensors: first dims "
                                 f"{tensors[0].size(0)} and {t.size(0)}")


def is_fields(elem: Any) -> bool:
    """Whether collate takes ``elem`` as an item of fields: a sequence that torch's earlier
    checks (arrays, numbers, strings, dicts) do not take."""
    earlier = (np.ndarray, np.generic, float, int, str, bytes, Mapping)
    return isinstance(elem, Sequence) and not isinstance(elem, earlier)


def check_fields(batch: Sequence[Sequence[Any]]) -> None:
    """Every item of the batch with as many fields as the first."""
    if any(len(item) != len(batch[0]) for item in batch):
        raise RuntimeError("each element in list of batch should be of equal size")


def collate(batch: Sequence[Any], inner: Callable[[Sequence[Any]], Any]) -> Any:
    """default_collate for a batch of arrays, numbers, strings or dicts, in torch's order;
    ``inner`` (the whole collate) batches what they hold: arrays as tensors, a dict's values."""
    elem = batch[0]
    if isinstance(elem, (np.ndarray, np.generic)):
        return inner([Tensor(np.asarray(b)) for b in batch])
    if isinstance(elem, float):
        return tensor(list(batch), dtype=float64)  # Python floats batch as float64
    if isinstance(elem, int):
        return tensor(list(batch))                 # Python ints as int64 (bools as bool)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return {key: inner([item[key] for item in batch]) for key in elem}
    raise TypeError(COLLATE_ERROR.format(type(elem)))


def check_stack(batch: Sequence[Tensor]) -> None:
    """torch.stack's refusal: every tensor with the first one's shape."""
    for i, t in enumerate(batch):
        if t.shape != batch[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(batch[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")


def convert(item: Any) -> Any:
    """torch's default_convert, for batch_size=None: arrays become tensors, tuples lists."""
    if isinstance(item, (np.ndarray, np.generic)):
        return Tensor(np.asarray(item))
    if isinstance(item, Mapping):
        return {key: convert(value) for key, value in item.items()}
    if isinstance(item, (tuple, list)):
        return [convert(value) for value in item]
    return item
