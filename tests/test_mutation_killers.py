"""Tests written for mutants of manual/ that the rest of the suite let survive (make mutation;
docs/mutation.md lists each survivor and what became of it)."""

from __future__ import annotations

import numpy as np
import torch

import manual
import manual.adam
import manual.linear
import manual.sgd
import torch_native.adam
import torch_native.linear
import torch_native.sgd
from manual._parity.rounding import fused_add


def test_module_zero_grad_sets_grads_to_none_by_default():
    # manual.module: Module.zero_grad(set_to_none=True), as torch.nn.Module's
    layer = manual.linear.Linear(2, 1)
    layer(manual.tensor([[1.0, 2.0]])).sum().backward()
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    layer(manual.tensor([[1.0, 2.0]])).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert np.array_equal(layer.weight.grad.array, np.zeros((1, 2), np.float32))


def test_linear_names_its_node_and_prints_as_torch():
    # manual.linear: the node's name is torch's (AddmmBackward0), and the repr says the bias
    x = manual.tensor([[1.0, 2.0]])
    layer = manual.linear.Linear(2, 3)
    t_layer = torch_native.linear.Linear(2, 3)
    assert layer(x).grad_fn.name() == t_layer(torch.tensor([[1.0, 2.0]])).grad_fn.name()
    for bias in (True, False):
        assert repr(manual.linear.Linear(2, 3, bias=bias)) == repr(torch.nn.Linear(2, 3, bias))


def _sgd_after_one_step(dtype=np.float32):
    p = manual.tensor(np.array([1.0, 2.0], dtype), requires_grad=True)
    opt = manual.sgd.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    return p, opt


def test_optimizer_zero_grad_sets_grads_to_none_by_default():
    p, opt = _sgd_after_one_step()
    opt.zero_grad()
    assert p.grad is None


def test_optimizer_load_leaves_the_given_state_dict_as_it_was():
    _, source = _sgd_after_one_step()
    state_dict = source.state_dict()
    _, opt = _sgd_after_one_step()
    opt.load_state_dict(state_dict)
    assert state_dict["param_groups"][0]["params"] == [0]  # indices, not the parameters


def test_optimizer_load_keeps_numbers_and_casts_tensors_to_the_parameter_dtype():
    # as torch's _process_value_according_to_param_policy: floats follow the parameter
    _, source = _sgd_after_one_step(np.float32)
    state_dict = source.state_dict()
    state_dict["state"] = {7: {"unknown": 1}, 0: dict(state_dict["state"][0], note=1.5)}
    p, opt = _sgd_after_one_step(np.float64)
    opt.load_state_dict(state_dict)
    assert opt.state[p]["momentum_buffer"].dtype == np.float64
    assert opt.state[p]["note"] == 1.5 and isinstance(opt.state[p]["note"], float)
    assert opt.state[7] == {"unknown": 1}                # an unknown index first, then ours


def test_optimizer_defaults_are_torchs():
    # manual.sgd, manual.adam: every default hyperparameter, as torch's param_groups show it
    m, t = manual.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    for name in ("sgd.SGD", "adam.Adam", "adam.AdamW"):
        module, cls = name.split(".")
        m_group = getattr(getattr(manual, module), cls)([m]).param_groups[0]
        t_group = getattr(getattr(torch_native, module), cls)([t]).param_groups[0]
        assert {k: v for k, v in m_group.items() if k != "params"} == \
            {k: v for k, v in t_group.items() if k != "params"}, name


def test_sgd_with_weight_decay_of_exactly_one_as_torch():
    p, q = manual.tensor([1.0, -3.0], requires_grad=True), torch.tensor([1.0, -3.0],
                                                                        requires_grad=True)
    p.grad, q.grad = manual.tensor([0.5, 0.25]), torch.tensor([0.5, 0.25])
    manual.sgd.SGD([p], lr=0.1, weight_decay=1.0).step()
    torch_native.sgd.SGD([q], lr=0.1, weight_decay=1.0).step()
    assert np.array_equal(p.array, q.detach().numpy())


def test_fused_add_promotes_and_handles_integers_as_torch():
    # manual._parity.rounding.fused_add: a.add(b, alpha) with mixed float dtypes and with integers
    a32, b64 = np.float32([1.0, 2.5]), np.float64([1e-9, 3.0])
    got = fused_add(a32, b64, alpha=0.5)
    want = torch.from_numpy(a32).add(torch.from_numpy(b64), alpha=0.5).numpy()
    assert got.dtype == want.dtype and np.array_equal(got, want)
    got = fused_add(b64, a32, alpha=0.5)
    want = torch.from_numpy(b64).add(torch.from_numpy(a32), alpha=0.5).numpy()
    assert got.dtype == want.dtype and np.array_equal(got, want)
    ints = fused_add(np.int64([1, 2]), np.int64([3, 4]), alpha=2)
    assert ints.tolist() == torch.tensor([1, 2]).add(torch.tensor([3, 4]), alpha=2).tolist()


