"""Instructions a text record costs in one worker, counted by valgrind: a measure that does not
drift with the machine.

    .venv/bin/python -m bench.instructions [--records 300] [--tree .]

This machine's speed drifts by 10-30% within minutes (twice that within a day), more than most
changes to one step are worth, so two versions timed even in turns often disagree. Counted
instructions do not drift: the same code on the same records gives the same count to within
a few tenths of a percent. The generated 600-word text corpus (as `make bench` writes it) is
processed in one process, `process_batch` as a worker runs it, under `valgrind --tool=cachegrind`
twice: once for a warm-up batch only and once for the warm-up and `--records` more; the
difference divided by `--records` is a record's cost, start-up and imports taken out.

`--tree` runs another checkout's code (a `git worktree` of the code before a change) on the
same records: an A/B that is not noise. Instructions are not time: memory-bound steps (the
language model's lookups, Arrow's Parquet writing) cost more time than their instructions
say, so a change that moves work between such steps is timed as well. Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys, tempfile
from pathlib import Path
from kliping.config import RunConfig
from kliping.pipeline import BatchSpec, process_batch, warm_worker
from kliping.read.files import discover
if __name__ == "__main__":
    raw, n = Path(sys.argv[1]), int(sys.argv[2])
    files = tuple(discover(raw))
    warm_worker(())
    process_batch(BatchSpec(0, str(raw), files[:50], tempfile.mkdtemp(), "bench", RunConfig()))
    if n:
        process_batch(BatchSpec(1, str(raw), files[100 : 100 + n], tempfile.mkdtemp(), "bench", RunConfig()))
"""


def instructions(tree: Path, raw: Path, records: int) -> int:
    """Instructions valgrind counts for the child over `records` records (0: the warm-up only)."""
    # one BLAS thread: OpenBLAS's idle threads spin, and their instructions depend on timing
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, str(raw), str(records)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    m = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if m is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose code is counted")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    from bench.generate import write_corpus

    base = Path(tempfile.mkdtemp(prefix="kliping-instr-"))
    try:
        raw = base / "text"
        write_corpus(raw, args.records + 100, "text")
        # a first child readies the language model's cache, which the counted runs then read
        instructions(args.tree, raw, 0)
        warm, full = instructions(args.tree, raw, 0), instructions(args.tree, raw, args.records)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    per = (full - warm) / args.records
    print(f"{args.tree}: {per / 1e6:.2f} M instructions a record ({args.records} records)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
