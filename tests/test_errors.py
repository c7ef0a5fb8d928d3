"""Bad input: each bad call is written once, run on both twins, and must be refused alike.

A case is a function of a namespace ``ns`` that holds one side's pieces (``ns.linear`` is
manual/linear.py or torch_native/linear.py), its engine (``ns.lib``: ``manual`` or
``torch``) and ``ns.t(data, dtype, requires_grad)`` to make a tensor. The test runs torch's
twin live, so the expected exception class is torch's own; the manual twin must raise the
same class, with a message that names the offending argument and its value (the words
listed beside each case; compared without case). The whole message, as reviewed, is in
tests/error_messages.json: a change of wording is a change to that file.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

import manual
from reference.convert import to_numpy

PIECES = ("activations", "adam", "backward", "conv2d", "conv_transpose2d", "cross_entropy",
          "data_loader", "grad_accumulation", "linear", "linear_regression", "mse_loss", "sgd",
          "training_loop", "zero_grad")


def _side(package: str, lib: Any) -> SimpleNamespace:
    ns = SimpleNamespace(lib=lib, **{p: importlib.import_module(f"{package}.{p}") for p in PIECES})

    def t(data: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
        return lib.tensor(np.asarray(data, dtype=dtype), requires_grad=requires_grad)

    ns.t = t
    return ns


MANUAL = _side("manual", manual)
TORCH = _side("torch_native", torch)


def _raised(call: Callable[[SimpleNamespace], Any], ns: SimpleNamespace) -> BaseException | None:
    try:
        call(ns)
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return error
    return None


def _zeros(ns: SimpleNamespace, *shape: int, dtype: str = "float32", grad: bool = False) -> Any:
    return ns.t(np.zeros(shape), dtype, requires_grad=grad)


def _ones(ns: SimpleNamespace, *shape: int, dtype: str = "float32", grad: bool = False) -> Any:
    return ns.t(np.ones(shape), dtype, requires_grad=grad)


def _param(ns: SimpleNamespace) -> Any:
    return _ones(ns, 2, grad=True)


def _non_leaf(ns: SimpleNamespace) -> Any:
    return _param(ns) * 2


def _backward_twice(ns: SimpleNamespace) -> None:
    loss = (_param(ns) * _param(ns)).sum()
    ns.backward.backward(loss)
    ns.backward.backward(loss)


def _linear_model(ns: SimpleNamespace) -> Any:
    ns.lib.manual_seed(0)
    return ns.linear.Linear(2, 1)


def _train_on_empty_loader(ns: SimpleNamespace) -> None:
    model = _linear_model(ns)
    loader = ns.data_loader.DataLoader(ns.data_loader.TensorDataset(_zeros(ns, 0, 2),
                                                                    _zeros(ns, 0, 1)))
    ns.training_loop.train_epoch(model, ns.mse_loss.MSELoss(), ns.sgd.SGD(model.parameters()),
                                 loader)


def _accumulate_mismatched(ns: SimpleNamespace) -> None:
    model = _linear_model(ns)
    batches = [(_zeros(ns, 3, 2), _zeros(ns, 3, 1)), (_zeros(ns, 3, 5), _zeros(ns, 3, 1))]
    ns.grad_accumulation.accumulation_step(model, ns.mse_loss.mse_loss,
                                           ns.sgd.SGD(model.parameters()), batches)


def _fit_mismatched_readings(ns: SimpleNamespace) -> None:
    ns.linear_regression.training_loop(1, 1e-2, ns.t([1.0, 0.0]), _ones(ns, 11), _ones(ns, 10))


# (call, words the manual message must contain, id)
CASES: list[tuple[Callable[[SimpleNamespace], Any], tuple[str, ...], str]] = [
    # -- linear
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 3), _zeros(ns, 4, 5)),
     ("input", "[2, 3]", "weight", "[4, 5]"), "linear-in-features-mismatch"),
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 3), _zeros(ns, 4, 3, dtype="float64")),
     ("weight", "float64"), "linear-dtype-mismatch"),
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 3), _zeros(ns, 4, 3), _zeros(ns, 5)),
     ("bias", "[5]"), "linear-bias-shape"),
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 3), _zeros(ns, 4, 3, 1)),
     ("weight", "[4, 3, 1]"), "linear-weight-rank-3"),
    (lambda ns: ns.linear.linear(_zeros(ns), _zeros(ns, 2, 1)), ("1D", "[]"), "linear-0d-input"),
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 2, 3), _zeros(ns, 4, 3), _zeros(ns, 5)),
     ("bias", "[5]"), "linear-3d-input-bias-shape"),
    (lambda ns: ns.linear.linear(_zeros(ns, 2, 3), _zeros(ns, 4, 3),
                                 _zeros(ns, 4, dtype="float64")),
     ("bias", "float64"), "linear-bias-dtype"),
    (lambda ns: ns.linear.Linear(-1, 2), ("-1",), "Linear-negative-in-features"),
    # -- mse_loss
    (lambda ns: ns.mse_loss.mse_loss(_zeros(ns, 3), _zeros(ns, 3), reduction="avg"),
     ("reduction", "avg"), "mse-reduction"),
    (lambda ns: ns.mse_loss.MSELoss(reduction="total")(_zeros(ns, 3), _zeros(ns, 3)),
     ("reduction", "total"), "MSELoss-reduction"),
    (lambda ns: ns.mse_loss.mse_loss(_zeros(ns, 3), _zeros(ns, 4)),
     ("(3)", "(4)", "dimension 0"), "mse-shapes-do-not-broadcast"),
    # -- cross_entropy
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns), ns.t(0, "int64")),
     ("floating point", "Long"), "ce-0d-input"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns), _zeros(ns)),
     ("dimension", "[]"), "ce-0d-input-probabilities"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t(0, "int64")),
     ("batch_size", "2"), "ce-0d-target"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3),
                                               ns.t(np.zeros((2, 3)), "int64")),
     ("floating point", "Long"), "ce-integer-probabilities"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3, 4),
                                               ns.t(np.zeros((2, 4)), "uint8")),
     ("Long", "Byte"), "ce-byte-spatial-target"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 5], "int64")),
     ("target", "5"), "ce-target-too-large"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([-1, 0], "int64")),
     ("target", "-1"), "ce-target-negative"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 3), ns.t(3, "int64")),
     ("target", "3"), "ce-unbatched-target-out-of-range"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1], "int64"),
                                               reduction="average"),
     ("reduction", "average"), "ce-reduction"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1], "int64"),
                                               label_smoothing=1.5),
     ("label_smoothing", "1.5"), "ce-label-smoothing"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1], "int64"),
                                               weight=_ones(ns, 4)),
     ("weight", "[4]"), "ce-weight-shape"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1], "int64"),
                                               weight=_ones(ns, 3, dtype="float64")),
     ("Float", "Double"), "ce-weight-dtype"),
    (lambda ns: ns.cross_entropy.cross_entropy(ns.t(np.zeros((2, 3)), "int64"),
                                               ns.t([0, 1], "int64")),
     ("log_softmax", "Long"), "ce-integer-logits"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1], "float32")),
     ("target", "Float"), "ce-float-class-target"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), ns.t([0, 1, 2], "int64")),
     ("batch_size", "2", "3"), "ce-batch-mismatch"),
    (lambda ns: ns.cross_entropy.cross_entropy(_zeros(ns, 2, 3), _zeros(ns, 2, 3),
                                               ignore_index=0),
     ("ignore_index", "0"), "ce-probabilities-ignore-index"),
    (lambda ns: ns.cross_entropy.CrossEntropyLoss()(_zeros(ns, 2, 3, 4), ns.t([[0], [1]], "int64")),
     ("target", "[2, 1]", "[2, 4]"), "CrossEntropyLoss-target-shape"),
    # -- conv2d
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), stride=0),
     ("stride", "0"), "conv2d-stride-0"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), stride=(1, -2)),
     ("stride", "-2"), "conv2d-stride-negative"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), padding=-1),
     ("padding", "-1"), "conv2d-padding-negative"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), dilation=0),
     ("dilation", "0"), "conv2d-dilation-0"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), groups=0),
     ("groups", "0"), "conv2d-groups-0"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 2, 2), _zeros(ns, 1, 1, 3, 3), padding=0),
     ("kernel size", "3 x 3", "2 x 2"), "conv2d-kernel-larger-than-input"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 2, 5), _zeros(ns, 1, 1, 3, 4)),
     ("kernel size", "3 x 4", "2 x 5"), "conv2d-kernel-taller-than-input"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 5, 5), _zeros(ns, 1, 1, 2, 2),
                                 padding=(1, 2, 3)), ("padding", "[1, 2, 3]"),
     "conv2d-padding-three-values"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 5, 5), _zeros(ns, 1, 1, 2, 2),
                                 dilation=(1, 2, 3)), ("dilation", "[1, 2, 3]"),
     "conv2d-dilation-three-values"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 5, 5), _zeros(ns, 1, 1, 2, 2), stride=1.5),
     ("stride", "1.5"), "conv2d-stride-float"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 5, 5), _zeros(ns, 1, 1, 2, 2),
                                 dilation="2"), ("dilation", "'2'"), "conv2d-dilation-string"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 4, 4), _zeros(ns, 1, 1, 2, 2)),
     ("input", "[4, 4]"), "conv2d-input-rank-2"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 2, 4, 4), _zeros(ns, 1, 3, 2, 2)),
     ("input", "3 channels", "2 channels"), "conv2d-channel-mismatch"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), padding="full"),
     ("padding", "full"), "conv2d-padding-string"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), stride=2,
                                 padding="same"),
     ("padding", "same", "stride", "2"), "conv2d-same-strided"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4, dtype="float64"), _zeros(ns, 1, 1, 2, 2)),
     ("double", "float"), "conv2d-dtype-mismatch"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 2, 1, 2, 2), _zeros(ns, 3)),
     ("bias", "[3]"), "conv2d-bias-shape"),
    (lambda ns: ns.conv2d.conv2d(_zeros(ns, 1, 1, 4, 4), _zeros(ns, 1, 1, 2, 2), stride=(1, 1, 1)),
     ("stride", "[1, 1, 1]"), "conv2d-stride-three-values"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 1, groups=2), ("in_channels", "3", "groups", "2"),
     "Conv2d-groups-do-not-divide"),
    (lambda ns: ns.conv2d.Conv2d(3, -2, 3), ("negative dimension", "-2"),
     "Conv2d-negative-channels"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, (1, 2, 3))(_zeros(ns, 1, 3, 5, 5)), ("kernel_size", "3"),
     "Conv2d-kernel-three-values"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, stride=(1, 2, 3))(_zeros(ns, 1, 3, 5, 5)),
     ("stride", "[1, 2, 3]"), "Conv2d-stride-three-values"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, padding=(1, 2, 3))(_zeros(ns, 1, 3, 5, 5)),
     ("padding", "[1, 2, 3]"), "Conv2d-padding-three-values"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, dilation=(1, 2, 3))(_zeros(ns, 1, 3, 5, 5)),
     ("dilation", "[1, 2, 3]"), "Conv2d-dilation-three-values"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, "3")(_zeros(ns, 1, 3, 5, 5)), ("kernel_size", "'3'"),
     "Conv2d-kernel-string"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, stride=1.5)(_zeros(ns, 1, 3, 5, 5)), ("stride", "1.5"),
     "Conv2d-stride-float"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, 3, stride=1.5)(_zeros(ns, 1, 3, 5, 5)),
     ("stride", "1.5"), "ConvTranspose2d-stride-float"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, padding=1.5)(_zeros(ns, 1, 3, 5, 5)),
     ("padding", "1.5"), "Conv2d-padding-float"),
    (lambda ns: ns.conv2d.Conv2d(3, 4, 3, dilation=1.5)(_zeros(ns, 1, 3, 5, 5)),
     ("dilation", "1.5"), "Conv2d-dilation-float"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, "3")(_zeros(ns, 1, 3, 5, 5)),
     ("kernel_size", "'3'"), "ConvTranspose2d-kernel-string"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, 3, padding=1.5)(
        _zeros(ns, 1, 3, 5, 5)), ("padding", "1.5"), "ConvTranspose2d-padding-float"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, 3, output_padding=0.5)(
        _zeros(ns, 1, 3, 5, 5)), ("output_padding", "0.5"), "ConvTranspose2d-output-padding-float"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, 3, dilation=1.5)(
        _zeros(ns, 1, 3, 5, 5)), ("dilation", "1.5"), "ConvTranspose2d-dilation-float"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), stride=1.5),
     ("stride", "1.5"), "convT-stride-float"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), dilation=(1, 1, 1)),
     ("dilation", "[1, 1, 1]"), "convT-dilation-three-values"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(3, 4, 3, dilation=(1, 2, 3))(
        _zeros(ns, 1, 3, 5, 5)), ("dilation", "[1, 2, 3]"),
     "ConvTranspose2d-dilation-three-values"),
    (lambda ns: ns.conv2d.Conv2d(1, 1, 3, stride=2, padding="same"),
     ("padding", "same", "stride"), "Conv2d-same-strided"),
    (lambda ns: ns.conv2d.Conv2d(1, 1, 3, padding="circular"),
     ("padding", "circular"), "Conv2d-padding-string"),
    # -- conv_transpose2d
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), output_padding=1),
     ("output_padding", "1", "stride", "dilation"), "convT-output-padding-too-large"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), stride=(3, 2),
                                                     output_padding=(1, 2)),
     ("output_padding", "2", "stride"), "convT-output-padding-too-large-in-width"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 2, 3),
                                                     _zeros(ns, 1, 1, 1, 1), padding=(2, 3),
                                                     dilation=(1, 2)),
     ("output size", "(-2 x -3)"), "convT-output-too-small-in-both"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), padding=(1, 2, 3)),
     ("padding", "[1, 2, 3]"), "convT-padding-three-values"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2),
                                                     output_padding=(0, 0, 0)),
     ("output_padding", "[0, 0, 0]"), "convT-output-padding-three-values"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), stride=0),
     ("stride", "0"), "convT-stride-0"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 2, 2),
                                                     _zeros(ns, 1, 1, 2, 2), padding=3),
     ("output size", "(-3 x -3)"), "convT-output-too-small"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 2, 3, 3),
                                                     _zeros(ns, 3, 1, 2, 2)),
     ("input", "3 channels", "2 channels"), "convT-channel-mismatch"),
    (lambda ns: ns.conv_transpose2d.conv_transpose2d(_zeros(ns, 1, 1, 3, 3),
                                                     _zeros(ns, 1, 1, 2, 2), output_padding=-1),
     ("output_padding", "-1"), "convT-output-padding-negative"),
    (lambda ns: ns.conv_transpose2d.ConvTranspose2d(2, 3, 2, groups=2),
     ("out_channels", "3", "groups", "2"), "ConvTranspose2d-groups-do-not-divide"),
    # -- activations
    (lambda ns: ns.activations.Sequential(ns.activations.ReLU(), "relu"),
     ("str", "module", "relu"), "Sequential-non-module"),
    (lambda ns: ns.activations.Sequential(ns.activations.ReLU())[1],
     ("index", "1"), "Sequential-index-out-of-range"),
    (lambda ns: ns.activations.relu([1.0, -1.0]), ("input", "list"), "relu-non-tensor"),
    (lambda ns: ns.activations.relu(ns.t([True, False], "bool")), ("boolean",), "relu-bool"),
    (lambda ns: ns.activations.Sequential(ns.linear.Linear), ("Linear", "module"),
     "Sequential-class-not-instance"),
    (lambda ns: ns.activations.Sequential(ns.activations.ReLU())[-2],
     ("index", "-2"), "Sequential-index-below-range"),
    # -- data_loader
    (lambda ns: ns.data_loader.DataLoader([1, 2, 3], batch_size=0), ("batch_size", "0"),
     "DataLoader-batch-size-0"),
    (lambda ns: ns.data_loader.DataLoader([1, 2, 3], batch_size=-2), ("batch_size", "-2"),
     "DataLoader-batch-size-negative"),
    (lambda ns: ns.data_loader.DataLoader([1, 2, 3], batch_size=1.5), ("batch_size", "1.5"),
     "DataLoader-batch-size-float"),
    (lambda ns: ns.data_loader.DataLoader([1, 2, 3], drop_last="yes"), ("drop_last", "yes"),
     "DataLoader-drop-last-string"),
    (lambda ns: ns.data_loader.DataLoader([1, 2, 3], shuffle=True, sampler=[0, 1, 2]),
     ("sampler", "shuffle", "True"), "DataLoader-sampler-and-shuffle"),
    (lambda ns: ns.data_loader.DataLoader([1, 2], batch_size=None, drop_last=True),
     ("batch_size", "None", "drop_last"), "DataLoader-no-batching-drop-last"),
    (lambda ns: ns.data_loader.DataLoader([], shuffle=True), ("num_samples", "0"),
     "DataLoader-shuffle-empty"),
    (lambda ns: ns.data_loader.TensorDataset(_zeros(ns, 3, 2), _zeros(ns, 4)),
     ("size mismatch", "3", "4"), "TensorDataset-size-mismatch"),
    (lambda ns: list(ns.data_loader.DataLoader([_ones(ns, 2), _ones(ns, 3)], batch_size=2)),
     ("equal size",), "DataLoader-collate-unequal-sizes"),
    (lambda ns: list(ns.data_loader.DataLoader([object(), object()], batch_size=2)),
     ("default_collate", "object"), "DataLoader-collate-objects"),
    # -- zero_grad
    (lambda ns: ns.zero_grad.zero_grad(None), ("params", "None"), "zero_grad-none"),
    (lambda ns: ns.zero_grad.zero_grad(5), ("int", "params", "5"), "zero_grad-int"),
    (lambda ns: ns.zero_grad.zero_grad(ns.t([1.0, 2.0])), ("iterable", "Tensor"),
     "zero_grad-bare-tensor"),
    # -- sgd
    (lambda ns: ns.sgd.SGD([_param(ns)], lr=-0.1), ("learning rate", "-0.1"), "SGD-lr-negative"),
    (lambda ns: ns.sgd.SGD([_param(ns)], momentum=-0.5), ("momentum", "-0.5"),
     "SGD-momentum-negative"),
    (lambda ns: ns.sgd.SGD([_param(ns)], weight_decay=-1e-4), ("weight_decay", "-0.0001"),
     "SGD-weight-decay-negative"),
    (lambda ns: ns.sgd.SGD([_param(ns)], lr=0.1, nesterov=True),
     ("nesterov", "momentum", "dampening"), "SGD-nesterov-without-momentum"),
    (lambda ns: ns.sgd.SGD([_param(ns)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     ("nesterov", "zero dampening"), "SGD-nesterov-with-dampening"),
    (lambda ns: ns.sgd.SGD(_param(ns), lr=0.1), ("params", "tensor"), "SGD-bare-tensor"),
    (lambda ns: ns.sgd.SGD([], lr=0.1), ("empty parameter list",), "SGD-empty-params"),
    (lambda ns: ns.sgd.SGD([_non_leaf(ns)], lr=0.1), ("non-leaf",), "SGD-non-leaf"),
    (lambda ns: ns.sgd.SGD([_param(ns), 1.5], lr=0.1), ("params", "float"), "SGD-non-tensor"),
    (lambda ns: ns.sgd.SGD([np.float32(1.0)], lr=0.1), ("params", "numpy.float32"),
     "SGD-numpy-number"),
    (lambda ns: ns.sgd.SGD([{"params": {_param(ns)}}], lr=0.1), ("ordered", "list"),
     "SGD-group-of-a-set"),
    (lambda ns: ns.sgd.SGD([_param(ns)], lr=0.1).add_param_group(5), ("dict", "int"),
     "SGD-add-a-non-dict-group"),
    (lambda ns: ns.sgd.SGD([{"params": [_param(ns)], "lr": 0.1}, {"lr": 0.2}]),
     ("params",), "SGD-group-without-params"),
    # -- adam
    (lambda ns: ns.adam.Adam([_param(ns)], lr=-1.0), ("learning rate", "-1.0"), "Adam-lr-negative"),
    (lambda ns: ns.adam.Adam([_param(ns)], eps=-1e-8), ("epsilon", "-1e-08"), "Adam-eps-negative"),
    (lambda ns: ns.adam.Adam([_param(ns)], betas=(1.0, 0.999)), ("beta", "index 0", "1.0"),
     "Adam-beta1-one"),
    (lambda ns: ns.adam.Adam([_param(ns)], betas=(0.9, -0.1)), ("beta", "index 1", "-0.1"),
     "Adam-beta2-negative"),
    (lambda ns: ns.adam.Adam([_param(ns)], weight_decay=-0.5), ("weight_decay", "-0.5"),
     "Adam-weight-decay-negative"),
    (lambda ns: ns.adam.AdamW([_param(ns)], lr=float("nan")), ("learning rate", "nan"),
     "AdamW-lr-nan"),
    (lambda ns: ns.adam.AdamW([]), ("empty parameter list",), "AdamW-empty-params"),
    (lambda ns: ns.adam.Adam([_non_leaf(ns)]), ("non-leaf",), "Adam-non-leaf"),
    # -- backward and the engine
    (lambda ns: bool(_ones(ns, 2)), ("more than one value",), "bool-of-two"),
    (lambda ns: _zeros(ns, 2, 2)[0, 0, 0], ("too many indices",), "index-too-many"),
    (lambda ns: _zeros(ns, 2, 2)[..., 0, 0, 0], ("too many indices",), "index-too-many-ellipsis"),
    (lambda ns: _non_leaf(ns).requires_grad_(False), ("leaf", "detach"),
     "requires-grad-off-a-non-leaf"),
    (lambda ns: ns.t([1.0, 2.0, 3.0]).item(), ("3 elements",), "item-of-three"),
    (_backward_twice, ("backward", "second time"), "backward-twice"),
    (lambda ns: ns.backward.backward(_param(ns) * 2), ("scalar",), "backward-non-scalar"),
    (lambda ns: ns.backward.backward(_ones(ns, 2).sum()), ("require", "grad"),
     "backward-no-grad"),
    (lambda ns: ns.backward.backward(_param(ns) * 2, _ones(ns, 3)), ("shape", "(3", "(2"),
     "backward-gradient-shape"),
    (lambda ns: ns.t([1, 2], "int64", requires_grad=True), ("floating point",),
     "requires-grad-int"),
    (lambda ns: ns.t([1, 2], "int64").mean(), ("mean", "int64"), "mean-of-integers"),
    (lambda ns: _zeros(ns, 2, 3).sum(dim=2), ("range", "2"), "sum-dim-above-range"),
    (lambda ns: _zeros(ns, 2, 3).sum(dim=-3), ("range", "-3"), "sum-dim-below-range"),
    (lambda ns: _zeros(ns).sum(dim=1), ("range", "1"), "sum-of-0d-dim-1"),
    (lambda ns: _zeros(ns, 2, 3).mean(dim=(0, 5)), ("range", "5"), "mean-dim-out-of-range"),
    (lambda ns: _zeros(ns, 2, 3) + _zeros(ns, 4, 3), ("(2)", "(4)", "dimension 0"),
     "add-shapes-do-not-broadcast"),
    (lambda ns: _zeros(ns, 5, 3, 2) * _zeros(ns, 3, 3), ("(2)", "(3)", "dimension 2"),
     "mul-shapes-do-not-broadcast"),
    (lambda ns: ns.mse_loss.mse_loss(ns.t([1, 2], "int64"), ns.t([1, 3], "int64")),
     ("Long",), "mse-integers"),
    (lambda ns: ns.mse_loss.mse_loss(ns.t([True], "bool"), ns.t([False], "bool")),
     ("Bool",), "mse-booleans"),
    (lambda ns: _zeros(ns, 2, 2, 2).t(), ("t()", "3D"), "t-of-3d"),
    (lambda ns: _zeros(ns, 2, 2) @ _zeros(ns, 2, 2, dtype="float64"), ("dtype",),
     "matmul-dtypes"),
    (lambda ns: _param(ns).numpy(), ("numpy()", "detach"), "numpy-of-requires-grad"),
    (lambda ns: ns.t([1.0]).retain_grad(), ("retain_grad", "requires_grad=False"),
     "retain-grad-without-grad"),
    (lambda ns: _param(ns).__iadd__(1.0), ("leaf", "in-place"), "in-place-on-a-leaf"),
    # -- the loops
    (_train_on_empty_loader, ("loader", "no batches"), "train-epoch-empty-loader"),
    (_accumulate_mismatched, ("[3, 5]", "[1, 2]"), "accumulation-micro-batch-shape"),
    (_fit_mismatched_readings, ("(11)", "(10)"), "linear-regression-lengths"),
]


@pytest.mark.parametrize(("call", "words"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_refused_like_torch(call: Callable[[SimpleNamespace], Any], words: tuple[str, ...]):
    torch_error = _raised(call, TORCH)
    manual_error = _raised(call, MANUAL)
    assert torch_error is not None, "torch accepts this call: it is not a bad call"
    assert manual_error is not None, f"manual accepts it; torch raises {torch_error!r}"
    assert type(manual_error) is type(torch_error), (
        f"manual raises {manual_error!r}, torch {torch_error!r}")
    message = str(manual_error).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"manual's message {str(manual_error)!r} does not name {missing}"


MESSAGES = json.loads(Path(__file__).with_name("error_messages.json").read_text())


@pytest.mark.parametrize(("call", "case"), [(c[0], c[2]) for c in CASES],
                         ids=[c[2] for c in CASES])
def test_the_message_is_the_reviewed_one(call: Callable[[SimpleNamespace], Any], case: str):
    assert str(_raised(call, MANUAL)) == MESSAGES[case]


def test_catalog_size():
    assert len(CASES) >= 40


def test_empty_micro_batch_list_is_a_step_with_no_gradients():
    """k = 0 micro-batches: both twins zero the grads, step (skipping every parameter, its
    grad being None) and return 0.0; the parameters do not move."""
    results = []
    for ns in (MANUAL, TORCH):
        model = _linear_model(ns)
        before = [np.array(to_numpy(p)) for p in model.parameters()]
        total = ns.grad_accumulation.accumulation_step(
            model, ns.mse_loss.mse_loss, ns.sgd.SGD(model.parameters(), lr=0.1), [])
        after = [to_numpy(p) for p in model.parameters()]
        assert all(np.array_equal(a, b) for a, b in zip(before, after))
        results.append(total)
    assert results == [0.0, 0.0]
