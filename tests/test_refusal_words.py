"""Refusals across the layers' functions and modules in torch's words: the same exception
class, and manual's message is torch's, or torch's followed by the values torch leaves out
(an argument's value, the input's size). One call per refusal, each run on both libraries."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import manual


def T(lib: Any, *size: int, **options: Any) -> Any:  # noqa: N802 (a tensor of ones)
    return lib.ones(*size, **options)


def F(lib: Any) -> Any:  # noqa: N802 (torch.nn.functional, or manual's)
    return lib.nn.functional


CALLS = {  # the call, on manual or torch
 "embedding weight list": lambda lib: F(lib).embedding(lib.tensor([0]), [[1.0]]),
 "embedding indices list": lambda lib: F(lib).embedding([0], T(lib, 2, 2)),
 "embedding float indices": lambda lib: F(lib).embedding(T(lib, 2), T(lib, 2, 2)),
 "embedding 1-d weight": lambda lib: F(lib).embedding(lib.tensor([0]), T(lib, 2)),
 "embedding padding_idx out":
     lambda lib: F(lib).embedding(lib.tensor([0]), T(lib, 2, 2), padding_idx=5),
 "batch_norm 1-d": lambda lib: F(lib).batch_norm(T(lib, 3), None, None, training=True),
 "batch_norm running mean size": lambda lib: F(lib).batch_norm(T(lib, 2, 3), T(lib, 2), T(lib, 3)),
 "batch_norm weight size":
     lambda lib: F(lib).batch_norm(T(lib, 2, 3), None, None, T(lib, 2), training=True),
 "batch_norm one value": lambda lib: F(lib).batch_norm(T(lib, 1, 3), None, None, training=True),
 "BatchNorm1d wrong channels": lambda lib: lib.nn.BatchNorm1d(4)(T(lib, 2, 3)),
 "BatchNorm2d 3-d": lambda lib: lib.nn.BatchNorm2d(3)(T(lib, 3, 4, 4)),
 "max_pool2d kernel 0": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 4, 4), 0),
 "max_pool2d pad big": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 4, 4), 2, padding=2),
 "max_pool2d 2-d input": lambda lib: F(lib).max_pool2d(T(lib, 4, 4), 2),
 "max_pool2d stride 0": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 4, 4), 2, stride=0),
 "max_pool2d dilation 0": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 4, 4), 2, dilation=0),
 "max_pool2d too small": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 1, 1), 3),
 "max_pool2d kernel 3 values": lambda lib: F(lib).max_pool2d(T(lib, 1, 1, 4, 4), (2, 2, 2)),
 "avg_pool2d kernel 0": lambda lib: F(lib).avg_pool2d(T(lib, 1, 1, 4, 4), 0),
 "avg_pool2d divisor 0": lambda lib: F(lib).avg_pool2d(T(lib, 1, 1, 4, 4), 2, divisor_override=0),
 "adaptive size negative": lambda lib: F(lib).adaptive_avg_pool2d(T(lib, 1, 1, 4, 4), -1),
 "adaptive 5-d": lambda lib: F(lib).adaptive_avg_pool2d(T(lib, 1, 1, 1, 4, 4), 2),
 "conv2d channels": lambda lib: F(lib).conv2d(T(lib, 1, 2, 4, 4), T(lib, 1, 1, 3, 3)),
 "conv2d kernel big": lambda lib: F(lib).conv2d(T(lib, 1, 1, 2, 2), T(lib, 1, 1, 3, 3)),
 "conv2d groups": lambda lib: F(lib).conv2d(T(lib, 1, 2, 4, 4), T(lib, 3, 1, 3, 3), groups=2),
 "conv_t2d channels": lambda lib: F(lib).conv_transpose2d(T(lib, 1, 2, 4, 4), T(lib, 1, 1, 3, 3)),
 "conv_t2d output_padding":
     lambda lib: F(lib).conv_transpose2d(T(lib, 1, 1, 4, 4), T(lib, 1, 1, 3, 3), output_padding=1),
 "layer_norm shape": lambda lib: F(lib).layer_norm(T(lib, 2, 3), (4,)),
 "layer_norm weight": lambda lib: F(lib).layer_norm(T(lib, 2, 3), (3,), T(lib, 2)),
 "linear mismatch": lambda lib: F(lib).linear(T(lib, 2, 3), T(lib, 4, 2)),
 "dropout p": lambda lib: F(lib).dropout(T(lib, 2), 1.5),
 "Dropout p": lambda lib: lib.nn.Dropout(-0.1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_refused_in_torchs_words(name):
    outcomes = []
    for lib in (manual, torch):
        with pytest.raises(Exception) as raised:  # noqa: PT011 (the class is compared below)
            CALLS[name](lib)
        outcomes.append((type(raised.value), str(raised.value)))
    (m_class, m_words), (t_class, t_words) = outcomes
    assert m_class is t_class
    assert m_words.startswith(t_words), (m_words, t_words)
