"""Module's edges against torch.nn.Module: deleting attributes, add_module's refusals, buffers
walked as torch walks them, requires_grad_, casts of integer buffers and of gradients, to()
and cuda(), state_dict's destination and keep_vars, repr of multi-line and blank extra reprs,
ModuleList's extend and slices, ModuleDict's iteration, and torch's type names in refusals.

Every test builds the same model on manual and on torch and compares what both give back:
names, values, dtypes, exception types and messages.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import manual

LIBS = (manual, torch)


def _raised(call, *args):
    """(type, message) of what ``call`` raises."""
    with pytest.raises(Exception) as caught:
        call(*args)
    return type(caught.value), str(caught.value)


def _dtype(t) -> str:
    return str(t.dtype).replace("torch.", "")


def build(lib):
    """A model with buffers at two depths (one shared, one not persistent), an integer
    buffer (BatchNorm's count) and a plain attribute."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
            self.head = lib.nn.Linear(3, 1)
            self.register_buffer("mean", lib.zeros(3))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.head.register_buffer("tied", self.mean)  # one tensor, two owners
            self.note = "plain"

        def forward(self, x):
            return self.head(self.body(x))

    lib.manual_seed(0)
    return Net()


# -- the tables: delete, add_module ----------------------------------------------------------

@pytest.mark.parametrize("name", ["head", "mean", "note", "body", "missing"])
def test_deleting_an_attribute_takes_it_out_of_its_table_as_torch(name):
    got = []
    for lib in LIBS:
        model = build(lib)
        model.w = lib.nn.Parameter(lib.ones(1))
        try:
            delattr(model, name)
            outcome = None
        except AttributeError as e:
            outcome = str(e)
        del model.w
        got.append((outcome, [n for n, _ in model.named_parameters()],
                    [n for n, _ in model.named_buffers()], [n for n, _ in model.named_children()],
                    hasattr(model, name), hasattr(model, "w"), list(model.state_dict())))
    assert got[0] == got[1]


@pytest.mark.parametrize("call", [
    lambda lib, m: m.add_module(5, lib.nn.ReLU()),
    lambda lib, m: m.add_module("a.b", lib.nn.ReLU()),
    lambda lib, m: m.add_module("", lib.nn.ReLU()),
    lambda lib, m: m.add_module("note", lib.nn.ReLU()),
    lambda lib, m: m.register_module("mean", lib.nn.ReLU()),
    lambda lib, m: type(m).__base__.__new__(type(m)).add_module("x", lib.nn.ReLU()),
], ids=["not-a-string", "dotted", "empty", "taken", "taken-by-a-buffer", "before-init"])
def test_add_module_refuses_names_in_torchs_words(call):
    assert _raised(call, manual, build(manual)) == _raised(call, torch, build(torch))


def _made_non_leaf(lib):
    """A Parameter that an in-place product gave a grad_fn: no longer a leaf."""
    weight = lib.nn.Parameter(lib.ones(2), requires_grad=False)
    weight.mul_(lib.ones(2, requires_grad=True))
    return weight


def _uninitialised(lib):
    return lib.nn.Linear.__new__(lib.nn.Linear)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.Linear(2, 2).register_parameter(5, None),
    lambda lib: lib.nn.Linear(2, 2).register_parameter("", None),
    lambda lib: lib.nn.Linear(2, 2).register_buffer(5, None),
    lambda lib: lib.nn.Linear(2, 2).register_buffer("", None),
    lambda lib: lib.nn.Linear(2, 2).register_buffer("b", 5),
    lambda lib: lib.nn.Linear(2, 2).register_buffer("b", [1.0]),
    lambda lib: lib.nn.Linear(2, 2).add_module("x", "relu"),
    lambda lib: lib.nn.Linear(2, 2).add_module("x", 5),
    lambda lib: lib.nn.Module(foo=1, bar=2),
    lambda lib: _uninitialised(lib).register_buffer("b", None),
    lambda lib: _uninitialised(lib).register_parameter("b", None),
    lambda lib: _uninitialised(lib).add_module("forward", lib.nn.ReLU()),
    lambda lib: lib.nn.Linear(2, 2).register_parameter("w", _made_non_leaf(lib)),
    lambda lib: setattr(lib.nn.Linear(2, 2), "w", _made_non_leaf(lib)),
], ids=["parameter-name-int", "parameter-name-empty", "buffer-name-int", "buffer-name-empty",
        "buffer-int", "buffer-list", "child-str", "child-int", "module-kwargs",
        "buffer-before-init", "parameter-before-init", "taken-name-before-init",
        "non-leaf-parameter", "non-leaf-parameter-attribute"])
