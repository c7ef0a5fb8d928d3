"""Module: manual/module.py against torch.nn.Module, on models written as users write them.

The same class is written once over a library (``lib.nn``: manual's namespace or torch's)
and built on both from the same seed; what a loop and its tools read must agree: parameter
names and order, children, modes, the state dict, the repr, hooks, casts and refusals.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import manual

LIBS = (manual, torch)


def net_class(lib):
    """A user's model: children by attribute, a Parameter, a buffer, a shared layer."""

    class Net(lib.nn.Module):
        def __init__(self, n_in: int, hidden: int):
            super().__init__()
            self.body = lib.nn.Sequential(lib.nn.Linear(n_in, hidden), lib.nn.ReLU())
            self.head = lib.nn.Linear(hidden, 2)
            self.scale = lib.nn.Parameter(lib.ones(2))
            self.register_buffer("count", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(1), persistent=False)
            self.again = self.head  # shared: its parameters are listed once

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    return Net


def build(lib, seed: int = 0, n_in: int = 3, hidden: int = 4):
    lib.manual_seed(seed)
    return net_class(lib)(n_in, hidden)


def _values(tensors) -> list[bytes]:
    return [np.asarray(t.detach()).tobytes() for t in tensors]


def test_hand_example_a_user_model_names_its_parameters_as_torch():
    # self first, then each child depth first; a shared child once; buffers are not parameters
    expected = ["scale", "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    for lib in LIBS:
        model = build(lib)
        assert [name for name, _ in model.named_parameters()] == expected
        assert [name for name, _ in model.named_modules()] == ["", "body", "body.0", "body.1",
                                                               "head"]
        assert [name for name, _ in model.named_children()] == ["body", "head"]
        # the state dict: parameters, then persistent buffers ("cache" is not), then each
        # child's, the shared one under both its names
        assert list(model.state_dict()) == ["scale", "count", *expected[1:], "again.weight",
                                            "again.bias"]


@given(st.integers(0, 2**31), st.integers(1, 5), st.integers(1, 5))
def test_same_seed_same_parameters_and_the_same_forward(seed, n_in, hidden):
    models = [build(lib, seed, n_in, hidden) for lib in LIBS]
    assert _values(models[0].parameters()) == _values(models[1].parameters())
    x = np.random.default_rng(seed).uniform(-1, 1, (2, n_in)).astype(np.float32)
    outs = [np.asarray(m(lib.tensor(x)).detach()) for m, lib in zip(models, LIBS)]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)


def test_a_parameter_tied_into_two_modules_is_listed_once():
    for lib in LIBS:
        model = build(lib)
        model.tied = lib.nn.Module()
        model.tied.w = model.scale  # weight tying: one Parameter, two owners
        assert [n for n, _ in model.named_parameters()][-1] == "head.bias"
        assert len(list(model.parameters())) == 5
        assert "tied.w" in model.state_dict()


def test_train_and_eval_reach_every_module_and_return_the_model():
    for lib in LIBS:
        model = build(lib)
        assert model.eval() is model
        assert [m.training for m in model.modules()] == [False] * 5
        assert model.train() is model and all(m.training for m in model.modules())
        model.body.eval()
        assert (model.training, model.body[0].training, model.head.training) == (True, False,
                                                                                 True)


def test_state_dicts_load_across_the_twins_both_ways():
    for source_lib, target_lib in ((manual, torch), (torch, manual)):
        source, target = build(source_lib, seed=1), build(target_lib, seed=2)
        state = OrderedDict((k, target_lib.tensor(np.asarray(v)))
                            for k, v in source.state_dict().items())
        assert repr(target.load_state_dict(state)) == "<All keys matched successfully>"
        assert _values(target.state_dict().values()) == _values(source.state_dict().values())


def test_the_repr_is_torchs():
    for make in (lambda lib: build(lib),
                 lambda lib: lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, stride=2, padding=1),
                                               lib.nn.ReLU(), lib.nn.Linear(4, 2, bias=False))):
        assert repr(make(manual)) == repr(make(torch))


