"""The engine's edges against torch: tensor hooks, the legacy constructor, a tensor as an index,
optimizer step hooks, the initialisers given a generator, devices and the machine without a
GPU, Dataset and random_split's corners, and clip_grad's warnings, norms and refusals.

Each test runs the same calls on manual and on torch and compares values, dtypes, exception
types and messages; where torch is not the reference (manual's own words), the documented
behaviour is asserted as it is written.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
import torch

import manual
import manual.accelerator
import manual.backends.cudnn
import manual.backends.mps
import manual.cuda
from manual._parity.engine import NotInManualError

LIBS = (manual, torch)


def _raised(call, *args):
    """(type, message) of what ``call`` raises."""
    with pytest.raises(Exception) as caught:
        call(*args)
    return type(caught.value), str(caught.value)


def _names_the_caller(filename: str, issuer: str) -> bool:
    """A warning's stacklevel points past manual, at the line that called it: this file.
    (Under mutation testing mutmut wraps each function of manual in frames of its own, so
    there only this holds: the warning is not put on ``issuer``, the file that issues it.)"""
    if "mutmut.mutation.trampoline" in sys.modules:
        return not filename.endswith(issuer)
    return filename == __file__


def _bits(t) -> tuple[str, bytes]:
    a = np.asarray(t.detach())
    return str(a.dtype), a.tobytes()


# -- tensor hooks ----------------------------------------------------------------------------

def _hooked_backward(lib):
    """A hook on a leaf doubles its gradient, one on a non-leaf adds 1 (then is removed for a
    second backward); a post-accumulate hook records the leaf's .grad."""
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 2)
    y = x * x
    handle = y.register_hook(lambda g: g + 1)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    y.sum().backward(retain_graph=True)
    handle.remove()
    y.sum().backward()
    return x.grad.tolist(), seen


def test_tensor_hooks_replace_gradients_and_run_after_accumulation_as_torch():
    # dy/dx = 2x: first (1 + 1) 2x doubled = 8x, then 2x doubled = 4x, accumulated: 12x
    assert _hooked_backward(manual) == _hooked_backward(torch)
    assert _hooked_backward(manual)[0] == [12.0, 24.0, 36.0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2).register_hook(lambda g: g),
    lambda lib: lib.ones(2).register_post_accumulate_grad_hook(lambda t: None),
    lambda lib: (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(
        lambda t: None),
], ids=["hook-no-grad", "post-hook-no-grad", "post-hook-non-leaf"])
def test_hooks_are_refused_as_torch(call):
    assert _raised(call, manual) == _raised(call, torch)


def test_detach_in_place_cuts_the_graph_as_torch():
    got = []
    for lib in LIBS:
        y = lib.ones(2, requires_grad=True) * 3
        assert y.detach_() is y
        got.append((y.requires_grad, y.grad_fn is None, y.is_leaf))
    assert got[0] == got[1] == (False, True, True)


# -- the legacy constructor, a tensor as an index, casts ---------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.Tensor(3), lambda lib: lib.Tensor([1, 2]), lambda lib: lib.Tensor((2, 3)),
    lambda lib: lib.Tensor([[1, 2], [3, 4]]), lambda lib: lib.Tensor(lib.zeros(2, 3).shape),
    lambda lib: lib.Tensor(()),
], ids=["size", "list", "tuple-data", "nested", "torch-size", "empty-tuple"])
def test_the_legacy_constructor_reads_sizes_and_data_as_torch(make, request):
    """An int or a torch.Size gives float32 of that shape (torch's memory is not set; manual's
    zeros); a list or tuple is data."""
    made = [make(lib) for lib in LIBS]
    sizes = request.node.callspec.id in ("size", "torch-size")
    shapes = [(tuple(t.shape), str(t.dtype).replace("torch.", "")) for t in made]
    assert shapes[0] == shapes[1]
    if sizes:
        assert not made[0].array.any()
    else:
        assert _bits(made[0]) == _bits(made[1])


