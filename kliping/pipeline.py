"""One batch through the per-record steps: read → extract → clean → sign → staging Parquet.

`process_batch` is what a worker process (or a Dask worker) runs: it takes a small
picklable spec, writes its results to staging files and returns a small summary,
so that only paths and counts travel between processes.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from kliping import __version__
from kliping.clean import clean_lines, load_rules
from kliping.clean.rules import RuleSet, squash
from kliping.clean.site import line_keys
from kliping.config import RunConfig
from kliping.dataset import write_parquet
from kliping.dates import find_text_date, parse_news_datetime, zone_offset
from kliping.file_counts import FileCounts
from kliping.lang import classify_many as classify_langs
from kliping.read import RawFile, ReadLimits, read_file
from kliping.read.file_list import FileList
from kliping.read.prefetch import read_ahead
from kliping.read.urls import registered_domain
from kliping.records import Article, Extracted, RawRecord, Reject, RejectReason, one_line
from kliping.schema import articles_schema, rejects_schema
from kliping.syndication.signatures import sign_texts
from kliping.time_limits import RecordTimeout, batch_time_limit, time_limit

MIN_ARTICLE_WORDS = 20  # fewer words left after cleaning: not an article…
MIN_ARTICLE_CHARS = 200  # …unless the text is long anyway (Chinese, Japanese: no spaces between words)
# Language identification's cost grows with the text. The first 400 characters tell Indonesian
# from English and Malay as well as 2,000 do; at 300, 2 of 300 made-up Indonesian test texts
# were taken for Malay, at 200, 7.
LANG_SAMPLE_CHARS = 400
CLUSTER_COLUMNS = (
    "cluster_id",
    "cluster_size",
    "canonical_id",
    "is_canonical",
    "canonical_reason",
    "similarity",
)
RUN_COLUMNS = ("pipeline_version", "rules_version", "flow_run_id", "processed_at")


def staging_schema(num_perm: int) -> pa.Schema:
    """Article columns known before clustering, plus the MinHash signature."""
    base = articles_schema().arrow
    fields = [f for f in base if f.name not in CLUSTER_COLUMNS]
    return pa.schema(
        [
            *fields,
            pa.field("signature", pa.list_(pa.uint32(), num_perm), nullable=False),
            pa.field("line_keys", pa.list_(pa.int64()), nullable=False),  # short lines, for site learning
        ]
    )


@dataclass(frozen=True)
class BatchSpec:
    index: int
    raw_dir: str
    files: Sequence[RawFile]  # a FileList when planned: columns, not an object a file
    staging_dir: str
    flow_run_id: str
    config: RunConfig


@dataclass
class BatchSummary:
    index: int
    articles_path: str | None
    rejects_path: str | None
    articles: int
    rejects: int
    counts: dict[str, int] = field(default_factory=dict)
    per_file: FileCounts = field(default_factory=FileCounts)  # path, type, records, articles, rejects
    seconds: float = 0.0
    failed: bool = False


def failed_batch(spec: BatchSpec, error: BaseException) -> BatchSummary:
    """A batch that failed after its retries: one `batch_failed` reject per file, so nothing is
    silently missing, and the files stay out of the file index so the next run reads them again."""
    detail = f"batch {spec.index} failed: {type(error).__name__}: {error}"
    rejects = [
        Reject(f.rel, None, None, RejectReason.BATCH_FAILED, one_line(detail), None, f.file_type)
        for f in spec.files
    ]
    path = Path(spec.staging_dir) / f"batch-{spec.index:06d}.rejects.parquet"
    write_parquet(rejects_table(rejects, spec.flow_run_id, datetime.now(UTC)), path)
    counts = {"read.files": len(spec.files), "rejects": len(rejects), "reject.batch_failed": len(rejects)}
    per_file = FileCounts((f.rel, f.file_type, 0, 0, 1) for f in spec.files)
    return BatchSummary(spec.index, None, str(path), 0, len(rejects), counts, per_file, 0.0, failed=True)


def detect_langs(texts: list[str]) -> list[str | None]:
    """The language of each text (None under 20 characters), a batch at a time: one text at a
    time cost 0.33 ms, most of it NumPy's fixed cost per call, a batch 0.2 ms a text."""
    sampled = [i for i, text in enumerate(texts) if len(text) >= 20]
    found = classify_langs([texts[i][:LANG_SAMPLE_CHARS] for i in sampled])
    out: list[str | None] = [None] * len(texts)
    for i, lang in zip(sampled, found, strict=True):
        out[i] = lang
    return out


