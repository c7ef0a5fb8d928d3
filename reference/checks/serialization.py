"""The check of save and load: a file written by either side reads back on the other."""

from __future__ import annotations

import io

import numpy as np
import torch

import manual
from reference.checks import check, compare, twin


@check("serialization")
def _serialization(rng, dtype):
    shapes = [tuple(int(n) for n in rng.integers(0, 4, rng.integers(0, 3))) for _ in range(3)]
    values = [rng.uniform(-4, 4, shape).astype(dtype) for shape in shapes]
    for writer, reader, make in (("manual", "native", manual.from_numpy),
                                 ("native", "manual", torch.from_numpy)):
        buffer = io.BytesIO()
        twin(writer, "serialization").save({str(i): make(v.copy()) for i, v in
                                            enumerate(values)}, buffer)
        back = twin(reader, "serialization").load(io.BytesIO(buffer.getvalue()))
        for i, v in enumerate(values):
            got = np.asarray(back[str(i)])
            yield compare(f"{writer} -> {reader} {shapes[i]}", "exact", got, v)
