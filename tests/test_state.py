"""state_dict and load_state_dict of every module and optimizer, against torch's: the same
keys in the same order, shapes and dtypes; strict loading refuses what torch refuses, with
torch's exception; a non-strict load reports the same missing and unexpected keys."""

from __future__ import annotations

import re
from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import manual
import manual.activations
import manual.adam
import manual.conv2d
import manual.conv_transpose2d
import manual.cross_entropy
import manual.linear
import manual.mse_loss
import manual.sgd
import torch_native.activations
import torch_native.adam
import torch_native.conv2d
import torch_native.conv_transpose2d
import torch_native.cross_entropy
import torch_native.linear
import torch_native.mse_loss
import torch_native.sgd
from reference.convert import to_manual, to_numpy, to_torch

PIECES = ("activations", "adam", "conv2d", "conv_transpose2d", "cross_entropy", "linear",
          "mse_loss", "sgd")
M = SimpleNamespace(tensor=manual.tensor, seed=manual.manual_seed, convert=to_manual,
                    **{piece: getattr(manual, piece) for piece in PIECES})
T = SimpleNamespace(tensor=torch.tensor, seed=torch.manual_seed, convert=to_torch,
                    **{piece: getattr(torch_native, piece) for piece in PIECES})


def _mlp(ns):
    act = ns.activations
    return act.Sequential(ns.linear.Linear(4, 5), act.ReLU(), ns.linear.Linear(5, 2))


def _cnn(ns):
    act = ns.activations
    return act.Sequential(ns.conv2d.Conv2d(1, 2, 3, padding=1), act.ReLU(),
                          ns.conv_transpose2d.ConvTranspose2d(2, 3, 3, stride=2))


MODULES = {
    "Linear": lambda ns: ns.linear.Linear(3, 2),
    "Linear without bias": lambda ns: ns.linear.Linear(3, 2, bias=False),
    "Conv2d": lambda ns: ns.conv2d.Conv2d(2, 3, (3, 2), groups=1),
    "ConvTranspose2d": lambda ns: ns.conv_transpose2d.ConvTranspose2d(4, 2, 3, groups=2),
    "MLP": _mlp,
    "CNN": _cnn,
    "CrossEntropyLoss with weight": lambda ns: ns.cross_entropy.CrossEntropyLoss(
        weight=ns.tensor([1.0, 2.0, 0.5])),
    "CrossEntropyLoss": lambda ns: ns.cross_entropy.CrossEntropyLoss(),
    "MSELoss": lambda ns: ns.mse_loss.MSELoss(),
}


def twins(name, seed=0):
    M.seed(seed)
    m = MODULES[name](M)
    T.seed(seed)
    return m, MODULES[name](T)


def numbered(state_dict, start):
    """Another state dict of the same layout: 1, 2, 3, ... from ``start`` (as NumPy)."""
    out, k = OrderedDict(), start
    for key, value in state_dict.items():
        out[key] = np.arange(k, k + value.numel(), dtype=np.float32).reshape(tuple(value.shape))
        k += value.numel()
    return out


def both(state_dict):
    """One state dict of NumPy arrays as each twin takes it."""
    return ([OrderedDict((k, ns.convert(v)) for k, v in state_dict.items()) for ns in (M, T)])