def test_register_and_init_refusals_in_torchs_words(call):
    assert _raised(call, manual) == _raised(call, torch)


def test_add_module_replaces_a_child_of_the_same_name_as_torch():
    got = []
    for lib in LIBS:
        model = build(lib)
        model.add_module("head", lib.nn.Linear(3, 4))
        model.register_module("extra", None)
        got.append(([n for n, _ in model.named_modules()], repr(model.head)))
    assert got[0] == got[1]


# -- walking: buffers, requires_grad_ ----------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"prefix": "net"}, {"recurse": False},
                                    {"remove_duplicate": False},
                                    {"prefix": "m", "recurse": False, "remove_duplicate": False}],
                         ids=str)
def test_named_buffers_as_torch(kwargs):
    got = []
    for lib in LIBS:
        model = build(lib)
        named = list(model.named_buffers(**kwargs))
        got.append(([n for n, _ in named], [_dtype(b) for _, b in named]))
    assert got[0] == got[1]


@pytest.mark.parametrize("recurse", [True, False])
def test_buffers_as_torch(recurse):
    got = []
    for lib in LIBS:
        model = build(lib)
        got.append([_dtype(b) + str(tuple(b.shape)) for b in model.buffers(recurse=recurse)])
        assert [id(b) for b in model.buffers(recurse=recurse)] == [
            id(b) for _, b in model.named_buffers(recurse=recurse)]
    assert got[0] == got[1]
    assert len(got[0]) == (5 if recurse else 2)  # the shared buffer once
    for lib in LIBS:  # the default recurses
        model = build(lib)
        assert [id(b) for b in model.buffers()] == [id(b) for b in model.buffers(recurse=True)]


def test_requires_grad_sets_every_parameters_flag_as_torch():
    got = []
    for lib in LIBS:
        model = build(lib)
        assert model.requires_grad_(False) is model
        off = [p.requires_grad for p in model.parameters()]
        model.body.requires_grad_()
        got.append((off, [p.requires_grad for p in model.parameters()]))
    assert got[0] == got[1]
    assert got[0][0] == [False] * 6 and got[0][1] == [True] * 4 + [False] * 2
    assert all(p.requires_grad is False for p in build(manual).requires_grad_(False).parameters())


# -- casts and devices -----------------------------------------------------------------------

def _with_grads(lib):
    model = build(lib)
    del model.head.tied  # torch's casts make a new tensor per owner: the tie would break
    model(lib.ones(4, 2)).sum().backward()
    return model


@pytest.mark.parametrize("cast", [
    lambda lib, m: m.double(), lambda lib, m: m.to(lib.float64),
    lambda lib, m: m.to(dtype=lib.float64), lambda lib, m: m.double().type(lib.float32),
    lambda lib, m: m.double().float(), lambda lib, m: m.to("cpu"),
    lambda lib, m: m.type(lib.float64),
], ids=["double", "to-dtype", "to-dtype-keyword", "type", "float", "to-device", "type-float64"])
def test_casts_reach_parameters_buffers_and_gradients_as_torch(cast, request):
    got = []
    for lib in LIBS:
        model = _with_grads(lib)
        grads = [np.asarray(p.grad).astype(np.float64) for p in model.parameters()]
        assert cast(lib, model) is model
        got.append(([_dtype(p) for p in model.parameters()],
                    [_dtype(p.grad) for p in model.parameters()],
                    [(n, _dtype(b)) for n, b in model.named_buffers()]))
        for p, g in zip(model.parameters(), grads):  # the values kept
            np.testing.assert_array_equal(np.asarray(p.grad).astype(np.float64), g)
    assert got[0] == got[1]
    # torch's type() casts every tensor, an integer buffer too; the others floats only
    integer = {"type": "float32", "type-float64": "float64"}.get(request.node.callspec.id,
                                                                 "int64")
    assert ("body.1.num_batches_tracked", integer) in got[0][2]


