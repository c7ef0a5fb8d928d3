"""serialization: manual.save and manual.load, in torch's file format, written by hand.

A file that ``torch.save`` writes is a zip archive of stored (uncompressed) records under one
folder, the file's name without its extension:

1. data.pkl       the object, pickled (protocol 2): dicts, lists, tuples, numbers, strings as
                  themselves; each tensor as a call that rebuilds it,
                  _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks),
                  and each storage as a reference, ("storage", FloatStorage, key, "cpu", n)
2. data/<key>     each storage's raw bytes (little-endian), once however many tensors view it
3. version, byteorder, .format_version, .storage_alignment: what the reader checks

``load`` reads it back the way ``torch.load(weights_only=True)`` does:

4. the pickle is read opcode by opcode, and a global it names is refused unless it is one of
   torch's allowed ones (tensors, storages, parameters, dtypes, devices, OrderedDict, ...):
   no other code runs, so a file from elsewhere cannot run anything
5. each tensor is rebuilt as a view of its storage (so views saved together share memory)

Quirks: a manual tensor is saved as a contiguous storage of its own (torch saves a view's
whole storage); a Parameter stays a Parameter; ``save`` writes a temporary file beside the
target and renames it over the target, so a crash never leaves half a checkpoint.

Reference: torch/serialization.py (``save``, ``_save``, ``load``, ``_load``),
torch/_weights_only_unpickler.py, torch/_utils.py (``_rebuild_tensor_v2``),
caffe2/serialize/inline_container.cc (``PyTorchStreamWriter``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

from manual._parity import serialization as parity


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_protocol: int = 2) -> None:
    """Write ``obj`` (tensors, parameters, state dicts, numbers, containers) to ``f``."""
    parity.check_protocol(pickle_protocol)
    pickled, storages = parity.pickled(obj)                                  # (1)
    records = [("data.pkl", pickled), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little")]
    records += [(f"data/{key}", data) for key, data in storages]             # (2)
    records += [("version", b"3\n")]                                         # (3)
    archive = parity.zip_archive(parity.archive_name(f), records)
    if isinstance(f, (str, os.PathLike)):
        parity.write_atomically(Path(f), archive)    # a temporary file, then a rename
    else:
        f.write(archive)


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Read what ``save`` or ``torch.save`` wrote: only tensors, containers, plain values."""
    encoding = parity.check_load_arguments(map_location, weights_only, pickle_load_args)
    source = open(f, "rb") if isinstance(f, (str, os.PathLike)) else f  # noqa: SIM115
    try:
        records = parity.read_archive(io.BytesIO(source.read()))
    finally:
        if source is not f:
            source.close()
    storages = parity.storages(records)                                      # (2)
    return parity.unpickled(records["data.pkl"], storages, encoding)        # (4), (5)
