"""The commit's reading and writing a piece at a time gives what reading and writing whole did."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kliping.run as run_module
from kliping.dataset import Snapshot, datetimes, read_parquet
from kliping.memory import release_unused
from kliping.syndication.clusters import DocInfo
from kliping.syndication.index import docs_schema, docs_table, signature_matrix

NUM_PERM = 8


def sig_column(matrix: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1), pa.uint32()), matrix.shape[1])


def test_signature_matrix_from_chunks_and_slices() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 2**32, size=(23, NUM_PERM), dtype=np.uint32)
    whole = sig_column(matrix)
    # slices carry an offset into the parent's values: the rows must still line up
    chunked = pa.chunked_array([whole.slice(0, 5), whole.slice(5, 0), whole.slice(5, 11), whole.slice(16)])
    out = signature_matrix(chunked, NUM_PERM)
    assert out.dtype == np.uint32 and out.flags.writeable
    assert np.array_equal(out, matrix)
    assert np.array_equal(signature_matrix(whole.slice(7, 4), NUM_PERM), matrix[7:11])
    assert signature_matrix(pa.chunked_array([], whole.type), NUM_PERM).shape == (0, NUM_PERM)


def staged(
    tmp_path: Path, rng: np.random.Generator, files: int = 3, rows: int = 7
) -> tuple[list[str], list[str]]:
    """Staged-like article files with row groups of 3 rows; returns (paths, doc ids in order)."""
    paths, ids = [], []
    for f in range(files):
        doc_ids = [f"d{f}-{i}" for i in range(rows)]
        table = pa.table(
            {
                "doc_id": doc_ids,
                "published_at": pa.array([datetime(2026, 1, 1 + i, tzinfo=UTC) for i in range(rows)]),
                "fetched_at": pa.array([None] * rows, pa.timestamp("us", tz="UTC")),
                "source_domain": [f"site{i % 2}.id" for i in range(rows)],
                "declared_source": [None] * rows,
                "wire": [None] * rows,
                "line_keys": [[i, i + 1] for i in range(rows)],
                "text": [f"text of {d}" for d in doc_ids],
                "signature": sig_column(rng.integers(0, 2**32, size=(rows, NUM_PERM), dtype=np.uint32)),
            }
        )
        path = tmp_path / f"batch-{f}.parquet"
        pq.write_table(table, path, row_group_size=3)
        paths.append(str(path))
        ids.extend(doc_ids)
    return paths, ids


def test_read_rows_reads_only_the_wanted_rows_across_row_groups(tmp_path: Path) -> None:
    paths, ids = staged(tmp_path, np.random.default_rng(2))
    wanted = set(random.Random(3).sample(ids, 8)) | {"d0-0", "d2-6", "nowhere"}
    got = run_module._read_columns(paths, ["doc_id", "text"], wanted)
    assert sorted(got.column("doc_id").to_pylist()) == sorted(wanted - {"nowhere"})
    assert all(t == f"text of {d}" for d, t in zip(*got.to_pydict().values(), strict=True))
    assert list(run_module._read_rows(paths, ["doc_id"], [])) == []
    every = run_module._read_columns(paths, ["doc_id"])
    assert every.column("doc_id").to_pylist() == ids


def test_staged_meta_keeps_rows_and_signatures_together(tmp_path: Path) -> None:
    paths, ids = staged(tmp_path, np.random.default_rng(4))
    meta, sigs = run_module._read_staged_meta(paths, NUM_PERM)
    assert meta.column("doc_id").to_pylist() == ids
    assert "signature" not in meta.column_names and "text" not in meta.column_names
    whole = pa.concat_tables([read_parquet(p, ["signature"]) for p in paths])
    assert np.array_equal(sigs, signature_matrix(whole.column("signature"), NUM_PERM))
    empty, none = run_module._read_staged_meta([], NUM_PERM)
    assert empty.num_rows == 0 and none.shape == (0, NUM_PERM)


def test_docs_state_written_in_row_groups_equals_the_whole_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "ROWS_PER_GROUP", 4)
    n = 11
    ids = [f"doc{i:02d}" for i in range(n)]
    infos = [
        DocInfo(d, datetime(2026, 2, 1, i, tzinfo=UTC), None, "site.id", ("wire.id",) if i % 3 else ())
        for i, d in enumerate(ids)
    ]
    sigs = np.random.default_rng(5).integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint32)
    parts = [f"part-{i % 2}.parquet" for i in range(n)]
    snap = Snapshot(tmp_path / "snap", 1)
    snap.table_dir("state").mkdir(parents=True)
    run_module._write_docs(snap, "docs-000001.parquet", ids, parts, infos, sigs, NUM_PERM)
    path = snap.table_dir("state") / "docs-000001.parquet"
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    assert read_parquet(path).equals(docs_table(ids, parts, infos, sigs, NUM_PERM))
    assert read_parquet(path).schema.equals(docs_schema(NUM_PERM))
    assert [p.name for p in snap.table_dir("state").iterdir()] == ["docs-000001.parquet"]  # no temporary left
    release_unused()  # gives memory back; must not disturb what is still held
    assert read_parquet(path).num_rows == n


def test_article_text_is_written_without_a_dictionary(tmp_path: Path) -> None:
    """Distinct long texts: a dictionary of a row group's texts is built, then given up on."""
    from kliping.config import RunConfig

    root = Path(__file__).resolve().parent.parent
    run_module.run_local(root / "raw", tmp_path / "out", RunConfig(workers=0))
    parts = sorted((tmp_path / "out" / "current" / "articles").glob("*.parquet"))
    meta = pq.ParquetFile(parts[0]).metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    encodings = {names[i]: meta.row_group(0).column(i).encodings for i in range(meta.num_columns)}
    assert meta.num_rows > 0
    assert not any("DICTIONARY" in e for e in encodings["text"])
    assert any("DICTIONARY" in e for e in encodings["source_domain"])


