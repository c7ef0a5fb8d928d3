"""serialization at its edges, part two: the Python 2 string encoding, torch.load's own
checks on storage ids and on the archive, and containers that keep their class.

Each case reads (or writes) the same bytes with both libraries and asserts the same value,
or the same exception with the same message, and the same warnings.
"""

from __future__ import annotations

import io
import pickle as P
import zipfile
from collections import Counter, OrderedDict, defaultdict

import pytest
import torch

import manual
import manual.serialization as ms
from manual._parity.engine import NotInManualError
from tests.test_serialization_edges import (
    FLOATS,
    _glob,
    _int,
    _outcome,
    _pkl,
    _same_as_torch,
    _torch_without_user_globals,  # noqa: F401 (an autouse fixture, used here too)
    _tup,
    _uni,
    _v2,
)


def _short(data: bytes) -> bytes:
    return P.SHORT_BINSTRING + bytes([len(data)]) + data


# -- encoding: how a Python 2 string (SHORT_BINSTRING) is read -----------------------------

PY2_PID = _tup(_short(b"storage"), _glob("torch", "FloatStorage"), _uni("0"), _short(b"cpu"),
               _int(2)) + P.BINPERSID


@pytest.mark.parametrize("encoding", ["bytes", "latin1", "ascii", "utf-8"])
@pytest.mark.parametrize("data", [b"abc", b"\xe9t\xe9", b"\xc3\xa9"])
def test_a_python2_string_is_read_with_the_encoding_given(encoding, data):
    _same_as_torch(_pkl(_short(data)), encoding=encoding)


@pytest.mark.parametrize("encoding", ["bytes", "latin1"])
def test_a_python2_storage_id_loads_with_any_encoding(encoding):
    assert _same_as_torch(_pkl(_v2(PY2_PID)), FLOATS, encoding=encoding)[0] == "loaded"


# -- torch.load's persistent_load: its own checks after the unpickler's ----------------------

IDS = {
    "int": _int(5),
    "empty": P.EMPTY_TUPLE,
    "short": _tup(_uni("storage"), _glob("torch", "FloatStorage")),
    "kind-not-a-class": _tup(_uni("storage"), _uni("FloatStorage"), _uni("0"), _uni("cpu"),
                             _int(2)),
    "long": _tup(_uni("storage"), _glob("torch", "FloatStorage"), _uni("0"), _uni("cpu"),
                 _int(2), _int(0)),
}


@pytest.mark.parametrize("name", sorted(IDS))
def test_a_malformed_storage_id_fails_as_in_torch(name):
    outcome = _same_as_torch(_pkl(IDS[name] + P.BINPERSID), FLOATS)
    assert outcome[0] in ("AssertionError", "AttributeError", "IndexError", "ValueError")


def test_a_storage_kind_numpy_lacks_is_refused_not_misread():
    buffer = io.BytesIO()
    torch.save(torch.tensor([1.5, 2.0], dtype=torch.bfloat16), buffer)
    with pytest.raises(NotInManualError) as caught:
        ms.load(io.BytesIO(buffer.getvalue()))
    assert str(caught.value).startswith(
        "a tensor of BFloat16Storage is not in manual yet: manual's tensors hold the dtypes "
        "NumPy has (float32, float64, ")


# -- the archive: what torch's reader checks, in its order ---------------------------------


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, _pkl(_int(1)) if name.endswith(".pkl") else b"3\n")
    return buffer.getvalue()


ARCHIVES = {
    "no-version": ["archive/data.pkl"],
    "no-data": ["archive/version"],
    "version-elsewhere": ["archive/data.pkl", "other/version"],
    "nested-folder": ["a/b/data.pkl", "a/b/version"],
    "version-first": ["archive/version", "archive/data.pkl"],
    "torchscript": ["archive/data.pkl", "archive/version", "archive/constants.pkl"],
}


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_an_archive_is_checked_as_torch_checks_it(name):
    data = _zip(ARCHIVES[name])
    assert _outcome(manual, data) == _outcome(torch, data)


@pytest.mark.parametrize(("names", "where"), [
    (["data.pkl"], ": data.pkl"), (["x", "archive/data.pkl"], ": x"),
    (["archive/data.pkl", "archive/version", "other/data.pkl"], " archive/: other/data.pkl")])
def test_a_record_outside_the_folder_is_refused_as_torch(names, where):
    errors = []
    for lib in (ms, torch):
        with pytest.raises(RuntimeError) as caught:
            lib.load(io.BytesIO(_zip(names)))
        errors.append(str(caught.value))
    assert errors[0] == f"file in archive is not in a subdirectory{where}"
    assert errors[1].endswith(" " + errors[0])  # after torch's C++ source location


MINIZ = ("This is an internal miniz error. If you are seeing this error, there is a high "
         "likelihood that your checkpoint file is corrupted. This can happen if the checkpoint "
         "was not saved properly, was transferred incorrectly, or the file was modified after "
         "saving.")


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04 but not a zip", "PytorchStreamReader failed reading zip archive: not a ZIP "
     "archive. " + MINIZ),
    (_zip([]), "PytorchStreamReader failed locating file data.pkl: file not found. " + MINIZ)])
def test_a_file_that_is_no_torch_archive_is_refused(data, message):
    """(torch reads a file without a zip's first header as its legacy format: manual has
    none, and words the refusal as torch's zip reader does)"""
    with pytest.raises(RuntimeError) as caught:
        ms.load(io.BytesIO(data))
    assert str(caught.value) == message


# -- containers keep their class and their fields, as torch.save keeps them ----------------


class _Config(dict):
    """A dict subclass with a field of its own."""


class _History(list):
    """A list subclass with a field of its own."""


def _data_pkl(lib, obj) -> bytes:
    buffer = io.BytesIO()
    lib.save(obj, buffer)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("archive/data.pkl")


def test_dict_subclasses_are_pickled_as_torch_pickles_them():
    config = _Config(a=1)
    config.lr = 0.5
    state = OrderedDict(a=1, c=Counter("aab"))
    state._metadata = {"": {"version": 2}}
    history = _History([1.5])
    history.best = 1.5
    obj = [config, Counter("abb"), defaultdict(list, a=[1]), state, history]
    assert _data_pkl(ms, obj) == _data_pkl(torch, obj)
    buffer = io.BytesIO()
    ms.save(state, buffer)
    back = torch.load(io.BytesIO(buffer.getvalue()))
    assert back == state and back._metadata == state._metadata
