"""dataset: manual/dataset.py (Dataset, Subset, random_split) against torch.utils.data.

random_split must give torch's split from the same generator (its own, or the global one
after the same seed), for lengths and fractions, and leave the generator where torch's is.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual
import manual.data_loader as mdl
import manual.dataset as md
import torch_native.data_loader as tdl
import torch_native.dataset as td

SIDES = ((manual, md, mdl), (torch, td, tdl))


def test_hand_example_fractions_and_the_rest_in_turn():
    # 10 items as [0.25, 0.25, 0.5]: floor gives 2, 2, 5 (9 in all); the one left goes to
    # the first split: 3, 2, 5
    for lib, data, _ in SIDES:
        splits = data.random_split(range(10), [0.25, 0.25, 0.5],
                                   generator=lib.Generator().manual_seed(0))
        assert [len(s) for s in splits] == [3, 2, 5]
        assert sorted(i for s in splits for i in s) == list(range(10))


@given(st.integers(0, 2**32 - 1), st.integers(1, 60),
       st.lists(st.integers(1, 4), min_size=1, max_size=4), st.booleans())
def test_the_same_split_as_torch_from_the_same_generator(seed, n, weights, own_generator):
    fractions = [w / sum(weights) for w in weights]
    fractions[-1] = 1 - sum(fractions[:-1])  # they must sum to 1 within isclose
    got = []
    for lib, data, _ in SIDES:
        lib.manual_seed(seed)
        generator = lib.Generator().manual_seed(seed) if own_generator else lib.default_generator
        with warnings.catch_warnings(record=True) as caught:  # empty splits warn
            warnings.simplefilter("always")
            splits = data.random_split(list(range(n)), fractions, generator=generator)
        got.append(([list(s.indices) for s in splits], np.asarray(lib.rand(2)).tolist(),
                    [str(w.message) for w in caught]))
    assert got[0] == got[1]


def test_subsets_index_by_int_list_and_slice_and_load_as_torchs():
    got = []
    for lib, data, loaders in SIDES:
        lib.manual_seed(3)
        table = loaders.TensorDataset(lib.arange(10.0).view(5, 2), lib.arange(5))
        train, valid = data.random_split(table, [3, 2])
        loader = loaders.DataLoader(train, batch_size=2, shuffle=True, num_workers=0,
                                    collate_fn=None)
        batches = [[np.asarray(t).tolist() for t in batch] for batch in loader]
        got.append((np.asarray(valid[0][0]).tolist(), np.asarray(train[[0, 1]][1]).tolist(),
                    np.asarray(train[0:2][1]).tolist(), len(valid), batches))
    assert got[0] == got[1]


def test_a_users_dataset_subclass_batches_as_torchs():
    got = []
    for lib, data, loaders in SIDES:
        class Squares(data.Dataset):
            library = lib

            def __len__(self):
                return 7

            def __getitem__(self, i):
                return self.library.tensor([float(i)]), i * i

        lib.manual_seed(0)
        loader = loaders.DataLoader(Squares(), batch_size=3, shuffle=True)
        got.append([(np.asarray(x).tolist(), np.asarray(y).tolist()) for x, y in loader])
    assert got[0] == got[1]


def test_a_collate_fn_and_workers_as_torch():
    got = []
    for lib, _, loaders in SIDES:
        lib.manual_seed(1)
        data = loaders.TensorDataset(lib.arange(6.0))
        loader = loaders.DataLoader(data, batch_size=4, shuffle=True, num_workers=0,
                                    collate_fn=lambda items: len(items))
        got.append(list(loader))
    assert got[0] == got[1] == [4, 2]


@pytest.mark.parametrize("call", [
    lambda data: data.random_split(range(5), [2, 2]),
    lambda data: data.random_split(range(5), [1.5, -0.5]),
])
def test_refusals_as_torch(call):
    errors = []
    for _, data, _ in SIDES:
        with pytest.raises(ValueError) as caught:
            call(data)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


def test_without_torch_splits_partition_the_items():
    manual.manual_seed(0)
    splits = md.random_split(range(20), [5, 10, 5])
    items = sorted(i for s in splits for i in s)
    assert items == list(range(20)) and [len(s) for s in splits] == [5, 10, 5]
    with pytest.raises(NotImplementedError):
        md.Dataset()[0]