def test_a_numpy_scalar_keeps_its_dtype_in_the_legacy_constructor():
    """Inside the engine a NumPy scalar becomes a 0-d tensor of its own dtype (not float32)."""
    t = manual.Tensor(np.float64(2.5))
    assert (t.shape, t.dtype, t.item()) == ((), np.float64, 2.5)


@pytest.mark.parametrize("index", [
    lambda lib: lib.tensor(2), lambda lib: lib.tensor([2]), lambda lib: lib.tensor(True),
    lambda lib: lib.tensor(2, dtype=lib.uint8), lambda lib: lib.tensor(2.0),
    lambda lib: lib.tensor([1, 2]), lambda lib: lib.tensor([], dtype=lib.int64),
], ids=["int", "one-element", "bool", "uint8", "float", "two-elements", "empty"])
def test_a_tensor_as_a_python_index_as_torch(index):
    def pick(lib):
        return [10, 20, 30][index(lib)]

    outcomes = []
    for lib in LIBS:
        try:
            outcomes.append(pick(lib))
        except TypeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


def test_casts_and_in_place_clamp_as_torch():
    got = []
    for lib in LIBS:
        t = lib.tensor([-2.0, -0.5, 0.5, 2.0])
        both = t.clone().clamp_(-1.0, 1.0)
        high = t.clone().clamp_(max=0.0)
        got.append((_bits(t.double()), _bits(both), _bits(high)))
    assert got[0] == got[1]


def test_normal_fills_with_its_defaults_and_a_strided_tensor_one_at_a_time_as_torch():
    got = []
    for lib in LIBS:
        lib.manual_seed(7)
        plain = lib.zeros(40).normal_()
        strided = lib.zeros(8, 4).t().normal_(1.0, 2.0)  # not contiguous: one at a time
        got.append((_bits(plain), _bits(strided.contiguous())))
    assert got[0] == got[1]
    manual.manual_seed(7)
    assert _bits(manual.zeros(40).normal_(0.0, 1.0)) == got[0][0]


def test_a_norm_manual_does_not_compute_is_named_in_torchs_words():
    with pytest.raises(NotInManualError) as caught:
        manual.ones(3).norm(p=3)
    assert caught.value.torch_name == "norm(p=3)"
    assert str(caught.value) == ('norm(p=3) is not in manual yet: manual computes the norms of '
                                 'order 2 ("fro"), 1 and inf')


@pytest.mark.parametrize("dim", [(0, 1, 2), [0, 1, 2, 0], (0, 1), (0,)])
def test_a_frobenius_norm_over_dims_as_torch(dim):
    def norm(lib):
        return lib.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 2, 2)).norm(p="fro",
                                                                                dim=dim)

    outcomes = []
    for lib in LIBS:
        try:
            outcomes.append(np.asarray(norm(lib)).tolist())
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]
    if len(dim) > 2:
        assert outcomes[0] == "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(
            map(str, dim))


# -- assigning .grad, writing in place into a leaf ----------------------------------------------

def _assign_grad(value):
    def assign(lib):
        t = lib.ones(2, requires_grad=True)
        t.grad = value(lib)
    return assign


@pytest.mark.parametrize("call", [
    _assign_grad(lambda lib: 5), _assign_grad(lambda lib: [1.0, 2.0]),
    _assign_grad(lambda lib: lib.zeros(3)), _assign_grad(lambda lib: lib.zeros(2, 1)),
    _assign_grad(lambda lib: lib.zeros(2, dtype=lib.float64)),
    _assign_grad(lambda lib: lib.zeros(2, dtype=lib.int64)),
    _assign_grad(lambda lib: lib.zeros(2, dtype=lib.bool)),
    _assign_grad(lambda lib: lib.zeros(2, dtype=lib.int32)),
], ids=["int", "list", "size", "rank", "float64", "int64", "bool", "int32"])
def test_assigning_a_wrong_grad_is_refused_in_torchs_words(call):
    assert _raised(call, manual) == _raised(call, torch)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, requires_grad=True).zero_(),
    lambda lib: lib.ones(2, requires_grad=True).fill_(1.0),
    lambda lib: lib.ones(2, requires_grad=True).uniform_(),
    lambda lib: lib.ones(2, requires_grad=True).normal_(),
    lambda lib: lib.ones(2, requires_grad=True).mul_(2),
    lambda lib: lib.ones(3, requires_grad=True)[:2].zero_(),
    lambda lib: lib.ones(3, requires_grad=True)[:2].mul_(2),
], ids=["zero_", "fill_", "uniform_", "normal_", "mul_", "view-zero_", "view-mul_"])
def test_writing_in_place_into_a_leaf_or_its_view_is_refused_as_torch(call):
    assert _raised(call, manual) == _raised(call, torch)


