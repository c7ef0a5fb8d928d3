"""18. scheduler.step() before optimizer.step(): the schedule's first learning rate is skipped."""

from __future__ import annotations

from reference.teaching.pitfalls import Pitfall
from reference.teaching.pitfalls._lib import regression


def buggy(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    scheduler = lib.StepLR(optimizer, step_size=1, gamma=0.5)
    used = []
    for _ in range(3):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        scheduler.step()                    # first: lr is halved before it is ever used
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
    return {"lr of steps 1-3": ", ".join(f"{lr:g}" for lr in used), "first lr": used[0]}


def fixed(lib):
    model, x, y = regression(lib)
    optimizer = lib.SGD(model.parameters(), lr=0.1)
    scheduler = lib.StepLR(optimizer, step_size=1, gamma=0.5)
    used = []
    for _ in range(3):
        optimizer.zero_grad()
        lib.mse_loss(model(x), y).backward()
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()                    # after the step that used the rate
    return {"lr of steps 1-3": ", ".join(f"{lr:g}" for lr in used), "first lr": used[0]}


def symptom(numbers: dict) -> bool:
    """The first step does not use the schedule's first rate, 0.1."""
    return numbers["first lr"] != 0.1


PITFALL = Pitfall(
    name="scheduler-before-optimizer",
    title="scheduler.step() before optimizer.step(): the first learning rate is skipped",
    explanation=(
        "A scheduler sets the rate for the steps to come: built, it puts the schedule's first "
        "value in the optimizer's groups; each scheduler.step() moves to the next. Called "
        "before optimizer.step(), it moves on before the first value was ever used, and every "
        "step runs one value early (a warm-up loses its first rate; a decay starts decayed). "
        "torch notices the first time: it marks optimizer.step when the scheduler is built, "
        "and warns at the scheduler's first step() if the optimizer has not stepped yet."),
    manual_ref=("manual/lr_scheduler.py, LRScheduler.step, and manual/_parity/lr_scheduler.py, "
                "warn_if_early"),
    buggy=buggy, fixed=fixed, symptom=symptom,
    shared=("lr of steps 1-3",),
    doctor="torch's warning, 'Detected call of `lr_scheduler.step()` before "
           "`optimizer.step()`', with the scheduler and the rate it skipped",
)
