"""cross_entropy and CrossEntropyLoss: both target kinds, weights, ignore_index, label smoothing
and the three reductions, loss and gradients against torch; finite differences without it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import manual
import manual.cross_entropy
import torch_native.cross_entropy
from manual._parity import cross_entropy as ce_parity
from reference.scales import CrossEntropyCase, cross_entropy_scales
from tests.helpers import assert_twins_agree
from tests.strategies import MAX_TERMS, arrays, dtypes

REDUCTIONS = ("mean", "sum", "none")
LN2, LN3, LN4_3 = np.log(2), np.log(3), np.log(4 / 3)


def test_hand_example():
    # logits [0, 0]: p = [1/2, 1/2]; target 1: loss = -log(1/2) = log 2, dx = p - one_hot
    x = manual.tensor([[0.0, 0.0]], requires_grad=True)
    loss = manual.cross_entropy.cross_entropy(x, manual.tensor([1]))
    assert loss.item() == pytest.approx(LN2)
    loss.backward()
    np.testing.assert_allclose(x.grad.array, [[0.5, -0.5]], rtol=1e-7)


def test_hand_example_with_weights_and_ignore_index():
    # sample 0: logits [0, 0], target 0, weight 1: loss ln 2
    # sample 1: logits [0, ln 3] so p = [1/4, 3/4], target 1, weight 3: loss 3 ln(4/3)
    # sample 2: target -100, ignored: loss 0, and not counted in the mean's denominator
    x = manual.tensor(np.array([[0.0, 0.0], [0.0, LN3], [5.0, -5.0]]), requires_grad=True)
    t, w = manual.tensor([0, 1, -100]), manual.tensor(np.array([1.0, 3.0]))
    f = manual.cross_entropy.cross_entropy
    np.testing.assert_allclose(f(x, t, w, reduction="none").array, [LN2, 3 * LN4_3, 0])
    assert f(x, t, w, reduction="sum").item() == pytest.approx(LN2 + 3 * LN4_3)
    loss = f(x, t, w)  # mean: divided by the weights kept, 1 + 3, not by a count of 2 or 3
    assert loss.item() == pytest.approx((LN2 + 3 * LN4_3) / 4)
    loss.backward()
    # (w_t / D)(p - one_hot): (1/4)([1/2, 1/2] - [1, 0]) and (3/4)([1/4, 3/4] - [0, 1])
    np.testing.assert_allclose(x.grad.array, [[-1 / 8, 1 / 8], [3 / 16, -3 / 16], [0, 0]])


def test_hand_example_with_label_smoothing():
    # logits [0, ln 3], target 1, eps = 1/2, C = 2: q = [1/4, 3/4]
    # loss = (1/2)(-ln 3/4) + (1/4)(-ln 1/4 - ln 3/4), dx = p - q = [0, 0]
    x = manual.tensor(np.array([[0.0, LN3]]), requires_grad=True)
    loss = manual.cross_entropy.cross_entropy(x, manual.tensor([1]), label_smoothing=0.5)
    assert loss.item() == pytest.approx(LN4_3 / 2 + (np.log(4) + LN4_3) / 4)
    loss.backward()
    np.testing.assert_allclose(x.grad.array, [[0, 0]], atol=1e-15)


Case = CrossEntropyCase


@st.composite
def shapes(draw) -> tuple[int, ...]:
    """(C,) unbatched, or (N, C) with 0-2 extra dims, at most MAX_TERMS elements in all (the
    largest sum, over every element for probability targets, keeps within the tolerance)."""
    n_classes = draw(st.integers(1, 5))
    if draw(st.integers(0, 4)) == 0:
        return (n_classes,)
    budget = MAX_TERMS // n_classes
    shape = [draw(st.integers(1, min(4, budget))), n_classes]
    for _ in range(draw(st.integers(0, 2))):
        budget = MAX_TERMS // int(np.prod(shape))
        shape.append(draw(st.integers(1, max(1, min(3, budget)))))
    return tuple(shape)


_EITHER = st.booleans()
_ANY_REDUCTION = st.sampled_from(REDUCTIONS)


@st.composite
def cross_entropy_cases(draw, dtype_strategy: st.SearchStrategy = dtypes,
                        probabilities: st.SearchStrategy = _EITHER,
                        weighted: st.SearchStrategy = _EITHER,
                        reductions: st.SearchStrategy = _ANY_REDUCTION) -> Case:
    dtype, shape = draw(dtype_strategy), draw(shapes())
    axis = 0 if len(shape) == 1 else 1
    n_classes = shape[axis]
    if draw(probabilities):  # probabilities: ignore_index must stay negative
        target, ignore_index = draw(arrays(dtype, shape, bound=1.0)), -100
        loss_shape = shape[:axis] + shape[axis + 1:]
    else:  # class indices, some of them perhaps ignore_index
        ignore_index = draw(st.sampled_from([-100, -1, *range(n_classes)]))
        classes = st.sampled_from(list(dict.fromkeys([*range(n_classes), ignore_index])))
        loss_shape = shape[:axis] + shape[axis + 1:]
        target = draw(hnp.arrays(np.int64, loss_shape, elements=classes, fill=st.nothing()))
    positive = st.floats(0.125, 4.0, width=8 * dtype.itemsize)
    weight = hnp.arrays(dtype, (n_classes,), elements=positive)
    weight = draw(weight) if draw(weighted) else None
    reduction = draw(reductions)
    grad = draw(arrays(dtype, loss_shape if reduction == "none" else ()))
    return Case(draw(arrays(dtype, shape)), target, weight, ignore_index, reduction,
                draw(st.sampled_from([0.0, 0.1, 0.3])), grad)


def _run(lib, twin, case: Case):
    """The loss and the leaves (logits, target) of one twin on one case."""
    x = lib.tensor(case.x, requires_grad=True)
    target = lib.tensor(case.target, requires_grad=case.target.dtype.kind == "f")
    weight = None if case.weight is None else lib.tensor(case.weight)
    loss = twin.cross_entropy(x, target, weight, case.ignore_index, case.reduction,
                              case.label_smoothing)
    return loss, x, target


# every kind of target, with and without weights, under every reduction: each of the 12
# combinations takes its own examples (a weighted mean divides by the weights' sum, a path
# that a single draw over all of them can miss)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("probabilities", [False, True], ids=["classes", "probabilities"])
@settings(max_examples=20)
@given(data=st.data())
def test_cross_entropy_matches_torch(probabilities, weighted, reduction, data):
    case = data.draw(cross_entropy_cases(probabilities=st.just(probabilities),
                                         weighted=st.just(weighted),
                                         reductions=st.just(reduction)))
    m_loss, m_x, m_y = _run(manual, manual.cross_entropy, case)
    t_loss, t_x, t_y = _run(torch, torch_native.cross_entropy, case)
    loss_scale, dx_scale, dy_scale = cross_entropy_scales(*case)
    assert_twins_agree("loss", "cross_entropy", m_loss, t_loss, scale=loss_scale)
    m_loss.backward(manual.tensor(case.grad))
    t_loss.backward(torch.tensor(case.grad))
    assert_twins_agree("dx", "cross_entropy", m_x.grad, t_x.grad, scale=dx_scale)
    assert (m_y.grad is None) == (t_y.grad is None)           # probability targets only
    if t_y.grad is not None:
        assert_twins_agree("dy", "cross_entropy", m_y.grad, t_y.grad, scale=dy_scale)


@settings(max_examples=30)
@given(cross_entropy_cases(st.just(np.dtype(np.float64))))
def test_gradient_matches_central_differences(case):
    # torch-free: d(sum g loss)/dx and /dy against (f(v + h) - f(v - h)) / 2h, in float64
    loss, x, y = _run(manual, manual.cross_entropy, case)
    assume(np.isfinite(loss.array).all())                     # not every target ignored
    loss.backward(manual.tensor(case.grad))
    leaves = [x, y] if case.target.dtype.kind == "f" else [x]
    for leaf in leaves:
        numeric = _central_differences(case, leaf is x)
        np.testing.assert_allclose(leaf.grad.array, numeric, rtol=1e-6, atol=1e-7)


def _central_differences(case: Case, of_logits: bool, h: float = 1e-6) -> np.ndarray:
    """Each element of the logits (or target) moved by +-h, the projected loss's slope."""
    values = case.x if of_logits else case.target
    slopes = np.zeros_like(values)
    for index in np.ndindex(values.shape):
        sides = []
        for step in (h, -h):
            moved = values.copy()
            moved[index] += step
            moved_case = case._replace(**{"x" if of_logits else "target": moved})
            loss, _, _ = _run(manual, manual.cross_entropy, moved_case)
            sides.append((loss.array * case.grad).sum())
        slopes[index] = (sides[0] - sides[1]) / (2 * h)
    return slopes


