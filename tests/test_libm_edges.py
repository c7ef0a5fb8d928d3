"""exp and log at their edges (manual/_parity/libm.py).

glibc's expf, exp, logf and log are checked against the C library itself (ctypes) on inputs
at every branch: tiny and huge arguments, the 512 <= |x| < 1024 special case, the overflow
and underflow thresholds, subnormals, the near-1 polynomial of log, the table boundaries of
logf. SLEEF's exp is read back out of torch's softmax, whose rows [0, x1, ...] with tiny
exp(x_i) sum to exactly 1: y_i = exp(x_i) bit for bit. SLEEF's log is within its documented
1 ULP of the correctly rounded logarithm (decimal), and is log_softmax's -log(n).
"""

import decimal

import numpy as np
import pytest
import torch

from manual._parity import libm
from tests.helpers import around, assert_bits, c_function

F32, F64 = np.float32, np.float64


SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan]
RNG = np.random.default_rng(23)


def exp_inputs(dtype: type) -> np.ndarray:
    if dtype == F32:
        edges = [2.0 ** -25, float.fromhex("0x1.62e42ep6"), -float.fromhex("0x1.9fe368p6"),
                 -87.3, -88.7, -100.0, -103.0]
        sweep = RNG.uniform(-105, 90, 3000)
    else:
        edges = [2.0 ** -54, -2.0 ** -54, 512.0, -512.0, 709.782712893384, 1024.0, -1024.0,
                 -708.4, -745.1332191019411, -1000.0, 1023.9, -1023.9]
        sweep = np.concatenate([RNG.uniform(-1030, 1030, 2000), RNG.uniform(-750, 710, 2000)])
    return np.concatenate([around(edges, dtype), np.array(SPECIALS + [5e-324, 1e-300], dtype),
                           sweep.astype(dtype)])


def log_inputs(dtype: type) -> np.ndarray:
    tiny = float(np.finfo(dtype).tiny)
    edges = [tiny, 1.0, 0.5, 2.0, float(np.finfo(dtype).max)]
    if dtype == F32:
        # logf's table: x = 2^k z, the subinterval of z from bits - 0x3F330000 in steps of 2^19
        bits = np.arange(0x00800000, 0x7f800000, 1 << 19, dtype=np.int64) + (0x3F330000 % (1 << 19))
        table = np.concatenate([bits, bits - 1]).astype(np.uint32).view(F32)
        extra = [table, np.float32([1e-45, 1e-40, 3e-39])]
    else:
        edges += [1 - 2.0 ** -4, 1 + float.fromhex("0x1.09p-4")]
        extra = [np.array([5e-324, 1e-310, 1e-320]), RNG.uniform(0.9, 1.1, 1500)]
    sweep = np.exp(RNG.uniform(-700 if dtype == F64 else -87, 700 if dtype == F64 else 88, 2000))
    return np.concatenate([around(edges, dtype, 3), np.array(SPECIALS + [-1.0], dtype),
                           *[np.asarray(e, dtype) for e in extra], sweep.astype(dtype)])


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["exp", "log"])
def test_glibc_exp_and_log_are_the_c_librarys_bits(name, dtype):
    x = (exp_inputs if name == "exp" else log_inputs)(dtype)
    port = libm.glibc_exp if name == "exp" else libm.glibc_log
    assert_bits(f"glibc {name}", x, port(x), c_function(name, dtype)(x))


@pytest.mark.parametrize("dtype, low, high, width", [(F32, -104.5, -20, 16),
                                                     (F64, -1002, -40, 8)],
                         ids=["float32", "float64"])
