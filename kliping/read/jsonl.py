"""Scraper JSONL: one record a line, `{"url", "html" or "text", "fetched_at", ...}`, streamed.

A line that is not JSON, not an object, or has neither `html` nor `text` becomes a
`malformed` reject; the lines around it are still read.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from kliping.read.files import RawFile
from kliping.read.limits import ReadLimits
from kliping.read.sidecar import JSONProblem, metadata_from_mapping, parse_json
from kliping.records import InputKind, RawRecord, Reject, RejectReason, without_surrogates


def _open(raw: RawFile) -> BinaryIO:
    if raw.compressed:
        return gzip.GzipFile(raw.path, "rb")  # type: ignore[return-value]
    return raw.path.open("rb")


def read_jsonl(raw: RawFile, limits: ReadLimits) -> Iterator[RawRecord | Reject]:
    lineno = 0
    yielded = False

    def reject(reason: RejectReason, detail: str, line: bytes | None) -> Reject:
        sha = hashlib.sha256(line).hexdigest() if line is not None else None
        return Reject(raw.rel, str(lineno) if lineno else None, sha, reason, detail, None, raw.file_type)

    try:
        with _open(raw) as fh:
            while True:
                line = fh.readline(limits.max_record_bytes + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > limits.max_record_bytes and not line.endswith(b"\n"):
                    # Skip the rest of the oversized line without holding it in memory.
                    h = hashlib.sha256(line)
                    while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                        h.update(rest)
                    h.update(rest)
                    yielded = True
                    yield Reject(
                        raw.rel, str(lineno), h.hexdigest(), RejectReason.TOO_LARGE,
                        f"line longer than {limits.max_record_bytes} bytes", None, raw.file_type,
                    )  # fmt: skip
                    continue
                if not line.strip():
                    continue
                yielded = True
                yield _record(raw, lineno, line, reject)
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        detail = "truncated gzip file" if isinstance(exc, EOFError) else f"bad gzip data: {exc}"
        lineno += 1
        yield reject(RejectReason.MALFORMED, f"{detail} after {lineno - 1} lines", None)
        return
    except OSError as exc:
        yield reject(RejectReason.UNREADABLE, f"cannot read: {exc.strerror or exc}", None)
        return
    if not yielded:
        yield Reject(raw.rel, None, hashlib.sha256(b"").hexdigest(), RejectReason.EMPTY,
                     "no records in JSONL file", None, raw.file_type)  # fmt: skip


RejectFn = Callable[[RejectReason, str, bytes | None], Reject]


def _record(raw: RawFile, lineno: int, line: bytes, make_reject: RejectFn) -> RawRecord | Reject:
    try:
        doc = parse_json(line, f"line {lineno}")
    except JSONProblem as exc:
        reason = RejectReason.UNDECODABLE if exc.undecodable else RejectReason.MALFORMED
        return make_reject(reason, str(exc), line)
    if not isinstance(doc, dict):
        return make_reject(RejectReason.MALFORMED, f"line {lineno} is JSON but not an object", line)
    html, text = doc.get("html"), doc.get("text")
    if isinstance(html, str) and html.strip():
        kind, body = InputKind.HTML, html
    elif isinstance(text, str) and text.strip():
        kind, body = InputKind.TEXT, text
    elif isinstance(html, str) or isinstance(text, str):
        return make_reject(RejectReason.EMPTY, f"line {lineno} has an empty html/text field", line)
    elif html is not None or text is not None:
        found = type(html if html is not None else text).__name__
        return make_reject(
            RejectReason.MALFORMED, f"line {lineno}: 'html'/'text' is a JSON {found}, not a string", line
        )
    else:
        return make_reject(RejectReason.MALFORMED, f"line {lineno} has neither 'html' nor 'text'", line)
    meta = metadata_from_mapping(doc)
    return RawRecord(
        source_path=raw.rel,
        source_record=str(lineno),
        kind=kind,
        # Lone surrogates ("\\ud800" escapes) are no text: U+FFFD, so that the body is valid UTF-8.
        data=without_surrogates(body).encode("utf-8"),
        url=meta.url,
        fetched_at=meta.fetched_at,
        charset_hint="utf-8",
        sha256=hashlib.sha256(line).hexdigest(),
        file_type=raw.file_type,
        meta=meta.extra,
    )
