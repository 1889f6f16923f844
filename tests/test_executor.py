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