@given(dtypes, st.integers(1, 5), st.floats(-8, 8), st.sampled_from([0.0, 0.1, 0.3]),
       st.booleans(), st.data())
def test_uniform_logits_give_log_c(dtype, n_classes, value, eps, weighted, data):
    # torch-free: equal logits mean p = 1/C, so every -logp is log C whatever the target: the
    # weighted mean of log C is log C, and so is its smoothed mix. (Not both at once: the
    # smoothing term sums every class's weight but is divided by the targets' weights.)
    x = manual.tensor(np.full((3, n_classes), value, dtype=dtype))
    target = manual.tensor(data.draw(hnp.arrays(np.int64, (3,), elements=st.integers(
        0, n_classes - 1))))
    weight = manual.tensor(np.arange(1, n_classes + 1, dtype=dtype)) if weighted else None
    eps = 0.0 if weighted else eps
    loss = manual.cross_entropy.cross_entropy(x, target, weight, label_smoothing=eps)
    assert loss.item() == pytest.approx(np.log(n_classes), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_stay_finite(dtype):
    # subtracting the max first: exp(1e4) would overflow, exp(0) and exp(-2e4) do not
    x = np.array([[1e4, -1e4], [1e4, 1e4]], dtype=dtype)
    m_x = manual.tensor(x, requires_grad=True)
    loss = manual.cross_entropy.cross_entropy(m_x, manual.tensor([1, 0]), reduction="none")
    np.testing.assert_allclose(loss.array, [2e4, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(m_x.grad.array, [[1, -1], [-0.5, 0.5]], rtol=1e-6)
    t_loss = torch_native.cross_entropy.cross_entropy(torch.tensor(x), torch.tensor([1, 0]),
                                                      reduction="none")
    assert_twins_agree("loss", "cross_entropy", loss, t_loss,
                       scale=cross_entropy_scales(x, np.array([1, 0]), None, -100, "none", 0.0,
                                                  np.ones(2, dtype))[0])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_target_ignored(label_smoothing, weighted):
    # "mean" divides 0 by a denominator of 0: nan, in both twins; the gradient stays 0
    for lib, twin in ((manual, manual.cross_entropy), (torch, torch_native.cross_entropy)):
        x = lib.tensor(np.ones((2, 3), np.float32), requires_grad=True)
        weight = lib.tensor(np.float32([1, 2, 3])) if weighted else None
        target = lib.tensor([-100, -100])
        loss = twin.cross_entropy(x, target, weight, label_smoothing=label_smoothing)
        assert np.isnan(loss.item())
        loss.backward()
        np.testing.assert_array_equal(np.asarray(x.grad), np.zeros((2, 3)))
        total = twin.cross_entropy(x, target, weight, reduction="sum",
                                   label_smoothing=label_smoothing)
        assert total.item() == 0


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_no_classes_and_every_target_ignored_as_torch(label_smoothing, reduction):
    # C = 0: every target must be ignored; "sum" of nothing is 0, but smoothing's share
    # per class is eps / 0 = inf, and 0 inf = nan, in torch as here
    results = []
    for lib, twin in ((manual, manual.cross_entropy), (torch, torch_native.cross_entropy)):
        x = lib.tensor(np.ones((2, 0), np.float32), requires_grad=True)
        loss = twin.cross_entropy(x, lib.tensor([-100, -100]), reduction=reduction,
                                  label_smoothing=label_smoothing)
        loss.sum().backward()
        results.append((np.asarray(loss.detach() if lib is torch else loss), x.grad.shape))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == tuple(results[1][1])


@pytest.mark.parametrize("target_dtype", ["int64", "uint8"])
@pytest.mark.parametrize("label_smoothing", [0.0, 1.0])
def test_byte_targets_and_full_smoothing_as_torch(target_dtype, label_smoothing):
    # torch takes Byte class indices for (N, C) input; label_smoothing may be exactly 1
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 1], target_dtype)
    losses = [twin.cross_entropy(lib.tensor(x), lib.tensor(y), label_smoothing=label_smoothing)
              for lib, twin in ((manual, manual.cross_entropy),
                                (torch, torch_native.cross_entropy))]
    assert_twins_agree("loss", "cross_entropy", *losses, terms=x.size)


@pytest.mark.parametrize("twin", [manual.cross_entropy, torch_native.cross_entropy],
                         ids=["manual", "torch"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2)])
