"""The flow's batch pool: batches started as soon as they are planned, each taken once by its task."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import flows.executor as executor
from kliping import pipeline
from kliping.config import RunConfig
from kliping.pipeline import BatchSpec, BatchSummary


def specs(tmp_path: Path, n: int, first: int = 0) -> list[BatchSpec]:
    config = RunConfig(workers=2)
    return [BatchSpec(i, str(tmp_path), (), str(tmp_path), "run", config) for i in range(first, first + n)]


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool of threads, named "pool…", stands in for the worker processes."""
    monkeypatch.setattr(pipeline, "worker_pool", lambda workers, packs: ThreadPoolExecutor(workers, "pool"))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, threads: None) -> list[tuple[int, str]]:
    """Batch 1 fails the first time it runs. Each call is recorded with the thread that ran it."""
    made: list[tuple[int, str]] = []

    def process(spec: BatchSpec) -> BatchSummary:
        made.append((spec.index, threading.current_thread().name))
        if spec.index == 1 and [i for i, _ in made].count(1) == 1:
            raise RuntimeError("worker died")
        return BatchSummary(spec.index, None, None, 0, 0)

    monkeypatch.setattr(executor, "process_batch", process)
    return made


def test_started_batch_is_taken_once_and_a_retry_runs_it_again(
    tmp_path: Path, calls: list[tuple[int, str]]
) -> None:
    batches = specs(tmp_path, 3)
    with executor.batch_pool(2):
        executor.start_batches(batches)
        failed = executor.started_batch(1)
        assert failed is not None
        with pytest.raises(RuntimeError, match="worker died"):
            failed.result()
        assert executor.started_batch(1) is None  # taken: the task's retry runs the batch again
        assert executor.run_batch(batches[1]).index == 1
        done = [executor.started_batch(i) for i in (0, 2)]
        assert [f.result().index for f in done if f is not None] == [0, 2]
        executor.start_batches(specs(tmp_path, 1, first=5))
    assert executor.started_batch(5) is None  # forgotten with the pool
    assert sorted(i for i, _ in calls if i != 5) == [0, 1, 1, 2]
    assert all(name.startswith("pool") for _, name in calls)  # every batch ran in the pool


def test_without_a_pool_nothing_starts_early_and_batches_run_in_the_calling_thread(
    tmp_path: Path, calls: list[tuple[int, str]]
) -> None:
    batches = specs(tmp_path, 2)
    with executor.batch_pool(0):
        executor.start_batches(batches)
        assert calls == [] and executor.started_batch(0) is None
        assert executor.run_batch(batches[0]).index == 0
    assert calls == [(0, threading.current_thread().name)]


def test_a_failing_flow_waits_for_its_running_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: None
) -> None:
    """When the flow fails, batches already running end before it gives up its lock on the
    output (a next run's recovery must not meet a worker still writing). When it succeeds,
    every batch is done already and the workers exit in the background."""
    running, done = threading.Event(), threading.Event()

    def slow(spec: BatchSpec) -> BatchSummary:
        running.set()
        time.sleep(0.3)
        done.set()
        return BatchSummary(spec.index, None, None, 0, 0)

    monkeypatch.setattr(executor, "process_batch", slow)
    with pytest.raises(RuntimeError, match="plan failed"), executor.batch_pool(2):
        executor.start_batches(specs(tmp_path, 1))
        running.wait(5)
        raise RuntimeError("plan failed")
    assert done.is_set()
    assert executor.started_batch(0) is None


def _files(n: int, size: int, compressed: bool = False) -> tuple:
    from kliping.read.files import RawFile

    return tuple(RawFile(f"/r/{i}.txt", f"{i}.txt", "text", compressed, size, 0) for i in range(n))


@pytest.mark.parametrize(
    ("batches", "files_each", "size", "compressed", "workers", "expected"),
    [
        (2, 500, 4_000, False, 2, 1),  # 1% more on a 100k dataset: 4 MB, one worker
        (20, 500, 4_000, False, 2, 2),  # 10k text records: 40 MB
        (1, 10_000, 4_000, False, 2, 1),  # one batch: one worker whatever its size
        (2, 500, 4_000, True, 2, 1),  # 2 MB of gzip counts as 8 MB: still one worker
        (2, 600, 4_000, True, 2, 2),  # 9.6 MB as gzip
        (40, 500, 100_000, False, 8, 8),  # HTML pages: as many as asked for
        (0, 0, 0, False, 2, 1),  # nothing to do: at least one (a pool of none is no pool)
    ],
)
def test_pool_size_gives_each_worker_enough_input(
    batches: int, files_each: int, size: int, compressed: bool, workers: int, expected: int
) -> None:
    config = RunConfig(workers=workers)
    planned = [
        BatchSpec(i, "/r", _files(files_each, size, compressed), "/s", "run", config) for i in range(batches)
    ]
    assert pipeline.pool_size(planned, workers) == expected


def test_the_flow_pool_is_sized_by_the_first_batches_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: list[tuple[int, str]]
) -> None:
    sizes: list[int] = []
    monkeypatch.setattr(
        pipeline,
        "worker_pool",
        lambda workers, packs: sizes.append(workers) or ThreadPoolExecutor(workers, "pool"),
    )
    config = RunConfig(workers=2)
    small = [BatchSpec(i, "/r", _files(10, 4_000), "/s", "run", config) for i in (0, 2)]  # (1 fails)
    with executor.batch_pool(2):
        assert sizes == []  # nothing started before there is work
        executor.start_batches(small)
        executor.start_batches([BatchSpec(9, "/r", _files(10_000, 4_000), "/s", "run", config)])
        assert [f.result().index for f in map(executor.started_batch, (0, 2, 9)) if f] == [0, 2, 9]
    assert sizes == [1]  # opened once, for the small run's batches
