"""Devices on a machine without an accelerator, against torch's CPU build.

manual computes on the CPU only, so it answers every "is there a GPU?" as torch answers on
a machine without one; devices print, compare and hash as torch's; the CPU is taken by any
of its names, CUDA refused in torch's words, every other device refused in manual's own.
"""

from __future__ import annotations

import pytest
import torch

import manual

LIBS = (manual, torch)


@pytest.mark.parametrize("ask", [
    lambda lib: lib.cuda.is_available(), lambda lib: lib.cuda.device_count(),
    lambda lib: lib.accelerator.is_available(), lambda lib: lib.accelerator.device_count(),
    lambda lib: lib.accelerator.current_accelerator(),
    lambda lib: lib.accelerator.current_accelerator(check_available=True),
    lambda lib: lib.backends.cudnn.is_available(), lambda lib: lib.backends.mps.is_available(),
    lambda lib: lib.backends.mps.is_built(),
], ids=["cuda-available", "cuda-count", "accelerator-available", "accelerator-count",
        "current-accelerator", "current-accelerator-checked", "cudnn", "mps", "mps-built"])
def test_no_accelerator_as_torchs_cpu_build_answers(ask):
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("torch sees an accelerator here")
    m, t = ask(manual), ask(torch)
    assert (m, type(m)) == (t, type(t))


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda", 1), ("cuda:2",), ("cpu", 0),
                                  ("mps",), ("meta",)])
def test_devices_print_as_torchs(args):
    m, t = manual.device(*args), torch.device(*args)
    assert (str(m), repr(m), m.type, m.index) == (str(t), repr(t), t.type, t.index)
    assert (str(manual.device(m)), repr(manual.device(m))) == (str(t), repr(t))


def test_devices_compare_and_hash_as_torchs():
    pairs = [("cpu", "cpu"), ("cpu", "cuda"), ("cuda:1", ("cuda", 1)), ("cpu", ("cpu", 0)),
             ("cuda:0", "cuda:1"), ("mps", "cpu")]
    for a, b in pairs:
        a, b = (a,) if isinstance(a, str) else a, (b,) if isinstance(b, str) else b
        m, t = manual.device(*a) == manual.device(*b), torch.device(*a) == torch.device(*b)
        assert m == t, (a, b)
        if m:
            assert hash(manual.device(*a)) == hash(manual.device(*b))
    for lib in LIBS:
        assert lib.device("cpu") != "cpu"  # a device only equals a device
        assert hash(lib.device("cpu")) != hash(lib.device("cuda", 1))
        assert len({lib.device("cpu"), lib.device("cpu"), lib.device("cuda"),
                    lib.device("cpu", 0)}) == 3


def test_device_without_arguments_is_the_cpu():
    # torch's device() needs its type; manual's defaults to its one device
    assert manual.device() == manual.device("cpu") and str(manual.device()) == "cpu"


@pytest.mark.parametrize("where", [None, "cpu", "cpu:0", ("cpu",)])
def test_the_cpu_is_taken_by_any_of_its_names(where):
    for lib in LIBS:
        device = lib.device(*where) if isinstance(where, tuple) else where
        made = lib.zeros(2, device=device), lib.ones(2).to(device)
        cpu = lib.device("cpu")
        assert [(t.device, t.tolist()) for t in made] == [(cpu, [0.0, 0.0]), (cpu, [1.0, 1.0])]
        assert lib.nn.Linear(2, 1).to(device).weight.device.type == "cpu"


def _refusal(make) -> tuple[type, str]:
    with pytest.raises(Exception) as caught:
        make()
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("where", ["cuda", "cuda:1", ("cuda", 0)])
def test_cuda_is_refused_in_torchs_words(where):
    if torch.cuda.is_available():
        pytest.skip("torch sees a CUDA device here")
    for make in (lambda lib, d: lib.zeros(2, device=d), lambda lib, d: lib.ones(2).to(d),
                 lambda lib, d: lib.nn.Linear(2, 1).to(d)):
        got = []
        for lib in LIBS:
            device = lib.device(*where) if isinstance(where, tuple) else where
            got.append(_refusal(lambda lib=lib, device=device, make=make: make(lib, device)))
        (m_type, m_words), (t_type, t_words) = got
        assert m_type is t_type is AssertionError
        assert m_words == t_words + " (manual computes with NumPy, on the CPU)"


@pytest.mark.parametrize("where", ["mps", "meta", "xla"])
def test_other_devices_are_refused_in_manuals_words(where):
    # torch's CPU build refuses these in several ways (and makes meta tensors); manual has
    # none of them
    for make in (lambda: manual.zeros(2, device=where), lambda: manual.ones(2).to(where)):
        assert _refusal(make) == (RuntimeError, "manual computes with NumPy, on the CPU only: "
                                                f"device '{where}' is not available")


def test_an_unknown_device_is_refused_as_torch():
    got = [_refusal(lambda lib=lib: lib.device("gpu")) for lib in LIBS]
    assert got[0] == got[1]