def test_out_of_range_target_is_an_index_error(twin, reduction, shape):
    lib = manual if twin is manual.cross_entropy else torch
    target = np.zeros(shape[:1] + shape[2:] if len(shape) > 1 else (), np.int64)
    target.flat[-1] = 3
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        twin.cross_entropy(lib.tensor(np.zeros(shape, np.float32)), lib.tensor(target),
                           reduction=reduction)
    target.flat[-1] = 7  # ... unless it is the ignore_index
    twin.cross_entropy(lib.tensor(np.zeros(shape, np.float32)), lib.tensor(target),
                       ignore_index=7, reduction=reduction)


@pytest.mark.parametrize("twin", [manual.cross_entropy, torch_native.cross_entropy],
                         ids=["manual", "torch"])
def test_refusals(twin):
    lib = manual if twin is manual.cross_entropy else torch
    x, t = lib.tensor(np.zeros((2, 3), np.float32)), lib.tensor([0, 1])
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        twin.cross_entropy(x, t, reduction="bad")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        twin.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="defined either for all 3 classes"):
        twin.cross_entropy(x, t, weight=lib.tensor(np.ones(2, np.float32)))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        twin.cross_entropy(x, lib.tensor(np.zeros((2, 3), np.float32)), ignore_index=0)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        twin.cross_entropy(x, lib.tensor(np.zeros(2, np.float32)))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target"):
        twin.cross_entropy(x, lib.tensor([0, 1, 2]))