def test_hand_example():
    layer = manual.linear.Linear(2, 1)
    result = layer.load_state_dict({"weight": np.float32([[3, 4]]), "bias": np.float32([5])})
    assert layer.weight.tolist() == [[3.0, 4.0]] and layer.bias.tolist() == [5.0]
    assert repr(result) == "<All keys matched successfully>"
    assert layer(manual.tensor([[1.0, 1.0]])).item() == 12.0
    result = layer.load_state_dict({"weight": np.float32([[1, 2]])}, strict=False)
    assert repr(result) == "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_state_dict_layout_and_values_as_torch(name):
    m, t = twins(name)
    m_sd, t_sd = m.state_dict(), t.state_dict()
    assert type(m_sd) is OrderedDict
    assert list(m_sd) == list(t_sd)
    for key in t_sd:
        assert m_sd[key].shape == tuple(t_sd[key].shape), key
        assert m_sd[key].dtype == to_numpy(t_sd[key]).dtype, key
        np.testing.assert_array_equal(m_sd[key].array, to_numpy(t_sd[key]), err_msg=key)
        assert not m_sd[key].requires_grad and not t_sd[key].requires_grad
    # the entries are detached views: writing to them writes the module's tensors, as in torch
    for sd in (m_sd, t_sd):
        for value in sd.values():
            value.zero_()
    for twin in (m, t):
        assert all(not to_numpy(v).any() for v in twin.state_dict().values())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_matching_state_dict_loads_into_both_as_torch(name):
    m, t = twins(name)
    m_sd, t_sd = both(numbered(t.state_dict(), 1))
    assert tuple(m.load_state_dict(m_sd)) == tuple(t.load_state_dict(t_sd)) == ([], [])
    for (key, mv), (_, tv) in zip(m.state_dict().items(), t.state_dict().items()):
        np.testing.assert_array_equal(mv.array, to_numpy(tv), err_msg=key)
    # arrays load too (the manual twin's convenience)
    m.load_state_dict(numbered(t.state_dict(), 100))
    for key, value in numbered(t.state_dict(), 100).items():
        np.testing.assert_array_equal(m.state_dict()[key].array, value)


def _defects(keys):
    """The ways a state dict can fail to fit: by key, in torch's terms."""
    defects = {"unexpected": lambda sd: sd.update({"extra": np.zeros(1, np.float32)}),
               "unexpected in a child": lambda sd: sd.update(
                   {"0.running_mean": np.zeros(1, np.float32)})}
    if keys:
        defects["missing"] = lambda sd: sd.pop(keys[-1])
        defects["empty"] = lambda sd: sd.clear()
        defects["wrong shape"] = lambda sd: sd.update({keys[0]: np.zeros(7, np.float32)})
        defects["missing and unexpected"] = lambda sd: (sd.pop(keys[0]), sd.update(
            {keys[0] + "_orig": np.zeros(1, np.float32)}))
    return defects


CASES = [(name, defect) for name in sorted(MODULES)
         for defect in sorted(_defects(list(twins(name)[1].state_dict())))]


def load_both(m, t, state_dict, strict):
    """Load into each twin; what each returned or raised."""
    outcomes = []
    for twin, sd in zip((m, t), both(state_dict)):
        try:
            outcomes.append(tuple(twin.load_state_dict(sd, strict=strict)))
        except RuntimeError as error:
            outcomes.append((type(error), as_numpy_shapes(str(error))))
    return outcomes


def as_numpy_shapes(message):
    """torch prints a shape as torch.Size([3, 2]), NumPy as (3, 2): the rest agrees."""
    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)",
                  lambda match: str(tuple(int(n) for n in match[1].split(",") if n)), message)


@pytest.mark.parametrize(("name", "defect"), CASES)
def test_strict_loading_refuses_as_torch(name, defect):
    m, t = twins(name)
    state_dict = numbered(t.state_dict(), 1)
    _defects(list(state_dict))[defect](state_dict)
    m_out, t_out = load_both(m, t, state_dict, strict=True)
    assert t_out[0] is RuntimeError and m_out[0] is RuntimeError
    assert m_out[1] == t_out[1]
    # as torch does, the values that fit are copied before the error is raised
    for (key, mv), (_, tv) in zip(m.state_dict().items(), t.state_dict().items()):
        np.testing.assert_array_equal(mv.array, to_numpy(tv), err_msg=key)


