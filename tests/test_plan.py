"""plan_run cuts the changed files into batches that keep every worker busy to the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from kliping.config import RunConfig
from kliping.run import MAX_BATCHES, batch_target, plan_run


@pytest.mark.parametrize(
    ("records", "batch_size", "workers", "sizes"),
    [
        (300, 200, 2, [50] * 6),  # not 200 + 100: the second worker would idle a third of the run
        (150, 200, 2, [75, 75]),  # too little for two rounds of batches of 50 or more
        (1000, 200, 2, [125] * 8),  # four rounds, not three (a batch of 200 is a large last step)
        (1000, 500, 2, [125] * 8),  # not two rounds of 250
        (10_000, 500, 2, [500] * 20),  # rounds enough already
        (300, 200, 1, [150, 150]),  # batches of even size whatever the workers
        (300, 200, 0, [150, 150]),
        (5, 200, 8, [1] * 5),  # fewer records than workers: one each, never an empty batch
        (10, 4, 2, [3, 3, 3, 1]),
    ],
)
def test_batches_are_whole_rounds_of_workers(
    tmp_path: Path, records: int, batch_size: int, workers: int, sizes: list[int]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(records):
        (raw / f"a{i:05d}.txt").write_text(f"Artikel nomor {i}.\n", encoding="utf-8")
    plan = plan_run(raw, tmp_path / "out", RunConfig(batch_size=batch_size, workers=workers))
    assert [len(b.files) for b in plan.batches] == sizes
    assert sorted(f.rel for b in plan.batches for f in b.files) == sorted(
        f"a{i:05d}.txt" for i in range(records)
    )


def test_batch_count_stays_under_the_cap() -> None:
    for records in (10_000, 80_001, 1_000_000):
        size = batch_target(records, RunConfig(batch_size=200, workers=3))
        assert -(-records // size) <= MAX_BATCHES
