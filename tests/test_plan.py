"""plan_run cuts the changed files into batches that keep every worker busy to the end."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kliping.config import RunConfig
from kliping.read.files import RawFile
from kliping.run import MAX_BATCHES, MIN_TAIL_BATCH_BYTES, batch_target, cut_batches, plan_run


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


def _pages(n: int, size: int = 100 * 1024, compressed: bool = False) -> list[RawFile]:
    return [RawFile(f"/r/{i}.html", f"{i}.html", "html", compressed, size, 0) for i in range(n)]


def test_the_last_batches_get_smaller() -> None:
    sizes = [len(b) for b in cut_batches(_pages(1000), RunConfig(workers=2))]
    # batch_target's 125 while there is work for more; then each batch at most half of what
    # is left (what is left per worker), down to 1 MB of input (11 pages of 100 KB); the last
    # one is what is left
    assert sizes == [125] * 7 + [63, 31, 16, 11, 4]
    # gzip counts four times its size: the floor is reached with a quarter of the pages
    gz = [len(b) for b in cut_batches(_pages(1000, 25 * 1024, compressed=True), RunConfig(workers=2))]
    assert gz == sizes


@pytest.mark.parametrize(
    ("files", "workers", "sizes"),
    [
        (_pages(1000), 1, [1000]),  # one worker: nothing to balance
        (_pages(300, 1024), 2, [50] * 6),  # batches under the floor: never cut smaller
        (_pages(1), 4, [1]),
        ([], 2, []),
    ],
)
def test_one_worker_or_small_files_keep_even_batches(
    files: list[RawFile], workers: int, sizes: list[int]
) -> None:
    assert [len(b) for b in cut_batches(files, RunConfig(workers=workers))] == sizes


@pytest.mark.parametrize(("pages", "size"), [(1000, 100 * 1024), (5000, 60 * 1024), (40, 3 * 1024 * 1024)])
@pytest.mark.parametrize("workers", [2, 3, 4])
def test_every_file_once_in_order_and_no_batch_too_small(pages: int, size: int, workers: int) -> None:
    files = _pages(pages, size)
    batches = list(cut_batches(files, RunConfig(workers=workers)))
    assert [f.rel for b in batches for f in b] == [f.rel for f in files]
    target = batch_target(pages, RunConfig(workers=workers))
    assert all(0 < len(b) <= target for b in batches)
    assert all(len(b) == target or len(b) * size >= MIN_TAIL_BATCH_BYTES for b in batches[:-1])


def _spread(sizes: list[int], cost: list[float], workers: int) -> float:
    """How long the first worker done waits for the last, each taking the next batch when free."""
    free, i = [0.0] * workers, 0
    for n in sizes:
        k = min(range(workers), key=free.__getitem__)
        free[k] += sum(cost[i : i + n])
        i += n
    return max(free) - min(free)


@pytest.mark.parametrize(("workers", "pages"), [(2, 1000), (4, 3000)])
def test_workers_finish_closer_together_than_with_even_batches(workers: int, pages: int) -> None:
    """Pages differ in cost, by site (runs of 40 pages 0.5-2x) and page (±20%): with even
    batches a worker often waited most of a batch for the other at the end (0.4-2.9 s of a
    1,000-page HTML run measured here)."""
    cut = [len(b) for b in cut_batches(_pages(pages), RunConfig(workers=workers))]
    size = batch_target(pages, RunConfig(workers=workers))
    even = [size] * (pages // size) + ([pages % size] if pages % size else [])
    spreads: dict[str, list[float]] = {"cut": [], "even": []}
    for seed in range(40):
        rng = random.Random(seed)
        sites = [rng.uniform(0.5, 2.0) for _ in range(pages // 40 + 1)]
        cost = [sites[i // 40] * rng.uniform(0.8, 1.2) for i in range(pages)]
        spreads["cut"].append(_spread(cut, cost, workers))
        spreads["even"].append(_spread(even, cost, workers))
    assert sum(spreads["cut"]) < 0.5 * sum(spreads["even"])
