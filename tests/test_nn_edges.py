"""Edges of embedding, batch_norm, layer_norm, linear and nll_loss against torch: refusals in
torch's words and order, the paths torch takes for rare shapes and dtypes, and the sums
whose order shows in the last bit (manual/_parity/ holds each of them).

Each refusal runs on both libraries: the same exception class, and manual's message is
torch's, followed (where given) by the values manual adds. Values compare to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import manual
from manual._parity import embedding as embedding_parity
from reference.convert import to_numpy

LIBS = (manual, torch)


def F(lib: Any) -> Any:  # noqa: N802 (torch.nn.functional, or manual's)
    return lib.nn.functional


def _raised(call: Callable[[Any], Any], lib: Any) -> BaseException:
    with pytest.raises(Exception) as raised:  # noqa: PT011 (compared with torch's below)
        call(lib)
    return raised.value


def refused_alike(call: Callable[[Any], Any], added: str | None = None) -> str:
    """Both refuse with one class; manual's message is torch's, then ``added`` if given."""
    m, t = _raised(call, manual), _raised(call, torch)
    assert type(m) is type(t), (m, t)
    assert str(m).startswith(str(t)), (str(m), str(t))
    if added is not None:
        assert str(m) == str(t) + added
    return str(m)


def same_bits(label: str, m: Any, t: Any) -> None:
    m, t = to_numpy(m), to_numpy(t)
    assert (m.shape, m.dtype) == (t.shape, t.dtype), (label, m.shape, t.shape, m.dtype, t.dtype)
    assert m.tobytes() == t.tobytes(), (label, m, t)


def both(call: Callable[[Any], Any]) -> tuple[Any, Any]:
    return call(manual), call(torch)


def node(y: Any) -> str:
    return y.grad_fn.name()


# -- embedding: refusals --------------------------------------------------------------------

EMBEDDING_REFUSALS = {
    "padding_idx 1 of 1 row": (
        lambda lib: F(lib).embedding(lib.tensor([0]), lib.ones(1, 2), padding_idx=1),
        ": padding_idx=1, num_embeddings=1"),
    "index out of range, 2-d indices": (
        lambda lib: F(lib).embedding(lib.tensor([[0, 1], [5, 2]]), lib.ones(4, 2)),
        ": indices hold 5, weight has 4 rows"),
    "max_norm with a 1-d weight": (
        lambda lib: F(lib).embedding(lib.tensor([0]), lib.ones(3), max_norm=1.0), ""),
    "bool indices": (lambda lib: F(lib).embedding(lib.tensor([True]), lib.ones(3, 2)), ""),
    "float indices": (lambda lib: F(lib).embedding(lib.tensor([1.0]), lib.ones(3, 2)), ""),
    "bool indices, max_norm": (
        lambda lib: F(lib).embedding(lib.tensor([True]), lib.ones(3, 2), max_norm=1.0), ""),
    "int16 indices, max_norm": (
        lambda lib: F(lib).embedding(lib.tensor([1], dtype=lib.int16), lib.ones(3, 2),
                                     max_norm=1.0), ""),
    "norm_type a string": (
        lambda lib: F(lib).embedding(lib.tensor([0]), lib.ones(3, 2), max_norm=1.0,
                                     norm_type="2"), ""),
    "max_norm a string": (
        lambda lib: F(lib).embedding(lib.tensor([0]), lib.ones(3, 2), max_norm="1"), ""),
    "weight a list": (lambda lib: F(lib).embedding(lib.tensor([0]), [[1.0]]), ""),
    "weight an array": (lambda lib: F(lib).embedding(lib.tensor([0]), np.ones((2, 2))), ""),
    "renorm index -4 of 3": (
        lambda lib: F(lib).embedding(lib.tensor([-4, 0]), lib.ones(3, 5), max_norm=1.0), ""),
    "renorm index 3 of 3": (
        lambda lib: F(lib).embedding(lib.tensor([3, 0]), lib.ones(3, 5), max_norm=1.0), ""),
    "renorm index -3 of 3, then the lookup": (
        lambda lib: F(lib).embedding(lib.tensor([-3, 0]), lib.ones(3, 2), max_norm=1.0),
        ": indices hold -3, weight has 3 rows"),
    "backward twice": (
        lambda lib: _backward_twice(lib, lambda w: F(lib).embedding(lib.tensor([0, 1]), w)),
        ""),
}


def _backward_twice(lib: Any, op: Callable[[Any], Any]) -> None:
    w = lib.ones(3, 2, requires_grad=True)
    y = op(w)
    y.backward(lib.ones(y.shape))
    y.backward(lib.ones(y.shape))


def _indices_changed(lib: Any) -> None:
    w, i = lib.ones(3, 2, requires_grad=True), lib.tensor([0, 1])
    y = F(lib).embedding(i, w)
    i.fill_(2)
    y.backward(lib.ones(2, 2))


@pytest.mark.parametrize("name", sorted(EMBEDDING_REFUSALS))
def test_embedding_refused_as_torch(name):
    call, added = EMBEDDING_REFUSALS[name]
    refused_alike(call, added)


def test_embedding_refusals_of_the_engine_as_torch():
    # the engine's words (manual/_parity/engine.py): the class and torch's first words
    for call, words in ((_indices_changed, "one of the variables needed for gradient "
                         "computation has been modified by an inplace operation"),
                        (lambda lib: lib.nn.Embedding(3, 2, device="cuda"),
                         "Torch not compiled with CUDA enabled")):
        m, t = _raised(call, manual), _raised(call, torch)
        assert type(m) is type(t)
        assert str(m).startswith(words) and str(t).startswith(words)


def test_renorm_scales_the_rows_before_the_refused_index_as_torch():
    # -3 names row 0 for select (scaled), then the lookup refuses it: W is left scaled
    ws = []
    for lib in LIBS:
        w = lib.tensor([[3.0, 4.0], [6.0, 8.0], [1.0, 0.0]])
        with pytest.raises(IndexError):
            F(lib).embedding(lib.tensor([-3, 1]), w, max_norm=2.0)
        ws.append(w)
    same_bits("weight", *ws)


def test_sparse_gradient_refused_in_manuals_words():
    w = manual.ones(3, 2, requires_grad=True)
    with pytest.raises(NotImplementedError) as raised:
        F(manual).embedding(manual.tensor([0]), w, sparse=True)
    assert str(raised.value) == (
        "embedding(sparse=True) is not in manual yet: torch's gradient of weight is then a "
        "sparse tensor, and manual has no sparse tensors; sparse=False gives the same "
        "gradient, dense")
    assert raised.value.torch_name == "embedding(sparse=True)"


# -- embedding: max_norm's norms and the saved graph ------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_norm_sums_in_torchs_lanes(dtype):
    # every length up to 40 (full lane blocks, tails of each size) and magnitudes whose sums
    # round: torch's row.norm(), which embedding_renorm_ takes, to the bit
    rng = np.random.default_rng(7)
    for n in range(41):
        for scale in (1.0, 1e3, 3e-2):
            row = (rng.standard_normal(n) * scale).astype(dtype)
            expected = torch.tensor(row).norm(2).item()
            assert embedding_parity.vector_norm(row, 2.0) == expected, (n, scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_norm_rows_of_every_length_as_torch(dtype):
    rng = np.random.default_rng(11)
    for d in (3, 5, 7, 9, 12, 13, 15, 17, 21, 30):
        w = (rng.standard_normal((6, d)) * 3).astype(dtype)
        i = np.int64([[5, 0, 2], [2, 3, 5]])
        ws = [lib.tensor(w.copy()) for lib in LIBS]
        ys = [F(lib).embedding(lib.tensor(i), wt, max_norm=1.5) for lib, wt in zip(LIBS, ws)]
        same_bits(f"weight d={d}", *ws)
        same_bits(f"y d={d}", *ys)


def test_max_norm_of_a_row_that_overflows_with_p3():
    # |x|^3 overflows: C's pow gives inf, so the row is scaled by max_norm / inf = 0
    def call(lib):
        w = lib.tensor([[1e200, 1e200], [1.0, 2.0], [1e110, 1.0]], dtype=lib.float64)
        F(lib).embedding(lib.tensor([0, 1, 2]), w, max_norm=1.0, norm_type=3.0)
        return w

    same_bits("weight", *both(call))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_norm_at_exactly_the_norm_leaves_the_row(dtype):
    # r = max_norm is not over it: rows of norm exactly max_norm keep their bits (scaled,
    # by max_norm / (r + 1e-7), they would not)
    def call(lib):
        w = lib.tensor([[3.0, 4.0], [0.0, 0.5], [0.6, 0.8]], dtype=getattr(lib, dtype))
        F(lib).embedding(lib.tensor([0]), w, max_norm=5.0)
        F(lib).embedding(lib.tensor([1]), w, max_norm=0.5)
        F(lib).embedding(lib.tensor([1, 2]), w, max_norm=1.0, norm_type=1.4)
        return w

    same_bits("weight", *both(call))


def test_scale_grad_by_freq_adds_in_order():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((5, 3)).astype(np.float32)
    i = np.int64([4, 1, 4, 4, 0, 1, 4])
    dy = rng.standard_normal((7, 3)).astype(np.float32)
    grads = []
    for lib in LIBS:
        wt = lib.tensor(w, requires_grad=True)
        F(lib).embedding(lib.tensor(i), wt, padding_idx=1, scale_grad_by_freq=True).backward(
            lib.tensor(dy))
        grads.append(wt.grad)
    same_bits("weight.grad", *grads)


# -- Embedding -------------------------------------------------------------------------------

def test_from_pretrained_defaults_and_options_as_torch():
    w = np.float32([[3.0, 4.0], [1.0, 1.0], [0.3, 0.4]])
    ms = []
    for lib in LIBS:
        frozen = lib.nn.Embedding.from_pretrained(lib.tensor(w))
        assert frozen.weight.requires_grad is False
        m = lib.nn.Embedding.from_pretrained(lib.tensor(w), freeze=False, max_norm=1.0,
                                             scale_grad_by_freq=True, sparse=True)
        ms.append(m)
    assert repr(ms[0]) == repr(ms[1])
    assert ms[0].sparse is ms[1].sparse is True
    for m, lib in zip(ms, LIBS):
        m.sparse = False                                  # manual has no sparse gradients
        m(lib.tensor([0, 0, 2])).sum().backward()
    same_bits("weight", ms[0].weight, ms[1].weight)      # row 0 renormed
    same_bits("weight.grad", ms[0].weight.grad, ms[1].weight.grad)   # scaled by 1 / 2


def test_embedding_module_on_cpu_as_torch():
    for lib in LIBS:
        lib.manual_seed(0)
    m, t = both(lambda lib: lib.nn.Embedding(3, 2, device="cpu"))
    assert str(m.weight.device) == str(t.weight.device) == "cpu"
    same_bits("weight", m.weight, t.weight)


# -- batch_norm -------------------------------------------------------------------------------

def _bn(lib: Any, x: Any, *parameters: str, training: bool) -> Any:
    """batch_norm with running_mean, running_var, weight, bias of the named dtypes."""
    rm, rv, w, b = (lib.ones(3, dtype=getattr(lib, d)) if d != "-" else None
                    for d in parameters)
    return F(lib).batch_norm(x, rm, rv, w, b, training=training)


def _x(lib: Any) -> Any:
    return lib.arange(6.0).reshape(2, 3)


BATCH_NORM_REFUSALS = {
    # the kernel reads running_mean, running_var, weight, bias in training; weight, bias,
    # running_mean, running_var in eval: which of two wrong dtypes is named first
    "training: running_mean before bias": (
        lambda lib: _bn(lib, _x(lib), "float64", "float32", "float32", "float64",
                        training=True), ": input float32, running_mean float64"),
    "eval: bias before running_mean": (
        lambda lib: _bn(lib, _x(lib), "float64", "float32", "float32", "float64",
                        training=False), ": input float32, bias float64"),
    "training: running_var": (
        lambda lib: _bn(lib, _x(lib), "float32", "float64", "float32", "float32",
                        training=True), ": input float32, running_var float64"),
    "eval: running_var": (
        lambda lib: _bn(lib, _x(lib), "float32", "float64", "float32", "float32",
                        training=False), ": input float32, running_var float64"),
    "eval: running_mean": (
        lambda lib: _bn(lib, _x(lib), "float64", "float32", "float32", "float32",
                        training=False), ": input float32, running_mean float64"),
    "training: 2-d running_var": (
        lambda lib: F(lib).batch_norm(_x(lib), lib.ones(3), lib.ones(1, 3), training=True),
        ": running_var of size [1, 3]"),
    "eval: 2-d running_mean": (
        lambda lib: F(lib).batch_norm(_x(lib), lib.ones(1, 3), lib.ones(3), training=False),
        ": running_mean of size [1, 3]"),
    "eval: 2-d running_var": (
        lambda lib: F(lib).batch_norm(_x(lib), lib.ones(3), lib.ones(1, 3), training=False),
        ": running_var of size [1, 3]"),
    "eval: 1-d input, dim 1 read": (
        lambda lib: F(lib).batch_norm(lib.ones(3), lib.ones(0), lib.ones(0), training=False),
        ": input of size [3]"),
    "eval: 1-d input has 0 channels": (
        lambda lib: F(lib).batch_norm(lib.ones(3), lib.ones(1), lib.ones(1), training=False),
        ""),
    "eval: 0-d input": (
        lambda lib: F(lib).batch_norm(lib.tensor(1.0), lib.ones(0), lib.ones(0),
                                      training=False), ": input of size []"),
    "training: 0-d input": (
        lambda lib: F(lib).batch_norm(lib.tensor(1.0), None, None, training=True),
        ": input of size []"),
    "eval: running_var None in the module": (lambda lib: _one_buffer(lib), ""),
}


def _one_buffer(lib: Any) -> Any:
    bn = lib.nn.BatchNorm1d(3)
    bn.running_var = None
    bn.eval()
    return bn(_x(lib))


@pytest.mark.parametrize("name", sorted(BATCH_NORM_REFUSALS))
def test_batch_norm_refused_as_torch(name):
    call, added = BATCH_NORM_REFUSALS[name]
    refused_alike(call, added)


def test_batch_norm_reads_any_shape_of_c_weights():
    def call(lib):
        w = lib.tensor([[1.5], [2.0], [-1.0]])
        return F(lib).batch_norm(_x(lib) ** 2, None, None, w, w * 3, training=True)

    same_bits("y", *both(call))


def test_batch_norm_empty_batch_is_x_times_w_plus_b():
    def call(lib):
        w = lib.full((3,), 2.0, requires_grad=True)
        b = lib.full((3,), 5.0, requires_grad=True)
        return F(lib).batch_norm(lib.ones(0, 3), None, None, w, b, training=True)

    m, t = both(call)
    assert node(m) == node(t) == "AddBackward0"
    same_bits("y", m, t)


def _bn_run(lib: Any, x: np.ndarray, dy: np.ndarray, training: bool) -> dict[str, Any]:
    c = x.shape[1]
    rng = np.random.default_rng(c)
    w, b = (lib.tensor(rng.standard_normal(c).astype(x.dtype), requires_grad=True)
            for _ in range(2))
    rm = lib.tensor(rng.standard_normal(c).astype(x.dtype))
    rv = lib.tensor(rng.uniform(0.5, 2, c).astype(x.dtype))
    xt = lib.tensor(x, requires_grad=True)
    y = F(lib).batch_norm(xt, rm, rv, w, b, training=training, momentum=0.3)
    y.backward(lib.tensor(dy))
    return {"y": y, "dx": xt.grad, "dw": w.grad, "db": b.grad, "rm": rm, "rv": rv}


@pytest.mark.parametrize(("shape", "dtype"), [
    ((5, 3, 6), np.float64), ((4, 2, 3, 4), np.float64),   # even L: squares summed plainly
    ((64, 3, 8), np.float64), ((96, 2, 2), np.float64),
    ((9, 11), np.float32), ((7, 13, 1), np.float64),       # L = 1, channels past the vectors
    ((6, 5, 2), np.float32), ((6, 5, 2), np.float64),      # L = 2
], ids=str)
def test_batch_norm_rounds_as_torch(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 7).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    for training in (True, False):
        m, t = _bn_run(manual, x, dy, training), _bn_run(torch, x, dy, training)
        for label in t:
            same_bits(f"{label} training={training}", m[label], t[label])


def test_batch_norm_module_state_as_torch():
    m, t = both(lambda lib: lib.nn.BatchNorm1d(3).state_dict())
    assert list(m) == list(t)
    for key in t:
        same_bits(key, m[key], t[key])


def test_untracked_batch_norm_with_buffers_set_by_hand():
    # track_running_stats=False: training ignores buffers set by hand (and leaves them),
    # eval normalises with them
    def call(lib):
        bn = lib.nn.BatchNorm1d(3, track_running_stats=False)
        bn.running_mean, bn.running_var = lib.full((3,), 0.5), lib.full((3,), 2.0)
        y = bn(_x(lib))
        kept = (bn.running_mean.clone(), bn.running_var.clone())
        bn.eval()
        return y, *kept, bn(_x(lib))

    for label, m, t in zip(("y train", "running_mean", "running_var", "y eval"), *both(call)):
        same_bits(label, m, t)


# -- layer_norm -------------------------------------------------------------------------------

def test_layer_norm_shape_refusal_names_every_dim():
    refused_alike(lambda lib: F(lib).layer_norm(lib.ones(4, 3), (2, 3)), "")


@pytest.mark.parametrize(("dtype", "size"), [
    (np.float32, 300), (np.float32, 552), (np.float64, 150), (np.float64, 276)], ids=str)
def test_layer_norm_merges_chunks_as_torch(dtype, size):
    # 3 and 5 chunks of 16 vectors: torch's cascade merges them in its own order
    rng = np.random.default_rng(size)
    x = (rng.standard_normal((64, size)) * 5 + 40).astype(dtype)

    def call(lib):
        return F(lib).layer_norm(lib.tensor(x), (size,))

    same_bits("y", *both(call))


def test_layer_norm_of_no_rows_has_zero_gradients():
    def call(lib):
        w = lib.ones(4, dtype=lib.float64, requires_grad=True)
        b = lib.zeros(4, dtype=lib.float64, requires_grad=True)
        y = F(lib).layer_norm(lib.ones(0, 4, dtype=lib.float64), (4,), w, b)
        y.sum().backward()
        return y, w.grad, b.grad

    for label, m, t in zip(("y", "dw", "db"), *both(call)):
        same_bits(label, m, t)


def test_layer_norm_without_weight_keeps_the_dtype():
    x = np.float32([[1.5, 2.25, -3.0], [3.0, -1.0, 0.125]])
    same_bits("y", *both(lambda lib: F(lib).layer_norm(lib.tensor(x), (3,))))


# -- linear -----------------------------------------------------------------------------------

LINEAR_REFUSALS = {
    "bool product": (
        lambda lib: F(lib).linear(lib.ones(2, 3, dtype=lib.bool), lib.ones(4, 3, dtype=lib.bool)),
        ": input of size [2, 3], weight of size [4, 3]"),
    "1-d weight, 3-d input, sizes": (
        lambda lib: F(lib).linear(lib.ones(2, 3, 4), lib.ones(5)),
        ": input of size [2, 3, 4], weight of size [5]"),
    "1-d weight, 2-d input, sizes": (
        lambda lib: F(lib).linear(lib.ones(6, 4), lib.ones(3)),
        ": input of size [6, 4], weight of size [3]"),
    "bias off the fused path that does not broadcast": (
        lambda lib: F(lib).linear(lib.ones(2, 3, 4), lib.ones(5, 4), lib.ones(2, 5)),
        ": bias of size [2, 5], output of size [2, 3, 5]"),
}


@pytest.mark.parametrize("name", sorted(LINEAR_REFUSALS))
def test_linear_refused_as_torch(name):
    call, added = LINEAR_REFUSALS[name]
    refused_alike(call, added)


def test_linear_adds_an_integer_bias_in_integers():
    # off the fused path (a 2-d b for a 3-d x), y.add_(b) in int64: no float rounding
    def call(lib):
        x = lib.tensor([[[1, 0], [0, 1]], [[1, 1], [0, 0]]])
        b = lib.tensor([[2**60 + 1, 3], [5, 2**61 + 7]])
        return F(lib).linear(x, lib.tensor([[1, 0], [0, 1]]), b)

    same_bits("y", *both(call))


# -- nll_loss ---------------------------------------------------------------------------------

def _nll_3d(lib: Any, **options: Any) -> Any:
    return F(lib).nll_loss(lib.zeros(2, 3, 4), lib.zeros(2, 4, dtype=lib.int64), **options)


NLL_REFUSALS = {
    "spatial weight requiring grad": (
        lambda lib: _nll_3d(lib, weight=lib.ones(3, requires_grad=True)), " (weight of size [3])"),
    "3-d input, 0-d target": (
        lambda lib: F(lib).nll_loss(lib.zeros(0, 3, 4), lib.tensor(1)), ": target of size []"),
    "2-d input, 0-d target": (
        lambda lib: F(lib).nll_loss(lib.zeros(0, 3), lib.tensor(1)), ": target of size []"),
    "integer spatial input": (
        lambda lib: F(lib).nll_loss(lib.zeros(2, 3, 4, dtype=lib.int64),
                                    lib.zeros(2, 4, dtype=lib.int64)), ": input of dtype int64"),
    "float32 weight for float64 input": (
        lambda lib: F(lib).nll_loss(lib.zeros(2, 3, dtype=lib.float64),
                                    lib.zeros(2, dtype=lib.int64), weight=lib.ones(3)),
        ": input of dtype float64, weight of dtype float32"),
    "spatial class C": (
        lambda lib: F(lib).nll_loss(lib.zeros(2, 3, 4), lib.full((2, 4), 3, dtype=lib.int64)),
        ""),
    "class C": (lambda lib: F(lib).nll_loss(lib.zeros(2, 3), lib.tensor([0, 3])), ""),
    "backward of a (2,) input with a (1,) target": (
        lambda lib: F(lib).nll_loss(lib.zeros(2, requires_grad=True),
                                    lib.tensor([1])).backward(), ""),
}


@pytest.mark.parametrize("name", sorted(NLL_REFUSALS))
def test_nll_loss_refused_as_torch(name):
    call, added = NLL_REFUSALS[name]
    refused_alike(call, added)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 2, 2)], ids=str)
def test_nll_loss_spatial_shapes_nodes_and_gradients(shape):
    def call(lib):
        x = lib.tensor(np.arange(math.prod(shape), dtype=np.float32).reshape(shape) / 7,
                       requires_grad=True)
        t = lib.tensor(np.arange(math.prod(shape) // 3).reshape(shape[:1] + shape[2:]) % 3)
        none = F(lib).nll_loss(x, t, reduction="none")
        mean = F(lib).nll_loss(x, t)
        none.backward(lib.tensor(np.arange(none.numel(), dtype=np.float32)
                                 .reshape(tuple(none.shape))))
        return none, mean, x.grad

    (m_none, m_mean, m_grad), (t_none, t_mean, t_grad) = both(call)
    assert (node(m_none), node(m_mean)) == (node(t_none), node(t_mean))
    same_bits("none", m_none, t_none)
    same_bits("mean", m_mean, t_mean)
    same_bits("x.grad", m_grad, t_grad)


# -- dropout and the learning-rate schedulers -------------------------------------------------

def test_dropout_module_defaults_and_in_place_as_torch():
    def call(lib):
        lib.manual_seed(3)
        x = lib.ones(8)
        module = lib.nn.Dropout(inplace=True)
        return repr(module), module(x), x

    (m_repr, m_y, m_x), (t_repr, t_y, t_x) = both(call)
    assert m_repr == t_repr == "Dropout(p=0.5, inplace=True)"
    same_bits("y", m_y, t_y)
    same_bits("x, dropped in place", m_x, t_x)


def _sgd(lib: Any) -> Any:
    return lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)


def test_lambda_lr_keeps_its_optimizer_and_the_callers_state_dict():
    for lib in LIBS:
        optimizer = _sgd(lib)
        scheduler = lib.optim.lr_scheduler.LambdaLR(optimizer, lambda e: 0.5**e)
        assert scheduler.optimizer is optimizer
        state = scheduler.state_dict()
        scheduler.load_state_dict(state)
        assert state["lr_lambdas"] == [None]                     # left as it was


def test_linear_lr_default_schedule_as_torch():
    def call(lib):
        optimizer = _sgd(lib)
        scheduler = lib.optim.lr_scheduler.LinearLR(optimizer)  # 1/3 to 1 over 5 steps
        lrs = []
        for _ in range(7):
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        return lrs

    m, t = both(call)
    assert m == t


@pytest.mark.parametrize("last_epoch", [1, 2, 5])
def test_cosine_get_lr_just_after_resuming_as_torch(last_epoch):
    def call(lib):
        optimizer = _sgd(lib)
        optimizer.param_groups[0]["initial_lr"] = 0.1
        optimizer.param_groups[0]["lr"] = 0.07
        with pytest.warns(UserWarning, match="get_last_lr"):
            scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, 4,
                                                                 last_epoch=last_epoch)
            return scheduler.get_lr()

    m, t = both(call)
    assert m == t

