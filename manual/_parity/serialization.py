"""serialization at torch's edges: the zip layout torch writes, the pickle it reads.

* The archive (``zip_archive``): torch's PyTorchStreamWriter drives miniz: stored records,
  each local header with an extra field ("FB", its length, then "Z"s) that puts the data at
  a multiple of 64 bytes, a data descriptor after each non-empty record, zip64 end records
  always; ``.data/serialization_id`` last (torch only logs it when reading: its first half
  hashes the record names with libstdc++'s std::hash, written here as a hash of our own).
* The pickle (``pickled``): protocol 2 with a persistent id per storage,
  ("storage", torch.<Kind>Storage, key, "cpu", numel); a tensor reduced to
  torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
  OrderedDict()), a Parameter to _rebuild_parameter(data, requires_grad, OrderedDict()),
  a dtype to the global torch.<dtype>, a device to torch.device(type).
* Reading (``unpickled``): torch/_weights_only_unpickler.py's Unpickler, opcode for opcode:
  only its opcodes, only its allow-list of globals (by name), modules sys, os, posix and nt
  blocked, and the UnpicklingError reworded as torch.load words it.

Reference: torch/serialization.py (``_save``, ``_load``, ``_get_wo_message``),
torch/_weights_only_unpickler.py (``Unpickler``, ``_get_allowed_globals``),
caffe2/serialize/inline_container.cc, third_party/miniz-3.0.2 (``mz_zip_writer_add_mem_ex_v2``).
"""

from __future__ import annotations

import copy
import io
import os
import pickle
import re
import struct
import sys
import zipfile
import zlib
from collections import Counter, OrderedDict
from pickle import UnpicklingError
from typing import Any

import numpy as np

from manual._parity.engine import NotInManualError

# torch's dtype names, NumPy's dtype for the bytes, and the storage class torch pickles
DTYPES = {
    "float32": (np.float32, "FloatStorage"), "float64": (np.float64, "DoubleStorage"),
    "float16": (np.float16, "HalfStorage"), "int64": (np.int64, "LongStorage"),
    "int32": (np.int32, "IntStorage"), "int16": (np.int16, "ShortStorage"),
    "int8": (np.int8, "CharStorage"), "uint8": (np.uint8, "ByteStorage"),
    "bool": (np.bool_, "BoolStorage"), "complex64": (np.complex64, "ComplexFloatStorage"),
    "complex128": (np.complex128, "ComplexDoubleStorage"),
}
STORAGE_TO_DTYPE = {storage: name for name, (_, storage) in DTYPES.items()}
NUMPY_TO_DTYPE = {np.dtype(numpy_type): name for name, (numpy_type, _) in DTYPES.items()}


class Global:
    """A pickled reference to module.name (pickled as GLOBAL 'module\\nname')."""
    _cache: dict[tuple[str, str], Global] = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        if key not in cls._cache:               # one object per name: pickle memoizes it
            g = super().__new__(cls)
            g.module, g.name = module, name
            cls._cache[key] = g
        return cls._cache[key]

    def __repr__(self):
        return f"Global({self.module}.{self.name})"

    def __reduce__(self):
        raise TypeError("Global is written by the serializer itself")

    def __call__(self, *args):     # pickle's save_reduce wants a callable
        raise TypeError(f"{self!r} is a reference, not a function")


class GlobalCall:
    """An allowed global called with arguments that manual has no object for."""

    def __init__(self, func: Global, args: tuple) -> None:
        self.func, self.args = func, args

    def __repr__(self) -> str:
        return f"{self.func.module}.{self.func.name}{self.args!r}"


class Storage:
    """A whole storage: a 1-d array of its elements (shared by every tensor viewing it)."""

    def __init__(self, data: np.ndarray, dtype: str) -> None:
        self.data, self.dtype = data, dtype


# -- writing -------------------------------------------------------------------------------

class _StorageRef:
    def __init__(self, key: str, dtype: str, numel: int) -> None:
        self.key, self.dtype, self.numel = key, dtype, numel


