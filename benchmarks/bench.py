"""The manual engine's speed and memory, as a ratio to torch's on the same machine.

Each time is measured in this one process with the same thread count for NumPy's BLAS and
torch (``--threads``, default: every core), the sides taking turns (``--rounds``); the ratio
is the median of the rounds' ratios, shown with the middle half of them. The CNN script runs
as a whole process per side, in turns, timed from start to exit (and its CPU time, user +
sys, from the same runs): ``python`` for torch, ``dealias run`` for manual.
Peak memory is measured in a fresh process per side (benchmarks/peak_memory.py).

    python benchmarks/bench.py              (make bench)
    python benchmarks/bench.py --markdown   the table for the README
"""

from __future__ import annotations

import argparse
import os
import sys


def _threads_argument() -> str | None:
    """--threads N, read before NumPy and torch start their thread pools (argparse runs
    later, too late for NumPy's BLAS, which reads the environment once, when it loads)."""
    value = None
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            value = sys.argv[i + 1]
        elif arg.startswith("--threads="):
            value = arg.partition("=")[2]
    return value if value and value.isdigit() and int(value) > 0 else None  # argparse says why


THREADS = _threads_argument()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    if THREADS is not None:  # before NumPy and torch load their BLAS
        os.environ[variable] = THREADS
    else:
        os.environ.setdefault(variable, str(os.cpu_count() or 1))
THREADS = THREADS or os.environ["OMP_NUM_THREADS"]

import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import manual  # noqa: E402
from reference.debugging.models import _twin  # noqa: E402


def paired_seconds(runs: dict[str, Callable[[], None]], rounds: int, number: int,
                   warmup: bool = True) -> dict[str, list[float]]:
    """Seconds per call of each side, round by round.

    The sides take turns in the order A B B A A B ..., so a drift in the machine's speed falls
    on both alike; each turn makes one untimed call (unless not ``warmup``: a whole process
    starts cold every time anyway), then times ``number`` calls. Between turns a pause lets
    the other side's idle threads stop spinning (OpenBLAS's and OpenMP's threads keep a core
    busy for a while after their last task).
    """
    seconds: dict[str, list[float]] = {side: [] for side in runs}
    order = list(runs)
    for round_ in range(rounds):
        for side in order if round_ % 2 == 0 else order[::-1]:
            time.sleep(PAUSE)
            if warmup:
                runs[side]()
            start = time.perf_counter()
            for _ in range(number):
                runs[side]()
            seconds[side].append((time.perf_counter() - start) / number)
    return seconds


PAUSE = 0.2  # seconds between turns


# -- the workloads: each builds its state on one side and returns the function to time -------

def thermometer(side: str) -> Callable[[], None]:
    """The book's loop, 5,000 epochs of gradient descent on 11 readings."""
    lib = manual if side == "manual" else torch
    twin = _twin(side, "linear_regression")
    t_u = lib.tensor(np.float32(twin.T_U) * np.float32(0.1))
    t_c = lib.tensor(np.float32(twin.T_C))

    def run() -> None:
        params = lib.tensor([1.0, 0.0], requires_grad=True)
        optimizer = _twin(side, "sgd").SGD([params], lr=1e-2)
        for _ in range(5000):
            optimizer.zero_grad()
            loss = twin.loss_fn(twin.model(t_u, *params), t_c)
            loss.backward()
            optimizer.step()
    return run


def mlp_step(side: str) -> Callable[[], None]:
    """One training step of a 784-256-10 MLP, batch 128, float32, cross-entropy, SGD."""
    lib = manual if side == "manual" else torch
    (manual.manual_seed if side == "manual" else torch.manual_seed)(0)
    act, linear = _twin(side, "activations"), _twin(side, "linear")
    model = act.Sequential(linear.Linear(784, 256), act.ReLU(), linear.Linear(256, 10))
    loss_fn = _twin(side, "cross_entropy").cross_entropy
    optimizer = _twin(side, "sgd").SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def run() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return run


def convolution(piece: str) -> Callable[[str], Callable[[], None]]:
    """Forward and backward, batch 32, 16 -> 32 channels, 32x32, 3x3, padding 1."""
    def build(side: str) -> Callable[[], None]:
        lib = manual if side == "manual" else torch
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((32, 16, 32, 32)).astype(np.float32),
                       requires_grad=True)
        shape = (16, 32, 3, 3) if piece == "conv_transpose2d" else (32, 16, 3, 3)
        w = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        b = lib.tensor(np.zeros(32, np.float32), requires_grad=True)
        conv = getattr(_twin(side, piece), piece)

        def run() -> None:
            conv(x, w, b, padding=1).sum().backward()
        return run
    return build


ROOT = Path(__file__).parents[1]
CNN_SCRIPT = ROOT / "tests" / "scripts" / "mnist_cnn.py"
CNN_ARGS = ("--epochs", "1", "--train-size", "2048", "--test-size", "512")


