"""Where batch work runs: a process pool owned by the flow run, not by Prefect.

Measured here, Prefect's ProcessPoolTaskRunner in ephemeral mode starts an API
server in every worker (100 no-op tasks: 24 s). So tasks run in Prefect's thread
runner, cheap to schedule, and each hands its CPU-bound batch to this pool of
plain worker processes started once per flow run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from threading import Lock

from kliping.pipeline import BatchSpec, BatchSummary, pool_size, process_batch, run_pool

_pool: ProcessPoolExecutor | None = None
# the flow run's pool once opened, with what it may use (`batch_pool`)
_stack: ExitStack | None = None
_limit = 0
_packs: tuple[str, ...] = ()
_opening = Lock()
# batches handed to the pool by `start_batches`, by index, until their task takes them
_started: dict[int, Future[BatchSummary]] = {}


@contextmanager
def batch_pool(workers: int, rule_packs: tuple[str, ...] = ()) -> Iterator[None]:
    """A pool of at most `workers` processes for the duration of a flow run (0: run batches
    in-thread), shut down as `run_pool` says. It opens with the first batches, sized for them
    (`pool_size`: a run adding a few files gets one worker); a run with nothing to do starts
    none."""
    global _pool, _stack, _limit, _packs
    if workers <= 0:
        yield
        return
    with ExitStack() as stack:
        _stack, _limit, _packs = stack, workers, rule_packs
        try:
            yield
        finally:
            _pool, _stack, _limit = None, None, 0
            _started.clear()


def _open_pool(specs: Sequence[BatchSpec]) -> ProcessPoolExecutor | None:
    """The flow run's pool, opened for `specs` (the run's batches) if it is not open yet."""
    global _pool
    with _opening:
        if _pool is None and _stack is not None:
            _pool = _stack.enter_context(run_pool(pool_size(specs, _limit), _packs))
        return _pool


def start_batches(specs: Iterable[BatchSpec]) -> None:
    """Hand the run's batches to the pool as soon as they are planned, so that the workers
    are busy while Prefect starts the batch tasks (about 2 s for 20 tasks on this machine);
    each task then waits for its batch (`run_batch`)."""
    planned = list(specs)
    pool = _open_pool(planned) if planned else None
    if pool is not None:
        for spec in planned:
            _started[spec.index] = pool.submit(process_batch, spec)


def started_batch(index: int) -> Future[BatchSummary] | None:
    """The batch `start_batches` handed to the pool, taken once: a retried task finds none
    and runs its batch again (`run_batch`)."""
    return _started.pop(index, None)


def run_batch(spec: BatchSpec) -> BatchSummary:
    """Run one batch in the pool when there is one, else in the calling thread."""
    pool = _open_pool([spec])
    if pool is None:
        return process_batch(spec)
    return pool.submit(process_batch, spec).result()
