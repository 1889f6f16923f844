"""Run settings: one home for every tunable, validated when built, with the parameter named."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kliping.read.limits import DEFAULT_MAX_RECORD_BYTES, DEFAULT_RECORD_TIMEOUT_S
from kliping.syndication.clusters import DEFAULT_THRESHOLD
from kliping.syndication.shingles import DEFAULT_SHINGLE_SIZE
from kliping.syndication.signatures import DEFAULT_NUM_PERM, DEFAULT_SEED

# Most records per task. Each task run costs Prefect about 70 ms of CPU (its API server's and
# the flow's), which a small machine takes from the workers: the batches of 10,000 text records
# cost it 5.4 s of CPU in 50 tasks, 2.5 s in 10. 1,000 text records take a worker about 3 s,
# 1,000 HTML pages about 80 s.
DEFAULT_BATCH_SIZE = 1000


class ConfigError(ValueError):
    """A run parameter out of range; the message names the parameter."""


@dataclass(frozen=True)
class RunConfig:
    threshold: float = DEFAULT_THRESHOLD
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    num_perm: int = DEFAULT_NUM_PERM
    seed: int = DEFAULT_SEED
    rule_packs: tuple[str, ...] = ()
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    record_timeout_s: float = DEFAULT_RECORD_TIMEOUT_S

    def __post_init__(self) -> None:
        checks = [
            (0.0 < self.threshold <= 1.0, "threshold", "must be in (0, 1]"),
            (1 <= self.shingle_size <= 20, "shingle_size", "must be between 1 and 20 words"),
            (16 <= self.num_perm <= 1024, "num_perm", "must be between 16 and 1024"),
            (1 <= self.batch_size <= 100_000, "batch_size", "must be between 1 and 100000"),
            (0 <= self.workers <= 512, "workers", "must be between 0 (in-process) and 512"),
            (self.max_record_bytes > 0, "max_record_bytes", "must be positive"),
            (self.record_timeout_s >= 0, "record_timeout_s", "must be >= 0 (0 disables the limit)"),
        ]
        for ok, name, msg in checks:
            if not ok:
                raise ConfigError(f"{name}={getattr(self, name)!r}: {msg}")
        for pack in self.rule_packs:
            if not os.path.isfile(pack):
                raise ConfigError(f"rule_packs: {pack!r} is not a file")
