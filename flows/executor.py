"""Where batch work runs: a process pool owned by the flow run, not by Prefect.

Measured here, Prefect's ProcessPoolTaskRunner in ephemeral mode starts an API
server in every worker (100 no-op tasks: 24 s). So tasks run in Prefect's thread
runner, cheap to schedule, and each hands its CPU-bound batch to this pool of
plain worker processes started once per flow run.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from kliping.pipeline import BatchSpec, BatchSummary, process_batch, worker_pool

_pool: ProcessPoolExecutor | None = None


@contextmanager
def batch_pool(workers: int) -> Iterator[None]:
    """Start `workers` processes for the duration of a flow run (0: run batches in-thread)."""
    global _pool
    if workers <= 0:
        yield
        return
    _pool = worker_pool(workers)
    try:
        yield
    finally:
        pool, _pool = _pool, None
        pool.shutdown(wait=True, cancel_futures=True)


def run_batch(spec: BatchSpec) -> BatchSummary:
    """Run one batch in the pool when there is one, else in the calling thread."""
    if _pool is None:
        return process_batch(spec)
    return _pool.submit(process_batch, spec).result()