def test_a_recorded_write_into_a_view_of_a_plain_tensor_is_refused_in_manuals_words():
    """torch rebases the viewed tensor's history; manual records the tensor written only, so
    it refuses, and says what to write instead."""
    from manual._parity.engine import GRAPH_IN_PLACE

    def write(lib):
        lib.ones(3)[:2].mul_(lib.ones(2, requires_grad=True))

    write(torch)
    assert _raised(write, manual) == (RuntimeError, GRAPH_IN_PLACE)


# -- optimizer step hooks ---------------------------------------------------------------------

def _step_hooks(lib):
    """An optimizer written by a user (its own step) and one that inherits SGD's step: each
    step runs between the optimizer's own hooks, a pre-hook may replace the arguments."""
    calls = []

    class Recorder(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            calls.append(("step", closure))

    class PlainSGD(lib.optim.SGD):
        pass

    w = lib.nn.Parameter(lib.ones(2))
    w.grad = lib.ones(2)
    opt = Recorder([w])
    pre = opt.register_step_pre_hook(
        lambda o, args, kwargs: calls.append(("pre", args == (o,), dict(kwargs))) or ((o,), {
            "closure": "replaced"}))
    post = opt.register_step_post_hook(
        lambda o, args, kwargs: calls.append(("post", args == (o,), dict(kwargs))))
    opt.step(closure="given")
    pre.remove()
    post.remove()
    opt.step()
    sgd = PlainSGD([w], lr=0.5)
    sgd.register_step_pre_hook(lambda o, args, kwargs: calls.append("sgd pre"))
    sgd.register_step_post_hook(lambda o, args, kwargs: calls.append("sgd post"))
    sgd.step()
    return calls, w.detach().tolist()


def _hook_order(lib):
    calls = []

    class Recorder(lib.optim.Optimizer):
        def step(self, closure=None):
            calls.append("step")

    class PlainSGD(lib.optim.SGD):
        pass

    w = lib.nn.Parameter(lib.ones(2))
    w.grad = lib.ones(2)
    for opt in (Recorder([w], {"lr": 0.5}), PlainSGD([w], lr=0.5)):
        opt.register_step_pre_hook(lambda *_: calls.append("pre"))
        opt.register_step_post_hook(lambda *_: calls.append("post"))
        opt.step()
    return calls, w.detach().tolist()


def test_a_user_optimizers_step_and_an_inherited_one_run_between_hooks_as_torch():
    assert _hook_order(manual) == _hook_order(torch) == (["pre", "step", "post", "pre", "post"],
                                                          [0.5, 0.5])


def test_an_optimizers_step_runs_between_its_hooks_as_torch():
    assert _step_hooks(manual) == _step_hooks(torch)
    # the hooks see step's arguments, the optimizer first; a pre-hook's (args, kwargs) replace
    assert _step_hooks(manual)[0][:3] == [("pre", True, {"closure": "given"}),
                                          ("step", "replaced"), ("post", True, {
                                              "closure": "replaced"})]


# -- the initialisers with their own generator, and their defaults -----------------------------

@pytest.mark.parametrize(("name", "options"), [
    ("normal_", {"mean": 0.5, "std": 2.0}), ("uniform_", {"a": -1.0, "b": 0.5}),
    ("xavier_uniform_", {"gain": 1.5}), ("xavier_normal_", {}), ("xavier_normal_", {"gain": 3.0}),
    ("kaiming_normal_", {}), ("kaiming_uniform_", {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
], ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initialisers_draw_from_the_generator_given_to_the_bit_as_torch(name, options, dtype):
    got = []
    for lib in LIBS:
        lib.manual_seed(1)  # the global generator is not the one drawn from
        generator = lib.Generator().manual_seed(42)
        t = lib.zeros(5, 7, dtype=getattr(lib, dtype))
        assert getattr(lib.nn.init, name)(t, generator=generator, **options) is t
        got.append((_bits(t), _bits(lib.rand(2))))
    assert got[0] == got[1]


@pytest.mark.parametrize("name", ["xavier_normal_", "kaiming_normal_"])
def test_initialisers_with_their_defaults_to_the_bit_as_torch(name):
    got = []
    for lib in LIBS:
        lib.manual_seed(3)
        got.append(_bits(getattr(lib.nn.init, name)(lib.zeros(6, 4, 3))))
    assert got[0] == got[1]


# -- devices and the machine without a GPU ----------------------------------------------------

def test_a_device_equals_no_string_as_torch():
    for lib in LIBS:
        assert not (lib.device("cpu") == "cpu") and lib.device("cuda:1") != "cuda:1"


def test_devices_compare_hash_and_print_as_torch():
    for lib in LIBS:
        cpu, cuda1 = lib.device("cpu"), lib.device("cuda:1")
        assert cpu == lib.device("cpu") and cuda1 == lib.device("cuda", 1)
        assert cpu != cuda1 and cuda1 != lib.device("cuda") and not (cpu == 5)
        assert len({cpu, lib.device("cpu"), cuda1, lib.device("cuda", 1), lib.device("cuda")}) == 3
        assert hash(cuda1) == hash(lib.device("cuda", 1)) != hash(lib.device("cuda", 2))
    for make in (lambda lib: lib.device("cpu"), lambda lib: lib.device("cuda", 2),
                 lambda lib: lib.device("cuda:0"), lambda lib: lib.device(lib.device("mps"))):
        assert [(str(make(lib)), repr(make(lib))) for lib in LIBS][0] == [
            (str(make(lib)), repr(make(lib))) for lib in LIBS][1]


def test_a_device_given_nothing_is_the_cpu():
    """manual's default (torch's device takes no default): the one device manual has."""
    assert manual.device() == manual.device("cpu") and str(manual.device()) == "cpu"


def test_the_machine_manual_runs_on_has_no_accelerator():
    """As torch's CPU build answers, and so on every machine for manual."""
    answers = (manual.cuda.is_available(), manual.cuda.device_count(),
               manual.accelerator.is_available(), manual.accelerator.current_accelerator(),
               manual.accelerator.device_count(), manual.backends.mps.is_available(),
               manual.backends.mps.is_built(), manual.backends.cudnn.is_available())
    assert answers == (False, 0, False, None, 0, False, False, False)
    if not torch.cuda.is_available():
        assert answers == (torch.cuda.is_available(), torch.cuda.device_count(),
                           torch.accelerator.is_available(),
                           torch.accelerator.current_accelerator(),
                           torch.accelerator.device_count(), torch.backends.mps.is_available(),
                           torch.backends.mps.is_built(), torch.backends.cudnn.is_available())


# -- Dataset and random_split -----------------------------------------------------------------

def test_a_dataset_without_getitem_is_refused_in_torchs_words():
    assert _raised(lambda: manual.utils.data.Dataset()[0]) == _raised(
        lambda: torch.utils.data.Dataset()[0])


@pytest.mark.parametrize("lengths", [[0.3, 0.3], [0.5, 0.5000000001], [0.0, 1.0], [0, 1.0],
                                     [1.0, 0.0, 0.0], [-0.5, 1.5]])
def test_random_split_at_the_edges_of_fractions_as_torch(lengths):
    outcomes = []
    for lib in LIBS:
        data = lib.utils.data.TensorDataset(lib.arange(5))
        generator = lib.Generator().manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                splits = lib.utils.data.random_split(data, lengths, generator=generator)
                outcome = [list(s.indices) for s in splits]
            except ValueError as e:
                outcome = str(e)
        outcomes.append((outcome, [(w.category, str(w.message)) for w in caught]))
    assert outcomes[0] == outcomes[1]


def test_random_splits_empty_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0") as caught:
        manual.utils.data.random_split(manual.utils.data.TensorDataset(manual.arange(3)),
                                       [1.0, 0.0])
    assert _names_the_caller(caught[0].filename, "manual/_parity/dataset.py")


# -- clip_grad ---------------------------------------------------------------------------------

def _grads(lib, values, dtype="float32"):
    params = []
    for v in values:
        p = lib.nn.Parameter(lib.zeros(len(v), dtype=getattr(lib, dtype)))
        p.grad = lib.tensor(v, dtype=getattr(lib, dtype))
        params.append(p)
    return params


@pytest.mark.parametrize("form", ["list", "generator", "tensor", "empty-list"])
def test_clip_grad_norm_warns_only_for_an_empty_generator_as_torch(form):
    got = []
    for lib in LIBS:
        params = _grads(lib, [[3.0, 4.0]])
        given = {"list": params, "generator": (p for p in params), "tensor": params[0],
                 "empty-list": []}[form]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            total = lib.nn.utils.clip_grad_norm_(given, 1.0)
        got.append((_bits(total), [(w.category, str(w.message)) for w in caught]))
    assert got[0] == got[1]
    assert got[0][1] == []


def test_the_empty_generator_warning_is_torchs_and_points_at_the_caller():
    got = []
    for lib in LIBS:
        with pytest.warns(UserWarning) as caught:
            total = lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        got.append((_bits(total), str(caught[0].message)))
        assert _names_the_caller(caught[0].filename, "manual/_parity/clip_grad.py") or lib is torch
    assert got[0] == got[1]


def test_clip_grad_value_of_an_empty_generator_is_refused_without_a_warning_as_torch():
    got = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got.append((_raised(lib.nn.utils.clip_grad_value_, (p for p in []), 1.0),
                        len(caught)))
    assert got[0] == got[1]


@pytest.mark.parametrize("n", [12, 13, 14, 15, 20, 21, 22, 23])
def test_the_two_norms_tail_rounds_as_torchs_kernel(n):
    """float32: of the n mod 8 last squares, the first ones rounded and the last (n mod 8) mod 4
    fused; many draws, so that rounded and fused differ in some."""
    rng = np.random.default_rng(n)
    draws = rng.standard_normal((60, n)).astype(np.float32) * np.float32(1.7)
    got = [[_bits(lib.nn.utils.clip_grad_norm_(_grads(lib, [d]), 1e9)) for d in draws]
           for lib in LIBS]
    assert got[0] == got[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_huge_max_norm_over_zero_gradients_scales_by_one_silently_as_torch(dtype):
    """max_norm / (0 + 1e-6) overflows to inf; min(inf, 1) is 1; no warning, as torch."""
    max_norm = 1e38 if dtype == "float32" else 1e308
    got = []
    for lib in LIBS:
        params = _grads(lib, [[0.0, -0.0, 0.0]], dtype)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm)
        got.append((_bits(total), _bits(params[0].grad)))
    assert got[0] == got[1]


def test_a_nan_norm_turns_every_gradient_nan_as_torch():
    got = []
    for lib in LIBS:
        params = _grads(lib, [[math.nan, 1.0], [2.0, 3.0]])
        total = lib.nn.utils.clip_grad_norm_(params, 1.0)
        got.append((_bits(total), [_bits(p.grad) for p in params]))
    assert got[0] == got[1]
