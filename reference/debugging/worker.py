"""One side of ``dealias run --compare``: the user's script on one engine, watched step by step.

Started by reference/debugging/compare.py as ``python -m reference.debugging.worker ENGINE
SCRIPT ARGS...`` (ENGINE: ``torch``, ``manual`` or ``manual-free``), it runs the script as
``python`` (torch) or ``dealias run`` (manual) would, and reports through the pipe it was
given what each training step did. It sees the engine only through documented hooks:
global module forward hooks, global optimizer step hooks, and backward's start and end.

A step ends at each ``optimizer.step()``, or, in a script without an optimizer, at the end
of each backward. Per step the worker reports, by position:

    forward   the outputs of the outermost modules called with grad enabled
    loss      the tensor each backward started from
    grads     the gradients of what the script trains, after its last backward
    params    what the script trains, after the step (parameters, buffers, or its global
              leaf tensors that require grad)
    state     each optimizer's state tensors, after the step

Teacher forcing: at each sync point (the first forward, the end of each backward, the end
of each step) the torch side sends its state (the values and gradients of what the script
trains, the optimizers' state dicts, the generator's state); the ``manual`` side waits
there for it, records its own values first, then loads torch's, so that each of its steps
starts where torch's did. ``manual-free`` loads nothing: its distance from torch is the
free-running drift.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

STAGES = ("forward", "loss", "grads", "params", "state")
RELAY = b"relay:"  # a report that begins so is torch's state, for the manual worker


class Watch:
    """The hooks' shared state and the record of the step in progress, for one engine."""

    def __init__(self, engine: Any, out: Connection, inbox: Connection | None,
                 forced: bool, limit: int | None) -> None:
        self.engine, self.out, self.inbox = engine, out, inbox
        self.forced, self.limit = forced, limit
        self.depth, self.roots, self.optimizers = 0, [], []
        self.steps, self.syncs, self.started, self.pending = 0, 0, False, False
        self.record = {stage: {} for stage in STAGES}

    # -- the hooks ---------------------------------------------------------------------------

    def before_forward(self, module: Any, args: Any) -> None:
        if self.depth == 0 and self.engine.grad_enabled():
            self.flush()
            if not any(module is root for root in self.roots):
                self.roots.append(module)
            if not self.started:
                self.started = True
                self.sync("the first forward")
        self.depth += 1

    def after_forward(self, module: Any, args: Any, output: Any) -> None:
        self.depth -= 1
        if self.depth == 0 and self.engine.grad_enabled():
            for array in self.engine.arrays(output):
                self.record["forward"][f"output {len(self.record['forward'])}"] = array

    def on_backward(self, tensor: Any) -> None:
        self.flush()
        self.record["loss"][f"loss {len(self.record['loss'])}"] = self.engine.array(tensor)

    def after_backward(self, tensor: Any) -> None:
        trained = self.trained()
        self.record["grads"] = {f"{n}.grad": self.engine.array(t.grad) for n, t in trained
                                if t.grad is not None}
        self.record["params"] = {n: self.engine.array(t) for n, t in trained}
        self.pending = not self.optimizers  # a step of its own, unless an optimizer steps
        self.sync("the end of a backward", grads=True)

    def on_optimizer(self, optimizer: Any) -> None:
        if not any(optimizer is o for o in self.optimizers):
            self.optimizers.append(optimizer)

    def before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.pending = False
        self.on_optimizer(optimizer)

    def after_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.record["params"] = {n: self.engine.array(t) for n, t in self.trained()}
        self.record["state"] = self.optimizer_state()
        self.finish()
        self.sync("the end of a step")

    # -- steps and teacher forcing -------------------------------------------------------------

    def trained(self) -> list[tuple[str, Any]]:
        main = vars(sys.modules["__main__"]) if "__main__" in sys.modules else {}
        return self.engine.tracked(self.roots, main)

    def optimizer_state(self) -> dict[str, np.ndarray]:
        """Each optimizer's state tensors, by optimizer, parameter position and key."""
        out = {}
        for i, optimizer in enumerate(self.optimizers):
            params = [p for group in optimizer.param_groups for p in group["params"]]
            for j, p in enumerate(params):
                for key, value in sorted(optimizer.state.get(p, {}).items()):
                    if self.engine.is_tensor(value):
                        out[f"optimizer{i}.param{j}.{key}"] = self.engine.array(value)
        return out

    def flush(self) -> None:
        """A backward that no optimizer step followed was a step of its own."""
        if self.pending:
            self.pending = False
            self.finish()

    def finish(self) -> None:
        self.steps += 1
        self.out.send(("step", self.steps, self.record))
        self.record = {stage: {} for stage in STAGES}
        if self.limit is not None and self.steps >= self.limit:
            self.out.send(("exit", self.steps, 0))
            sys.stdout.flush()
            os._exit(0)

    def sync(self, point: str, grads: bool = False) -> None:
        """torch sends its state here; the forced manual side loads it."""
        self.syncs += 1
        if self.engine.name == "torch":
            snapshot = self.engine.snapshot(self.trained(), self.optimizers, grads)
            # for the manual side: tagged, so the coordinator passes it on without unpickling
            self.out.send_bytes(RELAY + pickle.dumps((self.syncs, (point, snapshot)), -1))
        elif self.forced and self.inbox is not None:
            number, (their_point, snapshot) = self.inbox.recv()
            if number != self.syncs or their_point != point:
                self.out.send(("apart", self.steps, f"manual reached {point} where torch "
                               f"reached {their_point}: the two runs took different paths"))
                os._exit(1)
            self.engine.load(snapshot, self.trained(), self.optimizers)


def main(argv: list[str]) -> int:
    engine_name, script, *args = argv
    out = Connection(int(os.environ["DEALIAS_LOCKSTEP_OUT"]), readable=False)
    inbox_fd = os.environ.get("DEALIAS_LOCKSTEP_IN")
    inbox = Connection(int(inbox_fd), writable=False) if inbox_fd else None
    seed = int(os.environ["DEALIAS_LOCKSTEP_SEED"])
    limit = int(os.environ.get("DEALIAS_LOCKSTEP_STEPS", "0")) or None
    random.seed(seed)  # an unseeded script draws the same numbers on every side
    np.random.seed(seed % 2**32)
    from reference.debugging import engines
    from reference.debugging.run import ScriptStopError

    engine = engines.TorchEngine() if engine_name == "torch" else engines.ManualEngine()
    engine.manual_seed(seed)
    watch = Watch(engine, out, inbox, forced=engine_name == "manual", limit=limit)
    try:
        status = engine.run(script, args, watch)
    except ScriptStopError as stop:
        out.send(("stop", watch.steps, str(stop)))
        return 2
    watch.flush()
    out.send(("exit", watch.steps, status))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
