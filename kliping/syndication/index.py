"""The persistent syndication index: what earlier runs wrote, kept in the snapshot's `state/`.

    docs-<seq>.parquet     one file per run, append-only: doc_id, article part file,
                           published_at, fetched_at, MinHash signature (uint32 × num_perm)
    clusters.parquet       doc_id → cluster_id, rewritten each run
    cluster_index.parquet  cluster_id → the run that created it (older ids win merges)
    merges.parquet         every merge: run, surviving id, absorbed id
    files.parquet          raw files already read: path, size, mtime (unchanged files are skipped)
    manifest.json          run sequence, signature parameters, rules version, counts

It lives inside the snapshot, so it is committed with the dataset by the same rename.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from kliping.dataset import datetimes, read_parquet
from kliping.syndication.clusters import DocInfo

FILES_SCHEMA = pa.schema(
    [
        ("source_path", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("file_type", pa.string()),
        ("seq", pa.int64()),
    ]
)
CLUSTERS_SCHEMA = pa.schema([("doc_id", pa.string()), ("cluster_id", pa.string())])
CLUSTER_INDEX_SCHEMA = pa.schema([("cluster_id", pa.string()), ("created_seq", pa.int64())])
MERGES_SCHEMA = pa.schema(
    [("seq", pa.int64()), ("flow_run_id", pa.string()), ("survivor", pa.string()), ("absorbed", pa.string())]
)


def docs_schema(num_perm: int) -> pa.Schema:
    return pa.schema(
        [
            ("doc_id", pa.string()),
            ("part", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("fetched_at", pa.timestamp("us", tz="UTC")),
            ("source_domain", pa.string()),
            ("points_to", pa.list_(pa.string())),
            ("signature", pa.list_(pa.uint32(), num_perm)),
        ]
    )


def signature_matrix(column: pa.ChunkedArray | pa.Array, num_perm: int) -> np.ndarray:
    """A fixed-size-list column of signatures as a writable (n, num_perm) uint32 array.

    Filled a chunk at a time from views of the Arrow buffers: combining the chunks first and
    converting the result made two more copies of the whole matrix (51 MB each at 100k
    articles), and the memory they took stayed with the allocator after they were freed."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = np.empty((sum(len(c) for c in chunks), num_perm), dtype=np.uint32)
    row = 0
    for chunk in chunks:
        if len(chunk):
            values = chunk.flatten().to_numpy(zero_copy_only=False)  # a view, without nulls
            out[row : row + len(chunk)] = values.reshape(-1, num_perm)
            row += len(chunk)
    return out


@dataclass
class History:
    """Everything earlier runs committed that this run needs; empty for a first run."""

    manifest: dict[str, Any] = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # doc_id → article part file
    info: dict[str, DocInfo] = field(default_factory=dict)
    signatures: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.uint32))
    cluster_of: dict[str, str] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    merges: pa.Table = field(default_factory=lambda: MERGES_SCHEMA.empty_table())
    files: dict[str, tuple[int, int, str, int]] = field(default_factory=dict)
    site_lines: pa.Table | None = None  # evidence for site-learned boilerplate (kliping.clean.site)
    _by_cluster: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def seq(self) -> int:
        return int(self.manifest.get("seq", 0))

    def members(self, cluster_ids: list[str]) -> dict[str, list[DocInfo]]:
        """The earlier members of these clusters (the index is built on first use)."""
        if self._by_cluster is None:
            self._by_cluster = {}
            for doc_id, cid in self.cluster_of.items():
                self._by_cluster.setdefault(cid, []).append(doc_id)
        return {c: [self.info[d] for d in self._by_cluster.get(c, [])] for c in cluster_ids}

    @classmethod
    def load(cls, snapshot: Path | None, num_perm: int) -> History:
        if snapshot is None or not (snapshot / "state" / "manifest.json").is_file():
            return cls(signatures=np.empty((0, num_perm), dtype=np.uint32))
        state = snapshot / "state"
        hist = cls(manifest=json.loads((state / "manifest.json").read_text(encoding="utf-8")))
        stored_perm = int(hist.manifest.get("num_perm", num_perm))
        tables = [read_parquet(p) for p in sorted(state.glob("docs-*.parquet"))]
        docs = pa.concat_tables(tables) if tables else docs_schema(stored_perm).empty_table()
        hist.doc_ids = docs.column("doc_id").to_pylist()
        hist.parts = dict(zip(hist.doc_ids, docs.column("part").to_pylist(), strict=True))
        columns = [
            datetimes(docs.column("published_at")),
            datetimes(docs.column("fetched_at")),
            *(docs.column(c).to_pylist() for c in ("source_domain", "points_to")),
        ]
        for doc_id, pub, fetched, domain, points in zip(hist.doc_ids, *columns, strict=True):
            hist.info[doc_id] = DocInfo(doc_id, pub, fetched, domain, tuple(points or ()))
        hist.signatures = signature_matrix(docs.column("signature"), stored_perm)
        clusters = read_parquet(state / "clusters.parquet")
        hist.cluster_of = dict(
            zip(clusters.column("doc_id").to_pylist(), clusters.column("cluster_id").to_pylist(), strict=True)
        )
        index = read_parquet(state / "cluster_index.parquet")
        hist.created = dict(
            zip(index.column("cluster_id").to_pylist(), index.column("created_seq").to_pylist(), strict=True)
        )
        if (state / "merges.parquet").is_file():
            hist.merges = read_parquet(state / "merges.parquet")
        if (state / "site_lines.parquet").is_file():
            hist.site_lines = read_parquet(state / "site_lines.parquet")
        hist.files = cls.load_files(snapshot)
        return hist

    @staticmethod
    def load_files(snapshot: Path | None) -> dict[str, tuple[int, int, str, int]]:
        """The file index alone (source_path → size, mtime_ns, file_type, seq): what planning
        needs, without the signatures and clusters (3 s to load at 100k articles)."""
        path = snapshot / "state" / "files.parquet" if snapshot is not None else None
        if path is None or not path.is_file():
            return {}
        table = read_parquet(path, columns=["source_path", "size", "mtime_ns", "file_type", "seq"])
        cols = [table.column(c).to_pylist() for c in ("size", "mtime_ns", "file_type", "seq")]
        return dict(zip(table.column("source_path").to_pylist(), zip(*cols, strict=True), strict=True))


def docs_table(
    doc_ids: list[str], parts: list[str], infos: list[DocInfo], sigs: np.ndarray, num_perm: int
) -> pa.Table:
    flat = pa.array(sigs.reshape(-1), type=pa.uint32())
    return pa.table(
        {
            "doc_id": doc_ids,
            "part": parts,
            "published_at": [i.published_at for i in infos],
            "fetched_at": [i.fetched_at for i in infos],
            "source_domain": [i.source_domain for i in infos],
            "points_to": [list(i.points_to) for i in infos],
            "signature": pa.FixedSizeListArray.from_arrays(flat, num_perm),
        },
        schema=docs_schema(num_perm),
    )