@pytest.mark.parametrize(("name", "defect"), CASES)
def test_non_strict_loading_reports_the_keys_as_torch(name, defect):
    m, t = twins(name)
    state_dict = numbered(t.state_dict(), 1)
    _defects(list(state_dict))[defect](state_dict)
    m_out, t_out = load_both(m, t, state_dict, strict=False)
    assert m_out == t_out  # (missing_keys, unexpected_keys), or the size-mismatch error
    if defect != "wrong shape":
        result = m.load_state_dict(both(state_dict)[0], strict=False)
        assert result._fields == ("missing_keys", "unexpected_keys")
        assert (result.missing_keys, result.unexpected_keys) == t_out


def test_unexpected_keys_come_in_torch_order():
    m, t = twins("MLP")
    extra = ["0.extra", "extra", "5.weight", "0", "2.weight.x"]
    state_dict = OrderedDict([(key, np.zeros(1, np.float32)) for key in extra])
    state_dict.update(numbered(t.state_dict(), 1))
    m_out, t_out = load_both(m, t, state_dict, strict=False)
    assert m_out == t_out == ([], ["extra", "5.weight", "0", "0.extra", "2.weight.x"])


def test_a_state_dict_must_be_a_mapping():
    with pytest.raises(TypeError, match="dict-like, got <class 'list'>"):
        manual.linear.Linear(2, 1).load_state_dict([("weight", np.zeros((1, 2)))])
    with pytest.raises(TypeError, match="dict-like"):
        torch_native.linear.Linear(2, 1).load_state_dict([("weight", torch.zeros(1, 2))])


# -- optimizers ------------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD momentum": lambda ns, groups: ns.sgd.SGD(groups, lr=0.1, momentum=0.9,
                                                  dampening=0.1, weight_decay=0.01),
    "SGD nesterov": lambda ns, groups: ns.sgd.SGD(groups, lr=0.1, momentum=0.9,
                                                  nesterov=True),
    "Adam": lambda ns, groups: ns.adam.Adam(groups, lr=0.01, weight_decay=0.1),
    "AdamW": lambda ns, groups: ns.adam.AdamW(groups, lr=0.01),
    "AdamW amsgrad": lambda ns, groups: ns.adam.AdamW(groups, lr=0.01, amsgrad=True,
                                                      betas=(0.8, 0.9)),
}


