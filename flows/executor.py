"""Where batch work runs: a process pool owned by the flow run, not by Prefect.

Measured here, Prefect's ProcessPoolTaskRunner in ephemeral mode starts an API
server in every worker (100 no-op tasks: 24 s). So tasks run in Prefect's thread
runner, cheap to schedule, and each hands its CPU-bound batch to this pool of
plain worker processes started once per flow run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from kliping.pipeline import BatchSpec, BatchSummary, process_batch, run_pool

_pool: ProcessPoolExecutor | None = None
# batches handed to the pool by `start_batches`, by index, until their task takes them
_started: dict[int, Future[BatchSummary]] = {}


@contextmanager
def batch_pool(workers: int, rule_packs: tuple[str, ...] = ()) -> Iterator[None]:
    """A pool of `workers` processes for the duration of a flow run (0: run batches in-thread),
    shut down as `run_pool` says. Its processes start with the first batch; a run with nothing
    to do starts none."""
    global _pool
    if workers <= 0:
        yield
        return
    with run_pool(workers, rule_packs) as pool:
        _pool = pool
        try:
            yield
        finally:
            _pool = None
            _started.clear()


def start_batches(specs: Iterable[BatchSpec]) -> None:
    """Hand the run's batches to the pool as soon as they are planned, so that the workers
    are busy while Prefect starts the batch tasks (about 2 s for 20 tasks on this machine);
    each task then waits for its batch (`run_batch`)."""
    if _pool is not None:
        for spec in specs:
            _started[spec.index] = _pool.submit(process_batch, spec)


def started_batch(index: int) -> Future[BatchSummary] | None:
    """The batch `start_batches` handed to the pool, taken once: a retried task finds none
    and runs its batch again (`run_batch`)."""
    return _started.pop(index, None)


def run_batch(spec: BatchSpec) -> BatchSummary:
    """Run one batch in the pool when there is one, else in the calling thread."""
    if _pool is None:
        return process_batch(spec)
    return _pool.submit(process_batch, spec).result()