def test_to_cpu_float_double_and_apply_as_torch():
    got = []
    for lib in LIBS:
        model = build(lib)
        assert model.to("cpu") is model and model.cpu() is model
        assert model.to(lib.device("cpu")) is model
        kept = [str(p.dtype).replace("torch.", "") for p in model.parameters()]
        assert model.to(lib.float64) is model and model.to("cpu", lib.float32) is model
        cast = [str(p.dtype).replace("torch.", "") for p in model.parameters()]
        model.double()
        dtypes = [str(p.dtype).replace("torch.", "") for p in model.parameters()]
        assert kept == cast == ["float32"] * 5
        model.float()
        seen = []
        model.apply(lambda m, seen=seen: seen.append(type(m).__name__))
        got.append((dtypes, str(model.count.dtype).replace("torch.", ""), seen))
    assert got[0] == got[1]
    assert got[0][0] == ["float64"] * 5


def test_module_lists_and_dicts_register_their_children():
    for lib in LIBS:
        layers = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
        table = lib.nn.ModuleDict({"a": lib.nn.Linear(2, 1), "b": lib.nn.ReLU()})
        holder = lib.nn.Module()
        holder.layers, holder.table = layers, table
        assert [n for n, _ in holder.named_parameters()] == [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
            "layers.2.weight", "layers.2.bias", "table.a.weight", "table.a.bias"]
        assert len(layers) == 3 and isinstance(layers[-1], lib.nn.Linear)
        assert list(table.keys()) == ["a", "b"] and "b" in table


@pytest.mark.parametrize("children", [
    lambda nn: [nn.Linear(2, 2) for _ in range(3)], lambda nn: [],
    lambda nn: [nn.Linear(2, 2), nn.ReLU(), nn.ReLU(), nn.Linear(2, 3), nn.Linear(2, 3)],
    lambda nn: [nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(2)]],
    ids=["three-equal", "empty", "runs", "nested"])
def test_a_module_list_prints_runs_of_equal_children_once_as_torch(children):
    m, t = (repr(lib.nn.Sequential(lib.nn.ModuleList(children(lib.nn)), lib.nn.Linear(2, 1)))
            for lib in LIBS)
    assert m == t


def test_hooks_see_inputs_and_outputs_and_may_replace_them():
    got = []
    for lib in LIBS:
        layer = lib.nn.Linear(2, 2)
        calls = []
        pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        post = layer.register_forward_hook(lambda m, args, out, calls=calls: calls.append(
            float(args[0].sum())) or out + 1)
        out = layer(lib.ones(1, 2))
        pre.remove()
        post.remove()
        layer(lib.ones(1, 2))
        got.append((calls, np.asarray(out.detach() - layer.bias.detach()).tolist()))
    assert got[0] == got[1] and got[0][0] == [0.0]


@pytest.mark.parametrize("bad", [
    lambda lib, m: setattr(m, "weight", lib.zeros(2)),            # a tensor as a parameter
    lambda lib, m: setattr(m.body, "0", lib.zeros(2)),            # a tensor as a child
    lambda lib, m: m.register_parameter("a.b", None),             # a dotted name
    lambda lib, m: m.register_buffer("head", lib.zeros(1)),       # a name already taken
    lambda lib, m: m.register_parameter("p", lib.zeros(1)),       # not a Parameter
    lambda lib, m: m.missing,                                     # no such attribute
    lambda lib, m: m.train("yes"),                                # a mode that is no bool
    lambda lib, m: type(m).__base__.__init__(m, 5),              # Module's init given args
])
def test_refusals_as_torch(bad):
    errors = []
    for lib in LIBS:
        model = build(lib)
        model.weight = lib.nn.Parameter(lib.zeros(2))
        with pytest.raises(Exception) as caught:
            bad(lib, model)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def test_a_frozen_part_keeps_its_values_and_its_grad_stays_none():
    for lib in LIBS:
        model = build(lib)
        model.body.requires_grad_(False)
        model(lib.ones(1, 3)).sum().backward()
        assert [p.grad is None for p in model.parameters()] == [False, True, True, False, False]


def test_without_torch_parameters_are_leaves_that_share_the_datas_memory():
    data = manual.zeros(3)
    p = manual.nn.Parameter(data)
    assert p.is_leaf and p.requires_grad and np.shares_memory(p.array, data.array)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    frozen = manual.nn.Parameter(manual.ones(2), requires_grad=False)
    assert not frozen.requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "int8",
                                   "uint8", "bool"])
def test_a_plain_tensor_is_refused_as_a_parameter_named_as_torch_names_it(dtype):
    """torch.typename in the message: torch.FloatTensor, torch.ShortTensor, torch.CharTensor..."""
    messages = []
    for lib in LIBS:
        with pytest.raises(TypeError) as raised:
            lib.nn.Linear(2, 2).register_parameter("w", lib.ones(2, dtype=getattr(lib, dtype)))
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
