"""Checkpoints: a model's and an optimizer's state in one torch-format file, for either twin.

    save(path, model, optimizer=None)   torch.save({"model": ..., "optimizer": ...})
    load(path, model, optimizer=None)   torch.load(path, weights_only=True), then
                                        load_state_dict on each

The file holds torch tensors in torch's layout whichever twin wrote it, so a run can stop
on one side and go on on the other: the manual twin's state dicts have torch's keys, and
its tensors are converted here (``to_torch_state``, ``to_manual_state``). Adam's ``step``
is a 0-d float32 tensor on both sides, as torch saves it.

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
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

import manual
from reference.convert import to_manual, to_torch


def save(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Write ``model``'s (and ``optimizer``'s) state dict to ``path``, atomically."""
    checkpoint = {"model": to_torch_state(model.state_dict())}
    if optimizer is not None:
        checkpoint["optimizer"] = to_torch_state(optimizer.state_dict())
    _write_atomically(Path(path), checkpoint)


def load(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Read a checkpoint written by ``save`` (or by torch) into a manual or torch model."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(_for(model, checkpoint["model"]))
    if optimizer is not None:
        optimizer.load_state_dict(_for(optimizer, checkpoint["optimizer"]))


def to_torch_state(state: Any) -> Any:
    """A state dict with every manual tensor or array replaced by a torch tensor."""
    if isinstance(state, (manual.Tensor, np.ndarray)):
        return to_torch(state)
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, np.generic):
        return state.item()
    return _map(to_torch_state, state)


def to_manual_state(state: Any) -> Any:
    """A state dict with every torch tensor replaced by a manual tensor (a copy)."""
    if isinstance(state, torch.Tensor):
        return to_manual(state)
    return _map(to_manual_state, state)


def _map(convert: Any, state: Any) -> Any:
    """``convert`` applied inside dicts (an OrderedDict stays one), lists and tuples."""
    if isinstance(state, Mapping):
        kind = OrderedDict if isinstance(state, OrderedDict) else dict
        return kind((key, convert(value)) for key, value in state.items())
    if isinstance(state, (list, tuple)):
        return type(state)(convert(value) for value in state)
    return state


def _for(owner: Any, state: Any) -> Any:
    """The state as ``owner`` takes it: torch's own tensors, or manual copies of them."""
    if isinstance(owner, (torch.nn.Module, torch.optim.Optimizer)):
        return state
    return to_manual_state(state)


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
