"""The output folder: Parquet tables that always show one whole, committed state.

Layout of OUT_DIR:

    articles -> current/articles        plain Parquet, what readers open
    rejects  -> current/rejects
    _state   -> current/state           signatures, clusters, file index (kliping's memory)
    current  -> _snapshots/000007-…     swapped by one atomic rename at commit
    _snapshots/                         the current snapshot and the one before it
    _work/                              staging files of the run under way
    .lock                               held by the run that writes

A run builds a new snapshot beside the current one (unchanged files are hard
links, so this costs little), then replaces the `current` symlink with a single
`rename`. A run killed at any point leaves `current` pointing at the last whole
snapshot; the next run clears what the dead one left behind.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kliping.schema import TableSchema

TABLES = ("articles", "rejects", "state")
LINKS = {"articles": "current/articles", "rejects": "current/rejects", "_state": "current/state"}
KEEP_SNAPSHOTS = 2  # the current one and the one before (readers that opened it still finish)
PARQUET_COMPRESSION = "zstd"


class OutputBusyError(RuntimeError):
    """Another run holds the output folder."""


class OutputLayoutError(RuntimeError):
    """The output folder holds something kliping did not write."""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file (or some of its columns), read in this thread.

    Arrow reads ahead on its I/O threads by default; memory they allocate and this thread
    frees stays with those threads' allocator heaps (`kliping.memory`): in a commit of
    100,000 articles, about 70 MB more at the peak. A file's columns are read here alone."""
    return pq.ParquetFile(path, pre_buffer=False).read(columns=columns, use_threads=False)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetimes(column: pa.ChunkedArray | pa.Array) -> list[datetime | None]:
    """A UTC timestamp column as Python datetimes (None for nulls): `to_pylist()`'s values.

    pyarrow converts a time-zone-aware value at a time through pandas and the zone (0.9 s for
    100,000 values, a second of every incremental run at 100k articles); from the integers it is
    50 times faster. Other types and zones go through `to_pylist()`."""
    kind = column.type
    if not (pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz in ("UTC", "+00:00")):
        values: list[datetime | None] = column.to_pylist()
        return values
    micros = column.cast(pa.int64()).fill_null(0).to_numpy().tolist()
    valid = column.is_valid().to_numpy(zero_copy_only=False).tolist()
    return [_EPOCH + timedelta(microseconds=m) if ok else None for m, ok in zip(micros, valid, strict=True)]


def write_parquet(table: pa.Table, path: Path, schema: pa.Schema | None = None) -> Path:
    """Write to a temporary file, fsync, and rename into place: never a half-written file."""
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    tmp = _temporary(path)
    pq.write_table(table, tmp, compression=PARQUET_COMPRESSION)
    _publish(tmp, path)
    return path


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _publish(tmp: Path, path: Path) -> None:
    """fsync a fully written temporary file and rename it into place."""
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ParquetStream:
    """One Parquet file written a row group at a time, into a temporary file that `close`
    fsyncs and renames into place (as `write_parquet` does for a whole table): a large
    table need not be held whole to be written (50,000 articles are 200 MB of text)."""

    def __init__(self, path: Path, schema: pa.Schema, plain: tuple[str, ...] = ()) -> None:
        self.path, self.schema = path, schema
        self.tmp = _temporary(path)
        # `plain` columns skip dictionary encoding: for a column of distinct long values (an
        # article's text) the writer builds a dictionary of a whole row group's values
        # before it gives up on it
        dictionary = [name for name in schema.names if name not in plain]
        self._writer = pq.ParquetWriter(
            self.tmp, schema, compression=PARQUET_COMPRESSION, use_dictionary=dictionary
        )
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> Path:
        self._writer.close()
        _publish(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._writer.close()
        self.tmp.unlink(missing_ok=True)


def write_json(doc: Any, path: Path) -> None:
    tmp = _temporary(path)
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str), encoding="utf-8")
    _publish(tmp, path)


