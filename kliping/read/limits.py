"""Limits that keep one hostile record from taking a run down."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_RECORD_BYTES = 20 * 1024 * 1024  # 20 MiB: far above any real article page
DEFAULT_RECORD_TIMEOUT_S = 30.0  # per record extraction budget; trafilatura hangs on rare pages


@dataclass(frozen=True)
class ReadLimits:
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if self.max_record_bytes <= 0:
            raise ValueError("max_record_bytes must be positive")