def test_zero_grad_in_place_detaches_a_gradient_that_requires_grad():
    # manual.zero_grad, set_to_none=False: torch's requires_grad_(False) on the old .grad
    import manual.zero_grad
    import torch_native.zero_grad
    for lib, twin in ((manual, manual.zero_grad), (torch, torch_native.zero_grad)):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        p.grad = lib.tensor([3.0, 4.0], requires_grad=True)
        twin.zero_grad([p], set_to_none=False)
        assert p.grad.requires_grad is False
        assert np.array_equal(np.asarray(p.grad.detach() if lib is torch else p.grad), [0, 0])


def test_a_module_without_forward_is_refused_in_torchs_words():
    from manual.module import Module

    class Empty(Module):
        pass

    class TorchEmpty(torch.nn.Module):
        pass

    messages = []
    for module in (Empty(), TorchEmpty()):
        try:
            module(manual.tensor([1.0]))
        except NotImplementedError as error:
            messages.append(str(error).replace("TorchEmpty", "Empty"))
    assert len(messages) == 2 and messages[0] == messages[1]


def test_optimizer_state_may_hold_torch_tensors_that_require_grad():
    # _optimizer._as_state reads a torch tensor through detach().cpu(), as torch's own
    # load_state_dict accepts any tensor
    p = manual.tensor([1.0, 2.0], requires_grad=True)
    t_p = torch.tensor([1.0, 2.0], requires_grad=True)
    t_opt = torch_native.sgd.SGD([t_p], lr=0.1, momentum=0.9)
    (t_p * t_p).sum().backward()
    t_opt.step()
    state = t_opt.state_dict()
    state["state"][0]["momentum_buffer"].requires_grad_(True)
    opt = manual.sgd.SGD([p], lr=0.1, momentum=0.9)
    opt.load_state_dict(state)
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].array, [2.0, 4.0])


def test_adam_first_moment_with_beta1_one_half_is_torchs_lerp_to_the_bit():
    # manual._parity.adam.lerp: torch's lerp takes start + w (end - start) only for |w| < 1/2, and
    # end - (1 - w)(end - start) from 1/2 on; the two round differently at w = 1/2
    rng = np.random.default_rng(5)
    p0, grads = rng.standard_normal(1000).astype(np.float32), rng.standard_normal(
        (3, 1000)).astype(np.float32)
    moments = []
    for lib, twin in ((manual, manual.adam), (torch, torch_native.adam)):
        p = lib.tensor(p0.copy(), requires_grad=True)
        opt = twin.Adam([p], lr=0.1, betas=(0.5, 0.999))
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        moments.append(np.asarray(opt.state[p]["exp_avg"]))
    np.testing.assert_array_equal(moments[0], moments[1])


def test_a_duplicated_parameter_warns_in_torchs_words_and_a_list_of_distinct_ones_does_not():
    import warnings
    messages = []
    for lib, twin in ((manual, manual.sgd), (torch, torch_native.sgd)):
        p, q = lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            twin.SGD([p, q], lr=0.1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            twin.SGD([p, p], lr=0.1)
        [warning] = caught
        messages.append((warning.category, str(warning.message)))
    assert messages[0] == messages[1]


def test_a_group_given_one_bare_tensor_holds_it_as_torch():
    for lib, twin in ((manual, manual.sgd), (torch, torch_native.sgd)):
        p, q = lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)
        opt = twin.SGD([p], lr=0.1)
        opt.add_param_group({"params": q, "lr": 0.5})
        assert opt.param_groups[1]["params"] == [q] and opt.param_groups[1]["lr"] == 0.5


def test_backward_of_a_leaf_gives_it_the_gradient_itself():
    # backward.backward with no graph: the leaf's .grad is the starting gradient
    for lib in (manual, torch):
        x = lib.tensor([2.0], requires_grad=True)
        x.backward()
        assert np.asarray(x.grad).tolist() == [1.0]
        x.backward(lib.tensor([3.0]))
        assert np.asarray(x.grad).tolist() == [4.0]


def test_conv_modules_keep_torchs_defaults():
    import manual.conv2d
    import manual.conv_transpose2d
    names = ("kernel_size", "stride", "padding", "dilation", "groups")
    for m_cls, t_cls, extra in ((manual.conv2d.Conv2d, torch.nn.Conv2d, ()),
                                (manual.conv_transpose2d.ConvTranspose2d,
                                 torch.nn.ConvTranspose2d, ("output_padding",))):
        m_layer, t_layer = m_cls(2, 4, 3), t_cls(2, 4, 3)
        for name in names + extra:
            assert getattr(m_layer, name) == getattr(t_layer, name), name
        assert repr(m_layer).replace("manual.", "") == repr(t_layer)


def test_every_layer_parameter_wants_a_gradient_as_torch():
    import manual.conv2d
    import manual.conv_transpose2d
    layers = (manual.linear.Linear(3, 2), manual.conv2d.Conv2d(2, 4, 3),
              manual.conv_transpose2d.ConvTranspose2d(2, 4, 3))
    for layer in layers:
        params = list(layer.parameters())
        assert len(params) == 2 and all(p.requires_grad and p.is_leaf for p in params)