_STORAGE, _CPU = "storage", "cpu"  # one object each: pickle memoizes them as torch's do


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, protocol 2: the bytes torch's C pickler writes here."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=2)
        self.keys: dict[int, str] = {}
        self.storages: list[tuple[str, bytes]] = []

    def save_global_ref(self, obj: Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[Global] = save_global_ref

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, _StorageRef):
            return None
        return (_STORAGE, Global("torch", DTYPES[obj.dtype][1]), obj.key, _CPU, obj.numel)

    def reducer_override(self, obj: Any) -> Any:
        if hasattr(obj, "array") and hasattr(obj, "grad_fn"):  # a manual tensor
            return self._tensor(obj)
        return NotImplemented

    def _tensor(self, t: Any) -> tuple:
        array = np.array(t.array, order="C", copy=True)  # (ascontiguousarray makes 0-d 1-d)
        key = self.keys.get(id(t.array))
        if key is None:  # one storage per array: detached views of one tensor share it
            key = self.keys[id(t.array)] = str(len(self.keys))
            self.storages.append((key, array.astype(array.dtype.newbyteorder("<")).tobytes()))
        ref = _StorageRef(key, NUMPY_TO_DTYPE[array.dtype], array.size)
        stride = tuple(_contiguous_stride(array.shape))
        data = (ref, 0, tuple(array.shape), stride, False, OrderedDict())
        if type(t).__name__ == "Parameter":
            rebuilt = (Global("torch._utils", "_rebuild_tensor_v2"), data)
            return (Global("torch._utils", "_rebuild_parameter"),
                    (_Rebuilt(*rebuilt), t.requires_grad, OrderedDict()))
        data = data[:4] + (t.requires_grad and t.is_leaf, OrderedDict())
        return (Global("torch._utils", "_rebuild_tensor_v2"), data)


class _Rebuilt:
    """A nested reduce (a Parameter's data): pickled as its own call."""

    def __init__(self, func: Global, args: tuple) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return (self.func, self.args)


def _as_torch_values(obj: Any) -> Any:
    """obj with manual's stand-ins for torch's objects made torch's: a dtype becomes the
    global torch.<dtype>, a device torch.device(...), a NumPy number a Python one."""
    if isinstance(obj, np.dtype):
        return Global("torch", NUMPY_TO_DTYPE[obj])
    if type(obj).__name__ == "device" and hasattr(obj, "type"):
        return _Rebuilt(Global("torch", "device"), (str(obj),))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):  # the same class, its fields (a state dict's _metadata) kept
        made = copy.copy(obj)
        made.clear()
        made.update({_as_torch_values(k): _as_torch_values(v) for k, v in obj.items()})
        return made
    if isinstance(obj, (list, tuple, set)) and not hasattr(obj, "_fields"):
        made = type(obj)(_as_torch_values(v) for v in obj)
        if hasattr(obj, "__dict__"):
            made.__dict__.update(obj.__dict__)  # a subclass's fields
        return made
    return obj


def _contiguous_stride(shape: tuple[int, ...]) -> list[int]:
    """torch's contiguous strides (a size of 0 counts as 1)."""
    stride, acc = [], 1
    for size in reversed(shape):
        stride.append(acc)
        acc *= max(size, 1)
    return stride[::-1]


