"""Batches over files that are not in the page cache, with and without reading ahead.

`make bench` writes its corpora just before it reads them, so every file is in the page cache;
a scheduled run reads what scrapers wrote hours before, or after a reboot, from the disk. This
writes a generated text corpus, then, in turns, drops its pages from the cache
(`posix_fadvise(POSIX_FADV_DONTNEED)`, which needs no privileges) and runs the per-record steps
over it on worker processes (`process_batch`, batches of 1,000): once as
kliping runs them (`kliping.read.prefetch.read_ahead` asking for the files 64 places ahead),
once without asking, and once with the files cached. The inodes stay cached (only root can drop
those), so a truly cold disk waits more than this shows.

Usage: python -m bench.cold_read [--records 20000] [--rounds 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from kliping.read.files import RawFile


def drop_from_cache(folder: Path) -> int:
    """Drop every file under `folder` from the page cache; returns how many files."""
    n = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)  # dirty pages are not dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
            n += 1
    return n


def in_order(files: Sequence[RawFile], distance: int = 0) -> Iterator[RawFile]:
    """The files without asking the kernel for any ahead (what a worker did before)."""
    yield from files


def _worker(ahead: bool) -> None:
    """A worker as kliping starts one, reading ahead or not."""
    from kliping import pipeline
    from kliping.read.prefetch import read_ahead

    pipeline.warm_worker(())
    pipeline.read_ahead = read_ahead if ahead else in_order  # type: ignore[assignment]


def batches_seconds(raw: Path, ahead: bool, workers: int) -> float:
    """Seconds to run every batch of `raw` (1,000 files each) on `workers` processes started and
    readied beforehand, reading ahead or not."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from kliping.config import RunConfig
    from kliping.pipeline import BatchSpec, process_batch
    from kliping.read.files import discover

    files = tuple(discover(raw))
    staging = Path(tempfile.mkdtemp(prefix="kliping-cold-"))
    context = get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker, initargs=(ahead,)) as pool:
            list(pool.map(time.sleep, [0.5] * workers))  # every worker started and warm first
            started = time.perf_counter()
            specs = [
                BatchSpec(i, str(raw), files[i : i + 1000], str(staging), "bench", RunConfig())
                for i in range(0, len(files), 1000)
            ]
            list(pool.map(process_batch, specs))
            return time.perf_counter() - started
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not hasattr(os, "posix_fadvise"):
        print("posix_fadvise is not available here", file=sys.stderr)
        return 2
    from bench.generate import write_corpus

    base = Path(tempfile.mkdtemp(prefix="kliping-cold-read-"))
    try:
        raw = base / "text"
        write_corpus(raw, args.records, "text")
        results: dict[str, list[float]] = {"cold, read ahead": [], "cold, in order": [], "cached": []}
        for _ in range(args.rounds):
            for label, ahead, cold in (("cold, read ahead", True, True), ("cold, in order", False, True),
                                       ("cached", True, False)):  # fmt: skip
                if cold:
                    drop_from_cache(raw)
                seconds = batches_seconds(raw, ahead, args.workers)
                results[label].append(seconds)
                print(f"{label:<18} {seconds:6.1f} s  {args.records / seconds:6.0f} records/s", flush=True)
        best = {label: min(times) for label, times in results.items()}
        print(
            f"best of {args.rounds}: read ahead {best['cold, read ahead']:.1f} s, in order "
            f"{best['cold, in order']:.1f} s, cached {best['cached']:.1f} s"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
