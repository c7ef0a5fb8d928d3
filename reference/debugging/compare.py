"""dealias run --compare: a user's script on both engines, in lockstep, compared step by step.

Two workers run the unmodified script (reference/debugging/worker.py): one on torch, one on
manual. The manual side is teacher-forced: at every sync point it takes torch's state (what
the script trains, its gradients, the optimizers' state, the generator), so every step is
measured from the same start and held to the per-step "trace" tolerance of
reference/tolerances.py (reference/lockstep.py compares). Each worker reports every step
by stage; this process relays torch's states to the manual worker, compares the two
reports of each step as they arrive and prints one row per step: the largest gap of each
stage, in ULPs of the tensor's scale.

With ``--drift`` a third worker runs manual free (never forced); its distance from torch's
parameters is the free-running drift, shown beside the gaps and never a failure.

Exit status: 0 when every step agrees, 1 at the first that does not (naming the step, the
stage, the tensor, the index and both values), 2 when the script cannot run on manual.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from reference.debugging.run import ScriptStopError
from reference.debugging.worker import RELAY, STAGES
from reference.lockstep import Divergence, compare
from reference.tolerances import tolerance


@dataclass
class Worker:
    """One side: its process, the pipe it reports on, and what it has reported."""

    engine: str
    process: subprocess.Popen
    reports: Connection
    log: Any
    steps: dict[int, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    ended: tuple[str, int, Any] | None = None


def start(engine: str, script: str, args: list[str], seed: int, limit: int,
          inbox: int | None = None) -> Worker:
    """A worker process for ``engine``, its output kept in a temporary file."""
    read, write = os.pipe()
    env = dict(os.environ, DEALIAS_LOCKSTEP_OUT=str(write), DEALIAS_LOCKSTEP_SEED=str(seed),
               DEALIAS_LOCKSTEP_STEPS=str(limit or 0))
    if engine != "torch":  # the engines run at once: manual's BLAS takes half the cores, so
        # that the two do not wait on each other's threads (OpenBLAS's threads spin, and a
        # product waits for its slowest thread); each entry's sum is the same on any count
        env.setdefault("OPENBLAS_NUM_THREADS", str(max(1, (os.cpu_count() or 2) // 2)))
    fds = [write]
    if inbox is not None:
        env["DEALIAS_LOCKSTEP_IN"] = str(inbox)
        fds.append(inbox)
    log = tempfile.TemporaryFile("w+")
    process = subprocess.Popen([sys.executable, "-m", "reference.debugging.worker", engine,
                                script, *args], env=env, pass_fds=fds, stdout=log,
                               stderr=subprocess.STDOUT)
    os.close(write)
    if inbox is not None:
        os.close(inbox)
    return Worker(engine, process, Connection(read, writable=False), log)


class Relay:
    """Torch's states to the manual worker, in order, from a thread of its own (a full pipe
    then never stops this process from reading the workers' reports)."""

    def __init__(self, fd: int) -> None:
        self.pipe = Connection(fd, readable=False)
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, message: bytes | None) -> None:
        """A state as the torch worker pickled it; None ends the relay."""
        self.queue.put(message)

    def _run(self) -> None:
        while (message := self.queue.get()) is not None:
            try:
                self.pipe.send_bytes(message)
            except (BrokenPipeError, OSError):
                return


def read_reports(worker: Worker, relay: Relay, reports: queue.Queue) -> threading.Thread:
    """A thread that drains ``worker``'s pipe as fast as it writes (a worker never waits on
    this process's comparisons): torch's states go to the relay as they came, still pickled;
    every other report goes to ``reports`` as (worker, report), and (worker, None) at the end."""

    def drain() -> None:
        while True:
            try:
                raw = worker.reports.recv_bytes()
            except (EOFError, OSError):
                reports.put((worker, None))
                return
            if raw.startswith(RELAY):
                relay.send(raw[len(RELAY):])
            else:
                reports.put((worker, pickle.loads(raw)))

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return thread


@dataclass
class Outcome:
    rows: list[tuple[int, dict[str, float], float | None]] = field(default_factory=list)
    divergence: Divergence | None = None
    stop: str | None = None


def compare_script(script: str, args: list[str], steps: int | None = None,
                   drift: bool = False, on_row: Any = None) -> Outcome:
    """Run the lockstep comparison; ``on_row(step, gaps, drift)`` after each step."""
    if not Path(script).is_file():
        raise ScriptStopError(f"{script}: no such file")
    seed = int.from_bytes(os.urandom(4), "little")
    inbox_read, inbox_write = os.pipe()
    workers = [start("torch", script, args, seed, steps),
               start("manual", script, args, seed, steps, inbox=inbox_read)]
    if drift:
        workers.append(start("manual-free", script, args, seed, steps))
    relay = Relay(inbox_write)
    outcome = Outcome()
    try:
        _collect(workers, relay, outcome, on_row)
    finally:
        relay.send(None)
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait()
    _explain_ends(workers, outcome)
    return outcome


def _collect(workers: list[Worker], relay: Relay, outcome: Outcome, on_row: Any) -> None:
    torch_side, manual_side = workers[0], workers[1]
    free = workers[2] if len(workers) > 2 else None
    reports: queue.Queue = queue.Queue()
    for worker in workers:
        read_reports(worker, relay, reports)
    step, history, free_history = 1, {}, {}
    while any(worker.ended is None for worker in workers):
        worker, report = reports.get()
        if report is None:
            worker.ended = worker.ended or ("crash", len(worker.steps), None)
            continue
        kind, number, payload = report
        if kind == "step":
            worker.steps[number] = payload
        else:
            worker.ended = (kind, number, payload)
        while step in torch_side.steps and step in manual_side.steps and (
                free is None or step in free.steps or free.ended):
            gaps, outcome.divergence = _compare_step(step, torch_side.steps[step],
                                                     manual_side.steps[step], history)
            drift = _drift(torch_side.steps[step], free.steps.get(step),
                           free_history) if free else None
            outcome.rows.append((step, gaps, drift))
            if on_row:
                on_row(step, gaps, drift)
            for side in workers:
                side.steps.pop(step, None)
            if outcome.divergence:
                return
            step += 1
        if manual_side.ended and manual_side.ended[0] in ("stop", "apart", "crash"):
            return