def optimizer_run(ns, name, steps=2, seed=0):
    """The MLP's parameters in two groups (the second with its own lr), ``steps`` steps."""
    ns.seed(seed)
    model = _mlp(ns)
    first, second = list(model.parameters())[:2], list(model.parameters())[2:]
    opt = OPTIMIZERS[name](ns, [{"params": first}, {"params": second, "lr": 0.05}])
    x = ns.convert(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    for _ in range(steps):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_state_dict_layout_as_torch(name):
    _, m_opt = optimizer_run(M, name)
    _, t_opt = optimizer_run(T, name)
    m_sd, t_sd = m_opt.state_dict(), t_opt.state_dict()
    assert list(m_sd) == list(t_sd) == ["state", "param_groups"]
    assert m_sd["param_groups"] == t_sd["param_groups"]  # hyperparameters and indices
    assert [g["params"] for g in m_sd["param_groups"]] == [[0, 1], [2, 3]]
    assert list(m_sd["state"]) == list(t_sd["state"])
    for i, t_state in t_sd["state"].items():
        assert list(m_sd["state"][i]) == list(t_state)
        for key, value in t_state.items():
            m_value = to_numpy(m_sd["state"][i][key])
            assert (m_value.shape, m_value.dtype) == (tuple(value.shape), to_numpy(value).dtype)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_state_dict_loads_across_twins_and_steps_on(name):
    # torch's state dict into a fresh manual optimizer, and the manual one into torch
    _, m_opt = optimizer_run(M, name)
    _, t_opt = optimizer_run(T, name)
    m_model, m_fresh = optimizer_run(M, name, steps=0, seed=1)
    t_model, t_fresh = optimizer_run(T, name, steps=0, seed=1)
    m_fresh.load_state_dict(t_opt.state_dict())
    t_fresh.load_state_dict(_torch_state(m_opt.state_dict()))
    for loaded, source in ((m_fresh, t_opt), (t_fresh, m_opt)):
        loaded_sd, source_sd = loaded.state_dict(), source.state_dict()
        assert loaded_sd["param_groups"] == source_sd["param_groups"]
        for i, values in source_sd["state"].items():
            for key, value in values.items():
                got, want = to_numpy(loaded_sd["state"][i][key]), to_numpy(value)
                assert got.dtype == want.dtype, f"{i} {key}"
                np.testing.assert_array_equal(got, want, err_msg=f"{i} {key}")
    # and both step on from there: Adam's count goes from 2 to 3
    for ns, model, opt in ((M, m_model, m_fresh), (T, t_model, t_fresh)):
        opt.zero_grad()
        model(ns.convert(np.ones((1, 4), np.float32))).sum().backward()
        opt.step()
        assert all(float(to_numpy(s.get("step", 3))) == 3 for s in opt.state.values())


def _torch_state(sd):
    return {"state": {i: {k: to_torch(v) for k, v in values.items()}
                      for i, values in sd["state"].items()},
            "param_groups": sd["param_groups"]}


def _optimizer_defects():
    return {
        "one group fewer": lambda sd: sd["param_groups"].pop(),
        "a group one parameter short": lambda sd: sd["param_groups"][1]["params"].pop(),
        "no param_groups": lambda sd: sd.pop("param_groups"),
        "no state": lambda sd: sd.pop("state"),
    }


@pytest.mark.parametrize("defect", sorted(_optimizer_defects()))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_refuses_a_state_dict_that_does_not_fit_as_torch(name, defect):
    outcomes = []
    for ns in (M, T):
        _, opt = optimizer_run(ns, name)
        sd = opt.state_dict()
        sd["param_groups"] = [dict(g, params=list(g["params"])) for g in sd["param_groups"]]
        _optimizer_defects()[defect](sd)
        with pytest.raises(Exception) as info:
            opt.load_state_dict(sd)
        outcomes.append((info.type, str(info.value)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is (KeyError if defect.startswith("no ") else ValueError)


def test_optimizer_numbers_parameters_across_groups_as_torch():
    for ns in (M, T):
        a, b, c, d = (ns.tensor([1.0], requires_grad=True) for _ in range(4))
        with pytest.warns(UserWarning, match="duplicate parameters"):
            opt = ns.sgd.SGD([{"params": [a, b, a]}, {"params": [c]}, {"params": [d]}])
        # a repeated parameter gets its last number; the next group starts after all three
        assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[2, 1, 2], [3], [4]]


def test_optimizer_keeps_state_of_an_unknown_index_as_torch():
    for ns in (M, T):
        _, opt = optimizer_run(ns, "SGD momentum")
        sd = opt.state_dict()
        sd["state"][9] = {"note": 1.5}
        opt.load_state_dict(sd)
        assert opt.state_dict()["state"][9] == {"note": 1.5}
        assert list(opt.state_dict()["state"]) == [0, 1, 2, 3, 9]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_an_optimizer_loaded_from_a_live_state_dict_shares_its_state_as_torch(name):
    """load_state_dict keeps a state tensor of the parameter's dtype as it is (torch's
    value.to(dtype) returns the same tensor): stepping the first optimizer moves the
    second's state too."""
    seen = []
    for lib in (manual, torch):
        p, q = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))
        options = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
        first = getattr(lib.optim, name)([p], lr=0.1, **options)
        p.grad = lib.tensor([1.0, -2.0])
        first.step()
        second = getattr(lib.optim, name)([q], lr=0.1, **options)
        second.load_state_dict(first.state_dict())
        first.step()
        seen.append({k: np.asarray(v).tolist() for k, v in second.state[q].items()})
    assert seen[0] == seen[1]
