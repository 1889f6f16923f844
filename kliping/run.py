"""A whole run without any orchestrator: plan → batches → commit.

`flows/` calls the same three functions from Prefect tasks; tests and benchmarks
call `run_local` to measure the library alone. Planning and the commit hold the
output folder's lock; batches only read raw files and write staging files.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kliping import native
from kliping.clean import load_rules
from kliping.clean.site import SITE_RULE_PREFIX, SiteLines, strip_site_lines
from kliping.config import RunConfig
from kliping.dataset import OutputStore, ParquetStream, Snapshot, datetimes, read_parquet, write_json
from kliping.file_counts import FileCounts
from kliping.memory import release_unused
from kliping.pipeline import (
    CLUSTER_COLUMNS,
    GZIP_WORK_FACTOR,
    BatchSpec,
    BatchSummary,
    failed_batch,
    named_sources,
    pool_size,
    process_batch,
    run_pool,
)
from kliping.read import RawFile, discover
from kliping.read.file_list import FileList
from kliping.read.files import Ignored, work_bytes
from kliping.schema import articles_schema, rejects_schema
from kliping.syndication.clusters import ClusterResult, DocInfo, candidates_after_change, cluster
from kliping.syndication.index import (
    CLUSTER_INDEX_SCHEMA,
    CLUSTERS_SCHEMA,
    FILES_SCHEMA,
    MERGES_SCHEMA,
    History,
    docs_schema,
    docs_table,
    signature_matrix,
)
from kliping.syndication.shingles import U32Array, fold_tables, shingle_sets_many
from kliping.syndication.signatures import SIGNATURE_VERSION, sign_texts, signatures

# A JSONL or WARC file holds many records: estimate how many from its size to size batches.
BYTES_PER_CONTAINER_RECORD = 40_000
# Prefect's ephemeral API fails after a few thousand task runs in one flow: batches grow
# for very large runs so that a run never has more than this many.
MAX_BATCHES = 400
# Batches are not cut smaller than this to give every worker more rounds of them…
MIN_BALANCED_BATCH = 50
# …and up to this many rounds are given when there is work enough: the last batch to finish
# decides when the run ends (1,000 HTML pages in 4 batches of 250 on two workers: 0.79 of a
# trafilatura loop's speed, where the loop hands out pages 16 at a time).
MIN_ROUNDS = 4
# …and the last part of the work goes in batches that get smaller toward the end (guided
# self-scheduling): each at most what is left per worker, divided by TAIL_SHARE, down to
# MIN_TAIL_BATCH_BYTES of input. The run ends when its last batch does: of 1,000 HTML pages in
# 8 batches of 125 (4-5 s each), one worker waited 0.06-2.9 s for the other at the end. In a
# simulation of pages of uneven cost, TAIL_SHARE 2 left the workers' ends 0.7% of the run
# apart and 1 left them 1.1% apart, with 17 batches instead of 12 (a flow task each).
TAIL_SHARE = 1
MIN_TAIL_BATCH_BYTES = 1024 * 1024  # ~12 HTML pages (~0.4 s of a core), ~250 text articles (~0.15 s)
ROWS_PER_PART = 50_000
# Articles are written a row group of this many at a time (about 4 MB of text), one group
# being written while the next is gathered: 2,500 a group held 30 MB more of Arrow memory at
# the commit's peak at 100k articles, 5,000 70 MB more; files and writing time were the same.
ROWS_PER_GROUP = 1_000


@dataclass
class RunPlan:
    """What a run will do: the batches of changed files, and what it skips."""

    raw_dir: str
    out_dir: str
    run_id: str
    flow_run_id: str
    config: RunConfig
    batches: list[BatchSpec]
    skipped_files: int
    ignored_files: int

    @property
    def files(self) -> FileList:
        """The files the run reads: its batches' files, in order (a FileList each), joined
        anew on each call: the commit takes them once."""
        return FileList.concat(b.files for b in self.batches)

    @property
    def file_count(self) -> int:
        """How many files the run reads, without joining the batches' files."""
        return sum(len(b.files) for b in self.batches)

    @property
    def staging_dir(self) -> str:
        return str(Path(self.out_dir) / "_work" / self.run_id)


@dataclass
class RunSummary:
    """Counts of a finished run: what every step saw, kept and dropped."""

    flow_run_id: str
    committed: bool
    snapshot: str | None
    counts: dict[str, int]
    clusters_new: int = 0
    clusters_grown: int = 0
    merges: list[tuple[str, str]] = field(default_factory=list)
    largest_clusters: list[dict[str, Any]] = field(default_factory=list)
    per_file: FileCounts = field(default_factory=FileCounts)  # path, type, records, articles, rejects

    def count(self, key: str) -> int:
        return self.counts.get(key, 0)


