"""serialization at its edges: torch.save's archive byte for byte, and each opcode and each
refusal of the weights-only unpickler against torch.load(weights_only=True).

The pickles here are written by hand, opcode by opcode (pickletools' names), into a zip that
torch.load reads; both libraries read the same bytes and must give the same value, or the
same exception with the same message, and the same warnings.
"""

from __future__ import annotations

import io
import os
import pickle as P
import struct
import warnings
import zipfile
import zlib
from collections import OrderedDict, namedtuple
from pathlib import Path

import numpy as np
import pytest
import torch

import manual
import manual._parity.serialization as parity
import manual.serialization as ms
from manual._parity.engine import NotInManualError

# -- writing pickles and archives by hand ---------------------------------------------------


def _pkl(*ops: bytes, proto: int = 2) -> bytes:
    """A pickle: PROTO, the opcodes, STOP."""
    return P.PROTO + bytes([proto]) + b"".join(ops) + P.STOP


def _uni(s: str) -> bytes:
    data = s.encode("utf-8", "surrogatepass")
    return P.BINUNICODE + struct.pack("<I", len(data)) + data


def _int(i: int) -> bytes:
    return P.BININT1 + bytes([i]) if 0 <= i < 256 else P.BININT + struct.pack("<i", i)


def _glob(module: str, name: str) -> bytes:
    return P.GLOBAL + f"{module}\n{name}\n".encode()


def _tup(*items: bytes) -> bytes:
    return P.MARK + b"".join(items) + P.TUPLE


def _pid(kind: str = "FloatStorage", key: str = "0", numel: int = 2,
         module: str = "torch") -> bytes:
    """A storage reference, as torch.save writes one."""
    return _tup(_uni("storage"), _glob(module, kind), _uni(key), _uni("cpu"), _int(numel)) + (
        P.BINPERSID)


ORDERED = _glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE


def _v2(pid: bytes = b"", size=(2,), stride=(1,), requires_grad: bool = False) -> bytes:
    """_rebuild_tensor_v2(storage, 0, size, stride, requires_grad, OrderedDict())."""
    return _glob("torch._utils", "_rebuild_tensor_v2") + _v2_args(pid, size, stride,
                                                                  requires_grad) + P.REDUCE


def _v2_args(pid: bytes = b"", size=(2,), stride=(1,), requires_grad: bool = False) -> bytes:
    flag = P.NEWTRUE if requires_grad else P.NEWFALSE
    return _tup(pid or _pid(), _int(0), _tup(*map(_int, size)), _tup(*map(_int, stride)), flag,
                ORDERED)


FLOATS = {"0": np.array([1.5, -2.0], np.float32).tobytes()}


def _zip(pkl: bytes, storages: dict | None = None) -> bytes:
    """An archive as torch.load reads it, written with the standard library's zipfile."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pkl)
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", b"3\n")
    return buffer.getvalue()


# -- comparing what each library reads -----------------------------------------------------


def _norm(v):
    """Each library's objects as plain values that can be compared across the two."""
    if isinstance(v, type):
        return f"{v.__module__}.{v.__name__}"
    if isinstance(v, torch.Tensor) or hasattr(v, "grad_fn"):
        a = v.detach().numpy() if isinstance(v, torch.Tensor) else v.array
        return ("tensor", type(v).__name__, str(a.dtype), a.shape, a.tobytes(), v.requires_grad)
    if isinstance(v, torch.dtype):
        return str(v)
    if isinstance(v, np.dtype):
        return f"torch.{v}"
    if isinstance(v, parity.Global):
        return f"{v.module}.{v.name}"
    if isinstance(v, torch.device) or type(v).__name__ == "device":
        return ("device", str(v))
    if callable(v) and hasattr(v, "__qualname__"):
        return f"{v.__module__}.{v.__name__}"
    if isinstance(v, dict):
        attrs = sorted(getattr(v, "__dict__", {}).items())
        return (type(v).__name__, [(_norm(k), _norm(x)) for k, x in v.items()], _norm(attrs))
    if isinstance(v, tuple):  # torch.Size is manual's tuple
        return ("tuple", [_norm(x) for x in v])
    if isinstance(v, list):
        return ("list", [_norm(x) for x in v])
    if isinstance(v, (set, frozenset)):
        return (type(v).__name__, sorted(map(repr, v)))
    return (type(v).__name__, v)