def test_type_casts_floating_tensors_both_ways_as_torch():
    for lib in LIBS:
        layer = lib.nn.Linear(2, 2).double()
        assert layer.type(lib.float32) is layer
        assert [_dtype(p) for p in layer.parameters()] == ["float32", "float32"]
        assert [_dtype(p) for p in layer.type(lib.float64).parameters()] == ["float64"] * 2


def test_cuda_is_refused_as_torchs_cpu_build_refuses_it():
    for call in (lambda lib: lib.nn.Linear(2, 2).cuda(), lambda lib: lib.nn.Linear(2, 2).to(
            "cuda"), lambda lib: lib.nn.Linear(2, 2).to(lib.device("cuda", 0))):
        with pytest.raises(AssertionError, match=r"^Torch not compiled with CUDA enabled"):
            call(manual)
        if not torch.cuda.is_available():
            with pytest.raises(AssertionError, match=r"^Torch not compiled with CUDA enabled"):
                call(torch)


# -- state ---------------------------------------------------------------------------------------

def test_state_dict_fills_the_destination_given_and_keeps_vars_as_torch():
    got = []
    for lib in LIBS:
        model = build(lib)
        destination = OrderedDict(before=1)
        out = model.state_dict(destination=destination, prefix="net.")
        assert out is destination
        kept = model.state_dict(keep_vars=True)
        detached = model.state_dict()
        assert kept["head.weight"] is model.head.weight
        assert detached["head.weight"] is not model.head.weight
        got.append((list(out), kept["head.weight"].requires_grad,
                    detached["head.weight"].requires_grad, type(kept["head.weight"]).__name__))
    assert got[0] == got[1]


# -- repr --------------------------------------------------------------------------------------

def _printed(lib, extra: str):
    class Box(lib.nn.Module):
        def extra_repr(self):
            return extra

    outer = lib.nn.Sequential(Box(), lib.nn.Linear(1, 1))
    alone = Box()
    alone.inner = Box()
    return repr(Box()), repr(outer), repr(alone)


@pytest.mark.parametrize("extra", ["a=1", "a=1\nb=2", "a=1\n\nb=2", "a=1\n   \nb=2", ""])
def test_the_repr_of_multi_line_and_blank_extra_reprs_as_torch(extra):
    assert _printed(manual, extra) == _printed(torch, extra)


# -- containers ----------------------------------------------------------------------------------

def test_module_list_extend_and_slices_as_torch():
    got = []
    for lib in LIBS:
        layers = lib.nn.ModuleList([lib.nn.ReLU()])
        assert layers.extend([lib.nn.Linear(1, 2), lib.nn.Tanh()]) is layers
        part = layers[1:]
        got.append((repr(layers), type(part).__name__, repr(part), len(part),
                    [type(m).__name__ for m in layers[::2]], type(layers[-1]).__name__))
    assert got[0] == got[1]


def test_module_dict_iterates_over_its_keys_as_torch():
    got = []
    for lib in LIBS:
        table = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Tanh()})
        got.append((list(table), list(iter(table)), [type(m).__name__ for m in table.values()]))
    assert got[0] == got[1] == (["b", "a"], ["b", "a"], ["ReLU", "Tanh"])


# -- torch's type names in the refusals -----------------------------------------------------------

@pytest.mark.parametrize("value", [
    lambda lib: 5, lambda lib: "text", lambda lib: np.zeros(2), lambda lib: OrderedDict(),
    lambda lib: lib.zeros(2), lambda lib: lib.tensor(np.zeros(2, np.float16)),
], ids=["int", "str", "ndarray", "ordered-dict", "float-tensor", "half-tensor"])
@pytest.mark.parametrize("target", ["weight", "child"])
def test_a_wrong_value_for_a_parameter_or_a_child_is_named_as_torch_names_it(value, target):
    def assign(lib):
        model = lib.nn.Linear(2, 2)
        model.child = lib.nn.ReLU()
        setattr(model, target, value(lib))

    assert _raised(assign, manual) == _raised(assign, torch)


@pytest.mark.parametrize("dtype", ["complex64", "uint16", "float16"])
def test_a_tensor_of_a_dtype_without_a_legacy_type_name(dtype):
    """torch's typename for the dtypes that have one, "torch.Tensor" for any other."""
    from manual._parity.module import typename

    name = typename(manual.Tensor(np.zeros(2, dtype)))
    assert name == {"float16": "torch.HalfTensor"}.get(dtype, "torch.Tensor")