def pickled(obj: Any) -> tuple[bytes, list[tuple[str, bytes]]]:
    """data.pkl's bytes and each storage's (key, bytes)."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(_as_torch_values(obj))
    return buffer.getvalue(), pickler.storages


def archive_name(f: Any) -> str:
    """PyTorchStreamWriter: the file's basename without its last extension; 'archive' when
    writing to a buffer (or to a path that is not ASCII, which torch opens in Python)."""
    if not isinstance(f, (str, os.PathLike)):
        return "archive"
    name = os.fspath(f)
    if not name.isascii():
        return "archive"
    start = max(name.rfind("/"), name.rfind("\\")) + 1
    base = name[start:]
    dot = base.rfind(".")
    if dot >= 0:
        base = base[:dot]
    if not base:
        raise RuntimeError(f"invalid file name: {name}")
    return base


def _hash_combine(seed: int, value: int) -> int:
    """c10::hash_combine on 64-bit size_t."""
    m = (1 << 64) - 1
    return (seed ^ ((value + 0x9E3779B9 + ((seed << 6) & m) + (seed >> 2)) & m)) & m


class ZipWriter:
    """miniz's mz_zip_writer_add_mem_ex_v2 as PyTorchStreamWriter calls it (stored, zip64
    end records, 'FB' extra field padding each record's data to 64 bytes).  Files < 4 GiB."""

    ALIGN = 64

    def __init__(self, archive: str):
        self.prefix = archive + "/"
        self.out = bytearray()
        self.central = bytearray()
        self.count = 0
        self.combined_crc = 0

    def write_record(self, name: str, data: bytes):
        full = (self.prefix + name).encode("utf-8")
        data = bytes(data)
        start = len(self.out) + 30 + len(full) + 4
        pad = (-start) % self.ALIGN
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(self.out)
        if len(data) >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
            raise NotInManualError("a file of 4 GiB or more", "manual writes and reads "
                                   "zip archives without zip64 fields")
        flags = 0x0808 if data else 0x0800          # bit 3 (data descriptor) only if data
        self.out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0,
                                len(full), len(extra)) + full + extra
        self.out += data
        if data:
            self.out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
            self.combined_crc = _hash_combine(self.combined_crc, crc)
        self.central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0,
                                    crc, len(data), len(data), len(full), 0, 0, 0, 0, 0,
                                    offset) + full
        self.count += 1

    def finish(self) -> bytes:
        cd_offset, cd_size = len(self.out), len(self.central)
        self.out += self.central
        z64 = len(self.out)
        self.out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, self.count,
                                self.count, cd_size, cd_offset)
        self.out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
        self.out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, self.count, self.count,
                                cd_size, cd_offset, 0)
        return bytes(self.out)


def _name_hash(names) -> int:
    """Not torch's (see module docstring): FNV-1a over the sorted record names."""
    h = 0xCBF29CE484222325
    for n in sorted(names):
        for b in n.encode() + b"\0":
            h = ((h ^ b) * 0x100000001B3) & ((1 << 64) - 1)
    return h


def zip_archive(archive: str, records: list[tuple[str, bytes]]) -> bytes:
    """The archive torch writes: the records in order, then the serialization id."""
    writer = ZipWriter(archive)
    for name, data in records:
        writer.write_record(name, data)
    names = [name for name, _ in records]
    writer.write_record(".data/serialization_id",
                        f"{_name_hash(names):020d}{writer.combined_crc:020d}".encode())
    return writer.finish()


def write_atomically(path: Any, data: bytes) -> None:
    """The whole file to a temporary file beside ``path``, flushed to disk, then renamed over
    it (atomic on POSIX and Windows): a reader sees the old file or the new, never half of
    one; on any error the temporary file is removed and the old one left as it was."""
    import contextlib
    import tempfile

    descriptor, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=".saving-")
    try:
        with os.fdopen(descriptor, "wb") as part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def check_protocol(protocol: int) -> None:
    if protocol != 2:
        raise ValueError(f"manual.save writes pickle protocol 2 (torch's default), not "
                         f"{protocol}")


def check_load_arguments(map_location: Any, weights_only: bool | None,
                         pickle_load_args: dict[str, Any]) -> str:
    """Refuse what manual does not do; the encoding a Python 2 string (SHORT_BINSTRING) is
    read with: torch warns that pickle_load_args are for weights_only=False, then uses it."""
    if weights_only is False:  # a one-line stop under dealias run
        raise NotInManualError("load(weights_only=False)", "manual reads weights only, as "
                               "torch does with weights_only=True: tensors, containers and "
                               "plain values")
    where = str(map_location) if map_location is not None else "cpu"
    if not isinstance(map_location, (dict, type(None))) and not where.startswith("cpu"):
        raise RuntimeError(f"map_location={map_location!r}: manual loads onto the CPU only")
    if pickle_load_args:
        import warnings

        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=3)
    return pickle_load_args.get("encoding", "utf-8")