@dataclass
class Snapshot:
    """A snapshot being built: write tables into it, then `OutputStore.commit` it."""

    path: Path
    seq: int

    def table_dir(self, table: str) -> Path:
        return self.path / table

    def link_from(
        self, previous: Path | None, table: str, skip: set[str] | None = None, prefix: str = ""
    ) -> None:
        """Carry the previous snapshot's Parquet files of `table` over as hard links (no copy)."""
        if previous is None or not (previous / table).is_dir():
            return
        for f in (previous / table).iterdir():
            if (
                f.is_file()
                and f.suffix == ".parquet"
                and f.name.startswith(prefix)
                and not (skip and f.name in skip)
            ):
                target = self.table_dir(table) / f.name
                try:
                    os.link(f, target)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                        raise
                    shutil.copy2(f, target)

    def write(self, table: str, name: str, data: pa.Table, schema: TableSchema | None = None) -> Path:
        return write_parquet(data, self.table_dir(table) / name, schema.arrow if schema else None)

    def stream(
        self, table: str, name: str, schema: TableSchema, plain: tuple[str, ...] = ()
    ) -> ParquetStream:
        return ParquetStream(self.table_dir(table) / name, schema.arrow, plain)


class OutputStore:
    def __init__(self, out_dir: Path) -> None:
        self.out = Path(out_dir)
        self.snapshots = self.out / "_snapshots"
        self.work = self.out / "_work"

    # -- reading -------------------------------------------------------------------------
    def current(self) -> Path | None:
        link = self.out / "current"
        if not link.is_symlink():
            return None
        target = (self.out / os.readlink(link)).resolve()
        return target if target.is_dir() else None

    def current_seq(self) -> int:
        cur = self.current()
        return int(cur.name.split("-")[0]) if cur else 0

    # -- locking -------------------------------------------------------------------------
    @contextmanager
    def lock(self, wait_s: float = 0.0) -> Iterator[None]:
        """Hold the output folder for one run; a second run waits up to `wait_s`, then refuses."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / ".lock"
        fh = path.open("a+")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "unknown"
                    fh.close()
                    raise OutputBusyError(
                        f"another kliping run is writing to {self.out} ({holder}); "
                        "wait for it to finish or use another --out"
                    ) from None
                time.sleep(0.2)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
            fh.flush()
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    # -- writing -------------------------------------------------------------------------
    def check_layout(self) -> None:
        for name in LINKS:
            p = self.out / name
            if p.exists() and not p.is_symlink():
                raise OutputLayoutError(
                    f"{p} exists and was not written by kliping (expected a link into _snapshots); "
                    "move it away or choose another --out"
                )

    def recover(self) -> None:
        """Clear what a killed run left: unfinished snapshots, staging folders, old snapshots."""
        cur = self.current()
        if self.work.is_dir():
            shutil.rmtree(self.work, ignore_errors=True)
        if not self.snapshots.is_dir():
            return
        done = sorted(p for p in self.snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
        keep = {p.name for p in done[-KEEP_SNAPSHOTS:]}
        if cur is not None:
            keep.add(cur.name)
        for p in self.snapshots.iterdir():
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    def work_dir(self, run_id: str) -> Path:
        path = self.work / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def begin(self, run_id: str) -> Snapshot:
        seq = self.current_seq() + 1
        path = self.snapshots / f".building-{seq:06d}-{run_id[:8]}"
        if path.exists():
            shutil.rmtree(path)
        for table in TABLES:
            (path / table).mkdir(parents=True)
        return Snapshot(path, seq)

    def commit(self, snap: Snapshot) -> Path:
        """Make `snap` the current snapshot with one atomic rename of the `current` link."""
        for table in TABLES:
            fsync_dir(snap.table_dir(table))
        final = self.snapshots / snap.path.name.removeprefix(".building-")
        os.replace(snap.path, final)
        fsync_dir(self.snapshots)
        tmp_link = self.out / f".current.tmp-{os.getpid()}"
        tmp_link.unlink(missing_ok=True)
        os.symlink(os.path.relpath(final, self.out), tmp_link)
        os.replace(tmp_link, self.out / "current")
        for name, target in LINKS.items():
            link = self.out / name
            if not link.is_symlink():
                os.symlink(target, link)
        fsync_dir(self.out)
        self.recover()
        return final
