"""GELU's arithmetic at its edges (manual/_parity/gelu.py).

The scalar op's glibc functions (erff, erf, tanhf, tanh, expm1f, expm1) are checked against
the C library itself, called through ctypes, on inputs at every range boundary of their
fdlibm code; the vector ops (oneDNN's kernel, SLEEF's erf, tanh and exp) against torch's
gelu and gelu_backward on inputs at theirs: thresholds, tiny and huge arguments, infinities.
"""

import numpy as np
import pytest
import torch

from manual._parity import gelu as parity
from tests.helpers import around, assert_bits, c_function

SQRT2 = 2 ** 0.5


def from_bits(words, dtype: type) -> np.ndarray:
    """float32 values from their bits, or float64 values from (high word, low word) pairs."""
    if dtype == np.float32:
        return np.array(words, np.uint32).view(np.float32)
    return np.array([(high << 32) | low for high, low in words], np.uint64).view(np.float64)


def top_words(highs, dtype: type) -> np.ndarray:
    """float32: the values with these bits; float64: values whose high word is each of these,
    with low words 0, 1, 2^31 and 2^32 - 1 (fdlibm compares the high word only)."""
    if dtype == np.float32:
        return from_bits(highs, dtype)
    return from_bits([(h, low) for h in highs for low in (0, 1, 1 << 31, (1 << 32) - 1)], dtype)


def both_signs(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, -x])


def spread(dtype: type, low: float, high: float, n: int = 60) -> np.ndarray:
    return np.geomspace(low, high, n).astype(dtype)


SPECIALS = (0.0, np.inf, np.nan)


def expm1_inputs(dtype: type) -> np.ndarray:
    f = dtype == np.float32
    tiny = 2.0 ** (-25 if f else -54)
    overflow = 8.8721679688e+01 if f else 7.09782712893383973096e+02
    thresholds = top_words([0x3eb17218, 0x3F851592, 0x4195b844] if f else
                           [0x3fd62e42, 0x3FF0A2B2, 0x4043687A], dtype)
    k_edges = (np.arange(-3, 60) + 0.5) * np.log(2)     # where k = round(x / ln2) changes
    edge = around([overflow], dtype)
    edge = edge[edge <= dtype(overflow)] if f else edge   # float32 above: the test after
    values = [around([tiny], dtype), edge, around(thresholds, dtype, 1),
              np.array([1e-45 if f else 5e-324, 1e-30, 1e-5, 0.1, 0.3, 0.36, 0.38, 0.4, 0.42,
                        0.44, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 1.7, 2.0, 3.0, 10.0, 20.0, 50.0,
                        80.0, 89.0, 100.0, 710.0, 1000.0, *SPECIALS], dtype),
              around(k_edges, dtype, 1), (k_edges + 0.2).astype(dtype),
              spread(dtype, 1e-8, 88.0),                       # and k = 1 .. 60 densely:
              np.random.default_rng(2).uniform(0.3, 42, 3000).astype(dtype)]
    return both_signs(np.concatenate(values))


def tanh_inputs(dtype: type) -> np.ndarray:
    f = dtype == np.float32
    values = [around([2.0 ** -55, 1.0, 22.0], dtype, 3),
              np.array([1e-45 if f else 5e-324, 1e-20, 1e-10, 1e-4, 0.1, 0.5, 0.9, 1.5, 3.0,
                        9.0, 21.9, 25.0, 1e30, *SPECIALS], dtype),
              spread(dtype, 1e-8, 30.0)]
    if not f:
        values.append(top_words([0x3c800000, 0x3ff00000, 0x40360000], dtype))
    values.append(np.random.default_rng(4).uniform(0, 22, 1000).astype(dtype))
    return both_signs(np.concatenate(values))