# -- reading -------------------------------------------------------------------------------

def read_archive(source: io.BytesIO) -> dict[str, bytes]:
    """The records of a torch archive, by name without the archive's folder, checked in the
    order PyTorchStreamReader and torch.load check them."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: not a ZIP archive. "
                           + MINIZ_MESSAGE) from None
    with archive:
        names = archive.namelist()
        if names and "/" not in names[0]:
            raise RuntimeError(f"file in archive is not in a subdirectory: {names[0]}")
        prefix = names[0].split("/", 1)[0] + "/" if names else ""
        records = {name[len(prefix):]: archive.read(name) for name in names
                   if name.startswith(prefix)}
    if names and "version" not in records:
        raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could '
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    stray = [name for name in names if not name.startswith(prefix)]
    if stray:  # found when torch.load lists the records
        raise RuntimeError(f"file in archive is not in a subdirectory {prefix}: {stray[0]}")
    if "constants.pkl" in records:
        import warnings

        warnings.warn("'torch.load' received a zip file that looks like a TorchScript archive "
                      "dispatching to 'torch.jit.load' (call 'torch.jit.load' directly to "
                      "silence this warning)", stacklevel=3)
        raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives "
                           "passed to ``torch.load``. " + UNSAFE_MESSAGE)
    if "data.pkl" not in records:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found. "
                           + MINIZ_MESSAGE)
    return records


def storages(records: dict[str, bytes]) -> dict[str, bytes]:
    """Each storage's raw bytes, by key."""
    return {name[len("data/"):]: data for name, data in records.items()
            if name.startswith("data/")}


def unpickled(data: bytes, raw: dict[str, bytes], encoding: str) -> Any:
    """data.pkl read as torch.load(weights_only=True) reads it, tensors made manual."""
    loaded: dict[str, Storage] = {}

    def persistent_load(pid: Any) -> Storage:  # torch.serialization._load's, asserts and all
        if not isinstance(pid, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(pid).__name__}")
        _, (storage_type, key, _, _) = pid[0], pid[1:]  # an empty id fails at pid[0]
        if key not in loaded:
            dtype = _storage_dtype(storage_type)
            loaded[key] = Storage(np.frombuffer(raw[key], np.dtype(DTYPES[dtype][0]).newbyteorder(
                "<")).astype(DTYPES[dtype][0]), dtype)
        return loaded[key]

    try:
        return _WeightsOnlyUnpickler(data, persistent_load, encoding).load()
    except UnpicklingError as error:
        raise UnpicklingError(wo_message(str(error))) from None


def _storage_dtype(storage_type: Any) -> str:
    """The dtype of torch.<Kind>Storage (an UntypedStorage holds bytes); a kind NumPy has no
    dtype for (bfloat16, quantized, float8) is refused, not misread as bytes."""
    if not isinstance(storage_type, Global):  # torch asks it for its .dtype
        raise AttributeError(f"'{type(storage_type).__name__}' object has no attribute 'dtype'")
    kind = storage_type.name
    if kind == "UntypedStorage":
        return "uint8"
    if kind not in STORAGE_TO_DTYPE:
        raise NotInManualError(f"a tensor of {kind}", "manual's tensors hold the dtypes NumPy "
                               f"has ({', '.join(DTYPES)})")
    return STORAGE_TO_DTYPE[kind]


