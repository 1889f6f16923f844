"""The Prefect flow: plan → batch tasks (over a process pool) → commit, then the run record.

Prefect only wires library steps together here; all work is in `kliping`. Tasks
pass specs, paths and small summaries, never DataFrames. Retries only on tasks
that do I/O and can fail for passing reasons.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run

from flows import progress
from flows.executor import batch_pool, run_batch, start_batches, started_batch
from kliping.config import DEFAULT_BATCH_SIZE, RunConfig
from kliping.dataset import OutputStore
from kliping.file_counts import FileCounts
from kliping.pipeline import BatchSpec, BatchSummary, failed_batch
from kliping.read.limits import DEFAULT_MAX_RECORD_BYTES, DEFAULT_RECORD_TIMEOUT_S
from kliping.run import RunPlan, RunSummary, commit_run, plan_run, preload_for_commit
from kliping.summary import summary_markdown
from kliping.syndication.clusters import DEFAULT_THRESHOLD
from kliping.syndication.shingles import DEFAULT_SHINGLE_SIZE
from kliping.syndication.signatures import DEFAULT_NUM_PERM

FLOW_NAME = "kliping"
T = TypeVar("T")
# values `save` was asked to keep, by path, for `load` in this process; emptied as a flow ends
_kept: dict[str, Any] = {}
# The per-file table artifact lists at most this many files: the UI shows a table, not a dataset.
MAX_FILE_ROWS = 1_000


@task(name="plan", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def plan_task(raw_dir: str, out_dir: str, config: RunConfig, flow_run_id: str) -> str:
    """Plan the run; returns the path of the plan's file (see `save`)."""
    plan = plan_run(Path(raw_dir), Path(out_dir), config, flow_run_id)
    get_run_logger().info(
        "%d files to read in %d batches; %d unchanged files skipped",
        plan.file_count, len(plan.batches), plan.skipped_files,
    )  # fmt: skip
    progress.emit("planned", files=plan.file_count, batches=len(plan.batches), skipped=plan.skipped_files)
    for spec in plan.batches:
        save(plan, spec, batch_file_name(spec.index))
    plan_file = save(plan, plan, "plan.pickle", keep=True)
    start_batches(plan.batches)  # last: a retried plan must not start its batches twice
    return plan_file


def batch_file_name(index: int) -> str:
    return f"batch-{index:06d}.pickle"


@task(name="batch", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE, task_run_name="batch-{index}")
def batch_task(spec_file: str, index: int) -> BatchSummary:
    """One batch: the one the plan task started in the pool, else run now from the spec in
    `spec_file` (a spec given as a parameter is walked by Prefect before the task starts:
    a spec of 1,000 files cost 0.15 s a task)."""
    started = started_batch(index)
    summary = started.result() if started is not None else run_batch(load(spec_file, BatchSpec))
    get_run_logger().info(
        "batch %d: %d files, %d records → %d articles, %d rejects in %.1f s",
        index, len(summary.per_file), summary.counts.get("read.records", 0),
        summary.articles, summary.rejects, summary.seconds,
    )  # fmt: skip
    progress.emit("batch", files=len(summary.per_file), records=summary.counts.get("read.records", 0))
    return summary


def map_batches(plan: RunPlan, plan_file: str) -> str:
    """The run's batch tasks (`plan`, loaded from `plan_file`), on the task runner of the flow
    they run in; returns the path of the file holding their summaries."""
    folder = Path(plan_file).parent
    files = [str(folder / batch_file_name(spec.index)) for spec in plan.batches]
    futures = batch_task.map(files, [spec.index for spec in plan.batches])
    preload_for_commit(plan.config, plan.out_dir)
    summaries = [_settle(spec, future) for spec, future in zip(plan.batches, futures, strict=True)]
    return save(plan, summaries, "summaries.pickle", keep=True)


@flow(name="kliping-batches", validate_parameters=False)
def batches_flow(plan_file: str) -> str:
    """The batch tasks on Dask: a subflow, because a flow's task runner is fixed when it starts
    and the Dask address is a parameter of the main flow."""
    return map_batches(load(plan_file, RunPlan), plan_file)


def save(plan: RunPlan, value: Any, name: str, keep: bool = False) -> str:
    """Pickle `value` into the run's own work folder (removed with it) and return its path.

    Tasks and subflows pass these paths, not the plan and summaries themselves: a subflow's
    parameters are sent to the Prefect API (a plan listing 10,000 files made a request it
    refused, HTTP 422), and Prefect walks every task's parameters and results, which for a
    run of 10,000 files cost seconds."""
    path = OutputStore(Path(plan.out_dir)).work / plan.run_id / name
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    if keep:  # this process loads it again, twice for the plan: 0.1 s each at 10,000 files
        _kept[str(path)] = value
    return str(path)


