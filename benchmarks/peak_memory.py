"""Peak resident memory of a fresh process that builds the 784-256-10 MLP and runs 100
training steps (batch 128, float32, cross-entropy, SGD) on one side: the manual process loads
NumPy and manual/ only, the torch process torch and torch_native/ only.

    python benchmarks/peak_memory.py manual|torch [STEPS]     prints the peak in bytes
"""

from __future__ import annotations

import importlib
import sys

import numpy as np


def main(side: str, steps: int) -> int:
    package = "manual" if side == "manual" else "torch_native"
    lib = importlib.import_module("manual" if side == "manual" else "torch")

    def twin(piece: str):
        return importlib.import_module(f"{package}.{piece}")

    lib.manual_seed(0)
    act, linear = twin("activations"), twin("linear")
    model = act.Sequential(linear.Linear(784, 256), act.ReLU(), linear.Linear(256, 10))
    optimizer = twin("sgd").SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    for _ in range(steps):
        optimizer.zero_grad()
        twin("cross_entropy").cross_entropy(model(x), y).backward()
        optimizer.step()
    print(_high_water_mark())
    return 0


def _high_water_mark() -> int:
    """This process's peak resident memory in bytes (Linux's VmHWM: unlike ru_maxrss, it is
    not carried over from the process that started this one)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100))
