"""serialization: torch.save and torch.load.

1. data.pkl: the object pickled, each tensor as _rebuild_tensor_v2(storage, offset, size,
   stride, requires_grad, hooks), each storage as ("storage", FloatStorage, key, "cpu", n)
2. data/<key>: each storage's raw bytes
3. version, byteorder, ...: what the reader checks
4. load: the pickle read with torch's allow-list of globals (weights_only=True, the default)
5. each tensor rebuilt as a view of its storage

Manual twin: manual/serialization.py, with the zip records and the pickle written by hand.

Reference: torch/serialization.py, torch/_weights_only_unpickler.py.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

import torch


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_protocol: int = 2) -> None:
    torch.save(obj, f, pickle_protocol=pickle_protocol)


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    return torch.load(f, map_location, pickle_module, weights_only=weights_only, mmap=mmap,
                      **pickle_load_args)