def _compare_step(step: int, torch_record: dict, manual_record: dict, history: dict
                  ) -> tuple[dict[str, float], Divergence | None]:
    gaps = {}
    for stage in STAGES:
        gaps[stage], divergence = compare(step, stage, manual_record[stage],
                                          torch_record[stage], history)
        if divergence:
            return gaps, divergence
    return gaps, None


def _drift(torch_record: dict, free_record: dict | None, history: dict) -> float | None:
    """The largest normwise distance of the free-running manual side's parameters."""
    if free_record is None:
        return None
    largest, _ = compare(0, "params", free_record["params"], torch_record["params"], history)
    return largest


def _explain_ends(workers: list[Worker], outcome: Outcome) -> None:
    """Why the comparison stopped early, if it did: a one-line stop, or a side that failed."""
    for worker in workers[:2]:
        kind, number, payload = worker.ended or ("crash", 0, None)
        if kind == "stop":
            raise ScriptStopError(payload)
        if kind == "apart" and outcome.divergence is None:
            outcome.stop = f"step {number + 1}: {payload}"
        if kind in ("crash",) or (kind == "exit" and payload not in (0, None)):
            if outcome.divergence is None and outcome.stop is None:
                worker.log.seek(0)
                tail = worker.log.read()[-2000:]
                outcome.stop = (f"the script failed on the {worker.engine} side after "
                                f"{number} steps (exit status {payload}):\n{tail}")


GRADS_APART = (
    "The step's forward outputs and loss agreed. Gradients apart from the same forward are a "
    "backward that differs, or, in a correct loop, a ReLU or max-pool whose input lay within "
    "rounding of its threshold and went the other way on one engine: that is rare, happens at "
    "one element, and moves with the seed (stop before it with --steps, or change the seed).")

# a run of more steps than this is shown as a summary: the first steps, every k-th, the last,
# and each stage's largest gap
FULL_TABLE = 40
SHOWN_EVERY = 20  # about this many evenly spaced steps in the summary


def main(script: str, args: list[str], console: Console, steps: int | None = None,
         drift: bool = False) -> int:
    """``dealias run --compare``: progress while it runs, the table (a summary for long runs),
    each stage's largest gap, then the verdict; the exit status."""
    if not Path(script).is_file():
        raise ScriptStopError(f"{script}: no such file")
    console.print(f"running {script} on torch and on manual, in lockstep ...")
    with console.status("waiting for the first optimizer step ...") as status:
        outcome = compare_script(script, args, steps, drift, on_row=lambda s, g, d: status.update(
            f"step {s} compared, largest gap {max(g.values(), default=0):.3g} ULP"))
    console.print(_table(script, outcome.rows, drift))
    if outcome.rows:
        console.print("largest gap per stage (ULPs of scale): " + ", ".join(
            f"{stage} {_cell(gap)} (step {step})" for stage, (gap, step) in
            _largest(outcome.rows).items()))
    if outcome.divergence:
        console.print(f"the engines part: {outcome.divergence}", style="bold red")
        if outcome.divergence.stage == "grads":
            console.print(GRADS_APART)
        return 1
    if outcome.stop:
        console.print(outcome.stop, style="bold red", markup=False)
        return 1
    console.print(f"every step agrees: {len(outcome.rows)} steps compared")
    return 0


def _table(script: str, rows: list[tuple], drift: bool) -> Table:
    allowed = tolerance("trace", np.float32).ulp
    shown = _shown(rows)
    title = (f"{script}: manual against torch, step by step (teacher-forced; ULPs of each "
             f"tensor's scale, allowed {allowed:g})")
    if len(shown) < len(rows):
        title += (f"; {len(shown)} of {len(rows)} steps shown: the first, every "
                  f"{_every(rows)}-th, each stage's largest and the last")
    table = Table(title=title, title_justify="left")
    for column in ("step", *STAGES, *(("drift",) if drift else ())):
        table.add_column(column, justify="right")
    for index in shown:
        step, gaps, step_drift = rows[index]
        table.add_row(str(step), *(_cell(gaps.get(stage)) for stage in STAGES),
                      *((_cell(step_drift),) if drift else ()))
    return table


def _every(rows: list[tuple]) -> int:
    return max(1, len(rows) // SHOWN_EVERY)


def _shown(rows: list[tuple]) -> list[int]:
    """The rows of the table: all of them for a short run; else the first five, every k-th,
    each stage's largest gap and the last (the step where the engines part, if they do)."""
    if len(rows) <= FULL_TABLE:
        return list(range(len(rows)))
    every = _every(rows)
    picked = set(range(5)) | set(range(every - 1, len(rows), every)) | {len(rows) - 1}
    steps = [step for step, _, _ in rows]
    picked |= {steps.index(step) for _, step in _largest(rows).values()}
    return sorted(picked)


def _largest(rows: list[tuple]) -> dict[str, tuple[float, int]]:
    """Each stage's largest gap over the run, and the first step where it was."""
    largest: dict[str, tuple[float, int]] = {}
    for step, gaps, _ in rows:
        for stage in STAGES:
            gap = gaps.get(stage)
            if gap is not None and (stage not in largest or gap > largest[stage][0]):
                largest[stage] = (gap, step)
    return largest


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}"
