"""Checkpoints: a model's and an optimizer's state in one torch-format file, for either twin.

    save(path, model, optimizer=None)   torch.save({"model": ..., "optimizer": ...})
    load(path, model, optimizer=None)   torch.load(path, weights_only=True), then
                                        load_state_dict on each

The file is in torch's format whichever twin wrote it (manual.save writes it by hand), so a
run can stop on one side and go on on the other: the manual twin's state dicts have torch's
keys. Adam's ``step`` is a 0-d float32 tensor on both sides, as torch saves it.

Safety:

* reading uses ``weights_only=True``: the unpickler accepts tensors, numbers, strings and
  the containers of a state dict, and refuses any other object instead of building it
  (a pickle can name any callable, such as ``os.system``, to be called while loading);
* writing goes to a temporary file in the same directory, flushed and fsynced, then
  renamed over ``path`` with ``os.replace`` (atomic on POSIX and Windows): a reader sees
  the old checkpoint or the new one, never half of one. On any error the temporary file
  is removed and the old checkpoint is left as it was. The new file is readable by its
  owner only (``tempfile.mkstemp``).

Reference: torch/serialization.py (``save``, ``load``, ``weights_only``),
torch/_weights_only_unpickler.py.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

import manual


def save(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Write ``model``'s (and ``optimizer``'s) state dict to ``path``, atomically: with
    manual.save for a manual twin (torch's format, written by hand), torch.save otherwise."""
    checkpoint = {"model": model.state_dict()}
    if optimizer is not None:
        checkpoint["optimizer"] = optimizer.state_dict()
    if _is_manual(model):
        manual.save(checkpoint, path)
    else:
        _write_atomically(Path(path), checkpoint)


def load(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Read a checkpoint written by either twin into a manual or torch model."""
    reader = manual.load if _is_manual(model) else torch.load
    checkpoint = reader(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])


def _is_manual(model: Any) -> bool:
    return isinstance(model, manual.nn.Module)


def _write_atomically(path: Path, checkpoint: dict[str, Any]) -> None:
    """torch.save to a temporary file beside ``path``, fsync it, then rename it over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())            # the bytes are on disk before the name points at them
        os.replace(tmp, path)               # atomic: the old file or the new one, never half
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
