"""The two engines as the lockstep worker sees them: the same few operations on each.

Each engine runs a script with the worker's hooks installed (its documented hooks only),
turns its tensors into NumPy arrays, finds what a script trains (the state dicts of the
outermost modules it calls, else the leaf tensors that require grad among the script's
globals), and takes or loads a snapshot of that state, the optimizers' state dicts and the
generator's state, for teacher forcing.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


class Engine:
    """What the worker needs of an engine; the subclasses bind it to torch or manual."""

    name = ""
    lib: Any = None

    def is_tensor(self, value: Any) -> bool:
        return isinstance(value, self.lib.Tensor)

    def array(self, value: Any) -> np.ndarray | None:
        if value is None:
            return None
        return np.array(value.detach().numpy() if self.name == "torch" else value.array)

    def arrays(self, output: Any) -> list[np.ndarray]:
        """The tensors in a module's output (a tensor, or a tuple or list of them)."""
        if self.is_tensor(output):
            return [self.array(output)]
        if isinstance(output, (tuple, list)):
            return [a for item in output for a in self.arrays(item)]
        return []

    def tracked(self, roots: list[Any], script: dict[str, Any]) -> list[tuple[str, Any]]:
        """(name, tensor) of what the script trains and keeps: each outermost module's state
        dict (parameters and buffers), then the script's global leaf tensors that require
        grad, by name."""
        out, seen = [], set()
        for i, module in enumerate(roots):
            for name, t in module.state_dict(keep_vars=True).items():
                if id(t) not in seen:
                    seen.add(id(t))
                    out.append((f"model{i}.{name}", t))
        for name in sorted(script):
            t = script[name]
            if self.is_tensor(t) and t.requires_grad and t.is_leaf and id(t) not in seen:
                seen.add(id(t))
                out.append((name, t))
        return out

    def snapshot(self, tracked: list[tuple[str, Any]], optimizers: list[Any],
                 grads: bool = False) -> dict[str, Any]:
        values = {name: self.array(t) for name, t in tracked}
        state = {"values": values, "rng": self.rng_state(),
                 "optimizers": [_numpy_tree(self, o.state_dict()) for o in optimizers]}
        if grads:
            state["grads"] = {name: self.array(t.grad) for name, t in tracked}
        return state

    def load(self, snapshot: dict[str, Any], tracked: list[tuple[str, Any]],
             optimizers: list[Any]) -> None:
        """Take the other side's state: values and gradients in place, optimizer states,
        the generator's state."""
        with self.lib.no_grad():
            for name, t in tracked:
                value = snapshot["values"].get(name)
                if value is not None and value.shape == tuple(t.shape):
                    t.copy_(self.lib.from_numpy(value.astype(value.dtype)))
                if "grads" in snapshot and name in snapshot["grads"]:
                    grad = snapshot["grads"][name]
                    t.grad = None if grad is None else self.lib.from_numpy(grad.copy())
        for optimizer, state in zip(optimizers, snapshot["optimizers"]):
            optimizer.load_state_dict(_tensor_tree(self, state))
        self.set_rng_state(snapshot["rng"])


def _numpy_tree(engine: Engine, value: Any) -> Any:
    if engine.is_tensor(value):
        return engine.array(value)
    if isinstance(value, dict):
        return {k: _numpy_tree(engine, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy_tree(engine, v) for v in value)
    return value


def _tensor_tree(engine: Engine, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return engine.lib.from_numpy(value.copy())
    if isinstance(value, dict):
        return {k: _tensor_tree(engine, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tensor_tree(engine, v) for v in value)
    return value


class TorchEngine(Engine):
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.lib = torch

    def manual_seed(self, seed: int) -> None:
        self.lib.manual_seed(seed)

    def grad_enabled(self) -> bool:
        return self.lib.is_grad_enabled()

    def rng_state(self) -> np.ndarray:
        return self.lib.get_rng_state().numpy().copy()

    def set_rng_state(self, state: np.ndarray) -> None:
        self.lib.set_rng_state(self.lib.from_numpy(state.copy()))

    def run(self, script: str, args: list[str], watch: Any) -> int:
        from torch.nn.modules import module
        from torch.optim import optimizer

        tensor_backward = self.lib.Tensor.backward

        def backward(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            # Tensor.backward for the run: torch has no global backward hook, and a
            # TorchFunctionMode would put Python in front of every operation of the script
            watch.on_backward(tensor)
            out = tensor_backward(tensor, *args, **kwargs)
            watch.after_backward(tensor)
            return out

        handles = [module.register_module_forward_pre_hook(watch.before_forward),
                   module.register_module_forward_hook(watch.after_forward),
                   optimizer.register_optimizer_step_pre_hook(watch.before_step),
                   optimizer.register_optimizer_step_post_hook(watch.after_step)]
        self.lib.Tensor.backward = backward
        try:
            with _optimizers_seen(optimizer.Optimizer, watch):
                return _run_as_python(script, args, watch)
        finally:
            self.lib.Tensor.backward = tensor_backward
            for handle in handles:
                handle.remove()


class ManualEngine(Engine):
    name = "manual"

    def __init__(self) -> None:
        import manual

        self.lib = manual

    def manual_seed(self, seed: int) -> None:
        self.lib.manual_seed(seed)

    def grad_enabled(self) -> bool:
        return self.lib.is_grad_enabled()

    def rng_state(self) -> np.ndarray:
        return self.lib.get_rng_state().array.copy()

    def set_rng_state(self, state: np.ndarray) -> None:
        self.lib.set_rng_state(state)

    def run(self, script: str, args: list[str], watch: Any) -> int:
        from manual import graph, module, optimizer
        from reference.debugging.run import run_script

        handles = [module.register_module_forward_pre_hook(watch.before_forward),
                   module.register_module_forward_hook(watch.after_forward),
                   optimizer.register_optimizer_step_pre_hook(watch.before_step),
                   optimizer.register_optimizer_step_post_hook(watch.after_step),
                   graph.register_backward_hook(watch.on_backward),
                   graph.register_backward_post_hook(watch.after_backward)]
        try:
            with _optimizers_seen(optimizer.Optimizer, watch):
                return run_script(script, args)
        finally:
            for handle in handles:
                handle.remove()


@contextmanager
def _optimizers_seen(base: type, watch: Any) -> Iterator[None]:
    """Every optimizer the script builds, told to ``watch`` when it is built, so that the
    backwards before its first step (accumulation) are parts of that step: neither engine
    has a hook for an optimizer's construction, so the base class's __init__ is wrapped
    for the run."""
    init = base.__init__

    def seen(optimizer: Any, *args: Any, **kwargs: Any) -> None:
        init(optimizer, *args, **kwargs)
        watch.on_optimizer(optimizer)

    base.__init__ = seen
    try:
        yield
    finally:
        base.__init__ = init


def _run_as_python(script: str, args: list[str], watch: Any) -> int:
    """The script as ``python SCRIPT ARGS`` runs it (the torch side)."""
    from reference.debugging.run import exit_status, print_script_traceback

    path = Path(script)
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.resolve().parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
        return 0
    except SystemExit as stop:
        return exit_status(stop.code)
    except BaseException:  # noqa: BLE001 (the script's own failure, reported as Python would)
        print_script_traceback(path)
        return 1
