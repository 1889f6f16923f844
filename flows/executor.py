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

from kliping.pipeline import BatchSpec, BatchSummary, noop, process_batch, worker_pool

_pool: ProcessPoolExecutor | None = None
_workers = 0


@contextmanager
def batch_pool(workers: int, rule_packs: tuple[str, ...] = ()) -> Iterator[None]:
    """A pool of `workers` processes for the duration of a flow run (0: run batches in-thread).
    Its processes start at `warm_up` or at the first batch; a run with nothing to do starts none."""
    global _pool, _workers
    if workers <= 0:
        yield
        return
    _pool, _workers = worker_pool(workers, rule_packs), workers
    try:
        yield
    finally:
        pool, _pool = _pool, None
        pool.shutdown(wait=True, cancel_futures=True)


def warm_up() -> None:
    """Start the pool's processes now: each takes about 2 s to import and load its models,
    which then overlaps with Prefect's own work between the plan and the first batch."""
    if _pool is not None:
        for _ in range(_workers):
            _pool.submit(noop)


def run_batch(spec: BatchSpec) -> BatchSummary:
    """Run one batch in the pool when there is one, else in the calling thread."""
    if _pool is None:
        return process_batch(spec)
    return _pool.submit(process_batch, spec).result()