def _outcome(lib, data: bytes, **kwargs):
    """(value or exception, warnings) of lib.load on an archive's bytes."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            got = ("loaded", _norm(lib.load(io.BytesIO(data), weights_only=True, **kwargs)))
        except Exception as error:  # noqa: BLE001 (the class and message are compared)
            got = (type(error).__name__, str(error))
    return got, [str(w.message) for w in seen]


def _same_as_torch(pkl: bytes, storages: dict | None = None, **kwargs):
    data = _zip(pkl, storages)
    mine, theirs = _outcome(manual, data, **kwargs), _outcome(torch, data, **kwargs)
    assert mine == theirs
    return mine[0]


@pytest.fixture(autouse=True)
def _torch_without_user_globals(monkeypatch):
    """torch allowlists its nested-tensor classes on import (add_safe_globals); manual has no
    allowlist of its own, so compare with a torch whose user allowlist is empty."""
    monkeypatch.setattr(torch._weights_only_unpickler, "_marked_safe_globals_set", set())


# -- the unpickler, opcode by opcode --------------------------------------------------------

T = _pid()  # a float32 storage of 2 elements, key "0"
PARAM = _glob("torch.nn.parameter", "Parameter")
NUMBERS = {
    "binint2": P.BININT2 + struct.pack("<H", 0xBEEF),
    "binint-negative": P.BININT + struct.pack("<i", -5),
    "binint1": P.BININT1 + b"\xfe",
    "binfloat": P.BINFLOAT + struct.pack(">d", -0.1),
    "long1": P.LONG1 + b"\x09" + (2**70 + 3).to_bytes(9, "little", signed=True),
    "long1-negative": P.LONG1 + b"\x02" + (-300).to_bytes(2, "little", signed=True),
    "unicode-surrogate": _uni("a\ud800b"),
    "short-binstring": P.SHORT_BINSTRING + b"\x03abc",
    "short-binstring-not-utf8": P.SHORT_BINSTRING + b"\x02\xff\xfe",
    "tuples": _tup(P.EMPTY_TUPLE, P.NONE + P.TUPLE1, P.NEWTRUE + P.NEWFALSE + P.TUPLE2,
                   _int(1) + _int(2) + _int(3) + P.TUPLE3),
    "empty-set": P.EMPTY_SET,
    "list-appends": P.EMPTY_LIST + P.MARK + _int(1) + _int(2) + P.APPENDS + _int(3) + P.APPEND,
    "dict-setitems": P.EMPTY_DICT + P.MARK + _uni("a") + _int(1) + _uni("b") + P.NONE
    + P.SETITEMS + _uni("c") + _int(2) + P.SETITEM,
    "memo": P.EMPTY_LIST + _uni("x") + P.BINPUT + b"\x07" + P.APPEND + P.BINGET + b"\x07"
    + P.APPEND,
    "long-memo": P.EMPTY_LIST + _uni("x") + P.LONG_BINPUT + struct.pack("<I", 0x80000102)
    + P.APPEND + P.LONG_BINGET + struct.pack("<I", 0x80000102) + P.APPEND,
    "memo-missing": P.BINGET + b"\x05",
    "long-memo-missing": _uni("x") + P.LONG_BINPUT + struct.pack("<I", 0x01020304)
    + P.LONG_BINGET + struct.pack("<I", 0x04030201),
    "unsupported-opcode": _int(1) + P.POP,
    "empty": b"",
}
GLOBALS = {
    "dtype": _tup(_glob("torch", "float64"), _glob("torch", "bool"), _glob("torch", "int8")),
    "dtype-not-numpy": _glob("torch", "bfloat16"),
    "class": _tup(_glob("torch", "Size"), PARAM, _glob("collections", "Counter")),
    "name-mapping": _glob("__builtin__", "unicode"),
    "name-mapping-blocked": _glob("__builtin__", "intern"),
    "import-mapping": _glob("copy_reg", "_reconstructor"),
    "builtins": _glob("builtins", "print"),
    "builtins-prefix": _glob("builtins_extra", "thing"),
    "not-allowed": _glob("numpy", "ndarray"),
    **{f"blocked-{m}": _glob(m, "system") for m in ("sys", "os", "posix", "nt")},
    **{f"needs-import-{n}": _glob(*n.rsplit(".", 1)) for n in (
        "torch.nested._internal.nested_tensor.NestedTensor",
        "torch.nested._internal.nested_tensor._rebuild_njt",
        "torch._dynamo.decorators._DimRange",
        "torch.distributed.device_mesh.DeviceMesh",
        "torch.distributed.tensor._dtensor_spec.DTensorSpec",
        "torch.distributed.tensor._dtensor_spec.TensorMeta",
        "torch.distributed.tensor.DTensor",
        "torch.distributed.tensor.placement_types.Partial",
        "torch.distributed.tensor.placement_types.Replicate",
        "torch.distributed.tensor.placement_types.Shard")},
}
CALLS = {
    "counter": _glob("collections", "Counter") + _tup(P.EMPTY_DICT + _uni("a") + _int(2)
                                                      + P.SETITEM) + P.REDUCE,
    "counter-setitem": _glob("collections", "Counter") + P.EMPTY_TUPLE + P.REDUCE + _uni("b")
    + _int(1) + P.SETITEM,
    "bytearray": _glob("builtins", "bytearray") + _tup(_uni("a\xff"), _uni("latin1"))
    + P.REDUCE,
    "codecs-encode": _glob("_codecs", "encode") + _tup(_uni("\xff\x01"), _uni("latin1"))
    + P.REDUCE,
    "complex": _glob("builtins", "complex") + _tup(_int(1), _int(2)) + P.REDUCE,
    "set": _glob("builtins", "set") + _tup(P.EMPTY_LIST + _int(4) + P.APPEND) + P.REDUCE,
    "size": _glob("torch", "Size") + _tup(_tup(_int(2), _int(3))) + P.REDUCE,
    "device": _glob("torch", "device") + _tup(_uni("cpu")) + P.REDUCE,
    "ordered-dict-build": ORDERED + P.EMPTY_DICT + _uni("version") + _int(1) + P.SETITEM
    + P.BUILD,
    "counter-build-empty": _glob("collections", "Counter") + P.EMPTY_TUPLE + P.REDUCE
    + P.EMPTY_DICT + P.BUILD,
    "reduce-not-global": P.EMPTY_LIST + P.EMPTY_TUPLE + P.REDUCE,
    "newobj-not-global": P.EMPTY_LIST + P.EMPTY_TUPLE + P.NEWOBJ,
    "build-list": P.EMPTY_LIST + P.EMPTY_DICT + P.BUILD,
    "append-not-list": P.EMPTY_LIST + P.EMPTY_TUPLE + P.EMPTY_DICT + P.NONE + P.APPEND,
    "appends-not-list": P.EMPTY_LIST + P.EMPTY_TUPLE + P.EMPTY_DICT + P.MARK + P.NONE
    + P.APPENDS,
    "setitem-not-dict": P.EMPTY_DICT + P.EMPTY_TUPLE + P.EMPTY_LIST + P.NONE + P.NONE
    + P.SETITEM,
    "setitems-not-dict": P.EMPTY_DICT + P.EMPTY_TUPLE + P.EMPTY_LIST + P.MARK + P.NONE + P.NONE
    + P.SETITEMS,
    "persistent-id-str": _uni("storage") + P.BINPERSID,
    "persistent-id-other": _tup(_uni("module"), _int(1)) + P.BINPERSID,
    "persistent-id-other-alone": _uni("module") + P.TUPLE1 + P.BINPERSID,
}
TENSORS = {
    "v2": _v2(),
    "v2-requires-grad": _v2(requires_grad=True),
    "v2-view": _v2(size=(1,), stride=(1,)),
    "v2-empty": _v2(size=(0, 3), stride=(3, 1)),
    "legacy": _glob("torch._utils", "_rebuild_tensor") + _tup(T, _int(0), _tup(_int(2)),
                                                            _tup(_int(1))) + P.REDUCE,
    "bytes-storage": _v2(_pid("UntypedStorage", numel=8, module="torch.storage"), size=(8,)),
    "shared-storage": P.EMPTY_LIST + _v2(T + P.BINPUT + b"\x01") + P.APPEND
    + _v2(P.BINGET + b"\x01", size=(1,)) + P.APPEND,
    "parameter": _glob("torch._utils", "_rebuild_parameter") + _tup(_v2(), P.NEWFALSE, ORDERED)
    + P.REDUCE,
    "parameter-with-state": _glob("torch._utils", "_rebuild_parameter_with_state")
    + _tup(_v2(), P.NEWTRUE, ORDERED, P.EMPTY_DICT) + P.REDUCE,
    "parameter-build": _glob("torch._utils", "_rebuild_parameter") + _tup(_v2(), P.NEWTRUE,
                                                                          ORDERED)
    + P.REDUCE + _tup(P.NEWTRUE, P.NONE, ORDERED) + P.BUILD,
    "tensor-build-same": _v2(T + P.BINPUT + b"\x01") + _tup(P.BINGET + b"\x01", _int(0),
                                                              _tup(_int(2)), _tup(_int(1)))
    + P.BUILD,
    "from-type-tensor": _glob("torch._tensor", "_rebuild_from_type_v2") + _tup(
        _glob("torch._utils", "_rebuild_tensor_v2"), _glob("torch", "Tensor"),
        _v2_args(requires_grad=True), P.EMPTY_DICT) + P.REDUCE,
    **{f"from-type-parameter-{rg}": _glob("torch._tensor", "_rebuild_from_type_v2") + _tup(
        _glob("torch._utils", "_rebuild_tensor_v2"), PARAM, _v2_args(requires_grad=rg),
        P.EMPTY_DICT) + P.REDUCE for rg in (False, True)},
    "newobj-parameter": PARAM + _tup(_v2()) + P.NEWOBJ,
    "newobj-parameter-no-grad": PARAM + _tup(_v2(), P.NEWFALSE) + P.NEWOBJ,
}


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_each_plain_opcode_reads_as_torch_reads_it(name):
    _same_as_torch(_pkl(NUMBERS[name]))


@pytest.mark.parametrize("name", sorted(GLOBALS))
def test_each_global_is_allowed_or_refused_as_torch(name):
    _same_as_torch(_pkl(GLOBALS[name]))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_calls_builds_and_stack_refusals_as_torch(name):
    _same_as_torch(_pkl(CALLS[name]))


@pytest.mark.parametrize("name", sorted(TENSORS))
def test_each_way_to_rebuild_a_tensor_as_torch(name):
    storages = {"0": np.arange(8, dtype=np.uint8).tobytes()} if "bytes" in name else FLOATS
    outcome = _same_as_torch(_pkl(TENSORS[name]), storages)
    assert outcome[0] == "loaded"


def test_hand_example_a_requires_grad_parameter_and_a_plain_view():
    # the outcomes compared above, spelled out once
    got = ms.load(io.BytesIO(_zip(_pkl(TENSORS["parameter"]), FLOATS)))
    assert type(got) is manual.nn.Parameter and not got.requires_grad
    assert got.tolist() == [1.5, -2.0]
    got = ms.load(io.BytesIO(_zip(_pkl(TENSORS["v2-requires-grad"]), FLOATS)))
    assert type(got) is manual.Tensor and got.requires_grad


def test_a_protocol_above_two_warns_as_torch():
    for proto in (2, 3, 4):
        _same_as_torch(_pkl(_int(1), proto=proto))


def test_an_allowed_class_built_with_newobj_is_kept_as_a_call():
    """manual has no object for torch.Size.__new__ and the like: it keeps the call (its
    global, its arguments and the state BUILD gives it), as documented in GlobalCall."""
    got = ms.load(io.BytesIO(_zip(_pkl(_glob("torch", "Size") + _tup(_tup(_int(2), _int(3)))
                                       + P.NEWOBJ + P.EMPTY_DICT + _uni("a") + _int(1)
                                       + P.SETITEM + P.BUILD))))
    assert isinstance(got, parity.GlobalCall)
    assert repr(got) == "torch.Size((2, 3),)" and got.state == {"a": 1}


def test_an_allowed_global_manual_cannot_rebuild_is_refused_by_name():
    data = _zip(_pkl(_glob("torch._utils", "_rebuild_meta_tensor_no_storage")
                     + _tup(_glob("torch", "float32"), _tup(_int(2)), _tup(_int(1))) + P.REDUCE))
    with pytest.raises(P.UnpicklingError) as caught:
        ms.load(io.BytesIO(data))
    assert str(caught.value).endswith(
        "\n\nmanual cannot rebuild torch._utils._rebuild_meta_tensor_no_storage (only dense CPU "
        "tensors)" + parity.DOCS_MESSAGE)


# -- the archive manual.save writes is torch.save's ---------------------------------------


def _fnv1a(names: list[str]) -> int:
    """FNV-1a (64-bit) over the sorted names, each ended by a NUL: the documented hash."""
    h = 0xCBF29CE484222325
    for byte in b"".join(n.encode() + b"\0" for n in sorted(names)):
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    return h


def _serialization_id(data: bytes) -> tuple[list[str], bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    return names, archive.read(next(n for n in names if n.endswith(".data/serialization_id")))


def _with_id(data: bytes, new: bytes) -> bytes:
    """The archive with its serialization id (and the id's two crc fields) replaced."""
    old = _serialization_id(data)[1]
    crc_old, crc_new = (struct.pack("<I", zlib.crc32(x)) for x in (old, new))
    assert data.count(old) == 1 and data.count(crc_old) == 2
    return data.replace(old, new).replace(crc_old, crc_new)


def _assert_torchs_archive(mine: bytes, theirs: bytes) -> None:
    """Byte for byte the same, but for the first half of the serialization id, which torch
    hashes with std::hash and manual with FNV-1a; its second half, torch's hash_combine of the
    records' crc32s, is the same."""
    names, ident = _serialization_id(mine)
    folder = names[0].split("/")[0] + "/"
    records = [n[len(folder):] for n in names[:-1]]
    assert ident[:20] == b"%020d" % _fnv1a(records)
    assert ident[20:] == _serialization_id(theirs)[1][20:]
    assert _with_id(theirs, ident) == mine


class _Point(namedtuple("_Point", "x y")):
    pass


class _HasGradFn:
    grad_fn = None


class _HasArray:
    array = np.zeros(1)


def _pair(make):
    return (make(manual.from_numpy, manual.nn.Parameter, manual),
            make(torch.tensor, torch.nn.Parameter, torch))


def _checkpoint(tensor, parameter, side):
    w = tensor(np.array([1.5, -2.0], np.float32))
    od = OrderedDict(w=w)
    od._metadata = {"": {"version": 1}}
    return {"w": w, "again": w, "detached": w.detach(), "empty": side.zeros(0, 2), "scalar": tensor(
        np.array(3, np.int64)), "p": parameter(tensor(np.ones(2, np.float32))),
            "bits": [tensor(np.array(v, d)) for v, d in (
                ([True, False], np.bool_), ([1, 255], np.uint8), ([-1, 2], np.int8),
                ([300], np.int16), ([-7], np.int32), ([0.5], np.float16), ([2.5], np.float64),
                ([1 + 2j], np.complex64), ([1 - 1j], np.complex128))],
            "state": od, "n": 1, "f": -0.5, "s": "x", "b": b"\xff"}


def test_hand_example_one_tensor_is_torch_saves_archive():
    mine, theirs = io.BytesIO(), io.BytesIO()
    ms.save({"w": manual.tensor([1.0, 2.0])}, mine)
    torch.save({"w": torch.tensor([1.0, 2.0])}, theirs)
    _assert_torchs_archive(mine.getvalue(), theirs.getvalue())


@pytest.mark.parametrize("what", ["checkpoint", "grad", "transposed", "plain-objects"])
def test_an_archive_is_torch_saves_byte_for_byte(what):
    if what == "checkpoint":
        mine, theirs = _pair(_checkpoint)
    elif what == "grad":  # requires_grad is saved for a leaf
        mine = {"g": manual.ones(2, requires_grad=True)}
        theirs = {"g": torch.ones(2, requires_grad=True)}
    elif what == "transposed":  # manual saves a view contiguous, as torch saves a copy
        a = np.arange(6.0).reshape(2, 3)
        mine, theirs = manual.from_numpy(a).t(), torch.from_numpy(a).t().contiguous()
    else:  # objects that merely look like tensors, a namedtuple: pickled as themselves
        mine = theirs = [_Point(1, 2), _HasGradFn(), _HasArray(), {1, 2}]
    archives = []
    for lib, obj in ((ms, mine), (torch, theirs)):
        buffer = io.BytesIO()
        lib.save(obj, buffer)
        archives.append(buffer.getvalue())
    _assert_torchs_archive(*archives)


@pytest.mark.parametrize("name", ["run.pt", "a.b.pt", "noext", "x\\y\\z.pt", "\u00e9t\u00e9.pt",
                                  "a."])
def test_a_saved_file_is_named_inside_as_torch_names_it(tmp_path, name):
    archives = []
    for lib, side in ((ms, manual), (torch, torch)):
        (tmp_path / lib.__name__).mkdir()
        path = tmp_path / lib.__name__ / name
        lib.save({"w": side.ones(2)}, path)
        archives.append(path.read_bytes())
    _assert_torchs_archive(*archives)


def test_a_file_name_that_is_only_an_extension_is_refused_as_torch(tmp_path):
    errors = []
    for lib, side in ((ms, manual), (torch, torch)):
        with pytest.raises(RuntimeError) as caught:
            lib.save({"w": side.ones(1)}, tmp_path / ".pt")
        errors.append(str(caught.value))
    assert errors[0] == f"invalid file name: {tmp_path / '.pt'}"
    assert errors[1].endswith(" " + errors[0])  # after torch's C++ source location


def test_the_name_hash_is_fnv1a_and_the_crc_hash_is_c10_hash_combine():
    assert parity._name_hash([]) == 0xCBF29CE484222325  # FNV-1a's offset basis
    assert _fnv1a([]) == 0xCBF29CE484222325
    h = 0xCBF29CE484222325  # the published FNV-1a 64 of "a", to check _fnv1a itself
    assert ((h ^ ord("a")) * 0x100000001B3) % 2**64 == 0xAF63DC4C8601EC8C
    assert parity._name_hash(["b", "a"]) == _fnv1a(["a", "b"])
    # c10::hash_combine(seed, value) = seed ^ (value + 0x9e3779b9 + (seed << 6) + (seed >> 2))
    for seed, value in ((0xFEDCBA9876543211, 0xFFFFFFFF), (0, 0)):  # odd results, overflow
        expected = seed ^ ((value + 0x9E3779B9 + (seed << 6) + (seed >> 2)) % 2**64)
        assert parity._hash_combine(seed, value) == expected % 2**64


def test_a_record_past_4_gib_is_refused():
    class Huge(bytearray):  # an archive already 4 GiB long, without the memory
        def __len__(self) -> int:
            return 0xFFFFFFFF

    writer = parity.ZipWriter("archive")
    writer.out = Huge()
    with pytest.raises(NotInManualError) as caught:
        writer.write_record("data/0", b"x")
    assert str(caught.value) == ("a file of 4 GiB or more is not in manual yet: manual writes "
                                 "and reads zip archives without zip64 fields")


def test_the_temporary_file_is_beside_the_target(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(source, target):
        seen.append(Path(source))
        real(source, target)

    monkeypatch.setattr("manual._parity.serialization.os.replace", spy)
    ms.save({"w": manual.ones(1)}, tmp_path / "run.pt")
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".saving-")


def test_a_temporary_file_already_gone_does_not_hide_the_error(tmp_path, monkeypatch):
    def vanish(source, target):  # the temporary file is removed, then the rename fails
        os.remove(source)
        raise OSError("disk gone")

    monkeypatch.setattr("manual._parity.serialization.os.replace", vanish)
    with pytest.raises(OSError, match="disk gone"):
        ms.save({"w": manual.ones(1)}, tmp_path / "run.pt")
    assert list(tmp_path.iterdir()) == []


def test_globals_are_references_only():
    g = parity.Global("torch", "float32")
    with pytest.raises(TypeError) as caught:
        P.dumps(g)
    assert str(caught.value) == "Global is written by the serializer itself"
    with pytest.raises(TypeError) as caught:
        g()
    assert str(caught.value) == "Global(torch.float32) is a reference, not a function"


def test_only_pickle_protocol_2_is_written():
    with pytest.raises(ValueError) as caught:
        ms.save({}, io.BytesIO(), pickle_protocol=4)
    assert str(caught.value) == "manual.save writes pickle protocol 2 (torch's default), not 4"


# -- load's arguments ------------------------------------------------------------------------


def _saved() -> bytes:
    buffer = io.BytesIO()
    torch.save({"w": torch.tensor([1.5, 2.5])}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("where", ["cpu", {"cuda:0": "cpu"}, None])
def test_a_cpu_map_location_loads_as_torch(where):
    data = _saved()
    assert _outcome(manual, data, map_location=where) == _outcome(torch, data,
                                                                  map_location=where)


@pytest.mark.parametrize("where", ["cuda", "meta"])
def test_any_other_map_location_is_refused(where):
    with pytest.raises(RuntimeError) as caught:
        ms.load(io.BytesIO(_saved()), map_location=where)
    assert str(caught.value) == f"map_location={where!r}: manual loads onto the CPU only"


def test_weights_only_false_is_not_in_manual():
    with pytest.raises(NotInManualError) as caught:
        ms.load(io.BytesIO(_saved()), weights_only=False)
    assert str(caught.value) == (
        "load(weights_only=False) is not in manual yet: manual reads weights only, as torch "
        "does with weights_only=True: tensors, containers and plain values")


def test_a_file_object_is_left_open_and_a_path_is_closed(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(_saved())
    with open(path, "rb") as f:
        assert ms.load(f)["w"].tolist() == [1.5, 2.5]
        assert not f.closed  # the caller's file, as torch leaves it
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        assert ms.load(path)["w"].tolist() == [1.5, 2.5]
        assert ms.load(str(path))["w"].tolist() == [1.5, 2.5]
