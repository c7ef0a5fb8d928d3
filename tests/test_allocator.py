"""manual/_allocator.py: after `import manual`, freed large arrays stay in the process (glibc),
unless DEALIAS_MALLOC=system."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = """
import manual, numpy as np
def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
a = np.ones(8 * 2**20 // 8)          # 8 MiB, touched
before_free = resident()
del a
print(before_free - resident())      # how much the free gave back to the system
"""


def _returned_on_free(env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm") or
                    not os.confstr("CS_GNU_LIBC_VERSION"), reason="Linux with glibc only")
def test_freed_memory_stays_for_the_next_step():
    assert _returned_on_free({}) < 2**20                       # kept
    assert _returned_on_free({"DEALIAS_MALLOC": "system"}) > 6 * 2**20  # given back