def load(path: str, kind: type[T]) -> T:
    value = _kept.get(path)
    if value is None:
        value = pickle.loads(Path(path).read_bytes())
    if not isinstance(value, kind):
        raise TypeError(f"{path} holds no {kind.__name__}")
    return value


def run_batches(plan_file: str, dask_address: str | None) -> str:
    plan = load(plan_file, RunPlan)
    if not plan.batches:
        return save(plan, [], "summaries.pickle")
    if dask_address:
        from prefect_dask.task_runners import DaskTaskRunner

        # On Dask, workers run batches in their own processes; the raw and output folders must
        # be on storage every worker can reach at the same path.
        runner = DaskTaskRunner(address=dask_address)
        return batches_flow.with_options(task_runner=runner)(plan_file)  # type: ignore[arg-type]
    # Locally the tasks run on the main flow's threads, each handing its batch to the pool
    # (`batch_pool`, opened by the flow): a subflow here cost about a second a run.
    return map_batches(plan, plan_file)


@task(name="commit", cache_policy=NO_CACHE)
def commit_task(plan_file: str, summaries_file: str) -> RunSummary:
    return commit_run(load(plan_file, RunPlan), load(summaries_file, list))


def _settle(spec: BatchSpec, future: PrefectFuture[BatchSummary]) -> BatchSummary:
    """A batch's summary; a batch that failed after its retries is recorded, not fatal."""
    try:
        return future.result()
    except Exception as exc:
        get_run_logger().error(
            "batch %d failed after retries: %s; its files are read again next run", spec.index, exc
        )
        return failed_batch(spec, exc)


def publish(summary: RunSummary) -> None:
    """The run record in the Prefect UI: the summary as Markdown, and a table per input file."""
    create_markdown_artifact(markdown=summary_markdown(summary), key="kliping-run-summary",
                             description="kliping run summary")  # fmt: skip
    if summary.per_file:
        # files with rejects first; a run of many files lists MAX_FILE_ROWS of them
        files = sorted(summary.per_file, key=lambda f: f[4] == 0)[:MAX_FILE_ROWS]
        rows = [
            {"source_path": p, "type": t, "records": r, "articles": a, "rejects": j}
            for p, t, r, a, j in files
        ]
        shown = (
            ""
            if len(files) == len(summary.per_file)
            else (f" ({len(files):,} of {len(summary.per_file):,} files: those with rejects first)")
        )
        create_table_artifact(table=rows, key="kliping-files", description=f"records per input file{shown}")


@flow(name=FLOW_NAME, validate_parameters=True)
def kliping_flow(
    raw_dir: str = "raw",
    out_dir: str = "clean",
    threshold: float = DEFAULT_THRESHOLD,
    shingle_size: int = DEFAULT_SHINGLE_SIZE,
    num_perm: int = DEFAULT_NUM_PERM,
    rule_packs: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    record_timeout_s: float = DEFAULT_RECORD_TIMEOUT_S,
    lock_wait_s: float = 0.0,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Clean every new raw record into the Parquet dataset under `out_dir`."""
    extra: dict[str, Any] = {} if workers is None else {"workers": workers}
    config = RunConfig(  # raises ConfigError, naming the parameter, before any work
        threshold=threshold,
        shingle_size=shingle_size,
        num_perm=num_perm,
        rule_packs=tuple(rule_packs or ()),
        batch_size=batch_size,
        max_record_bytes=max_record_bytes,
        record_timeout_s=record_timeout_s,
        **extra,
    )
    if not Path(raw_dir).is_dir():
        raise FileNotFoundError(f"raw_dir: {raw_dir} is not a folder")
    store = OutputStore(Path(out_dir))
    run_id = str(flow_run.id or "local")
    with store.lock(lock_wait_s):
        store.check_layout()
        store.recover()
        try:
            # the pool is opened before the plan so that the plan task can start the batches
            with batch_pool(0 if dask_address else config.workers, config.rule_packs):
                plan_file = plan_task(raw_dir, out_dir, config, run_id)
                summaries_file = run_batches(plan_file, dask_address)
            summary = commit_task(plan_file, summaries_file)
        finally:
            _kept.clear()
    publish(summary)
    # The per-file counts are in the table artifact; returned too, Prefect walks them (10,000
    # files: a second). Left out before `asdict`, which deep-copies what it is given (0.13 s
    # for 10,000 files, a tenth of the flow's cost over the library at 10,000 text records).
    out = asdict(replace(summary, per_file=FileCounts()))
    del out["per_file"]
    return out
