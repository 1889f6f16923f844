"""Extract step: decoded HTML → article body and metadata with trafilatura; text files pass through.

This is the only module that imports trafilatura. Extraction works on one record
and hands back either an `Extracted` or a `Reject`; it never raises on bad input.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import trafilatura
from trafilatura.settings import use_config

from kliping.dates import parse_iso, parse_local_date
from kliping.read.decode import UndecodableError, decode_bytes
from kliping.read.urls import trusted_url
from kliping.records import Extracted, InputKind, RawRecord, Reject, RejectReason

EXTRACTOR_HTML = f"trafilatura {trafilatura.__version__}"
EXTRACTOR_TEXT = "text"
# Below this many characters of body, trafilatura's output is a fragment, not an article.
MIN_ARTICLE_CHARS = 200

_CONFIG = use_config()
# trafilatura's own per-document timeout uses signals from any thread and is unreliable in
# workers; kliping enforces its own limit (see `time_limit`).
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
_CANONICAL = re.compile(
    r"""<link[^>]+rel=["']canonical["'][^>]*>|<meta[^>]+property=["']og:url["'][^>]*>""", re.IGNORECASE
)
_HREF = re.compile(r"""(?:href|content)=["']([^"']+)["']""", re.IGNORECASE)
_PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate|"""
    r"""publishdate|publish-date|dc\.date\.issued|content_PublishedDate)["'][^>]*>""",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"""content=["']([^"']+)["']""", re.IGNORECASE)


class RecordTimeout(Exception):
    """Raised inside a record's processing when it exceeds its time limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the enclosed work after `seconds` (main thread only; elsewhere no limit).

    Batches run in worker processes, where each record is processed in the main
    thread, so SIGALRM can stop a pathological page without killing the batch.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise RecordTimeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def page_url(html: str) -> str | None:
    """The page's own URL from <link rel=canonical> or og:url, when it is http(s)."""
    for tag in _CANONICAL.findall(html[:200_000]):
        m = _HREF.search(tag)
        if m and (url := trusted_url(m.group(1))):
            return url
    return None


def published_meta(html: str) -> datetime | None:
    """A full publication timestamp from the page's meta tags (trafilatura keeps only the day)."""
    for tag in _PUBLISHED_META.findall(html[:200_000]):
        m = _CONTENT.search(tag)
        if m and "T" in m.group(1) and (value := parse_iso(m.group(1))):
            return value
    return None


def split_lines(text: str, keep_blank: bool = False) -> list[str]:
    """Body lines, stripped: each line is a paragraph. Blank lines are kept (as "") on request,
    because in plain text they are what sets a headline apart from the lede."""
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [line for line in lines if line or keep_blank]


def extract(record: RawRecord) -> Extracted | Reject:
    """Decode a record and extract its article; a Reject says why there is none."""
    if not record.data.strip():
        return Reject.of(record, RejectReason.EMPTY, "no content (0 bytes or only whitespace)")
    try:
        text, _encoding = decode_bytes(
            record.data, hint=record.charset_hint, is_html=record.kind is InputKind.HTML
        )
    except UndecodableError as exc:
        return Reject.of(record, RejectReason.UNDECODABLE, str(exc))
    if not text.strip():
        return Reject.of(record, RejectReason.EMPTY, "only whitespace once decoded")
    if record.kind is InputKind.TEXT:
        return Extracted(record, split_lines(text, keep_blank=True), EXTRACTOR_TEXT, url=record.url)
    return _extract_html(record, text)


def _extract_html(record: RawRecord, html: str) -> Extracted | Reject:
    url = record.url or page_url(html)
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            config=_CONFIG,
        )
    except RecordTimeout:
        raise
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile markup
        return Reject.of(record, RejectReason.EXTRACT_ERROR, f"{type(exc).__name__}: {exc}")
    if doc is None or isinstance(doc, dict):
        return Reject.of(record, RejectReason.NO_ARTICLE, "extractor found no article body")
    body = doc.text or ""
    if len(body.strip()) < MIN_ARTICLE_CHARS:
        return Reject.of(
            record, RejectReason.NO_ARTICLE, f"extractor found {len(body.strip())} characters of body text"
        )
    published = published_meta(html)
    source = "metadata"
    if published is None and doc.date:
        published = parse_local_date(doc.date)
        source = "metadata_date"
    return Extracted(
        record,
        split_lines(body),
        EXTRACTOR_HTML,
        title=(doc.title or None),
        author=(doc.author or None),
        published_at=published,
        published_at_source=source if published else None,
        outlet=_sitename(doc.sitename),
        url=url or trusted_url(doc.url),
    )


def _sitename(value: str | None) -> str | None:
    """trafilatura sometimes returns a social profile URL as the site name: that is no name."""
    if not value or "://" in value:
        return None
    return value.strip() or None
