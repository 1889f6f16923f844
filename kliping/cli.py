"""`kliping`: run the flow, serve it on a schedule, inspect a dataset.

Prefect is imported only inside the commands that need it, so `kliping inspect`
and the library stay fast to import and free of Prefect.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from kliping.config import DEFAULT_BATCH_SIZE
from kliping.read.limits import DEFAULT_MAX_RECORD_BYTES, DEFAULT_RECORD_TIMEOUT_S
from kliping.syndication.clusters import DEFAULT_THRESHOLD
from kliping.syndication.shingles import DEFAULT_SHINGLE_SIZE


def _quiet_prefect() -> None:
    """Local ephemeral mode, no telemetry (no network here), and only warnings on the console."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Prefect waits 20 s for its ephemeral API; on a new PREFECT_HOME, creating its database
    # took 23-26 s on the 2-core development machine (Prefect 3.8.8 and 3.9.1 alike).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "WARNING")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("raw", nargs="?", default="raw", help="raw folder (default: raw)")
    p.add_argument("--out", default="clean", help="output folder (default: clean)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="Jaccard threshold for copies")
    p.add_argument("--shingle-size", type=int, default=DEFAULT_SHINGLE_SIZE, help="words per shingle")
    p.add_argument(
        "--rules", action="append", default=[], metavar="PACK.toml", help="extra rule pack (repeatable)"
    )
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="most records per task")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="most worker processes, one per 8 MB of input (default: all cores; 0: none)",
    )
    p.add_argument("--max-record-bytes", type=int, default=DEFAULT_MAX_RECORD_BYTES)
    p.add_argument(
        "--record-timeout", type=float, default=DEFAULT_RECORD_TIMEOUT_S, help="seconds per record"
    )
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another run holding --out")
    p.add_argument(
        "--dask-address", default=None, help="run the batch tasks on this Dask scheduler (tcp://HOST:PORT)"
    )


def _flow_parameters(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {
        "raw_dir": str(args.raw),
        "out_dir": str(args.out),
        "threshold": args.threshold,
        "shingle_size": args.shingle_size,
        "rule_packs": list(args.rules),
        "batch_size": args.batch_size,
        "max_record_bytes": args.max_record_bytes,
        "record_timeout_s": args.record_timeout,
        "lock_wait_s": args.wait,
    }
    if args.workers is not None:
        params["workers"] = args.workers
    if args.dask_address:
        params["dask_address"] = args.dask_address
    return params


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    _quiet_prefect()
    if not Path(args.raw).is_dir():
        console.print(f"kliping: raw folder {args.raw} does not exist")
        return 2
    console.print("[dim]starting Prefect (local ephemeral mode)…[/dim]")
    from flows import progress as events
    from flows.kliping_flow import kliping_flow
    from flows.local import one_shot_settings
    from kliping.run import RunSummary
    from kliping.summary import summary_text

    started = time.monotonic()
    bar = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console, transient=True,
    )  # fmt: skip
    task_id = bar.add_task("files", total=None, rate="")
    records = 0

    def on_event(event: str, data: dict[str, Any]) -> None:
        nonlocal records
        if event == "planned":
            bar.update(task_id, total=data["files"])
        elif event == "batch":
            records += data["records"]
            rate = records / max(time.monotonic() - started, 1e-6)
            bar.update(task_id, advance=data["files"], rate=f"{records} records, {rate:.0f}/s")

    events.listen(on_event)
    try:
        with bar, one_shot_settings():
            result = kliping_flow(**_flow_parameters(args))
    except Exception as exc:  # the run itself failed: one line, non-zero
        console.print(f"kliping: run failed: {type(exc).__name__}: {exc}")
        return 1
    finally:
        events.forget(on_event)
    summary = RunSummary(**result)
    print(summary_text(summary))
    print(f"done in {time.monotonic() - started:.1f} s; dataset: {args.out}/articles, {args.out}/rejects")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.deployment import serve

    serve(args.cron, _flow_parameters(args), name=args.name, timezone=args.timezone)
    return 0


def _open_dataset(out: str) -> Any | None:
    """The dataset under OUT, or None after saying on stderr why there is none."""
    from kliping.inspect import NoDatasetError, open_dataset

    try:
        return open_dataset(Path(out))
    except NoDatasetError as exc:
        print(f"kliping: {exc}", file=sys.stderr)
        return None


def cmd_inspect(args: argparse.Namespace) -> int:
    from kliping.inspect import make_console, show_inspect

    if (data := _open_dataset(args.out)) is None:
        return 2
    show_inspect(data, make_console(), top=args.top)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from kliping.explain import ExplainError, show_explain
    from kliping.inspect import NoDatasetError, make_console, open_dataset

    try:
        show_explain(open_dataset(Path(args.out)), args.article, make_console(), diff=args.diff)
    except (NoDatasetError, ExplainError) as exc:
        print(f"kliping: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from kliping.report import write_report

    if (data := _open_dataset(args.out)) is None:
        return 2
    path = write_report(data, Path(args.html), top=args.top)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB, self-contained: open it in any browser, offline)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kliping", description="Scraped news to Parquet with provenance.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="clean RAW into OUT through the Prefect flow")
    _add_run_options(run)
    run.set_defaults(fn=cmd_run)
    serve = sub.add_parser("serve", help="serve the flow as a scheduled Prefect deployment")
    serve.add_argument("--cron", required=True, help='cron schedule, e.g. "*/30 * * * *"')
    serve.add_argument("--name", default="kliping-scheduled", help="deployment name")
    serve.add_argument("--timezone", default="Asia/Jakarta", help="time zone of the cron schedule")
    _add_run_options(serve)
    serve.set_defaults(fn=cmd_serve)
    insp = sub.add_parser("inspect", help="what is in a clean dataset")
    insp.add_argument("out", nargs="?", default="clean", help="output folder (default: clean)")
    insp.add_argument("--top", type=int, default=10, help="largest clusters to list (default: 10)")
    insp.set_defaults(fn=cmd_inspect)
    expl = sub.add_parser("explain", help="one article: provenance, removed lines, cluster, diff")
    expl.add_argument(
        "article", metavar="DOC_ID_OR_SOURCE_PATH", help="doc_id (or prefix), path[:record] or URL"
    )
    expl.add_argument("--out", default="clean", help="output folder (default: clean)")
    expl.add_argument(
        "--diff", nargs="?", const="", default=None, metavar="MEMBER_DOC_ID",
        help="a member's text against the canonical's (default: this article, or the least similar copy)",
    )  # fmt: skip
    expl.set_defaults(fn=cmd_explain)
    rep = sub.add_parser("report", help="one self-contained HTML file of charts")
    rep.add_argument("out", nargs="?", default="clean", help="output folder (default: clean)")
    rep.add_argument("--html", default="report.html", help="file to write (default: report.html)")
    rep.add_argument("--top", type=int, default=10, help="largest clusters to draw (default: 10)")
    rep.set_defaults(fn=cmd_report)
    args = parser.parse_args(argv)
    code: int = args.fn(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
