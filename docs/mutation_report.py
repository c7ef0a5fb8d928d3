"""The score of make mutation per module, from mutmut's records in mutants/ (``make
mutation-report``). It reads what has run so far, so it also reports a run in progress or
one that was stopped, each module's mutants not yet run counted apart. The score is the
Makefile's: killed (a timeout counts as killed) over killed, survived, no test, suspicious
and segfault.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

SCORED = ("killed", "survived", "no tests", "suspicious", "segfault")


def counts(meta: Path) -> Counter:
    statuses = Counter(status_by_exit_code[code] for code in
                       json.loads(meta.read_text())["exit_code_by_key"].values())
    statuses["killed"] += statuses.pop("timeout", 0)
    return statuses


def main(root: str = "mutants") -> None:
    rows = [(str(meta.relative_to(root))[len("manual/"):-len(".meta")], counts(meta))
            for meta in sorted(Path(root, "manual").rglob("*.meta"))]
    rows.append(("all of manual/", sum((c for _, c in rows), Counter())))
    print("| module | mutants | run | killed | survived | no test | score of those run |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, c in rows:
        scored = sum(c[s] for s in SCORED)
        score = f"{100 * c['killed'] / scored:.1f}%" if scored else "-"
        print(f"| `{name}` | {sum(c.values())} | {sum(c.values()) - c['not checked']} | "
              f"{c['killed']} | {c['survived']} | {c['no tests']} | {score} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