ALLOWED_GLOBALS = frozenset(
    "_codecs.encode builtins.bytearray builtins.complex builtins.set collections.Counter "
    "collections.OrderedDict torch.Size torch.Tensor torch._tensor._rebuild_from_type_v2 "
    "torch._utils._rebuild_device_tensor_from_cpu_tensor "
    "torch._utils._rebuild_device_tensor_from_numpy torch._utils._rebuild_meta_tensor_no_storage "
    "torch._utils._rebuild_nested_tensor torch._utils._rebuild_parameter "
    "torch._utils._rebuild_parameter_with_state torch._utils._rebuild_qtensor "
    "torch._utils._rebuild_sparse_tensor torch._utils._rebuild_tensor "
    "torch._utils._rebuild_tensor_v2 torch._utils._rebuild_tensor_v3 "
    "torch._utils._rebuild_wrapper_subclass torch.device torch.nn.parameter.Parameter "
    "torch.serialization._get_layout torch.storage.TypedStorage torch.storage.UntypedStorage "
    "torch.per_channel_affine torch.per_channel_affine_float_qparams torch.per_channel_symmetric "
    "torch.per_tensor_affine torch.per_tensor_symmetric".split()
    + [f"torch.{n}Storage" for n in
       "BFloat16 Bool Byte Char ComplexDouble ComplexFloat Double Float Half Int Long Short "
       "QInt32 QInt8 QUInt2x4 QUInt4x2 QUInt8".split()]
    + [f"torch.cuda.{n}Storage" for n in
       "BFloat16 Bool Byte Char ComplexDouble ComplexFloat Double Float Half Int Long "
       "Short".split()]
    + [f"{m}.{n}Tensor" for m in ("torch", "torch.cuda") for n in
       "BFloat16 Bool Byte Char Double Float Half Int Long Short".split()]
    + [f"{m}.{n}Tensor" for m in ("torch.sparse", "torch.cuda.sparse") for n in
       "BFloat16 Byte Char Double Float Half Int Long Short".split()]
    + [f"torch.{d}" for d in
       "bfloat16 bits16 bits1x8 bits2x4 bits4x2 bits8 bool complex128 complex32 complex64 "
       "float16 float32 float4_e2m1fn_x2 float64 float8_e4m3fn float8_e4m3fnuz float8_e5m2 "
       "float8_e5m2fnuz float8_e8m0fnu int16 int32 int64 int8 qint32 qint8 quint2x4 quint4x2 "
       "quint8 uint8 uint16 uint32 uint64".split()]
    + [f"torch.int{i}" for i in range(1, 8)] + [f"torch.uint{i}" for i in range(1, 8)]
)
BLOCKLISTED_MODULES = ["sys", "os", "posix", "nt"]
IMPORT_MAPPING = {"__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue",
                  "repr": "reprlib", "_abcoll": "collections.abc", "UserDict": "collections",
                  "UserList": "collections", "UserString": "collections", "whichdb": "dbm",
                  "StringIO": "io", "cStringIO": "io"}
NAME_MAPPING = {
    ("__builtin__", "xrange"): ("builtins", "range"),
    ("__builtin__", "reduce"): ("functools", "reduce"),
    ("__builtin__", "intern"): ("sys", "intern"),
    ("__builtin__", "unichr"): ("builtins", "chr"),
    ("__builtin__", "unicode"): ("builtins", "str"),
    ("__builtin__", "long"): ("builtins", "int"),
    ("itertools", "izip"): ("builtins", "zip"),
    ("itertools", "imap"): ("builtins", "map"),
    ("itertools", "ifilter"): ("builtins", "filter"),
    ("itertools", "ifilterfalse"): ("itertools", "filterfalse"),
    ("itertools", "izip_longest"): ("itertools", "zip_longest"),
    ("UserDict", "IterableUserDict"): ("collections", "UserDict"),
    ("UserList", "UserList"): ("collections", "UserList"),
    ("UserString", "UserString"): ("collections", "UserString"),
    ("__builtin__", "basestring"): ("builtins", "str"),
    ("exceptions", "StandardError"): ("builtins", "Exception"),
    ("UserDict", "UserDict"): ("collections", "UserDict"),
}

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.")
MINIZ_MESSAGE = (
    "This is an internal miniz error. If you are seeing this error, there is a high likelihood "
    "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
    "properly, was transferred incorrectly, or the file was modified after saving.")
DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def wo_message(message: str) -> str:
    """torch.load's _get_wo_message: how an UnpicklingError from the unpickler is reworded."""
    has_unsafe_global = re.search(r"GLOBAL (\S+) was not an allowed global by default.",
                                  message) is not None
    has_blocklist = re.search(r"whose module (\S+) is blocked", message) is not None
    has_import = re.search(r"(\S+) must be (\S+) to load", message) is not None
    if has_unsafe_global:
        updated = (
            "Weights only load failed. This file can still be loaded, to do so you have two "
            "options, \033[1mdo those steps only if you trust the source of the checkpoint"
            f"\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error "
            "message.\n\tWeightsUnpickler error: " + message)
    else:
        if has_import:
            return f"Weights only load failed. {message}\n {UNSAFE_MESSAGE}\n"
        updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
        if not has_blocklist:
            updated += ("Please file an issue with the following so that we can make "
                        "`weights_only=True` compatible with your use case: WeightsUnpickler "
                        "error: ")
        updated += "\n\n" + message
    return updated + DOCS_MESSAGE


def _global_error(full_path: str) -> UnpicklingError:
    if full_path.startswith("builtins"):
        rest = full_path[len("builtins"):]
        full_path = rest[1:] if rest[:1] == "." else "builtins" + rest
    return UnpicklingError(
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
        f"Please use `torch.serialization.add_safe_globals([{full_path}])` or the "
        f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist this "
        "global if you trust this class/function.")


def _tensor(storage: Storage, offset: int, size: tuple, stride: tuple,
            requires_grad: bool) -> Any:
    """A manual tensor viewing its storage (views of one storage share memory)."""
    from manual.tensor import Tensor

    data = storage.data
    if 0 in size:
        array = np.empty(size, data.dtype)
    else:
        array = np.lib.stride_tricks.as_strided(data[offset:], size,
                                                tuple(s * data.itemsize for s in stride))
    return Tensor(array, requires_grad=requires_grad)


def _call(func: Global, args: tuple) -> Any:
    """REDUCE on an allowed global: the object it rebuilds."""
    full = f"{func.module}.{func.name}"
    if full in ("torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"):
        storage, offset, size, stride = args[:4]
        return _tensor(storage, offset, size, stride, args[4] if len(args) > 4 else False)
    if full in ("torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"):
        data = args[0]
        return _as_parameter(data, args[1])
    if full == "torch._tensor._rebuild_from_type_v2":
        rebuilt = _call(args[0], args[2])
        return _as_parameter(rebuilt, rebuilt.requires_grad) if args[1] is Global(
            "torch.nn.parameter", "Parameter") else rebuilt
    simple = {"collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
              "builtins.set": set, "builtins.bytearray": bytearray, "builtins.complex": complex,
              "torch.Size": lambda *a: tuple(*a)}
    if full in simple:
        return simple[full](*args)
    if full == "_codecs.encode":
        return args[0].encode(*args[1:])
    if full == "torch.device":
        from manual.device import device

        return device(*args)
    raise UnpicklingError(f"manual cannot rebuild {full} (only dense CPU tensors)")


def _as_parameter(t: Any, requires_grad: bool) -> Any:
    from manual.module import Parameter

    return Parameter(t, requires_grad=requires_grad)


def _dtype(name: str) -> np.dtype:
    """torch.<name> (one of DTYPES) as the NumPy dtype manual uses for it."""
    return np.dtype(DTYPES[name][0])


