"""manual/_allocator.py: after `import manual` (or a call of keep_freed_memory), freed large
arrays stay in the process (glibc), unless DEALIAS_MALLOC=system."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
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


GLIBC = os.path.exists("/proc/self/statm") and bool(os.confstr("CS_GNU_LIBC_VERSION"))


@pytest.mark.skipif(not GLIBC, reason="Linux with glibc only")
def test_freed_memory_stays_for_the_next_step():
    # (glibc left as it is may or may not give the block back: its own threshold rises
    # after any earlier large free, so only the kept case is certain)
    assert _returned_on_free({}) < 2**20


def _resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not GLIBC, reason="Linux with glibc only")
def test_keep_freed_memory_keeps_a_freed_block_in_this_process():
    from manual._allocator import keep_freed_memory

    assert keep_freed_memory() is True
    a = np.ones(8 * 2**20 // 8)          # 8 MiB, touched
    before_free = _resident()
    del a
    assert before_free - _resident() < 2**20


def test_dealias_malloc_system_leaves_glibc_alone(monkeypatch):
    from manual._allocator import keep_freed_memory

    monkeypatch.setenv("DEALIAS_MALLOC", "system")
    assert keep_freed_memory() is False
    monkeypatch.delenv("DEALIAS_MALLOC")
    assert keep_freed_memory() is GLIBC


class _FakeLibc:
    """A libc whose mallopt records its calls (mallopt answers 1 when it took the value)."""

    def __init__(self, answer: int = 1):
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return self.answer


def test_keep_freed_memory_sets_glibcs_two_thresholds(monkeypatch):
    # the parameters are glibc's malloc.h: M_MMAP_THRESHOLD is -3, M_TRIM_THRESHOLD is -1;
    # blocks up to 256 MiB stay in the heap, and the heap is trimmed only past 512 MiB free
    import ctypes
    import ctypes.util

    from manual._allocator import keep_freed_memory

    monkeypatch.delenv("DEALIAS_MALLOC", raising=False)
    opened, libc = [], _FakeLibc()
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: f"lib{name}.so.6")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: opened.append(name) or libc)
    assert keep_freed_memory() is True
    assert opened == ["libc.so.6"]
    assert libc.calls == [(-3, 256 * 2**20), (-1, 512 * 2**20)]

    refused = _FakeLibc(answer=0)    # a mallopt that refuses: not taken, and no second call
    monkeypatch.setattr(ctypes, "CDLL", lambda name: refused)
    assert keep_freed_memory() is False
    assert refused.calls == [(-3, 256 * 2**20)]


def test_keep_freed_memory_without_glibc_changes_nothing(monkeypatch):
    import ctypes

    from manual._allocator import keep_freed_memory

    monkeypatch.delenv("DEALIAS_MALLOC", raising=False)

    def no_library(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert keep_freed_memory() is False
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())   # a libc without mallopt
    assert keep_freed_memory() is False