def _estimate_records(raw: RawFile) -> int:
    if raw.file_type in ("jsonl", "warc"):
        return max(1, raw.size // BYTES_PER_CONTAINER_RECORD)
    return 1


def batch_target(estimated: int, config: RunConfig) -> int:
    """Records per batch: at most `batch_size` (more only to stay under MAX_BATCHES), in a
    number of batches that is a whole multiple of the workers, up to MIN_ROUNDS rounds of them
    when there is enough work for batches of MIN_BALANCED_BATCH. With 300 records and batches of
    200 on two workers, one worker would do 200 while the other stops at 100: the run would take
    1/3 longer than with six of 50; and a worker done early takes another batch (pages differ
    in cost)."""
    size = max(config.batch_size, -(-estimated // MAX_BATCHES))
    count = max(1, -(-estimated // size))
    if config.workers > 1:
        rounds = -(-count // config.workers)
        rounds = max(rounds, min(MIN_ROUNDS, estimated // (MIN_BALANCED_BATCH * config.workers)))
        count = min(rounds * config.workers, MAX_BATCHES, max(1, estimated))
    return max(1, -(-estimated // count))


def plan_run(raw_dir: Path, out_dir: Path, config: RunConfig, flow_run_id: str | None = None) -> RunPlan:
    """Find the raw files that changed since the last commit and cut them into batches."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    store = OutputStore(out_dir)
    known = History.load_files(store.current())
    run_id = uuid.uuid4().hex
    flow_run_id = flow_run_id or f"local-{run_id}"
    files, skipped = [], 0
    passed_over = Ignored()
    for raw in discover(raw_dir, passed_over):
        if raw.refused is None and (raw.size, raw.mtime_ns) == known.get(raw.rel, (None, None))[:2]:
            skipped += 1
        else:
            files.append(raw)
    ignored = passed_over.count
    store.work_dir(run_id)
    staging = str(store.work / run_id)
    batches = [
        BatchSpec(i, str(raw_dir), FileList(part), staging, flow_run_id, config)
        for i, part in enumerate(cut_batches(files, config))
    ]
    return RunPlan(str(raw_dir), str(out_dir), run_id, flow_run_id, config, batches, skipped, ignored)


def cut_batches(files: list[RawFile], config: RunConfig) -> Iterator[list[RawFile]]:
    """`files` in order, cut into batches of `batch_target` records, except toward the end:
    with several workers, a batch then holds at most the records left per worker (divided by
    TAIL_SHARE), so that the workers finish close together (a worker done early takes the next,
    smaller batch); but only the last batch holds less than MIN_TAIL_BATCH_BYTES of input, so
    that a batch's fixed costs (its staging files, in a flow its task) stay small beside its
    work."""
    weights = [_estimate_records(f) for f in files]
    left = sum(weights)
    size = batch_target(left, config)
    tail_parts = TAIL_SHARE * config.workers if config.workers > 1 else 0
    current: list[RawFile] = []
    weight = work = 0
    for raw, w in zip(files, weights, strict=True):
        if not current:  # this batch's size, from what is left as it starts
            target = min(size, -(-left // tail_parts)) if tail_parts else size
        current.append(raw)
        weight += w
        work += work_bytes(raw.size, raw.compressed, GZIP_WORK_FACTOR)
        if weight >= size or (weight >= target and work >= MIN_TAIL_BATCH_BYTES):
            yield current
            left -= weight
            current, weight, work = [], 0, 0
    if current:
        yield current


def _read_columns(paths: list[str], columns: list[str], doc_ids: Iterable[str] | None = None) -> pa.Table:
    """These columns of these files, all rows or only those of `doc_ids`."""
    if doc_ids is not None:
        tables = list(_read_rows(paths, columns, doc_ids))
    else:
        tables = [read_parquet(p, columns) for p in paths]
    return pa.concat_tables(tables) if tables else pa.table({c: [] for c in columns})


META_COLUMNS = [
    "doc_id", "published_at", "fetched_at", "source_domain", "declared_source", "wire", "line_keys"
]  # fmt: skip


def _read_staged_meta(paths: list[str], num_perm: int) -> tuple[pa.Table, np.ndarray]:
    """What the commit needs of every staged article but its text, and the signatures as one
    (n, num_perm) matrix filled a file at a time: read as one Arrow table and then converted,
    the signatures were in memory three times at once (51 MB each at 100k articles)."""
    sigs = np.empty((sum(pq.read_metadata(p).num_rows for p in paths), num_perm), dtype=np.uint32)
    tables, row = [], 0
    for path in paths:
        table = read_parquet(path, [*META_COLUMNS, "signature"])
        sigs[row : row + table.num_rows] = signature_matrix(table.column("signature"), num_perm)
        row += table.num_rows
        tables.append(table.drop_columns(["signature"]))
    if not tables:
        return pa.table({c: [] for c in META_COLUMNS}), sigs
    return pa.concat_tables(tables), sigs


def _read_rows(paths: list[str], columns: list[str], doc_ids: Iterable[str]) -> Iterator[pa.Table]:
    """The rows of these doc ids, a row group at a time, in this thread.

    A filtered dataset scan reads every row group's texts on Arrow's threads to find 20,000
    candidates among 100,000 articles; the memory those threads' allocator keeps afterwards
    was 150 MB of the commit's peak. Here a file's ids are read first and only row groups
    holding a wanted row are read, one at a time."""
    wanted = set(doc_ids)
    if not wanted:
        return
    for path in paths:
        parquet = pq.ParquetFile(path, pre_buffer=False)
        ids = parquet.read(columns=["doc_id"], use_threads=False).column("doc_id").to_pylist()
        start = 0
        for group in range(parquet.num_row_groups):
            size = parquet.metadata.row_group(group).num_rows
            rows = [i - start for i in range(start, start + size) if ids[i] in wanted]
            if rows:
                table = parquet.read_row_group(group, columns=columns, use_threads=False)
                yield table if len(rows) == size else table.take(pa.array(rows, pa.int64()))
            start += size


_END = object()


def _read_ahead(tables: Iterator[pa.Table]) -> Generator[pa.Table, None, None]:
    """The tables of `tables`, the next one read on a thread while the caller works on this one
    (Arrow decodes without the GIL): the commit reads texts back for the shingles it compares
    while its second core is idle. The thread gives back what its allocator kept of each table
    it read (see `_write_group`)."""

    def read_next() -> object:
        item = next(tables, _END)
        release_unused()
        return item

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kliping-read") as reader:
        ahead = reader.submit(read_next)
        while (item := ahead.result()) is not _END:
            ahead = reader.submit(read_next)
            yield cast(pa.Table, item)


# The history `preload_for_commit` loaded, by (snapshot, num_perm): at most one, taken (and
# the memory emptied) by the next commit in this process.
_preloaded: dict[tuple[str, int], History] = {}


def preload_for_commit(config: RunConfig, out_dir: str | Path | None = None) -> None:
    """Ready what the commit needs while the workers run the batches: the compiled rules
    (0.2 s), the shingle kernel's tables (0.1 s), pandas, which pyarrow imports on its first
    conversion of Python values (0.5 s; the commit's first `pa.array` would otherwise wait for
    it), and with `out_dir` the history
    of the output's current snapshot (2 s at 100,000 articles: a fifth of a run that adds 1%).
    The run holds the output's lock, so that snapshot is still the current one when it commits.
    What fails here fails the commit later, as it would have without this."""
    with contextlib.suppress(Exception):
        load_rules(config.rule_packs)
        if native.library() is not None:
            fold_tables()  # the shingle kernel's tables (0.1 s), for the candidates' shingle sets
    pa.array([0])
    _preloaded.clear()
    if out_dir is not None:
        with contextlib.suppress(Exception):
            previous = OutputStore(Path(out_dir)).current()
            if previous is not None:
                _preloaded[(str(previous), config.num_perm)] = History.load(previous, config.num_perm)


def _history_at(previous: Path | None, num_perm: int) -> History:
    """The history of snapshot `previous`: the one preloaded for it, else loaded now."""
    found = _preloaded.pop((str(previous), num_perm), None) if previous is not None else None
    _preloaded.clear()
    return found if found is not None else History.load(previous, num_perm)


def commit_run(plan: RunPlan, summaries: list[BatchSummary]) -> RunSummary:
    """Cluster the run's new articles against the history and commit one new snapshot."""
    cfg = plan.config
    store = OutputStore(Path(plan.out_dir))
    previous = store.current()
    history = _history_at(previous, cfg.num_perm)
    counts: Counter[str] = Counter()
    for s in summaries:
        counts.update(s.counts)
    counts["read.files_skipped_unchanged"] = plan.skipped_files
    counts["read.files_ignored"] = plan.ignored_files
    staged_articles = [s.articles_path for s in sorted(summaries, key=lambda s: s.index) if s.articles_path]
    staged_rejects = [s.rejects_path for s in sorted(summaries, key=lambda s: s.index) if s.rejects_path]
    files = plan.files
    if previous is not None and not files:
        per_file = FileCounts.concat(s.per_file for s in summaries)
        return RunSummary(plan.flow_run_id, False, previous.name, dict(counts), per_file=per_file)

    snap = store.begin(plan.run_id)
    seq = snap.seq
    _resign_history_if_needed(history, previous, cfg)

    # New articles: drop records an earlier run already wrote, and repeats within this run.
    meta, new_sigs = _read_staged_meta(staged_articles, cfg.num_perm)
    seen = set(history.parts)
    keep_idx, new_ids = [], []
    for i, doc_id in enumerate(meta.column("doc_id").to_pylist()):
        if doc_id not in seen:
            seen.add(doc_id)
            keep_idx.append(i)
            new_ids.append(doc_id)
    counts["commit.articles_already_written"] = meta.num_rows - len(new_ids)
    if len(keep_idx) != meta.num_rows:
        meta = meta.take(pa.array(keep_idx, pa.int64()))
        new_sigs = new_sigs[keep_idx]
    del seen, keep_idx  # every doc id again, held to the end of the commit otherwise (7 MB at 100k)
    release_unused()
    rules = load_rules(cfg.rule_packs)
    published, fetched = (datetimes(meta.column(c)) for c in ("published_at", "fetched_at"))
    # one string a domain, not one an article (a run of 100,000 articles has a few hundred),
    # interned as the site-line evidence interns them
    sources = [d if d is None else sys.intern(d) for d in meta.column("source_domain").to_pylist()]
    named = zip(meta.column("declared_source").to_pylist(), meta.column("wire").to_pylist(), strict=True)
    new_info = [
        DocInfo(d, p, f, s, named_sources(declared, wire, rules))
        for d, p, f, s, (declared, wire) in zip(new_ids, published, fetched, sources, named, strict=True)
    ]
    del published, fetched, sources, named
    all_ids = history.doc_ids + new_ids
    # once: 512 MB for a million articles; a first run's are the new ones, not a copy of them
    all_sigs = np.vstack([history.signatures, new_sigs]) if history.doc_ids else new_sigs
    article_files = [str(p) for p in sorted((previous / "articles").glob("*.parquet"))] if previous else []

    # Shingles by doc_id, for both clusterings; texts stripped of site lines put theirs in when
    # they are signed again, so the stored text is only ever read for the others.
    shingle_memo: dict[str, U32Array] = {}

    def shingles_of(ids: list[str]) -> dict[str, U32Array]:
        missing = [d for d in ids if d not in shingle_memo]
        for batch in _read_ahead(_read_rows(staged_articles + article_files, ["doc_id", "text"], missing)):
            texts = batch.column("text").to_pylist()
            sets = shingle_sets_many(texts, cfg.shingle_size)
            shingle_memo.update(zip(batch.column("doc_id").to_pylist(), sets, strict=True))
        return {d: shingle_memo[d] for d in ids if d in shingle_memo}

    def run_cluster(candidates: np.ndarray | None = None) -> ClusterResult:
        return cluster(
            new_info,
            all_ids,
            all_sigs,
            shingles_of,
            history.cluster_of,
            history.members,
            history.created,
            threshold=cfg.threshold,
            candidates=candidates,
            similarities=similarities,
        )

    similarities: dict[tuple[str, str], float] = {}  # exact Jaccard of the pairs compared so far
    result = run_cluster()
    release_unused()
    site = SiteLines.from_table(history.site_lines)
    learned, domain_of = _site_line_targets(site, meta, result)
    del meta  # its line keys were for site learning
    if domain_of:
        # before the texts are read: what the texts that may change made stale, and the shingle
        # sets the second clustering will not compare, go now (the commit's peak was here)
        _keep_for_reclustering(shingle_memo, similarities, domain_of, result, all_ids)
        release_unused()
    # doc_id → text and removals after site lines
    overrides = _strip_site_lines(staged_articles, learned, domain_of, counts)
    if overrides:  # texts changed: sign them again and cluster on what is left
        candidates = result.candidates
        del result  # its assignments (every article) need not be held twice
        release_unused()
        ids = list(overrides)
        sets = shingle_sets_many([overrides[d][0] for d in ids], cfg.shingle_size)
        shingle_memo.update(zip(ids, sets, strict=True))
        sigs = signatures(sets, cfg.num_perm, cfg.seed)
        position = {d: i for i, d in enumerate(new_ids) if d in overrides}
        changed = np.zeros(len(all_ids), dtype=bool)
        for d, sig in zip(ids, sigs, strict=True):
            new_sigs[position[d]] = sig
            all_sigs[len(history.doc_ids) + position[d]] = sig
            changed[len(history.doc_ids) + position[d]] = True
        result = run_cluster(candidates_after_change(candidates, all_sigs, changed, cfg.threshold))
        del candidates, ids, sets, sigs, position, changed
    # what only the clusterings needed: 50 MB of shingle sets at 100k articles, the pairs' Jaccard
    shingle_memo.clear()
    similarities.clear()
    release_unused()

    new_parts = _write_new_articles(snap, staged_articles, set(new_ids), result, seq, overrides)
    del overrides  # the texts stripped of site lines are written: not held through the state
    release_unused()
    rewritten = _rewrite_old_articles(snap, previous, history, result)
    snap.link_from(previous, "articles", skip=rewritten)
    failed = {p for s in summaries if s.failed for p, *_ in s.per_file}
    n_rejects = _write_rejects(snap, previous, staged_rejects, seq, counts, files, failed)
    _write_state(
        snap,
        previous,
        history,
        plan,
        files,
        result,
        new_ids,
        new_info,
        new_sigs,
        new_parts,
        seq,
        counts,
        failed,
    )
    snap.write("state", "site_lines.parquet", site.to_table())
    _ensure_nonempty(snap)
    final = store.commit(snap)

    counts["commit.articles_written"] = len(new_ids)
    counts["commit.articles_rewritten"] = sum(1 for d in result.assignments if d in history.parts)
    counts["commit.rejects_written"] = n_rejects
    counts["cluster.candidate_pairs"] = result.candidate_pairs
    counts["cluster.accepted_pairs"] = result.accepted_pairs
    counts["cluster.multi_member"] = len(
        {a.cluster_id for a in result.assignments.values() if a.cluster_size > 1}
    )
    return RunSummary(
        plan.flow_run_id,
        True,
        final.name,
        dict(counts),
        clusters_new=len(result.new_clusters),
        clusters_grown=len(result.grown_clusters),
        merges=result.merges,
        largest_clusters=_largest(final, result),
        per_file=FileCounts.concat(s.per_file for s in summaries),  # made here, after the peak
    )


def _keep_for_reclustering(
    shingle_memo: dict[str, U32Array],
    similarities: dict[tuple[str, str], float],
    changed: Mapping[str, object],
    first: ClusterResult,
    all_ids: list[str],
) -> None:
    """Before clustering again after site lines changed some texts: forget what the changed
    texts made stale (their shingles and every similarity they were part of), and keep only
    the shingles the second clustering is likely to compare: those of the changed texts'
    candidate partners in the first clustering and of the clusters they were in. The others
    (at 100k articles, 47 MB of 40,000 shingle sets) are dropped: their similarities are
    known, and a set found missing is read again from the staged text.

    `changed` may hold more texts than change (the commit passes those holding a learned line,
    before their texts are read): what is forgotten of a text that stays the same is worked
    out again, to the same values, if the second clustering needs it."""
    for key in [k for k in similarities if k[0] in changed or k[1] in changed]:
        del similarities[key]
    touched = {first.assignments[d].cluster_id for d in changed if d in first.assignments}
    keep = {d for d, a in first.assignments.items() if a.cluster_id in touched}
    candidates = first.candidates
    rows = np.flatnonzero(np.isin(candidates, [i for i, d in enumerate(all_ids) if d in changed]).any(axis=1))
    keep.update(all_ids[i] for i in set(candidates[rows].ravel().tolist()))
    for d in [d for d in shingle_memo if d not in keep or d in changed]:
        del shingle_memo[d]


def _line_key_slices(
    meta: pa.Table, rows: int = 10_000
) -> Iterator[tuple[list[str], list[str | None], list[list[int]]]]:
    """(doc ids, domains, line keys) a slice at a time: as Python lists, the line keys of a
    100k-article run would take hundreds of MB at once."""
    for start in range(0, meta.num_rows, rows):
        part = meta.slice(start, rows)
        yield (
            part.column("doc_id").to_pylist(),
            part.column("source_domain").to_pylist(),
            part.column("line_keys").to_pylist(),
        )


def _site_line_targets(
    site: SiteLines, meta: pa.Table, result: ClusterResult
) -> tuple[dict[str, set[int]], dict[str, str]]:
    """Count the run's short lines per outlet and cluster; return the lines learned as
    boilerplate, by domain, and the articles holding one of them (doc id → domain)."""
    for ids, domains, keys in _line_key_slices(meta):
        for doc_id, domain, doc_keys in zip(ids, domains, keys, strict=True):
            site.observe(domain, doc_keys, result.assignments[doc_id].cluster_id)
    learned = site.learned_all()
    affected = {
        d: domain
        for ids, domains, keys in _line_key_slices(meta)
        for d, domain, doc_keys in zip(ids, domains, keys, strict=True)
        if domain in learned and learned[domain].intersection(doc_keys)
    }
    return learned, affected


def _strip_site_lines(
    staged: list[str], learned: Mapping[str, set[int]], domain_of: dict[str, str], counts: Counter[str]
) -> dict[str, tuple[str, list[dict[str, str]]]]:
    """The texts of the articles in `domain_of` stripped of their domain's learned lines, with
    their longer `removed` lists: only those a line was taken from, and text remains in."""
    out: dict[str, tuple[str, list[dict[str, str]]]] = {}
    for table in _read_rows(staged, ["doc_id", "text", "removed"], domain_of):
        for row in table.to_pylist():
            doc_id, domain = row["doc_id"], domain_of[row["doc_id"]]
            if doc_id in out:  # one record staged twice in this run
                continue
            stripped = strip_site_lines(row["text"], row["removed"], domain, learned[domain])
            if stripped is not None and stripped[0].strip():
                out[doc_id] = stripped
                counts[f"removed.{SITE_RULE_PREFIX}{domain}"] += len(stripped[1]) - len(row["removed"])
    return out


def _resign_history_if_needed(history: History, previous: Path | None, cfg: RunConfig) -> None:
    """Signatures made with other shingle/permutation settings are rebuilt from the stored text."""
    m = history.manifest
    if not history.doc_ids or previous is None:
        return
    same = (m.get("shingle_size"), m.get("num_perm"), m.get("seed"), m.get("signature_version")) == (
        cfg.shingle_size,
        cfg.num_perm,
        cfg.seed,
        SIGNATURE_VERSION,
    )
    if same:
        return
    files = [str(p) for p in sorted((previous / "articles").glob("*.parquet"))]
    texts = _read_columns(files, ["doc_id", "text"])
    by_id = dict(zip(texts.column("doc_id").to_pylist(), texts.column("text").to_pylist(), strict=True))
    texts_in_order = [by_id.get(d, "") for d in history.doc_ids]
    history.signatures = sign_texts(texts_in_order, cfg.shingle_size, cfg.num_perm, cfg.seed)
    history.manifest["resigned"] = True


def _assignment_columns(doc_ids: list[str], result: ClusterResult) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {c: [] for c in CLUSTER_COLUMNS}
    for d in doc_ids:
        a = result.assignments[d]
        cols["cluster_id"].append(a.cluster_id)
        cols["cluster_size"].append(a.cluster_size)
        cols["canonical_id"].append(a.canonical_id)
        cols["is_canonical"].append(a.is_canonical)
        cols["canonical_reason"].append(a.canonical_reason)
        cols["similarity"].append(a.similarity)
    return cols


def _with_assignments(table: pa.Table, result: ClusterResult) -> pa.Table:
    schema = articles_schema().arrow
    ids = table.column("doc_id").to_pylist()
    cols = _assignment_columns(ids, result)
    for name in CLUSTER_COLUMNS:
        arr = pa.array(cols[name], type=schema.field(name).type)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, arr)
        else:
            table = table.append_column(name, arr)
    return table.select(schema.names).cast(schema)


def _apply_overrides(table: pa.Table, overrides: dict[str, tuple[str, list[dict[str, str]]]]) -> pa.Table:
    """Put site-stripped texts (and their longer `removed` lists) into a staged table."""
    ids = table.column("doc_id").to_pylist()
    if not overrides or not any(d in overrides for d in ids):
        return table
    schema = table.schema
    hit = [d in overrides for d in ids]
    new = [overrides[d] for d in ids if d in overrides]
    replacements = {  # only the changed rows go through Python objects
        "text": [t for t, _ in new],
        "removed": [r for _, r in new],
        "word_count": [len(t.split()) for t, _ in new],
    }
    # row i takes itself, or its replacement appended after the column's rows
    positions, k = [], table.num_rows
    for i, h in enumerate(hit):
        positions.append(k if h else i)
        k += h
    order = pa.array(positions, pa.int64())
    for name, values in replacements.items():
        idx = schema.get_field_index(name)
        column = table.column(idx).combine_chunks()
        both = pa.concat_arrays([column, pa.array(values, schema.field(idx).type)])
        table = table.set_column(idx, schema.field(idx), both.take(order))
    return table


def _write_new_articles(
    snap: Snapshot,
    staged: list[str],
    keep: set[str],
    result: ClusterResult,
    seq: int,
    overrides: dict[str, tuple[str, list[dict[str, str]]]],
) -> dict[str, str]:
    """Stream staged batches into part files of ROWS_PER_PART rows, a row group of
    ROWS_PER_GROUP at a time; return doc_id → part file name. `keep` holds the doc ids to write
    (the run's new ones), and is emptied as they are written.

    A row group is encoded and compressed on a thread of its own (Arrow lets go of the GIL
    there) while the next one is read and given its cluster columns: the commit otherwise
    leaves the second core idle. One group is written at a time, so a group more is held."""
    parts: dict[str, str] = {}
    buffer: list[pa.Table] = []
    buffered = 0
    stream: ParquetStream | None = None
    in_part = 0  # rows handed to the current part file
    n = 0
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kliping-articles")
    writing: Future[None] | None = None

    def finish_writing() -> None:
        """Wait for the group being written (raising what its writing raised)."""
        nonlocal writing
        if writing is not None:
            done, writing = writing, None
            done.result()
            release_unused()

    def emit(last: bool = False) -> None:
        nonlocal buffer, buffered, stream, n, in_part, writing
        if buffer:
            table = pa.concat_tables(buffer)
            buffer, buffered = [], 0
            if stream is None:
                stream = snap.stream(
                    "articles", f"part-{seq:06d}-{n:04d}.parquet", articles_schema(), ("text",)
                )
            parts.update(dict.fromkeys(table.column("doc_id").to_pylist(), stream.path.name))
            in_part += table.num_rows
            finish_writing()
            writing = writer.submit(_write_group, stream, table)
            del table
        if stream is not None and (last or in_part >= ROWS_PER_PART):
            finish_writing()
            stream.close()
            stream, n, in_part = None, n + 1, 0

    # the staged columns an article keeps: not the signature and line keys (half a MB a batch)
    columns = [f.name for f in articles_schema().arrow if f.name not in CLUSTER_COLUMNS]
    try:
        for path in staged:
            table = read_parquet(path, columns)
            # looked up in a Python set: Arrow's is_in builds its hash table of `keep` on every
            # call, which over the 500 staged files of a 100k run took 20 s
            first: dict[str, int] = {}
            for i, d in enumerate(table.column("doc_id").to_pylist()):
                if d in keep and d not in first:
                    first[d] = i
            if len(first) != table.num_rows:  # earlier runs' records, or one record twice in this run
                table = table.take(pa.array(list(first.values()), pa.int64()))
            keep.difference_update(first)  # written: a repeat in a later batch is not
            if table.num_rows:
                table = _apply_overrides(table, overrides)
                buffer.append(_with_assignments(table, result))
                buffered += table.num_rows
                if buffered >= ROWS_PER_GROUP:
                    emit()
        emit(last=True)
    finally:
        try:
            if writing is not None:
                writing.exception()  # let it end; what it raised is raised by `finish_writing`, or moot
        finally:
            writer.shutdown()
            if stream is not None:  # an error on the way: the snapshot is discarded anyway
                stream.abort()
    return parts


def _write_group(stream: ParquetStream, table: pa.Table) -> None:
    """Write a row group (on `_write_new_articles`' writer thread) and give back what writing it
    took: Arrow's mimalloc keeps a heap per thread, which a release on another thread leaves
    alone (20 MB more at the commit's peak)."""
    stream.write(table)
    release_unused()


def _rewrite_old_articles(
    snap: Snapshot, previous: Path | None, history: History, result: ClusterResult
) -> set[str]:
    """Rewrite the earlier part files holding rows whose cluster columns changed."""
    if previous is None:
        return set()
    touched = sorted({history.parts[d] for d in result.assignments if d in history.parts})
    rewritten: set[str] = set()
    for name in touched:
        table = read_parquet(previous / "articles" / name)
        ids = table.column("doc_id").to_pylist()
        old = _assignment_columns_from_table(table)
        new_table = _merge_assignments(table, ids, result)
        if _assignment_columns_from_table(new_table) != old:
            snap.write("articles", name, new_table, articles_schema())
            rewritten.add(name)
    return rewritten


def _assignment_columns_from_table(table: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(c).to_pylist() for c in CLUSTER_COLUMNS), strict=True))


def _merge_assignments(table: pa.Table, ids: list[str], result: ClusterResult) -> pa.Table:
    schema = articles_schema().arrow
    for name in CLUSTER_COLUMNS:
        values = table.column(name).to_pylist()
        for i, d in enumerate(ids):
            a = result.assignments.get(d)
            if a is not None:
                values[i] = getattr(a, name)
        table = table.set_column(
            table.column_names.index(name), name, pa.array(values, schema.field(name).type)
        )
    return table


def _write_rejects(
    snap: Snapshot,
    previous: Path | None,
    staged: list[str],
    seq: int,
    counts: Counter[str],
    files: FileList,
    failed: set[str],
) -> int:
    """Add this run's rejects; drop earlier `batch_failed` rows of the `files` this run has
    read again (all but those of `failed` batches)."""
    old_files = sorted((previous / "rejects").glob("*.parquet")) if previous else []
    rewritten = set()
    if old_files:
        stale = pa.array(sorted({f.rel for f in files} - failed), pa.string())
    for path in old_files:
        table = read_parquet(path)
        drop = pc.and_(
            pc.equal(table.column("reason"), "batch_failed"), pc.is_in(table.column("source_path"), stale)
        )
        if pc.any(drop).as_py():
            snap.write("rejects", path.name, table.filter(pc.invert(drop)), rejects_schema())
            rewritten.add(path.name)
            counts["commit.batch_failed_cleared"] += pc.sum(drop.cast(pa.int64())).as_py()
    snap.link_from(previous, "rejects", skip=rewritten)
    if not staged:
        return 0
    key_cols = ["source_path", "source_record", "raw_sha256"]
    current = [str(p) for p in sorted(snap.table_dir("rejects").glob("*.parquet"))]
    old = _read_columns(current, key_cols) if current else None
    seen = set(zip(*(old.column(c).to_pylist() for c in key_cols), strict=True)) if old is not None else set()
    table = pa.concat_tables([read_parquet(p) for p in staged])
    keys = list(zip(*(table.column(c).to_pylist() for c in key_cols), strict=True))
    keep = []
    for i, k in enumerate(keys):
        if k not in seen:
            seen.add(k)
            keep.append(i)
    counts["commit.rejects_already_written"] = len(keys) - len(keep)
    if not keep:
        return 0
    snap.write("rejects", f"part-{seq:06d}.parquet", table.take(pa.array(keep, pa.int64())), rejects_schema())
    return len(keep)


def _write_docs(
    snap: Snapshot,
    name: str,
    ids: list[str],
    parts: list[str],
    infos: list[DocInfo],
    sigs: np.ndarray,
    num_perm: int,
) -> None:
    """A state `docs-` file, ROWS_PER_GROUP rows at a time: built whole, the table and its
    Parquet encoding of 100,000 articles took 160 MB of Arrow memory at once."""
    stream = ParquetStream(snap.table_dir("state") / name, docs_schema(num_perm))
    try:
        for i in range(0, len(ids), ROWS_PER_GROUP):
            end = i + ROWS_PER_GROUP
            stream.write(docs_table(ids[i:end], parts[i:end], infos[i:end], sigs[i:end], num_perm))
        stream.close()
    except BaseException:
        stream.abort()
        raise


def _write_state(
    snap: Snapshot,
    previous: Path | None,
    history: History,
    plan: RunPlan,
    files: FileList,
    result: ClusterResult,
    new_ids: list[str],
    new_info: list[DocInfo],
    new_sigs: Any,
    new_parts: dict[str, str],
    seq: int,
    counts: Counter[str],
    failed: set[str],
) -> None:
    cfg = plan.config
    state = snap.table_dir("state")
    if history.manifest.get("resigned"):
        infos = [history.info[d] for d in history.doc_ids]
        parts = [history.parts[d] for d in history.doc_ids]
        sigs = history.signatures
        _write_docs(snap, "docs-000000.parquet", history.doc_ids, parts, infos, sigs, cfg.num_perm)
    else:
        snap.link_from(previous, "state", prefix="docs-")
    if new_ids:
        parts = [new_parts[d] for d in new_ids]
        _write_docs(snap, f"docs-{seq:06d}.parquet", new_ids, parts, new_info, new_sigs, cfg.num_perm)
    cluster_of = dict(history.cluster_of)
    cluster_of.update({d: a.cluster_id for d, a in result.assignments.items()})
    clusters = {"doc_id": list(cluster_of), "cluster_id": list(cluster_of.values())}
    snap.write("state", "clusters.parquet", pa.table(clusters, schema=CLUSTERS_SCHEMA))
    created = dict(history.created)
    for cid in result.new_clusters:
        created[cid] = seq
    for _survivor, absorbed in result.merges:
        created.pop(absorbed, None)
    index = {"cluster_id": list(created), "created_seq": list(created.values())}
    snap.write("state", "cluster_index.parquet", pa.table(index, schema=CLUSTER_INDEX_SCHEMA))
    merges = pa.table(
        {
            "seq": [seq] * len(result.merges),
            "flow_run_id": [plan.flow_run_id] * len(result.merges),
            "survivor": [m[0] for m in result.merges],
            "absorbed": [m[1] for m in result.merges],
        },
        schema=MERGES_SCHEMA,
    )
    snap.write("state", "merges.parquet", pa.concat_tables([history.merges.cast(MERGES_SCHEMA), merges]))
    snap.write("state", "files.parquet", _files_index(history, files, failed, seq))
    write_json(
        {
            "seq": seq,
            "flow_run_id": plan.flow_run_id,
            "committed_at": datetime.now(UTC).isoformat(),
            "shingle_size": cfg.shingle_size,
            "num_perm": cfg.num_perm,
            "seed": cfg.seed,
            "signature_version": SIGNATURE_VERSION,
            "threshold": cfg.threshold,
            "rules_version": load_rules(cfg.rule_packs).version,
            "articles_total": len(cluster_of),
            "counts": dict(counts),
        },
        state / "manifest.json",
    )


def _files_index(history: History, files: FileList, failed: set[str], seq: int) -> pa.Table:
    """The state's file index after this run: the files it read (refused ones and those of
    failed batches aside) at `seq`, and the history's other files as they were. Built from the
    run's file columns: as a dictionary of tuples, 100,000 files took 20 MB at the commit's end."""
    paths, sizes, mtimes, types = files.state_columns(failed)
    new = pa.table(
        [paths, sizes, mtimes, types, pa.repeat(pa.scalar(seq, pa.int64()), len(paths))],
        schema=FILES_SCHEMA,
    )
    if not history.files:
        return new
    read = set(paths.to_pylist())
    old = [(p, f) for p, f in history.files.items() if p not in read]
    kept = pa.table(
        {
            "source_path": [p for p, _ in old],
            "size": [f[0] for _, f in old],
            "mtime_ns": [f[1] for _, f in old],
            "file_type": [f[2] for _, f in old],
            "seq": [f[3] for _, f in old],
        },
        schema=FILES_SCHEMA,
    )
    return pa.concat_tables([kept, new])


def _ensure_nonempty(snap: Snapshot) -> None:
    """Readers need at least one file to know the schema, even with no rows yet."""
    for table, schema in (("articles", articles_schema()), ("rejects", rejects_schema())):
        if not any(snap.table_dir(table).glob("*.parquet")):
            snap.write(table, "part-000000-empty.parquet", schema.arrow.empty_table(), schema)


def _largest(snapshot: Path, result: ClusterResult, limit: int = 5) -> list[dict[str, Any]]:
    sizes = Counter(a.cluster_id for a in result.assignments.values() if a.cluster_size > 1)
    top = [cid for cid, _ in sizes.most_common(limit)]
    if not top:
        return []
    canon = {a.cluster_id: a.canonical_id for a in result.assignments.values() if a.cluster_id in top}
    rows = _read_columns(
        [str(p) for p in sorted((snapshot / "articles").glob("*.parquet"))],
        ["doc_id", "title", "source_domain", "published_at"],
        canon.values(),
    ).to_pylist()
    by_id = {r["doc_id"]: r for r in rows}
    return [
        {"cluster_id": cid, "size": sizes[cid], "canonical_id": canon[cid], **{
            k: by_id.get(canon[cid], {}).get(k) for k in ("title", "source_domain", "published_at")}}
        for cid in top
    ]  # fmt: skip


def run_local(
    raw_dir: Path, out_dir: Path, config: RunConfig | None = None, wait_s: float = 0.0
) -> RunSummary:
    """The whole pipeline in this process (and a process pool), no Prefect."""
    config = config or RunConfig()
    store = OutputStore(out_dir)
    with store.lock(wait_s):
        store.check_layout()
        store.recover()
        plan = plan_run(raw_dir, out_dir, config)
        if config.workers <= 1:
            return commit_run(plan, [process_batch(b) for b in plan.batches])
        summaries = []
        with run_pool(pool_size(plan.batches, config.workers), config.rule_packs) as pool:
            futures = [pool.submit(process_batch, b) for b in plan.batches]
            preload_for_commit(config, out_dir)
            for spec, future in zip(plan.batches, futures, strict=True):
                try:
                    summaries.append(future.result())
                except Exception as exc:  # a crashed worker must not lose the other batches
                    summaries.append(failed_batch(spec, exc))
        return commit_run(plan, summaries)
