"""dealias doctor's benchmark: the loops of benchmarks/doctor/, each planted with one bug or
clean, run whole under doctor on both engines; the detection rate, the false-alarm rate,
each bug's count, and every miss and false alarm by name.

Each file's docstring says what it plants: a line ``bug: NAME`` (a pitfall of `dealias
pitfalls`) or ``bug: none``, and ``engines: manual`` for a loop written against manual
itself. A torch script runs on torch and, through `dealias run`'s machinery, on manual; a
run that needs a torch name manual lacks yet is listed as skipped and not counted.

    python benchmarks/doctor_bench.py              (make doctor-bench)
    python benchmarks/doctor_bench.py b01 c04      the files whose names start so

A run's verdict: a buggy loop passes when doctor names its bug (other findings are listed
beside it), a clean loop when doctor names nothing. Exit status 0 when every planted bug is
named, no clean loop gets a finding and doctor reports no failure of its own; 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference.debugging.doctor import DoctorError, diagnose_script  # noqa: E402

FOLDER = ROOT / "benchmarks" / "doctor"
ENGINES = ("torch", "manual")
MISSING = ("is not in manual yet", "needs the real torch")


@dataclass(frozen=True)
class Case:
    path: Path
    bug: str | None                 # the pitfall it plants, None when clean
    engines: tuple[str, ...]


@dataclass
class Outcome:
    case: Case
    engine: str
    named: list[str] = field(default_factory=list)
    skipped: str = ""               # why manual could not run it
    problem: str = ""               # doctor's own failure, or a usage error
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        if self.problem:
            return False
        return self.case.bug in self.named if self.case.bug else not self.named


def cases(prefixes: list[str]) -> list[Case]:
    """benchmarks/doctor/*.py whose names start with one of ``prefixes`` (all without)."""
    found = []
    for path in sorted(FOLDER.glob("*.py")):
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        lines = dict(line.split(":", 1) for line in
                     (ast.get_docstring(ast.parse(path.read_text())) or "").splitlines()
                     if line.startswith(("bug:", "engines:")))
        if "bug" not in lines:
            raise SystemExit(f"{path.name}: its docstring has no 'bug:' line")
        bug = lines["bug"].strip()
        engines = tuple(lines.get("engines", " ".join(ENGINES)).split())
        found.append(Case(path, None if bug == "none" else bug, engines))
    return found


def run(case: Case, engine: str, steps: int) -> Outcome:
    """doctor on one loop and one engine, the loop's own output kept out of the way."""
    outcome = Outcome(case, engine)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            diagnosis = diagnose_script(str(case.path), steps=steps, engine=engine)
    except DoctorError as error:
        if any(m in str(error) for m in MISSING):
            outcome.skipped = str(error).split(" (")[0]
        else:
            outcome.problem = f"doctor refused it: {error}"
        return outcome
    outcome.seconds = time.perf_counter() - start
    outcome.named = [f.pitfall or "(unlisted)" for f in diagnosis.findings]
    if diagnosis.faults:
        outcome.problem = "doctor's own failure: " + "; ".join(diagnosis.faults)
    return outcome


def summary(outcomes: list[Outcome]) -> tuple[list[str], bool]:
    """The report's lines, and whether the target is met."""
    ran = [o for o in outcomes if not o.skipped]
    buggy = [o for o in ran if o.case.bug]
    clean = [o for o in ran if not o.case.bug]
    named = [o for o in buggy if o.passed]
    alarms = [o for o in clean if not o.passed]
    lines = [f"detection: {len(named)} of {len(buggy)} buggy runs named their bug "
             f"({_percent(len(named), len(buggy))}), "
             f"{len({o.case for o in buggy})} buggy loops",
             f"false alarms: {len(alarms)} of {len(clean)} clean runs "
             f"({_percent(len(alarms), len(clean))}), {len({o.case for o in clean})} clean loops",
             "per bug (named / runs):"]
    for bug in sorted({o.case.bug for o in buggy}):
        runs = [o for o in buggy if o.case.bug == bug]
        lines.append(f"  {bug:30} {sum(o.passed for o in runs)} / {len(runs)}")
    lines += [f"missed: {_run(o)} named {o.named or 'nothing'} {o.problem}".rstrip()
              for o in buggy if not o.passed]
    lines += [f"false alarm: {_run(o)} named {o.named} {o.problem}".rstrip() for o in alarms]
    lines += [f"skipped: {_run(o)}: {o.skipped}" for o in outcomes if o.skipped]
    problems = [o for o in ran if o.problem]
    return lines, len(named) == len(buggy) and not alarms and not problems


def _run(o: Outcome) -> str:
    return f"{o.case.path.name} on {o.engine}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only the files whose names start so")
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)          # tiny tensors: a second thread costs more than it saves
    start = time.perf_counter()
    outcomes = []
    for case in cases(args.prefixes):
        for engine in case.engines:
            outcome = run(case, engine, args.steps)
            outcomes.append(outcome)
            verdict = ("skipped" if outcome.skipped else "ok" if outcome.passed else "WRONG")
            print(f"{case.path.name:42} {engine:7} {case.bug or 'clean':28} "
                  f"{', '.join(outcome.named) or '-':40} {verdict}")
    lines, met = summary(outcomes)
    print("\n" + "\n".join(lines))
    print(f"{len(outcomes)} runs in {time.perf_counter() - start:.1f} s; target "
          f"(every bug named, no false alarm): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