def outlet_domain(outlet: str | None, rules: RuleSet, evidence: str) -> str | None:
    """The domain of an outlet named in the text: as printed, from the pack's table, or from the text."""
    if not outlet:
        return None
    key = squash(outlet)
    if "." in key and (domain := registered_domain(key)):
        return domain
    if key in rules.outlets:
        return rules.outlets[key]
    low = evidence.lower()
    pos = low.find(f"{key}.")
    if pos >= 0:
        end = pos + len(key) + 1
        while end < len(low) and (low[end].isalnum() or low[end] in ".-"):
            end += 1
        if domain := registered_domain(low[pos:end].rstrip(".")):
            return domain
    return key or None


def _same_local_day(metadata: datetime, printed: datetime, source: str | None) -> bool:
    """Metadata that gives only a day (midnight WIB) agrees with a printed time on that day."""
    local = zone_offset(None)
    return source == "metadata_date" and metadata.astimezone(local).date() == printed.astimezone(local).date()


def named_sources(declared: str | None, wire: str | None, rules: RuleSet) -> tuple[str, ...]:
    """The domains an article names as its source: its declared source and its wire agency."""
    found = []
    for name in (declared, wire):
        if name and (domain := outlet_domain(name, rules, "")) and domain not in found:
            found.append(domain)
    return tuple(found)


def build_article(ex: Extracted, rules: RuleSet) -> Article | Reject:
    """Clean an extracted record and gather its provenance into an Article."""
    rec = ex.record
    cleaned = clean_lines(ex.lines, rules, title=ex.title, evidence=ex.url or "")
    text = "\n\n".join(cleaned.paragraphs)
    words = len(text.split())
    if words < MIN_ARTICLE_WORDS and len(text) < MIN_ARTICLE_CHARS:
        return Reject.of(
            rec, RejectReason.NO_ARTICLE, f"{words} words left after cleaning (minimum {MIN_ARTICLE_WORDS})"
        )
    f = cleaned.fields
    evidence = "\n".join([ex.url or "", *(r["text"] for r in cleaned.removed), text])
    outlet = f.get("outlet") or ex.outlet
    published, source = ex.published_at, ex.published_at_source
    printed = parse_news_datetime(f["published"]) if f.get("published") else None
    if printed is not None and (published is None or _same_local_day(published, printed, source)):
        published, source = printed, "header"  # the page prints the time; metadata only had the day
    if published is None and (found := find_text_date(text)):
        published, source = found, "text_date"
    domain = registered_domain(ex.url) if ex.url else None
    return Article(
        doc_id=rec.doc_id,
        source_path=rec.source_path,
        source_record=rec.source_record,
        source_url=ex.url,
        source_domain=domain or outlet_domain(outlet, rules, evidence),
        outlet=outlet,
        raw_sha256=rec.raw_sha256,
        fetched_at=rec.fetched_at,
        published_at=published,
        published_at_source=source if published else None,
        title=cleaned.title or ex.title,
        author=f.get("author") or ex.author,
        editor=f.get("editor"),
        dateline=f.get("dateline"),
        declared_source=f.get("declared_source"),
        wire=f.get("wire"),
        lang=None,  # detected for the whole batch (`detect_langs`)
        text=text,
        word_count=words,
        removed=cleaned.removed,
        extractor=ex.extractor,
        file_type=rec.file_type,
    )


def process_record(
    record: RawRecord, rules: RuleSet, timeout_s: float, limit: AbstractContextManager[None] | None = None
) -> Article | Reject:
    """Extract and clean one record within its time limit; never raises on bad input.

    `limit` is a batch's `batch_time_limit(timeout_s)`, reused record after record; without it
    the record sets up a `time_limit` of its own."""
    # imported here, not with the module: a process that only plans and commits runs (the
    # workers' parent) then never imports trafilatura and lxml (11 MB of its memory, 0.1 s);
    # 0.6 µs a record once imported
    from kliping.extract import extract

    try:
        with limit if limit is not None else time_limit(timeout_s):
            ex = extract(record)
            if isinstance(ex, Reject):
                return ex
            return build_article(ex, rules)
    except RecordTimeout:
        return Reject.of(record, RejectReason.TIMEOUT, f"extraction took longer than {timeout_s:g} s")
    except RecursionError:
        return Reject.of(record, RejectReason.EXTRACT_ERROR, "markup nested too deeply (recursion limit)")
    except MemoryError:
        return Reject.of(record, RejectReason.EXTRACT_ERROR, "out of memory while extracting")
    except Exception as exc:  # a bug on one record must not fail its batch: record it and go on
        return Reject.of(record, RejectReason.EXTRACT_ERROR, f"{type(exc).__name__}: {exc}")


