"""Memory a process let go of, handed back to the system.

Arrow's allocator (mimalloc or jemalloc) and C's keep freed memory for later use: a batch's main process that
let go of a province's records after reading them would otherwise hold it, idle, beside every worker and
kernel while the units run (issue #19: the process tree's peak).
"""
from __future__ import annotations

import contextlib
import ctypes
from functools import cache

import pyarrow as pa


def release_freed_memory() -> None:
    """Have Arrow's pool and C's heap return their free pages to the system (a millisecond; objects in reference
    cycles are freed by ``gc.collect()`` first, which takes far longer in a process that imported much)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, looked up once (half a millisecond each time: a batch worker frees memory after
    each of a province's thousand files); None with another C library, which keeps what it keeps."""
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL("libc.so.6").malloc_trim
    return None