def test_softmax_outputs_have_a_floor():
    # torch-free: the quirk. Given probabilities instead of logits, even a perfect one-hot
    # "prediction" scores log(1 + (C - 1)/e), 1.46 for C = 10; the logits it stands for score ~0
    probabilities = np.eye(10)[:1]                            # (1, 10): all on class 0
    f, target = manual.cross_entropy.cross_entropy, manual.tensor([0])
    floor = f(manual.tensor(probabilities), target).item()
    assert floor == pytest.approx(np.log(1 + 9 / np.e))
    assert f(manual.tensor(50 * probabilities), target).item() < 1e-20


def test_module_matches_function():
    x, t = np.float32([[1, 2, 3], [0, 0, 5]]), np.int64([2, -1])
    w = np.float32([1, 2, 3])
    m = manual.cross_entropy.CrossEntropyLoss(manual.tensor(w), -1, "sum", 0.1)
    n = torch_native.cross_entropy.CrossEntropyLoss(torch.tensor(w), -1, "sum", 0.1)
    m_loss = m(manual.tensor(x), manual.tensor(t))
    assert m_loss.item() == manual.cross_entropy.cross_entropy(
        manual.tensor(x), manual.tensor(t), manual.tensor(w), -1, "sum", 0.1).item()
    loss_scale = cross_entropy_scales(x, t, w, -1, "sum", 0.1, np.float32(1))[0]
    assert_twins_agree("loss", "cross_entropy", m_loss, n(torch.tensor(x), torch.tensor(t)),
                       scale=loss_scale)
    assert list(m.parameters()) == [] and list(n.parameters()) == []