# Input a worker process should have to itself before another one is started. Starting a
# worker costs about 0.9 s of a core (its imports, the language model, the rules): the work of
# reading some 5 MB of text or HTML. A second worker gains half the work's time and costs its
# start, taken from the other processes on a small machine: it pays from about twice that.
MIN_BYTES_PER_WORKER = 8 * 1024 * 1024
# gzip's size understates the work: news text and HTML compress about 4:1
GZIP_WORK_FACTOR = 4


def pool_size(batches: Sequence[BatchSpec], workers: int) -> int:
    """How many of `workers` processes a run's `batches` are worth: one per MIN_BYTES_PER_WORKER
    of input (gzip counted at four times its size), at least one, at most one per batch.
    A run that adds a thousand text records (4 MB) gets one worker, which had cost a second
    worker's start-up (0.9 s of a core) for half a second of its work; 10k records get two."""
    total = sum(
        (b.files if isinstance(b.files, FileList) else FileList(b.files)).work_bytes(GZIP_WORK_FACTOR)
        for b in batches
    )
    return max(1, min(workers, len(batches), total // MIN_BYTES_PER_WORKER))


def worker_pool(workers: int, rule_packs: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """Worker processes for batches. spawn, not fork: the parent may be running threads
    (Prefect's), and forking a process with threads can deadlock the child. Each worker
    readies itself as it starts (`warm_worker`); processes start at the first submissions."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=warm_worker, initargs=(rule_packs,)
    )


@contextlib.contextmanager
def run_pool(workers: int, rule_packs: tuple[str, ...] = ()) -> Iterator[ProcessPoolExecutor]:
    """`worker_pool` for one run (the library's and the flow's). Once every batch is done the
    workers exit in the background while the run commits (waiting for them took 0.4 s); when
    the run fails instead, batches still running end before it gives up its lock on the
    output, so that a next run's recovery never meets a worker still writing."""
    pool = worker_pool(workers, rule_packs)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=False)


class _HidePandas(importlib.abc.MetaPathFinder):
    """An import finder under which pandas cannot be imported (see `arrow_without_pandas`)."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"{name} is not imported in kliping's worker processes")
        return None


def arrow_without_pandas() -> None:
    """Let pyarrow find no pandas in this process.

    pyarrow looks for pandas once per process, on its first conversion of Python values
    (`pa.array`), and imports it when it can: in a worker, 0.3 s of its start and 38 MB, for
    pyarrow's pandas integration, which a worker never uses (it converts lists of Python
    values, never pandas objects). Here pandas is hidden while pyarrow looks and visible again
    after: pyarrow then takes the process for one without pandas. Only for kliping's own worker
    processes: in a user's process, pyarrow must still recognise pandas objects."""
    if "pandas" in sys.modules:
        return  # imported already: pyarrow finds it, hidden or not
    finder = _HidePandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)


def warm_worker(rule_packs: tuple[str, ...] = ()) -> None:
    """Load what every batch needs (the extractor, the rules, the language model, the suffix
    list, the shingling kernel's tables) as the worker starts: about 0.45 s, 1.45 s while the language
    model is not cached yet; and not pandas (`arrow_without_pandas`)."""
    # never raises: a pool whose initializer fails breaks every batch; a bad rule pack is
    # reported by the batches that load it
    with contextlib.suppress(Exception):
        arrow_without_pandas()
        importlib.import_module("kliping.extract")  # trafilatura and lxml, before the freeze below
        load_rules(rule_packs)
        detect_langs(["Pemerintah mengumumkan kebijakan baru itu pada Senin pagi di Jakarta."])
        registered_domain("https://www.example.co.id/")
        sign_texts(["Pemerintah mengumumkan kebijakan baru itu."])
    # What is loaded now lives as long as the worker: out of the garbage collector's sight, its
    # 100,000 objects are not walked again by every full collection (0.2 s a batch of 125 pages)
    gc.freeze()
    # A record makes thousands of container objects, nearly all freed by reference counting
    # alone: at the default threshold (700 more allocated than freed) the youngest generation
    # was collected several times a record, ~1% of a text record's instructions; every 20,000
    # saves all of it (as much as turning the collector off, counted with bench.instructions)
    gc.set_threshold(20_000, *gc.get_threshold()[1:])


