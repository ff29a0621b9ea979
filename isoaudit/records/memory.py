"""Memory a process let go of, handed back to the system.

Arrow's allocator (mimalloc or jemalloc) and C's keep freed memory for later use: a batch's main process that
let go of a province's records after reading them would otherwise hold it, idle, beside every worker and
kernel while the units run (issue #19: the process tree's peak).
"""
from __future__ import annotations

import contextlib
import ctypes

import pyarrow as pa


def release_freed_memory() -> None:
    """Have Arrow's pool and C's heap return their free pages to the system (a millisecond; objects in reference
    cycles are freed by ``gc.collect()`` first, which takes far longer in a process that imported much)."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only: another C library keeps what it keeps
        ctypes.CDLL("libc.so.6").malloc_trim(0)
