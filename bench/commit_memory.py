"""Where a run's memory peaks: the run's process RSS, phase by phase of the commit.

`make bench` reports one number per run (peak RSS of the run's process or its largest
worker); this says which phase of the commit holds the peak. It runs `run_local` on a
generated text corpus with a thread sampling the process's RSS every 20 ms, labelled with
the commit phase running at the time (the phases are the functions of `kliping.run` wrapped
below), and prints each phase's highest RSS and time.

Usage: python -m bench.commit_memory [--records 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PHASES = (
    "plan_run",
    "commit_run",
    "_read_staged_meta",
    "cluster",
    "_site_line_targets",
    "_strip_site_lines",
    "_keep_for_reclustering",
    "candidates_after_change",
    "_write_new_articles",
    "_write_rejects",
    "_write_state",
    "_largest",
)


def rss_mb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    import kliping.run as run_module
    from kliping.config import RunConfig

    stack = ["run"]
    peaks: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def wrap(name: str) -> None:
        inner: Callable[..., Any] = getattr(run_module, name)

        def phase(*a: Any, **k: Any) -> Any:
            stack.append(name)
            t = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                key = "/".join(stack)
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - t
                stack.pop()

        setattr(run_module, name, phase)

    for name in PHASES:
        wrap(name)

    def sample() -> None:
        while True:
            key = "/".join(stack)
            peaks[key] = max(peaks.get(key, 0), rss_mb())
            time.sleep(0.02)

    base = Path(tempfile.mkdtemp(prefix="kliping-memory-"))
    try:
        # in a child: writing 100k records leaves this process hundreds of MB bigger
        raw = str(base / "raw")
        code = (
            "from pathlib import Path; from bench.generate import write_corpus; "
            f"write_corpus(Path({raw!r}), {args.records}, 'text')"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
        threading.Thread(target=sample, daemon=True).start()
        t = time.perf_counter()
        run_module.run_local(Path(raw), base / "out", RunConfig(workers=args.workers))
        total = time.perf_counter() - t
    finally:
        shutil.rmtree(base, ignore_errors=True)
    # the workers' peak is `make bench`'s to report: here the corpus generator is a child too
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{args.records:,} records in {total:.1f} s; peak RSS of the run's process {own} MB")
    print(f"{'phase':<60}{'peak MB':>9}{'s':>8}")
    for key, peak in peaks.items():
        print(f"{key:<60}{peak:>9}{seconds.get(key, 0.0):>8.1f}")
    return 0


if __name__ == "__main__":  # the workers are spawned: they import this module, not run it
    sys.exit(main())