def process_batch(spec: BatchSpec) -> BatchSummary:
    """Run the per-record steps over the files of one batch and stage the results."""
    started = time.perf_counter()
    cfg = spec.config
    rules = load_rules(cfg.rule_packs)
    limits = ReadLimits(cfg.max_record_bytes)
    now = datetime.now(UTC)
    counts: Counter[str] = Counter()
    articles: list[Article] = []
    rejects: list[Reject] = []
    per_file: list[tuple[str, str, int, int, int]] = []
    timeout_s = cfg.record_timeout_s
    with batch_time_limit(timeout_s) as limit:
        for raw in read_ahead(spec.files):  # the disk is asked for files ahead of their turn
            n_rec = n_art = n_rej = 0
            for item in read_file(raw, limits):
                n_rec += 1
                result = item if isinstance(item, Reject) else process_record(item, rules, timeout_s, limit)
                if isinstance(result, Reject):
                    rejects.append(result)
                    n_rej += 1
                    counts[f"reject.{result.reason.value}"] += 1
                else:
                    articles.append(result)
                    n_art += 1
                    for removal in result.removed:
                        counts[f"removed.{removal['rule']}"] += 1
            per_file.append((raw.rel, raw.file_type, n_rec, n_art, n_rej))
            counts["read.files"] += 1
            counts["read.records"] += n_rec
            counts[f"type.{raw.file_type}.records"] += n_rec
            counts[f"type.{raw.file_type}.articles"] += n_art
            counts[f"type.{raw.file_type}.rejects"] += n_rej
    for article, lang in zip(articles, detect_langs([a.text for a in articles]), strict=True):
        article.lang = lang
    counts["articles"] = len(articles)
    counts["rejects"] = len(rejects)
    staging = Path(spec.staging_dir)
    art_path = rej_path = None
    if articles:
        art_path = staging / f"batch-{spec.index:06d}.articles.parquet"
        write_parquet(_articles_table(articles, cfg, rules.version, spec.flow_run_id, now), art_path)
    if rejects:
        rej_path = staging / f"batch-{spec.index:06d}.rejects.parquet"
        write_parquet(rejects_table(rejects, spec.flow_run_id, now), rej_path)
    return BatchSummary(
        spec.index,
        str(art_path) if art_path else None,
        str(rej_path) if rej_path else None,
        len(articles),
        len(rejects),
        dict(counts),
        FileCounts(per_file),
        time.perf_counter() - started,
    )


def _articles_table(
    articles: list[Article], cfg: RunConfig, rules_version: str, flow_run_id: str, now: datetime
) -> pa.Table:
    sigs = sign_texts([a.text for a in articles], cfg.shingle_size, cfg.num_perm, cfg.seed)
    schema = staging_schema(cfg.num_perm)
    columns: dict[str, Any] = {name: [getattr(a, name) for a in articles] for name in schema.names
                               if name not in ("signature", "line_keys", *RUN_COLUMNS)}  # fmt: skip
    columns["line_keys"] = [line_keys(a.text.split("\n\n")) for a in articles]
    columns["pipeline_version"] = [__version__] * len(articles)
    columns["rules_version"] = [rules_version] * len(articles)
    columns["flow_run_id"] = [flow_run_id] * len(articles)
    columns["processed_at"] = [now] * len(articles)
    flat = pa.array(sigs.reshape(-1), type=pa.uint32())
    columns["signature"] = pa.FixedSizeListArray.from_arrays(flat, cfg.num_perm)
    return pa.table({n: columns[n] for n in schema.names}, schema=schema)


def rejects_table(rejects: list[Reject], flow_run_id: str, now: datetime) -> pa.Table:
    schema = rejects_schema().arrow
    rows = {
        "source_path": [r.source_path for r in rejects],
        "source_record": [r.source_record for r in rejects],
        "source_url": [r.source_url for r in rejects],
        "raw_sha256": [r.raw_sha256 for r in rejects],
        "reason": [r.reason.value for r in rejects],
        "detail": [r.detail for r in rejects],
        "flow_run_id": [flow_run_id] * len(rejects),
        "processed_at": [now] * len(rejects),
    }
    return pa.table(rows, schema=schema)
