"""Checkpoints: a run saved on one side goes on on the other as if never interrupted; a
failed write leaves the old file; a file with an arbitrary pickled object is refused."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

import manual._parity.serialization as manual_serialization
import reference.debugging.checkpoint as checkpoint
from reference.convert import to_manual, to_numpy, to_torch
from reference.debugging.models import batches, build_model, build_optimizer
from reference.distance import normwise
from tests.helpers import assert_twins_agree

K, M = 6, 6  # steps before the checkpoint, steps after it
SIDES = {"torch": to_torch, "manual": to_manual}


def build(side, optimizer, seed):
    model, loss_fn = build_model("mlp", side, seed)
    return model, loss_fn, build_optimizer(optimizer, side, model.parameters())


def train(side, model, loss_fn, optimizer, data):
    """One step per batch; the parameters after each step, as NumPy copies."""
    convert, after = SIDES[side], []
    for x, y in data:
        optimizer.zero_grad()
        loss_fn(model(convert(x)), convert(y)).backward()
        optimizer.step()
        after.append({name: to_numpy(p).copy() for name, p in model.named_parameters()})
    return after


def optimizer_tensors(optimizer):
    """Every tensor of the optimizer's state, by parameter index and name, as NumPy."""
    state = optimizer.state_dict()["state"]
    return {(i, name): to_numpy(value) for i, values in state.items()
            for name, value in values.items()}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(("first", "then"), [("torch", "manual"), ("manual", "torch")])
def test_a_run_resumed_on_the_other_side_matches_the_uninterrupted_run(first, then, optimizer,
                                                                       tmp_path):
    data = batches("mlp", seed=3, count=K + M)
    uninterrupted = train(first, *build(first, optimizer, seed=0), data)
    # k steps on the first side, saved; the other side starts from other weights and loads
    model, loss_fn, opt = build(first, optimizer, seed=0)
    train(first, model, loss_fn, opt, data[:K])
    checkpoint.save(tmp_path / "run.pt", model, opt)
    resumed, resumed_loss, resumed_opt = build(then, optimizer, seed=1)
    checkpoint.load(tmp_path / "run.pt", resumed, resumed_opt)
    # the state arrives bit for bit: parameters, momentum buffers, moments, step counts
    for (name, p), (_, q) in zip(model.named_parameters(), resumed.named_parameters()):
        assert_twins_agree(f"loaded {name}", "exact", to_numpy(q), to_numpy(p))
    saved, loaded = optimizer_tensors(opt), optimizer_tensors(resumed_opt)
    assert list(loaded) == list(saved)
    for key in saved:
        assert_twins_agree(f"loaded state {key}", "exact", loaded[key], saved[key])
    # m more steps on the other side: the uninterrupted run's steps k + 1 .. k + m
    after = train(then, resumed, resumed_loss, resumed_opt, data[K:])
    for step, (got, want) in enumerate(zip(after, uninterrupted[K:]), start=K + 1):
        for name in want:
            assert_twins_agree(f"step {step} {name}", "training", got[name], want[name],
                               scale=normwise(want[name]))


@pytest.mark.parametrize("side", ["manual", "torch"])
def test_save_then_load_restores_every_tensor_to_the_bit(side, tmp_path):
    model, loss_fn, opt = build(side, "adam", seed=0)
    train(side, model, loss_fn, opt, batches("mlp", seed=4, count=2))
    checkpoint.save(tmp_path / "a.pt", model, opt)
    fresh, _, fresh_opt = build(side, "adam", seed=5)
    checkpoint.load(tmp_path / "a.pt", fresh, fresh_opt)
    for (name, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters()):
        np.testing.assert_array_equal(to_numpy(q), to_numpy(p), err_msg=name)
    for key, value in optimizer_tensors(opt).items():
        np.testing.assert_array_equal(optimizer_tensors(fresh_opt)[key], value, err_msg=key)
    assert fresh_opt.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_the_file_is_torch_format_with_torch_tensors_and_a_float32_step(tmp_path):
    model, loss_fn, opt = build("manual", "adam", seed=0)
    train("manual", model, loss_fn, opt, batches("mlp", seed=4, count=1))
    checkpoint.save(tmp_path / "m.pt", model, opt)
    saved = torch.load(tmp_path / "m.pt", weights_only=True)
    t_model, _, t_opt = build("torch", "adam", seed=0)
    train("torch", t_model, _, t_opt, batches("mlp", seed=4, count=1))
    assert list(saved["model"]) == list(t_model.state_dict())
    assert all(isinstance(v, torch.Tensor) for v in saved["model"].values())
    step = saved["optimizer"]["state"][0]["step"]
    assert isinstance(step, torch.Tensor) and step.dtype == torch.float32 and step.dim() == 0
    t_sd = t_opt.state_dict()
    assert saved["optimizer"]["param_groups"] == t_sd["param_groups"]
    for i, values in t_sd["state"].items():
        assert list(saved["optimizer"]["state"][i]) == list(values)


def test_loading_a_checkpoint_of_another_model_is_refused(tmp_path):
    model, _, opt = build("manual", "sgd", seed=0)
    checkpoint.save(tmp_path / "mlp.pt", model)
    other, _ = build_model("linear", "manual", seed=0)
    with pytest.raises(RuntimeError, match="Missing key"):
        checkpoint.load(tmp_path / "mlp.pt", other)
    with pytest.raises(KeyError):  # saved without an optimizer
        checkpoint.load(tmp_path / "mlp.pt", model, opt)


def _fail_inside_save(obj):
    raise OSError("disk full")


def _raise(*args, **kwargs):
    raise OSError("interrupted")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


INTERRUPTIONS = {
    "pickling fails midway": (manual_serialization, "pickled", _fail_inside_save),
    "fsync fails": (os, "fsync", _raise),
    "rename fails": (os, "replace", _raise),
    "Ctrl-C during fsync": (os, "fsync", _interrupt),
}


@pytest.mark.parametrize("how", sorted(INTERRUPTIONS))
def test_an_interrupted_write_leaves_the_old_checkpoint_intact(how, tmp_path, monkeypatch):
    model, loss_fn, opt = build("manual", "sgd", seed=0)
    path = tmp_path / "run.pt"
    checkpoint.save(path, model, opt)
    before = path.read_bytes()
    train("manual", model, loss_fn, opt, batches("mlp", seed=4, count=1))  # new state to save
    owner, name, replacement = INTERRUPTIONS[how]
    monkeypatch.setattr(owner, name, replacement)
    with pytest.raises((OSError, KeyboardInterrupt)):
        checkpoint.save(path, model, opt)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.pt"]  # no temporary file left behind
    checkpoint.save(path, model, opt)  # and the next write goes through
    assert path.read_bytes() != before


CALLS: list[str] = []


def _record(message: str) -> dict:
    CALLS.append(message)
    return {}


class Payload:
    """Unpickling this calls _record: any callable could stand there (os.system, ...)."""

    def __reduce__(self):
        return _record, ("executed while loading",)


def test_a_file_with_an_arbitrary_object_is_refused_not_executed(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": Payload()}, path)
    model, _ = build_model("mlp", "manual", seed=0)
    CALLS.clear()
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        checkpoint.load(path, model)
    assert CALLS == []
    # the control: without weights_only the same file runs the call
    torch.load(path, weights_only=False)
    assert CALLS == ["executed while loading"]
