"""Keep freed memory in the process, so each training step reuses the last one's.

NumPy takes every array from malloc. glibc serves a block over 128 KiB with a fresh mmap and
returns it to the operating system when it is freed, so a training loop, which frees and
allocates the same large temporaries every step, faults every page of them in again, every
step: on the 784-256-10 MLP that is more than half of a step's time. Raising glibc's mmap
and trim thresholds keeps freed blocks for reuse (torch keeps its memory too). The values
are unchanged; only where they live is.

Linux with glibc only; elsewhere nothing changes. DEALIAS_MALLOC=system leaves glibc as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_KEEP = 256 * 2**20     # blocks up to 256 MiB come from the heap and stay there when freed


def keep_freed_memory() -> bool:
    """Raise glibc's thresholds; True if it took effect."""
    if os.environ.get("DEALIAS_MALLOC") == "system":
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False  # not glibc
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP))
