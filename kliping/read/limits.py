"""Limits that keep one hostile record from taking a run down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

DEFAULT_MAX_RECORD_BYTES = 20 * 1024 * 1024  # 20 MiB: far above any real article page
DEFAULT_RECORD_TIMEOUT_S = 30.0  # per record extraction budget; trafilatura hangs on rare pages


@dataclass(frozen=True)
class ReadLimits:
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if self.max_record_bytes <= 0:
            raise ValueError("max_record_bytes must be positive")


def read_at_most(fh: BinaryIO, limit: int, expected: int) -> bytes:
    """At most `limit` + 1 bytes of an open file (more than `limit` says it is too large), asking
    first for the `expected` bytes (its size when listed) and only then for what it grew by.

    Asking for `limit` + 1 bytes at once makes Python allocate a buffer that large for every file
    and shrink it after: 20 MiB a record, which glibc maps and unmaps anew once a worker's larger
    temporaries have moved its threshold for mapping (50 µs a record, measured)."""
    first = min(max(expected, 0), limit) + 1
    data = fh.read(first)
    if len(data) < first:
        return data
    return data + fh.read(limit + 1 - len(data))  # grown since it was listed
