"""Limits that keep one hostile record from taking a run down."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_MAX_RECORD_BYTES = 20 * 1024 * 1024  # 20 MiB: far above any real article page
DEFAULT_RECORD_TIMEOUT_S = 30.0  # per record extraction budget; trafilatura hangs on rare pages


@dataclass(frozen=True)
class ReadLimits:
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if self.max_record_bytes <= 0:
            raise ValueError("max_record_bytes must be positive")


def read_at_most(path: str | os.PathLike[str], limit: int, expected: int) -> bytes:
    """At most `limit` + 1 bytes of the file at `path` (more than `limit` says it is too large),
    asking first for the `expected` bytes (its size when listed) and only then for what it grew by.

    Asking for `limit` + 1 bytes at once makes Python allocate a buffer that large for every file
    and shrink it after: 20 MiB a record, which glibc maps and unmaps anew once a worker's larger
    temporaries have moved its threshold for mapping (50 µs a record, measured). The file is read
    with `os.read` on a descriptor: `open()`'s buffered reader costs an `isatty` ioctl, an
    `lseek` and its objects, 22 against 10 µs a small file. O_NONBLOCK: a file swapped for a FIFO
    since it was listed reads as empty (or, with a writer, as what it holds) instead of waiting
    for a writer. OSError when the file cannot be opened or read."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        first = min(max(expected, 0), limit) + 1
        data = _read_up_to(fd, first)
        if len(data) < first:
            return data
        return data + _read_up_to(fd, limit + 1 - len(data))  # grown since it was listed
    finally:
        os.close(fd)


def _read_up_to(fd: int, n: int) -> bytes:
    """`n` bytes from `fd`, fewer only when the file ends first (a read may return fewer than
    asked for without being at the end: it is asked again until it returns nothing)."""
    data = os.read(fd, n)
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)