def test_datetimes_equal_to_pylist() -> None:
    """The commit and the history read timestamps through `datetimes` (50 times faster than
    pyarrow's conversion of zone-aware values): the same values, nulls and all, in chunks; other
    units and zones are left to pyarrow."""
    values = [
        datetime(2024, 5, 1, 3, 4, 5, 678901, tzinfo=UTC),
        None,
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=7))),  # stored as UTC
    ]
    utc = pa.chunked_array([pa.array(values[:2], pa.timestamp("us", tz="UTC")),
                            pa.array(values[2:], pa.timestamp("us", tz="UTC"))])  # fmt: skip
    got = datetimes(utc)
    assert got == utc.to_pylist() and got[1] is None
    assert all(g is None or g.utcoffset() == timedelta(0) for g in got)
    assert datetimes(pa.array([None, None], pa.timestamp("us", tz="UTC"))) == [None, None]
    assert datetimes(pa.array([], pa.timestamp("us", tz="UTC"))) == []
    for other in (pa.timestamp("ms", tz="UTC"), pa.timestamp("us", tz="Asia/Jakarta"), pa.timestamp("us")):
        naive = [v.replace(tzinfo=None) if v else None for v in values[:3]]
        column = pa.array(values[:3] if other.tz else naive, other)
        assert datetimes(column) == column.to_pylist()


def _text_corpus(raw: Path, n: int) -> None:
    from corpus import OUTLET_STYLES, article_body, outlet_copy

    rng = random.Random(11)
    raw.mkdir()
    bodies = [article_body(rng, 6) for _ in range(n // 2)]
    outlets = sorted(OUTLET_STYLES)
    for i in range(n):  # every story twice: clusters, so that the cluster columns vary
        text = outlet_copy(bodies[i % len(bodies)], outlets[i % len(outlets)], rng, cut=1, edits=0.02)
        (raw / f"a{i:03d}.txt").write_text(text, encoding="utf-8")


def test_articles_written_a_group_at_a_time_on_a_thread_equal_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit writes a row group while it gathers the next: the same rows, in the same
    order, as with one group and one part file, each part and group of its size."""
    from kliping.config import RunConfig

    raw = tmp_path / "raw"
    _text_corpus(raw, 24)
    run_module.run_local(raw, tmp_path / "whole", RunConfig(workers=0))
    monkeypatch.setattr(run_module, "ROWS_PER_GROUP", 3)
    monkeypatch.setattr(run_module, "ROWS_PER_PART", 7)
    # staged batches of 3 rows: a group each; a part is closed once it holds 7 rows or more
    run_module.run_local(raw, tmp_path / "pieces", RunConfig(workers=0, batch_size=3))
    whole = sorted((tmp_path / "whole" / "current" / "articles").glob("*.parquet"))
    pieces = sorted((tmp_path / "pieces" / "current" / "articles").glob("*.parquet"))
    assert len(whole) == 1
    metas = [pq.ParquetFile(part).metadata for part in pieces]
    assert [m.num_rows for m in metas] == [9, 9, 6]
    assert all(m.row_group(i).num_rows == 3 for m in metas for i in range(m.num_row_groups))
    skip = ["flow_run_id", "processed_at"]
    one = read_parquet(whole[0]).drop_columns(skip)
    many = pa.concat_tables([read_parquet(p) for p in pieces]).drop_columns(skip)
    assert one.num_rows == 24 and many.equals(one)
    assert sum(1 for v in one.column("cluster_size").to_pylist() if v and v > 1) >= 2


def test_a_failed_group_write_fails_the_commit_and_leaves_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kliping.config import RunConfig
    from kliping.dataset import ParquetStream

    raw = tmp_path / "raw"
    _text_corpus(raw, 12)
    out = tmp_path / "out"
    monkeypatch.setattr(run_module, "ROWS_PER_GROUP", 3)
    real = ParquetStream.write
    calls = []

    def failing(self: ParquetStream, table: pa.Table) -> None:
        calls.append(table.num_rows)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(self, table)

    monkeypatch.setattr(ParquetStream, "write", failing)
    with pytest.raises(OSError, match="No space left"):
        run_module.run_local(raw, out, RunConfig(workers=0, batch_size=3))
    assert not (out / "current").exists()
    monkeypatch.setattr(ParquetStream, "write", real)
    summary = run_module.run_local(raw, out, RunConfig(workers=0))  # the next run starts clean
    assert summary.committed and summary.count("commit.articles_written") == 12


def test_read_ahead_gives_every_table_in_order_and_what_the_reading_raised(tmp_path: Path) -> None:
    paths, ids = staged(tmp_path, np.random.default_rng(6))
    tables = list(run_module._read_ahead(run_module._read_rows(paths, ["doc_id"], ids)))
    assert [d for t in tables for d in t.column("doc_id").to_pylist()] == ids

    def broken() -> Iterator[pa.Table]:
        yield pa.table({"x": [1]})
        raise OSError(5, "Input/output error")

    got = []
    with pytest.raises(OSError, match="Input/output"):
        for table in run_module._read_ahead(broken()):
            got.append(table)
    assert len(got) == 1
    early = run_module._read_ahead(run_module._read_rows(paths, ["doc_id"], ids))
    assert next(early).num_rows > 0
    early.close()  # a caller that stops early: the table read ahead is dropped, nothing hangs
