"""The small typed records that flow between steps, and the documented reject reasons.

A step never raises on bad input: it hands on a `Reject` with a reason from
`RejectReason` and a one-line detail, so that every record read ends in
`articles` or `rejects`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any


class RejectReason(StrEnum):
    """Why a record yielded no article. The set is documented in the README and schema."""

    EMPTY = "empty"  # no bytes, or only whitespace once decoded
    UNDECODABLE = "undecodable"  # bytes that are no text in any encoding we can trust
    NO_ARTICLE = "no_article"  # the page has no article body (front page, listing, too little text)
    TOO_LARGE = "too_large"  # larger than the configured per-record limit
    MALFORMED = "malformed"  # a container that cannot be parsed: bad gzip, bad JSON line, bad sidecar
    UNREADABLE = "unreadable"  # the file could not be read at all (permissions, I/O error)
    EXTRACT_ERROR = "extract_error"  # the extractor raised on this record
    TIMEOUT = "timeout"  # the record took longer than the per-record time limit
    REFUSED = "refused"  # not read on purpose: a symlink that leaves the raw folder
    BATCH_FAILED = "batch_failed"  # the batch holding this file failed after its retries; read again next run


class InputKind(StrEnum):
    HTML = "html"
    TEXT = "text"


def make_doc_id(source_path: str, source_record: str | None, raw_sha256: str) -> str:
    """A stable id: the same file, place in the file and bytes give the same id on every run."""
    key = "\x1f".join((source_path, source_record or "", raw_sha256))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class RawRecord:
    """One record as read from `raw/`: undecoded bytes plus what the container said of them."""

    source_path: str
    source_record: str | None
    kind: InputKind
    data: bytes
    url: str | None = None
    fetched_at: datetime | None = None
    charset_hint: str | None = None
    file_type: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None  # of the container's raw bytes (a JSONL line), when not `data`

    @cached_property
    def raw_sha256(self) -> str:
        """Worked out once: an article asks for it twice (its own column and its doc_id), at
        10 µs for a 600-word text."""
        return self.sha256 or hashlib.sha256(self.data).hexdigest()

    @cached_property
    def doc_id(self) -> str:
        return make_doc_id(self.source_path, self.source_record, self.raw_sha256)


@dataclass(frozen=True)
class Reject:
    """A record that yielded no article, and why."""

    source_path: str
    source_record: str | None
    raw_sha256: str | None
    reason: RejectReason
    detail: str
    source_url: str | None = None
    file_type: str = ""

    @classmethod
    def of(cls, record: RawRecord, reason: RejectReason, detail: str) -> Reject:
        return cls(
            record.source_path,
            record.source_record,
            record.raw_sha256,
            reason,
            one_line(detail),
            record.url,
            record.file_type,
        )


_SURROGATES = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """Lone surrogates (from JSON escapes like "\\ud800", or quoted from bad input) replaced by
    U+FFFD: they are no text, and Parquet (UTF-8) cannot hold them."""
    return _SURROGATES.sub("\ufffd", text)


def one_line(text: str, limit: int = 300) -> str:
    """Details are one line: collapse whitespace, cut long messages, no lone surrogates."""
    flat = " ".join(without_surrogates(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class Extracted:
    """What extraction found: the body as lines, and the metadata the page or file gave."""

    record: RawRecord
    lines: list[str]
    extractor: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    published_at_source: str | None = None
    outlet: str | None = None
    url: str | None = None


@dataclass
class Article:
    """A cleaned article: every column of `articles` but the cluster ones, plus its shingles."""

    doc_id: str
    source_path: str
    source_record: str | None
    source_url: str | None
    source_domain: str | None
    outlet: str | None
    raw_sha256: str
    fetched_at: datetime | None
    published_at: datetime | None
    published_at_source: str | None
    title: str | None
    author: str | None
    editor: str | None
    dateline: str | None
    declared_source: str | None
    wire: str | None
    lang: str | None
    text: str
    word_count: int
    removed: list[dict[str, str]]
    extractor: str
    file_type: str = ""