@dataclass
class Process:
    """A command run to its exit per call; the CPU time (user + sys) of each run is kept."""

    command: list[str]
    cpu: list[float] = field(default_factory=list)

    def __call__(self) -> None:
        before = _children_cpu()
        subprocess.run(self.command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        self.cpu.append(_children_cpu() - before)


def cnn_script(side: str) -> Process:
    """The PyTorch MNIST example (tests/scripts/mnist_cnn.py: two convolutions, max-pooling,
    dropout, two linear layers, Adadelta, StepLR) for one epoch of 2,048 synthetic images
    and a test pass of 512, as a whole process: ``python SCRIPT`` for torch, ``dealias run
    SCRIPT`` for manual."""
    runner = ["-m", "reference", "run"] if side == "manual" else []
    return Process([sys.executable, *runner, str(CNN_SCRIPT), *CNN_ARGS])


class Workload(NamedTuple):
    """What builds each side's call, the rounds, the calls timed per turn, and whether each
    turn starts with an untimed call."""

    build: Callable[[str], Callable[[], None]]
    rounds: int
    number: int
    warmup: bool = True


WORKLOADS = {
    "thermometer loop, 5,000 epochs": Workload(thermometer, 5, 1),
    "MLP step (784-256-10, batch 128)": Workload(mlp_step, 15, 20),
    "conv2d forward + backward": Workload(convolution("conv2d"), 15, 5),
    "conv_transpose2d forward + backward": Workload(convolution("conv_transpose2d"), 15, 5),
    "CNN script (mnist_cnn.py), whole process": Workload(cnn_script, 5, 1, warmup=False),
}


def peak_memory(side: str) -> tuple[int, int]:
    """(peak, added): the peak resident memory of a fresh process running 100 MLP steps
    (benchmarks/peak_memory.py: the manual side never loads torch), and how much of it the
    steps add to a process that builds the same model and runs none."""
    script = str(Path(__file__).with_name("peak_memory.py"))
    peaks = [int(subprocess.run([sys.executable, script, side, str(steps)], check=True,
                                capture_output=True, text=True).stdout)
             for steps in (100, 0)]
    return peaks[0], max(peaks[0] - peaks[1], 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--threads", type=_positive, default=int(THREADS))
    parser.add_argument("--rounds", type=_positive, default=None,
                        help="override each workload's number of rounds")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name, workload in WORKLOADS.items():
        runs = {side: workload.build(side) for side in ("manual", "torch")}
        seconds = paired_seconds(runs, args.rounds or workload.rounds, workload.number,
                                 workload.warmup)
        measured = [Row(name, seconds["manual"], seconds["torch"])]
        if isinstance(runs["manual"], Process):  # the same runs' CPU time
            measured.append(Row("  the same runs' CPU time (user + sys)", runs["manual"].cpu,
                                runs["torch"].cpu))
        for row in measured:
            print(f"{row.name:<40} manual {_time(row.manual):>9}  torch {_time(row.torch):>9}"
                  f"  ratio {row.ratio:.2f}x ({row.spread})", file=sys.stderr, flush=True)
        rows += measured
    memory = {side: peak_memory(side) for side in ("manual", "torch")}
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"{args.threads} threads, Python {platform.python_version()}, NumPy "
               f"{np.__version__}, torch {torch.__version__}")
    _print(rows, memory, machine, args.markdown)
    return 0


@dataclass
class Row:
    """One workload's timings, a pair per round."""

    name: str
    manuals: list[float]
    torches: list[float]

    @property
    def manual(self) -> float:
        return statistics.median(self.manuals)

    @property
    def torch(self) -> float:
        return statistics.median(self.torches)

    @property
    def ratios(self) -> list[float]:
        return sorted(m / t for m, t in zip(self.manuals, self.torches))

    @property
    def ratio(self) -> float:
        """The median of the rounds' ratios: each round's pair ran a moment apart."""
        return statistics.median(self.ratios)

    @property
    def spread(self) -> str:
        """The middle half of the rounds' ratios (all of them with fewer than 4 rounds)."""
        ratios = self.ratios
        if len(ratios) >= 4:
            quartiles = statistics.quantiles(ratios, n=4)
            ratios = [quartiles[0], quartiles[2]]
        return f"{ratios[0]:.2f}-{ratios[-1]:.2f}x"


def _positive(text: str) -> int:
    """argparse's type for a count: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _children_cpu() -> float:
    """CPU seconds (user + sys) of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _print(rows: list[Row], memory, machine: str, markdown: bool) -> None:
    lines = ["| workload | manual | torch | manual / torch | middle half of the rounds |",
             "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row.name} | {_time(row.manual)} | {_time(row.torch)} | "
                     f"{row.ratio:.2f}x | {row.spread} |")
    (m, m_steps), (t, t_steps) = memory["manual"], memory["torch"]
    lines.append(f"| peak memory, process running 100 MLP steps | {m / 2**20:.0f} MiB | "
                 f"{t / 2**20:.0f} MiB | {m / t:.2f}x | |")
    lines.append(f"| of which the 100 steps add | {m_steps / 2**20:.1f} MiB | "
                 f"{t_steps / 2**20:.1f} MiB | {m_steps / max(t_steps, 1):.2f}x | |")
    print(f"Measured on: {machine}\n")
    print("\n".join(lines) if markdown else "\n".join(
        line.replace("|", " ").rstrip() for line in lines if not line.startswith("|---")))


if __name__ == "__main__":
    sys.exit(main())
