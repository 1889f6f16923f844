"""Give memory the run no longer uses back to the operating system.

The commit works through phases that each allocate and free hundreds of MB (shingle sets,
texts read back, Arrow tables). Freed memory stays with the allocators that served it: Arrow's
mimalloc pool keeps its pages, and glibc's malloc keeps free chunks inside its heap wherever a
live object sits above them. On a 100k-article commit that was 260 MB of free memory still
counted in the process's RSS at the end (glibc alone), and the next phase's peak came on top
of it. Handing it back between phases costs a few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

import pyarrow as pa


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    fn: Callable[[int], int] = trim
    return fn


def release_unused() -> None:
    """Return the free pages of Arrow's memory pool and of glibc's heap to the system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