def erf_inputs(dtype: type) -> np.ndarray:
    f = dtype == np.float32
    limits = top_words([0x31800000, 0x3f580000, 0x3fa00000, 0x4036DB6E, 0x40c00000] if f else
                       [0x3e300000, 0x3feb0000, 0x3ff40000, 0x4006DB6E, 0x40180000], dtype)
    rng = np.random.default_rng(3)
    values = [around(limits, dtype, 2),
              np.array([1e-30, 1e-20, 1e-12, 1e-5, 0.5, 1.0, 2.0, 3.0, 4.0, 5.9, 7.0, 10.0,
                        1e10, *SPECIALS], dtype),
              spread(dtype, 1e-8, 8.0),
              (2.0 ** rng.uniform(-66, -28, 150)).astype(dtype),    # erf(x) = x + efx x
              rng.uniform(0.8, 6.2, 1000).astype(dtype)]
    return both_signs(np.concatenate(values))


GLIBC = [("expm1", parity._glibc_expm1, expm1_inputs), ("tanh", parity._glibc_tanh, tanh_inputs),
         ("erf", parity._glibc_erf, erf_inputs)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name, port, inputs", GLIBC, ids=[g[0] for g in GLIBC])
def test_glibc_functions_are_the_c_librarys_bits(name, port, inputs, dtype):
    x = inputs(dtype)
    with np.errstate(all="ignore"):
        got = port(x)
    assert_bits(name, x, got, c_function(name, dtype)(x))


def test_expm1f_overflows_where_glibc_does():
    # expm1f tests x > o_threshold (88.72168) only from 0x42b17218 (88.72284) up: in between,
    # and at o_threshold itself, the result is finite
    x = np.concatenate([np.linspace(88.72, 88.7229, 24, dtype=np.float32),
                        around(from_bits([0x42b17180, 0x42b17218], np.float32), np.float32, 2)])
    with np.errstate(all="ignore"):
        got = parity._glibc_expm1(x)
    assert_bits("expm1f", x, got, c_function("expm1", np.float32)(x))
    assert np.isfinite(got[x < np.float32(88.72284)]).all()


# -- the vector ops against torch ---------------------------------------------------------------

def exact_quotients(targets, dtype: type = np.float64) -> list:
    """x near t sqrt 2 with x (1 / sqrt 2) == t exactly, where such an x exists: erf's
    argument lands on each threshold t of SLEEF's erf."""
    found = []
    for t in targets:
        x = around([t * SQRT2], dtype, 40)
        found += list(x[x * dtype(parity.M_SQRT1_2) == dtype(t)][:2])
    return found


def vector_blocks(x: np.ndarray) -> np.ndarray:
    """x padded with zeros to whole blocks (32 float32, 16 float64): every element in a
    block, so torch's vector op computes each (contiguous, one thread)."""
    width = 32 if x.dtype == np.float32 else 16
    return np.concatenate([x, np.zeros(-len(x) % width, x.dtype)])


def check_with_torch(x: np.ndarray, approximate: str) -> None:
    """gelu and gelu_backward (dy = 1 and dy = 3) of x: manual's bits are torch's."""
    tx = torch.from_numpy(x)
    with np.errstate(all="ignore"):
        assert_bits(f"gelu {approximate}", x, parity.forward(x, approximate),
                    torch.nn.functional.gelu(tx, approximate=approximate).numpy())
        for g in (1, 3):
            dy = np.full_like(x, g)
            want = torch.ops.aten.gelu_backward(torch.from_numpy(dy), tx, approximate=approximate)
            assert_bits(f"gelu_backward {approximate}, dy {g}", x,
                        parity.backward(dy, x, approximate), want.numpy())


def test_onednn_kernel_at_its_last_pieces_and_underflow():
    # float32, contiguous, "none": oneDNN; |x| > 5.54 (0x40b15cee) takes the last piece,
    # erf = 1; the backward's exp underflows past |x| ~ 13.2, and x log2(e) + 1/2 near an
    # integer picks the exponent of its 2^n
    edges = around(from_bits([0x40b15cee, 0x40c00000], np.float32), np.float32, 3)
    values = np.concatenate([edges, np.linspace(5.45, 6.1, 40, dtype=np.float32),
                             np.float32([12.9, 13.2, 13.3, 14.0, 20.0, 100.0, 1e30, np.inf]),
                             np.linspace(0.05, 13.5, 300, dtype=np.float32)])
    check_with_torch(both_signs(values), "none")


def test_sleef_erf_float64_at_its_thresholds():
    # float64 "none": SLEEF's erf on x / sqrt 2 = r: r < 1e-8 is r 2/sqrt(pi); r <= 2.5 the
    # near polynomial, else the far one with exp; r >= 6 gives 1; r = 0 and r = 1 exactly
    r = np.concatenate([[1e-300, 1e-20, 1e-12, 1e-9, 5e-9, 7e-9, 1e-8, 2e-8],
                        np.linspace(2.3, 6.2, 120), [7.0, 30.0, 1e3, 1e10, 1e100, 1e300]])
    x = np.concatenate([r * SQRT2, exact_quotients([1e-8, 1.0, 2.5, 6.0]), [0.0, np.inf]])
    check_with_torch(vector_blocks(both_signs(x)), "none")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_sleef_tanh_where_it_reaches_one(dtype):
    # "tanh": SLEEF's tanh of sqrt(2/pi) (x + 0.044715 x^3) gives 1 past 8.66 (float32, x
    # about 5.05) and 18.71 (float64, x about 7.15); just below, 1 - t^2 is not 0
    x = np.concatenate([np.linspace(4.8, 5.3, 64), np.linspace(6.9, 7.5, 96),
                        [10.0, 40.0, 1e10, np.inf]]).astype(dtype)
    check_with_torch(vector_blocks(both_signs(x)), "tanh")


VIEWS = {"contiguous": lambda a: a, "reversed": lambda a: a.transpose(2, 1, 0),
         "middle first": lambda a: a.transpose(1, 0, 2), "strided rows": lambda a: a[:, :, ::2],
         "every other row": lambda a: a[:, ::2, :], "last two swapped": lambda a: a.swapaxes(1, 2)}
GRADIENTS = {"as x": None, "one row": (1, 1, -1), "one column": (-1, 1, 1), "one value": (1, 1, 1)}


@pytest.mark.parametrize("dtype, approximate", [(np.float32, "tanh"), (np.float64, "none"),
                                                (np.float16, "none")])
@pytest.mark.parametrize("view", list(VIEWS))
def test_vector_and_scalar_lanes_follow_torchs_iteration_order(view, dtype, approximate):
    # TensorIterator orders the dims by stride (dy's first, a broadcast dim telling nothing),
    # merges adjacent ones into rows, and hands whole blocks of a row with stride 1 (or 0 for
    # one operand) to the vector op, the rest of it to the scalar op
    rng = np.random.default_rng(11)
    base = (rng.standard_normal((6, 10, 42)) * 3).astype(dtype)
    x = VIEWS[view](base)
    tx = torch.from_numpy(x)
    assert_bits("gelu", x, parity.forward(x, approximate),
                torch.nn.functional.gelu(tx, approximate=approximate).numpy())
    for name, shape in GRADIENTS.items():
        if shape is None:
            dy = VIEWS[view]((rng.standard_normal(base.shape)).astype(dtype))
            t_dy = torch.from_numpy(dy)
        else:
            small = rng.standard_normal([x.shape[d] if s == -1 else 1
                                         for d, s in enumerate(shape)]).astype(dtype)
            dy, t_dy = np.broadcast_to(small, x.shape), torch.from_numpy(small).expand(x.shape)
        want = torch.ops.aten.gelu_backward(t_dy, tx, approximate=approximate).numpy()
        assert_bits(f"gelu_backward, dy {name}", x, parity.backward(dy, x, approximate), want)