class _WeightsOnlyUnpickler:
    """torch/_weights_only_unpickler.py's Unpickler, opcode for opcode, over stdlib types."""

    def __init__(self, data: bytes, persistent_load, encoding: str):
        self.f = io.BytesIO(data)
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.memo = {}

    def pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def load(self):
        read, readline = self.f.read, self.f.readline
        self.metastack, self.stack = [], []
        P = pickle  # noqa: N806 (the opcode names read as pickle's)
        while True:
            key = read(1)
            if not key:
                raise EOFError
            op = key[0]
            st = self.stack
            if op == P.GLOBAL[0]:
                module = readline()[:-1].decode("utf-8")
                name = readline()[:-1].decode("utf-8")
                if (module, name) in NAME_MAPPING:
                    module, name = NAME_MAPPING[(module, name)]
                elif module in IMPORT_MAPPING:
                    module = IMPORT_MAPPING[module]
                full = f"{module}.{name}"
                if module in BLOCKLISTED_MODULES:
                    raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose "
                                          f"module {module} is blocked.")
                if full in ALLOWED_GLOBALS:
                    st.append(_dtype(name) if module == "torch" and name in DTYPES
                              else Global(module, name))
                elif full in ("torch.nested._internal.nested_tensor.NestedTensor",
                              "torch.nested._internal.nested_tensor._rebuild_njt",
                              "torch._dynamo.decorators._DimRange"):
                    raise UnpicklingError("``torch.nested`` and ``torch._dynamo`` must be "
                                          "imported to load nested jagged tensors (NJTs)")
                elif full in ("torch.distributed.device_mesh.DeviceMesh",
                              "torch.distributed.tensor._dtensor_spec.DTensorSpec",
                              "torch.distributed.tensor._dtensor_spec.TensorMeta",
                              "torch.distributed.tensor.DTensor",
                              "torch.distributed.tensor.placement_types.Partial",
                              "torch.distributed.tensor.placement_types.Replicate",
                              "torch.distributed.tensor.placement_types.Shard"):
                    raise UnpicklingError(
                        "``torch.distributed.tensor`` must be imported to load DTensors")
                else:
                    raise _global_error(full)
            elif op == P.NEWOBJ[0]:
                args = st.pop()
                cls = st.pop()
                if cls is Global("torch.nn.parameter", "Parameter"):
                    st.append(_as_parameter(args[0], args[1] if len(args) > 1 else True))
                elif isinstance(cls, Global):
                    st.append(GlobalCall(cls, tuple(args)))
                else:
                    raise UnpicklingError("Can only create new object for nn.Parameter or "
                                          "classes allowlisted via `add_safe_globals` but got "
                                          f"{cls}")
            elif op == P.REDUCE[0]:
                args = st.pop()
                func = st[-1]
                if not isinstance(func, Global):
                    raise UnpicklingError(
                        f"Trying to call reduce for unrecognized function {func}")
                st[-1] = _call(func, args)
            elif op == P.BUILD[0]:
                state = st.pop()
                inst = st[-1]
                if hasattr(inst, "array"):  # a tensor's Python attributes: not kept
                    pass
                elif type(inst) is OrderedDict:
                    inst.__dict__.update(state)
                elif isinstance(inst, (Counter, set, GlobalCall)):
                    if isinstance(inst, GlobalCall):
                        inst.state = state
                else:
                    raise UnpicklingError(
                        "Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                        f"via `add_safe_globals`, but got {type(inst)}")
            elif op == P.APPEND[0]:
                item = st.pop()
                if type(st[-1]) is not list:
                    raise UnpicklingError(f"Can only append to lists, but got {type(st[-1])}")
                st[-1].append(item)
            elif op == P.APPENDS[0]:
                items = self.pop_mark()
                if type(self.stack[-1]) is not list:
                    raise UnpicklingError(
                        f"Can only extend lists, but got {type(self.stack[-1])}")
                self.stack[-1].extend(items)
            elif op == P.SETITEM[0]:
                v, k = st.pop(), st.pop()
                self._check_set_item_target("SETITEM")
                st[-1][k] = v
            elif op == P.SETITEMS[0]:
                items = self.pop_mark()
                self._check_set_item_target("SETITEMS")
                for i in range(0, len(items), 2):
                    self.stack[-1][items[i]] = items[i + 1]
            elif op == P.MARK[0]:
                self.metastack.append(self.stack)
                self.stack = []
            elif op == P.TUPLE[0]:
                items = self.pop_mark()
                self.stack.append(tuple(items))
            elif op == P.TUPLE1[0]:
                st[-1] = (st[-1],)
            elif op == P.TUPLE2[0]:
                st[-2:] = [(st[-2], st[-1])]
            elif op == P.TUPLE3[0]:
                st[-3:] = [(st[-3], st[-2], st[-1])]
            elif op == P.NONE[0]:
                st.append(None)
            elif op == P.NEWFALSE[0]:
                st.append(False)
            elif op == P.NEWTRUE[0]:
                st.append(True)
            elif op == P.EMPTY_TUPLE[0]:
                st.append(())
            elif op == P.EMPTY_LIST[0]:
                st.append([])
            elif op == P.EMPTY_DICT[0]:
                st.append({})
            elif op == P.EMPTY_SET[0]:
                st.append(set())
            elif op == P.BININT[0]:
                st.append(struct.unpack("<i", read(4))[0])
            elif op == P.BININT1[0]:
                st.append(read(1)[0])
            elif op == P.BININT2[0]:
                st.append(struct.unpack("<H", read(2))[0])
            elif op == P.BINFLOAT[0]:
                st.append(struct.unpack(">d", read(8))[0])
            elif op == P.BINUNICODE[0]:
                n = struct.unpack("<I", read(4))[0]
                if n > sys.maxsize:
                    raise UnpicklingError("String is too long")
                st.append(str(read(n), "utf-8", "surrogatepass"))
            elif op == P.SHORT_BINSTRING[0]:
                n = read(1)[0]
                data = read(n)
                st.append(data.decode(self.encoding, "strict")
                          if self.encoding != "bytes" else data)
            elif op == P.BINPERSID[0]:
                pid = st.pop()
                if type(pid) is not tuple and type(pid) is not int:
                    raise UnpicklingError(
                        f"persistent_load id must be tuple or int, but got {type(pid)}")
                if type(pid) is tuple and len(pid) > 0 and _ascii(pid[0]) != "storage":
                    raise UnpicklingError(
                        f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
                st.append(self.persistent_load(pid))
            elif op in (P.BINGET[0], P.LONG_BINGET[0]):
                idx = read(1)[0] if op == P.BINGET[0] else struct.unpack("<I", read(4))[0]
                st.append(self.memo[idx])
            elif op in (P.BINPUT[0], P.LONG_BINPUT[0]):
                i = read(1)[0] if op == P.BINPUT[0] else struct.unpack("<I", read(4))[0]
                self.memo[i] = st[-1]
            elif op == P.LONG1[0]:
                n = read(1)[0]
                st.append(pickle.decode_long(read(n)))
            elif op == P.PROTO[0]:
                self.proto = read(1)[0]
                if self.proto != 2:
                    import warnings
                    warnings.warn(
                        f"Detected pickle protocol {self.proto} in the checkpoint, which was "
                        "not the default pickle protocol used by `torch.load` (2). The "
                        "weights_only Unpickler might not support all instructions implemented "
                        "by this protocol, please file an issue for adding support if you "
                        "encounter this.", stacklevel=2)
            elif op == P.STOP[0]:
                return st.pop()
            else:
                raise UnpicklingError(f"Unsupported operand {op}")

    def _check_set_item_target(self, opcode):
        if type(self.stack[-1]) not in (dict, OrderedDict, Counter):
            raise UnpicklingError(
                f"Can only {opcode} for dict, collections.OrderedDict, "
                f"collections.Counter, but got {type(self.stack[-1])}")


def _ascii(x):
    return x.decode("ascii") if isinstance(x, bytes) else x