def test_class_weights_are_a_buffer_in_the_state_dict():
    weight = np.float32([1.0, 2.0, 0.5])
    m = manual.cross_entropy.CrossEntropyLoss(weight=manual.tensor(weight))
    t = torch_native.cross_entropy.CrossEntropyLoss(weight=torch.tensor(weight))
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
    assert list(m.parameters()) == [] and list(t.parameters()) == []
    m.load_state_dict({"weight": np.float32([3.0, 3.0, 3.0])})
    assert m.weight.tolist() == [3.0, 3.0, 3.0]
    assert list(manual.cross_entropy.CrossEntropyLoss().state_dict()) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_common_case_gives_the_general_paths_bits(dtype, reduction):
    # torch-free: unweighted class targets with nothing ignored take the piece's (2)-(4); its
    # loss and gradient equal the general path's (5)-(9) bit for bit, extreme logits included
    rng = np.random.default_rng(0)
    specials = np.array([np.nan, np.inf, -np.inf, 1e4, -1e4, 0.0, -0.0], dtype)
    for n, c in [(1, 1), (7, 3), (128, 10), (5, 40)]:
        x = (rng.standard_normal((n, c)) * rng.choice([0.1, 3.0, 30.0])).astype(dtype)
        x.flat[rng.integers(0, x.size, max(1, x.size // 20))] = rng.choice(specials)
        for target_dtype in (np.int64, np.uint8):
            t = manual.tensor(rng.integers(0, c, n).astype(target_dtype))
            assert ce_parity.common_case(manual.tensor(x), t, None, -100, 0.0)
            g = rng.standard_normal(n if reduction == "none" else ()).astype(dtype)
            results = []
            for run in (lambda x, t, r: manual.cross_entropy.cross_entropy(x, t, reduction=r),
                        lambda x, t, r: ce_parity.general_path(x, t, None, -100, r, 0.0)):
                logits = manual.tensor(x, requires_grad=True)
                with np.errstate(invalid="ignore"):  # inf - inf in both paths' log-softmax
                    loss = run(logits, t, reduction)
                    loss.backward(manual.tensor(g))
                results.append((loss.array.tobytes(), logits.grad.array.tobytes()))
            assert results[0] == results[1], (n, c, target_dtype)


def test_common_case_is_taken_only_for_its_case():
    common = ce_parity.common_case
    x, t = manual.tensor(np.zeros((2, 3), np.float32)), manual.tensor(np.array([0, 2]))
    assert common(x, t, None, -100, 0.0)
    assert not common(x, t, manual.tensor(np.ones(3, np.float32)), -100, 0.0)
    assert not common(x, t, None, 2, 0.0)                             # a target ignored
    assert not common(x, t, None, -100, 0.1)                          # smoothing
    assert not common(x, x, None, -100, 0.0)                          # probabilities
    assert not common(x[0], t[0], None, -100, 0.0)                    # unbatched
    three_d = manual.tensor(np.zeros((2, 3, 1), np.float32))
    assert not common(three_d, t.reshape(2, 1), None, -100, 0.0)
    empty = manual.tensor(np.zeros((0, 3), np.float32))
    assert not common(empty, manual.tensor(np.zeros(0, np.int64)), None, -100, 0.0)


# Every combination of these inputs, targets, weights and options, each twin called on the
# same zeros: both return, or both refuse with the same exception class. torch checks in a
# fixed order (the smoothing, then W for probabilities, log_softmax, nll_loss_nd's batch
# size, then nll_loss's or nll_loss2d's checks, the kernel's, the smoothing's), and an input
# with two faults must be refused for the one torch sees first.
GRID_INPUTS = [((2, 3), "f4"), ((2, 0), "f4"), ((3,), "f4"), ((0,), "f4"), ((2, 3, 2), "f4"),
               ((2, 1, 2), "f4"),
               ((2, 0, 2), "f4"), ((1, 0, 0), "f4"), ((2, 3, 2, 2), "f4"), ((2, 0, 2, 2), "f4"),
               ((0, 3), "f4"), ((0, 0), "f4"), ((2, 3, 2, 1, 1), "f4"), ((0, 3, 2), "f4"),
               ((2, 3), "i8"), ((0, 3), "i8"), ((0,), "i8"), ((0, 3, 2), "i8"),
               ((0, 3, 2, 2), "i8"), ((), "f4"), ((2, 3), "f8")]
GRID_TARGETS = [((), "i8"), ((), "f4"), ((2,), "i8"), ((3,), "i8"), ((1,), "i8"), ((2,), "f4"),
                ((2, 2), "i8"), ((2, 2), "f4"), ((2, 3), "i8"), ((2, 3), "f4"),
                ((2, 2, 2), "i8"), ((2, 2), "u1"), ((2,), "u1"), ((0,), "i8"), ((1, 0), "i8"),
                ((2, 2, 1, 1), "i8"), ((0, 2), "i8"), ((2, 2, 2), "u1"), ((3,), "f4"),
                ((0,), "f4"), ((2, 3, 2), "f4"), ((2, 3, 2), "f8"), ((2, 3, 2, 2), "f4")]
GRID_WEIGHTS = [None, ((3,), "f4"), ((2,), "f4"), ((0,), "f4"), ((3,), "f8"), ((1, 3), "f4"),
                ((2,), "f8"), ((), "f4"), ((3,), "i8")]
GRID_OPTIONS = [{}, {"ignore_index": 0}, {"label_smoothing": 0.2}, {"reduction": "none"},
                {"label_smoothing": 0.2, "reduction": "sum"}]


def _outcome(lib, twin, x, t, w, options) -> str:
    """The exception's class, or the result's shape and dtype."""
    try:
        y = twin.cross_entropy(lib.tensor(x), lib.tensor(t), None if w is None else lib.tensor(w),
                               **options)
    except Exception as error:  # noqa: BLE001 (the class is what is compared)
        return type(error).__name__
    return f"returns {tuple(y.shape)} {np.asarray(y.detach()).dtype}"


def test_refusals_come_in_torchs_order():
    differ = []
    for (x_shape, x_type), (t_shape, t_type), weight, options in itertools.product(
            GRID_INPUTS, GRID_TARGETS, GRID_WEIGHTS, GRID_OPTIONS):
        x, t = np.zeros(x_shape, x_type), np.zeros(t_shape, t_type)
        w = None if weight is None else np.ones(*weight)
        m = _outcome(manual, manual.cross_entropy, x, t, w, options)
        t_ = _outcome(torch, torch_native.cross_entropy, x, t, w, options)
        if m != t_:
            differ.append(f"x {x_shape} {x_type}, target {t_shape} {t_type}, weight {weight}, "
                          f"{options}: manual {m}, torch {t_}")
    assert not differ, f"{len(differ)} cases differ, among them:\n" + "\n".join(differ[:10])