def test_sleef_exp_is_torchs_softmax_of_rows_summing_to_one(dtype, low, high, width):
    # [0, x_1, ..., x_(V-1)]: exp(x_i) < 2^-25 / V (float32; 2^-54 / V for float64), the sum
    # is exactly 1 and softmax's y_i = exp(x_i) (1 / 1): SLEEF's exp of every x_i, underflow
    # to subnormals and to 0 included (past -104 and -1000, 0)
    x = np.concatenate([RNG.uniform(low, high, 63 * (width - 1)),
                        around([low + 0.5, -1000.0 if dtype == F64 else -103.97,
                                -745.13 if dtype == F64 else -87.34], dtype, 2)])
    x = x.astype(dtype)
    x = np.concatenate([x, np.full(-len(x) % (width - 1), dtype(high))])
    rows = np.concatenate([np.zeros((len(x) // (width - 1), 1), dtype),
                           x.reshape(-1, width - 1)], 1)
    y = torch.softmax(torch.from_numpy(rows), dim=1).numpy()
    assert (y[:, 0] == 1).all()
    assert_bits("sleef exp", x, libm.sleef_exp(rows[:, 1:]).ravel(), y[:, 1:].ravel())


def test_sleef_exp_overflow_and_specials():
    # float64: inf past 709.78271114955742909217217426, a little below the true threshold;
    # float32: inf past 100 (and from 88.73 on by rounding); NaN stays NaN
    edge = np.float64(709.78271114955742909217217426)
    got = libm.sleef_exp(np.array([edge, np.nextafter(edge, np.inf), 710.0, 1e300, -np.inf,
                                   np.nan]))
    assert np.isfinite(got[0]) and abs(got[0] / np.exp(edge) - 1) < 3e-16
    assert np.isinf(got[1:4]).all() and got[4] == 0 and np.isnan(got[5])
    got = libm.sleef_exp(np.float32([88.7, 88.73, 100.5, 1e30, -np.inf, np.nan]))
    assert np.isfinite(got[0]) and np.isinf(got[1:4]).all() and got[4] == 0 and np.isnan(got[5])


def correctly_rounded_log(x: np.ndarray) -> np.ndarray:
    with decimal.localcontext() as context:
        context.prec = 60
        return np.array([float(decimal.Decimal(float(v)).ln()) for v in x]).astype(x.dtype)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_sleef_log_within_one_ulp_and_its_specials(dtype):
    # SLEEF's xlogf_u1 and xlog_u1: at most 1 ULP from log(d), for every positive d
    # (subnormals, d < 1 and d > 1 alike); log 0 = -inf, log(-1) = NaN, log inf = inf
    d = np.concatenate([np.exp(RNG.uniform(-80, 80, 300)), RNG.uniform(0.1, 3, 100),
                        [1e-45 if dtype == F32 else 5e-324, 1e-40 if dtype == F32 else 1e-310,
                         float(np.finfo(dtype).tiny), 1.0, float(np.finfo(dtype).max)]]
                       ).astype(dtype)
    got, want = libm.sleef_log(d), correctly_rounded_log(d)
    unsigned = {F32: np.int32, F64: np.int64}[dtype]
    steps = np.abs(got.view(unsigned).astype(np.int64) - want.view(unsigned).astype(np.int64))
    assert got.dtype == dtype and steps.max() <= 1, d[steps > 1][:4]
    special = libm.sleef_log(np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan], dtype))
    assert list(special[:2]) == [-np.inf, -np.inf] and special[3] == np.inf
    assert np.isnan(special[[2, 4, 5]]).all()


@pytest.mark.parametrize("dtype, width", [(F32, 16), (F64, 8)], ids=["float32", "float64"])
def test_sleef_log_is_log_softmaxs_log_of_n(dtype, width):
    # a row of n zeros: s = n exactly, y = 0 - log(n), SLEEF's log in every lane
    for n in (width, width + 1, 3 * width - 1, 100, 257):
        y = torch.log_softmax(torch.zeros(2, n, dtype=torch.float64 if dtype == F64 else
                                          torch.float32), dim=1).numpy()
        want = -libm.sleef_log(np.full(1, n, dtype))
        assert (y.view(f"u{y.itemsize}") == want.view(f"u{y.itemsize}")).all(), n
