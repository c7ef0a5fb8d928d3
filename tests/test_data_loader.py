"""TensorDataset and DataLoader: the same batches as torch, in the same order, to the bit
(piece "data_loader": 0 ULP), shuffled or not, from the same seed or the same generator;
the same refusals; and every item once per epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.data_loader
import manual.linear
import torch_native.data_loader
import torch_native.linear
from tests.helpers import assert_twins_agree
from tests.strategies import arrays, dtypes

TWINS = {"manual": (manual, manual.data_loader), "torch": (torch, torch_native.data_loader)}


def test_hand_example():
    # 5 items, batch 2: [0, 1], [2, 3], then the short [4]; drop_last drops it
    x = manual.tensor(np.float32([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]))
    dataset = manual.data_loader.TensorDataset(x, manual.tensor([0, 1, 2, 3, 4]))
    assert len(dataset) == 5 and dataset[3][0].tolist() == [3.0, 3.0] and dataset[3][1].item() == 3
    loader = manual.data_loader.DataLoader(dataset, batch_size=2)
    batches = list(loader)
    assert [labels.tolist() for _, labels in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0][0].tolist() == [[0.0, 0.0], [1.0, 1.0]] and batches[2][0].shape == (1, 2)
    assert isinstance(batches[0], list) and len(loader) == 3
    dropping = manual.data_loader.DataLoader(dataset, batch_size=2, drop_last=True)
    assert [labels.tolist() for _, labels in dropping] == [[0, 1], [2, 3]]
    assert len(dropping) == 2


@st.composite
def datasets(draw):
    """Features (N, *shape) of a float dtype and int64 labels (N,), as NumPy arrays."""
    n, dtype = draw(st.integers(1, 24)), draw(dtypes)
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return draw(arrays(dtype, (n,) + shape)), np.arange(n, dtype=np.int64) * 10


def _loaders(data, **options):
    """The same loader over the same data, once per twin: (manual loader, torch loader)."""
    return tuple(twin.DataLoader(twin.TensorDataset(*(lib.tensor(a) for a in data)), **options)
                 for lib, twin in TWINS.values())


def _assert_same_batches(m_batches, t_batches):
    assert len(m_batches) == len(t_batches)
    for m_batch, t_batch in zip(m_batches, t_batches):
        assert type(m_batch) is type(t_batch) is list and len(m_batch) == len(t_batch)
        for name, m_field, t_field in zip(("features", "labels"), m_batch, t_batch):
            if np.asarray(t_field).dtype.kind == "f":
                assert_twins_agree(name, "data_loader", m_field, t_field)
            else:
                np.testing.assert_array_equal(np.asarray(m_field), t_field)
                assert np.asarray(m_field).dtype == t_field.numpy().dtype


@given(datasets(), st.integers(1, 8), st.booleans())
def test_sequential_batches_as_torch(data, batch_size, drop_last):
    m_loader, t_loader = _loaders(data, batch_size=batch_size, drop_last=drop_last)
    assert len(m_loader) == len(t_loader)
    _assert_same_batches(list(m_loader), list(t_loader))


@given(datasets(), st.integers(1, 8), st.booleans(), st.integers(0, 2**32 - 1))
def test_shuffle_from_the_same_seed_as_torch(data, batch_size, drop_last, seed):
    m_loader, t_loader = _loaders(data, batch_size=batch_size, drop_last=drop_last,
                                  shuffle=True)
    manual.manual_seed(seed)
    torch.manual_seed(seed)
    for _ in range(2):  # each epoch draws a new permutation
        _assert_same_batches(list(m_loader), list(t_loader))
    # the loops took the same draws from the global generator: the next weights agree
    assert_twins_agree("weights after", "init", manual.linear.Linear(3, 2).weight,
                       torch_native.linear.Linear(3, 2).weight)


@given(datasets(), st.integers(1, 8), st.booleans(), st.integers(0, 2**32 - 1))
def test_own_generator_as_torch(data, batch_size, drop_last, seed):
    generators = (manual.Generator().manual_seed(seed), torch.Generator().manual_seed(seed))
    m_loader, t_loader = (
        twin.DataLoader(twin.TensorDataset(*(lib.tensor(a) for a in data)), batch_size,
                        shuffle=True, drop_last=drop_last, generator=generator)
        for (lib, twin), generator in zip(TWINS.values(), generators))
    for _ in range(3):  # each epoch starts where the last left the loader's own generator
        _assert_same_batches(list(m_loader), list(t_loader))


@given(st.integers(1, 40), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_sequential_loop_moves_the_global_generator_as_torch(n, batch_size, seed):
    # even unshuffled, every epoch draws a "base seed": weights made after the loop agree
    m_loader, t_loader = _loaders((np.arange(n),), batch_size=batch_size)
    manual.manual_seed(seed)
    torch.manual_seed(seed)
    list(m_loader), list(t_loader)
    assert_twins_agree("weights after", "init", manual.linear.Linear(4, 3).weight,
                       torch_native.linear.Linear(4, 3).weight)


@given(st.integers(1, 60), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_every_item_once_per_epoch(n, batch_size, seed):
    # torch-free: a shuffled epoch is a permutation; drop_last only loses the short tail
    manual.manual_seed(seed)
    dataset = manual.data_loader.TensorDataset(manual.tensor(np.arange(n)))
    loader = manual.data_loader.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    epochs = [np.concatenate([labels.array for (labels,) in loader]) for _ in range(3)]
    for seen in epochs:
        assert sorted(seen.tolist()) == list(range(n))
    assert len(loader) == -(-n // batch_size)
    dropping = manual.data_loader.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                             drop_last=True)
    kept = [labels.tolist() for (labels,) in dropping]
    assert len(kept) == len(dropping) == n // batch_size
    assert all(len(b) == batch_size for b in kept)
    assert len(set(sum(kept, []))) == batch_size * (n // batch_size)


def test_user_sampler_as_torch():
    data = (np.float32([[0], [1], [2], [3], [4]]), np.arange(5))
    m_loader, t_loader = _loaders(data, batch_size=2, sampler=[4, 4, 0, 2, 1])
    assert len(m_loader) == len(t_loader) == 3
    _assert_same_batches(list(m_loader), list(t_loader))


def test_collate_python_numbers_and_strings_as_torch():
    # ints batch as int64, floats as float64, bools as bool; a tuple becomes a list
    items = [(1, 2.5, "a", True, np.float32([1, 2])), (3, -4.0, "b", False, np.float32([3, 4]))]
    m_batch, = manual.data_loader.DataLoader(items, batch_size=2)
    t_batch, = torch_native.data_loader.DataLoader(items, batch_size=2)
    assert m_batch[2] == t_batch[2] == ("a", "b")
    for i in (0, 1, 3, 4):
        np.testing.assert_array_equal(np.asarray(m_batch[i]), t_batch[i].numpy())
        assert np.asarray(m_batch[i]).dtype == t_batch[i].numpy().dtype
    m_dicts, = manual.data_loader.DataLoader([{"x": 1}, {"x": 2}], batch_size=2)
    assert m_dicts["x"].tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        list(manual.data_loader.DataLoader([(1, 2), (3,)], batch_size=2))
    with pytest.raises(TypeError, match="batch must contain tensors"):
        list(manual.data_loader.DataLoader([object(), object()], batch_size=2))


def test_batch_size_none_gives_items_one_at_a_time_as_torch():
    m_loader, t_loader = _loaders((np.float32([[1, 2], [3, 4]]), np.arange(2)), batch_size=None)
    m_items, t_items = list(m_loader), list(t_loader)
    assert len(m_loader) == len(t_loader) == 2
    for m_item, t_item in zip(m_items, t_items):
        assert type(m_item) is type(t_item) is list
        for m_field, t_field in zip(m_item, t_item):
            np.testing.assert_array_equal(np.asarray(m_field), t_field.numpy())


def test_gradient_flows_back_through_the_batches_as_torch():
    # batches of a dataset that requires grad are stacked with a graph, as torch.stack is
    x = np.float32([[1, 2], [3, 4], [5, 6]])
    grads = []
    for lib, twin in TWINS.values():
        leaf = lib.tensor(x, requires_grad=True)
        for i, (batch,) in enumerate(twin.DataLoader(twin.TensorDataset(leaf), batch_size=2)):
            (batch * (i + 1.0)).sum().backward()
        grads.append(leaf.grad)
    assert_twins_agree("dx", "data_loader", *grads)


REFUSALS = [
    (dict(batch_size=0), ValueError, "batch_size should be a positive integer value"),
    (dict(batch_size=-2), ValueError, "batch_size should be a positive integer value"),
    (dict(batch_size=2.5), ValueError, r"but got batch_size=2\.5"),
    (dict(batch_size=True), ValueError, "batch_size should be a positive integer value"),
    (dict(shuffle=True, sampler=[0, 1]), ValueError, "mutually exclusive with shuffle"),
    (dict(drop_last=1), ValueError, "drop_last should be a boolean value"),
    (dict(batch_size=None, drop_last=True), ValueError, "disables auto-batching"),
]


@pytest.mark.parametrize("name", TWINS)
@pytest.mark.parametrize("options, error, message", REFUSALS)
def test_refusals_as_torch(name, options, error, message):
    lib, twin = TWINS[name]
    dataset = twin.TensorDataset(lib.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(error, match=message):
        twin.DataLoader(dataset, **options)


@pytest.mark.parametrize("name", TWINS)
def test_dataset_refusals_as_torch(name):
    lib, twin = TWINS[name]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        twin.TensorDataset(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0]))
    empty = twin.TensorDataset(lib.tensor(np.zeros((0, 2), np.float32)))
    assert list(twin.DataLoader(empty)) == []
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        twin.DataLoader(empty, shuffle=True)


def test_the_default_batch_size_is_one_as_torch():
    m_loader, t_loader = (twin.DataLoader(twin.TensorDataset(lib.tensor(np.float32([1, 2, 3]))))
                          for lib, twin in TWINS.values())
    assert m_loader.batch_size == t_loader.batch_size == 1
    assert [np.asarray(b).tolist() for (b,) in m_loader] == [
        b.numpy().tolist() for (b,) in t_loader]


def test_a_generator_shared_by_loaders_advances_as_torchs():
    # a one-item loader still draws its epoch's base seed and shuffles from the generator;
    # a second loader on the same generator then sees what torch's second loader sees
    orders = []
    for (lib, twin), generator in zip(TWINS.values(), (manual.Generator().manual_seed(3),
                                                       torch.Generator().manual_seed(3))):
        for n in (1, 6):
            data = twin.TensorDataset(lib.tensor(np.arange(n, dtype=np.float32)))
            loader = twin.DataLoader(data, batch_size=n, shuffle=True, generator=generator)
            (batch,) = next(iter(loader))
        orders.append(np.asarray(batch).tolist())
    assert orders[0] == orders[1]


def test_batch_size_none_converts_arrays_in_dicts_and_tuples_as_torch():
    items = [{"x": np.float32([1, 2]), "y": (np.int64(3), 4.0)}]
    m_item, t_item = (next(iter(twin.DataLoader(items, batch_size=None)))
                      for _, twin in TWINS.values())
    assert isinstance(m_item["x"], manual.Tensor) and isinstance(t_item["x"], torch.Tensor)
    assert np.asarray(m_item["x"]).tolist() == t_item["x"].tolist()
    assert isinstance(m_item["y"], list) and isinstance(t_item["y"], list)
    assert np.asarray(m_item["y"][0]).item() == t_item["y"][0].item() == 3
    assert m_item["y"][1] == t_item["y"][1] == 4.0


def test_stacked_batches_name_their_node_as_torch():
    names = []
    for lib, twin in TWINS.values():
        leaf = lib.tensor(np.float32([[1, 2], [3, 4]]), requires_grad=True)
        (batch,) = next(iter(twin.DataLoader(twin.TensorDataset(leaf), batch_size=2)))
        names.append(batch.grad_fn.name())
    assert names[0] == names[1]
