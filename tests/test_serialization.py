"""serialization: manual.save / manual.load against torch.save / torch.load, both ways.

A file written by either side loads on the other with the same values, dtypes, shapes and
structure (state dicts, optimizer state dicts, nested containers, parameters); a file that
names any other global is refused as torch.load(weights_only=True) refuses it; writes are
atomic. The manual twin never imports torch.
"""

from __future__ import annotations

import contextlib
import io
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.serialization as ms
import torch_native.serialization as ts

DTYPES = [np.float32, np.float64, np.int64, np.bool_, np.uint8, np.int32]


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    return draw(hnp.arrays(dtype, shape))


def _tree(draw_arrays, make):
    """A checkpoint-like tree of tensors made by ``make`` and plain values."""
    first, second, third = draw_arrays
    return {"model": OrderedDict([("w", make(first)), ("b", make(second))]),
            "epoch": 7, "best": 0.25, "name": "run", "flags": [True, None, (1, 2.5)],
            "history": [make(third)], "empty": {}}


def _plain(value):
    """A tree with tensors turned into (dtype, shape, bytes), for comparison across sides."""
    if hasattr(value, "numpy") or hasattr(value, "array"):
        a = value.detach().numpy() if hasattr(value, "detach") and not hasattr(
            value, "grad_fn") or isinstance(value, torch.Tensor) else value.array
        a = np.asarray(a)
        return ("tensor", str(a.dtype), a.shape, a.tobytes())
    if isinstance(value, dict):
        return (type(value).__name__, [(k, _plain(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


def test_hand_example_the_records_torch_reads():
    # one float32 tensor: data.pkl, the version records, data/0 with its 8 bytes
    buffer = io.BytesIO()
    ms.save({"w": manual.tensor([1.0, 2.0])}, buffer)
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).namelist()
    assert names == ["archive/data.pkl", "archive/.format_version",
                     "archive/.storage_alignment", "archive/byteorder", "archive/data/0",
                     "archive/version", "archive/.data/serialization_id"]
    back = torch.load(io.BytesIO(buffer.getvalue()))
    assert back["w"].tolist() == [1.0, 2.0] and back["w"].dtype == torch.float32


@given(st.tuples(arrays(), arrays(), arrays()))
def test_a_file_saved_by_either_side_loads_on_the_other(values):
    made = {"manual": _tree(values, manual.from_numpy), "torch": _tree(values, torch.from_numpy)}
    for writer, reader in ((ms, ts), (ts, ms), (ms, ms)):
        source = made["manual" if writer is ms else "torch"]
        buffer = io.BytesIO()
        writer.save(source, buffer)
        back = reader.load(io.BytesIO(buffer.getvalue()))
        assert _plain(back) == _plain(made["manual" if reader is ms else "torch"])


def test_a_training_checkpoint_moves_between_the_engines():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    state = ms.load(io.BytesIO(buffer.getvalue()))
    manual.manual_seed(1)
    twin = manual.nn.Sequential(manual.nn.Linear(3, 4), manual.nn.ReLU(), manual.nn.Linear(4, 2))
    twin.load_state_dict(state["model"])
    twin_optimizer = manual.optim.AdamW(twin.parameters(), lr=0.01)
    twin_optimizer.load_state_dict(state["optimizer"])
    for mine, theirs in zip(twin.parameters(), model.parameters()):
        assert mine.array.tobytes() == theirs.detach().numpy().tobytes()
    assert float(twin_optimizer.state[twin[0].weight]["step"]) == 1.0
    again = io.BytesIO()
    ms.save({"model": twin.state_dict(), "optimizer": twin_optimizer.state_dict()}, again)
    restored = torch.load(io.BytesIO(again.getvalue()))
    model.load_state_dict(restored["model"])
    optimizer.load_state_dict(restored["optimizer"])


def test_parameters_dtypes_devices_and_sizes_come_back_as_themselves():
    buffer = io.BytesIO()
    torch.save({"p": torch.nn.Parameter(torch.ones(2)), "dtype": torch.float64,
                "device": torch.device("cpu"), "size": torch.Size([2, 3])}, buffer)
    back = ms.load(io.BytesIO(buffer.getvalue()))
    assert isinstance(back["p"], manual.nn.Parameter) and back["p"].requires_grad
    assert back["dtype"] == manual.float64 and back["device"] == manual.device("cpu")
    assert back["size"] == (2, 3)
    again = io.BytesIO()
    ms.save(back, again)
    out = torch.load(io.BytesIO(again.getvalue()))
    assert isinstance(out["p"], torch.nn.Parameter)
    assert out["dtype"] is torch.float64 and out["device"] == torch.device("cpu")


def test_views_of_one_storage_load_sharing_memory():
    base = torch.arange(6.0)
    buffer = io.BytesIO()
    torch.save({"a": base[1:4], "b": base.view(2, 3)[:, 1]}, buffer)
    back = ms.load(io.BytesIO(buffer.getvalue()))
    assert back["a"].tolist() == [1.0, 2.0, 3.0] and back["b"].tolist() == [1.0, 4.0]
    back["a"].array[0] = 10.0
    assert back["b"].tolist() == [10.0, 4.0]  # the same storage, as torch rebuilds it


class Evil:
    def __reduce__(self):
        return (print, ("this must not run",))


@pytest.mark.parametrize("payload", [Evil(), {"x": np.float64(1.0)}, {"f": len}])
def test_any_other_global_is_refused_as_torch_refuses_it(payload, capsys):
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    errors = []
    for side in (ms, ts):
        with pytest.raises(pickle.UnpicklingError) as caught:
            side.load(io.BytesIO(buffer.getvalue()))
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "Unsupported global" in errors[0]
    assert "this must not run" not in capsys.readouterr().out


def test_a_write_is_atomic_the_old_file_stays_when_saving_fails(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    ms.save({"w": manual.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        ms.save({"w": manual.ones(2), "f": lambda: 0}, path)  # not picklable
    assert path.read_bytes() == before

    def crash(*args):  # the machine fails between writing the new file and the rename
        raise OSError("disk gone")

    monkeypatch.setattr("manual._parity.serialization.os.replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        ms.save({"w": manual.zeros(3)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]  # no temporary left
    assert torch.load(path)["w"].tolist() == [1.0, 1.0]


def test_without_torch_a_round_trip_keeps_every_bit():
    manual.manual_seed(0)
    state = manual.nn.Linear(4, 3).state_dict()
    buffer = io.BytesIO()
    ms.save(state, buffer)
    back = ms.load(io.BytesIO(buffer.getvalue()))
    assert list(back) == list(state)
    assert all(back[k].array.tobytes() == state[k].array.tobytes() for k in state)


class _Unlisted:
    """A class no weights-only load may build."""


SAVED = {
    "state-dict": lambda: OrderedDict(w=torch.ones(2, 3), b=torch.zeros(3, dtype=torch.float64)),
    "nested": lambda: {"a": [1, 2.5, (3, "x")], "b": {"c": torch.arange(4)}, "n": None,
                       "t": True},
    "numbers": lambda: [2**40, -5, 0, 1.5, -0.0, 1 + 2j], "bytes": lambda: b"ab",
    "sets": lambda: ({1, 2}, frozenset([1])), "slice": lambda: slice(1, 2),
    "torch-objects": lambda: (torch.float32, torch.Size([2, 3]), torch.device("cpu")),
    "small-dtypes": lambda: [torch.tensor([True, False]), torch.tensor([1], dtype=torch.int8)],
    "empty-and-view": lambda: [torch.empty(0, 3), torch.arange(6.).reshape(2, 3)[:, 1]],
    "unlisted-class": lambda: _Unlisted(), "function": lambda: print,
}


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", sorted(SAVED))
def test_every_pickle_protocol_loads_or_is_refused_as_torch(name, protocol):
    """torch.save(obj, f, pickle_protocol=p) read back with weights_only: the same values,
    or the same refusal; and the same warning for a protocol above torch's own (2)."""
    buffer = io.BytesIO()
    torch.save(SAVED[name](), buffer, pickle_protocol=protocol)
    outcomes = []
    for lib in (manual, torch):
        with pytest.warns() if protocol > 2 else contextlib.nullcontext() as seen:
            try:
                outcome = ("loaded", _named(_plain(lib.load(io.BytesIO(buffer.getvalue()),
                                                            weights_only=True))))
            except Exception as error:  # noqa: BLE001 (the class and message are compared)
                outcome = (type(error).__name__, str(error))
        outcomes.append((outcome, [str(w.message) for w in seen or []]))
    assert outcomes[0] == outcomes[1]


def _named(value):
    """Each side's own dtype, size and device objects by what they name."""
    if isinstance(value, (torch.dtype, np.dtype)):
        return str(value).replace("torch.", "")
    if isinstance(value, torch.device) or type(value).__name__ == "device":
        return str(value)
    if isinstance(value, tuple) and value and value[0] in ("Size", "tuple", "list"):
        return ("tuple" if value[0] == "Size" else value[0], [_named(v) for v in value[1]])
    if isinstance(value, tuple):
        return tuple(_named(v) for v in value)
    if isinstance(value, list):
        return [_named(v) for v in value]
    return value
