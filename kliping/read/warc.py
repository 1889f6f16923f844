"""WARC crawl files (`.warc`, `.warc.gz`): one raw HTML record per HTML `response` record, streamed.

warcio parses the container. Its iterator cannot go on once it meets a broken record, and
a crawl file with one bad record in the middle still holds good pages after it. So on an
error this reader reports the broken part as a `malformed` reject, searches forward in the
file for the next record start, and resumes there with a fresh iterator.

Only `response` records can hold a page. A crawl's other records (warcinfo, request,
metadata, resource, revisit) describe the crawl, not content, and are skipped without a
reject; a response that is not HTML (an image, JSON) is a `no_article` reject, so that every
fetched document is accounted for.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from warcio.archiveiterator import WARCIterator
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeadersParser

from kliping.read.files import RawFile
from kliping.read.limits import ReadLimits
from kliping.read.sidecar import parse_timestamp
from kliping.read.urls import trusted_url
from kliping.records import InputKind, RawRecord, Reject, RejectReason, one_line

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_START = re.compile(rb"WARC/1\.[01]\r\n")
WARC_START_LEN = len(b"WARC/1.0\r\n")
SCAN_CHUNK = 1 << 20  # the resync search and tail checks read the file this much at a time
# Raw bytes warcio may read to get from the end of one record through the headers of the next.
# Real headers are a few KB; without a budget, junk with no line break is read as one line
# as long as the file, and a broken gzip member is read on to the end of the file.
HEADER_BUDGET = 1 << 20
_BLANK = b" \t\r\n"
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_NON_CHUNKED = "non-chunked gzip"  # warcio's message for a gzip member holding several records


class _File(Protocol):
    """A seekable binary file: the open WARC file, or the decompressed stream of a whole-file gzip."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


class _Overrun(Exception):
    """warcio read far more than the step needs: junk without line breaks, or a broken gzip member."""


class _BudgetFile:
    """The open file as warcio sees it, with a byte budget per step (see HEADER_BUDGET).

    warcio only calls read() and tell(); a step that would read past its budget raises
    `_Overrun`, which turns into a `malformed` reject and a resync.
    """

    def __init__(self, fh: _File) -> None:
        self.fh = fh
        self.left = HEADER_BUDGET

    def allow(self, nbytes: int) -> None:
        self.left = nbytes

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise _Overrun("no WARC record end where one was due (junk without line breaks?)")
        if size is None or size < 0 or size > self.left:
            size = self.left
        data = self.fh.read(size)
        self.left -= len(data)
        return data

    def tell(self) -> int:
        return self.fh.tell()


@dataclass(frozen=True)
class _PassEnd:
    """How one warcio iterator ended: at the end of the data, or broken with a place to resume from.

    `resume_from` is where the search for the next record starts (after a reported failure);
    `tail_from` is where the last whole record ended (after a clean end), so that what
    follows can be checked for junk or a cut; `multi_record_member` is set when warcio refused
    a gzip member holding several records, with the count of records read before it.
    """

    resume_from: int | None = None
    tail_from: int | None = None
    multi_record_member: int | None = None


def read_warc(raw: RawFile, limits: ReadLimits) -> Iterator[RawRecord | Reject]:
    """Every HTML response of one WARC file as a RawRecord, everything else wrong as a Reject.

    Never raises on bad input; a file that gave nothing at all still gives one reject, so
    that no file disappears from the run without a trace.
    """
    reader = _WarcReader(raw, limits)
    produced = False
    try:
        for item in reader.read():
            produced = True
            yield item
    except OSError as exc:
        produced = True
        yield reader.reject(reader.at, RejectReason.UNREADABLE, f"cannot read: {exc.strerror or exc}")
    except Exception as exc:  # warcio is old untyped code: a failure nobody foresaw is still a reject
        produced = True
        yield reader.reject(reader.at, RejectReason.MALFORMED, f"cannot parse WARC file: {_describe(exc)}")
    if not produced:
        yield reader.reject(None, RejectReason.NO_ARTICLE, "no HTML response records in WARC file")


class _WarcReader:
    """State of the read of one WARC file: which file, its limits, and the offset being read."""

    def __init__(self, raw: RawFile, limits: ReadLimits) -> None:
        self.raw = raw
        self.limits = limits
        self.at: str | None = None  # the offset being read, for an UNREADABLE reject

    def reject(
        self,
        source_record: str | None,
        reason: RejectReason,
        detail: str,
        url: str | None = None,
    ) -> Reject:
        return Reject(self.raw.rel, source_record, None, reason, one_line(detail), url, self.raw.file_type)

    def read(self) -> Iterator[RawRecord | Reject]:
        with self.raw.path.open("rb") as fh:
            head = fh.read(len(GZIP_MAGIC))
            if not head:
                yield self.reject(None, RejectReason.EMPTY, "empty WARC file (0 bytes)")
                return
            # The bytes, not the name, say whether the file is gzipped: a `.warc` that is
            # gzipped is still read, and the resync looks for the right kind of record start.
            gzipped = head == GZIP_MAGIC
            fh.seek(0)
            multi = yield from self._container(fh, gzipped, skip=0)
        if multi is not None:
            # A `.warc.gz` gzipped as a whole (`gzip x.warc`), not record by record. warcio
            # refuses it; read it as one decompressed stream instead, past the records
            # already read from its start.
            with gzip.open(self.raw.path, "rb") as gz:
                yield from self._container(gz, gzipped=False, skip=multi)

    def _container(
        self, fh: _File, gzipped: bool, skip: int
    ) -> Generator[RawRecord | Reject, None, int | None]:
        """All records from the start of `fh`, resyncing after each broken part.

        Returns the count of records read when the file turns out to be gzipped as a whole.
        """
        pos: int | None = 0
        while pos is not None:
            end = yield from self._pass(fh, pos, gzipped, skip)
            skip = 0
            if end.multi_record_member is not None:
                return end.multi_record_member
            if end.tail_from is not None:
                if not _blank_from(fh, end.tail_from, gzipped):
                    yield self.reject(
                        f"offset {end.tail_from}",
                        RejectReason.MALFORMED,
                        f"data after offset {end.tail_from} is not a whole WARC record (cut short or junk)",
                    )
                return None
            nxt = _find_record_start(fh, end.resume_from or 0, gzipped)
            # Always advance, so that a record start that fails again cannot loop forever.
            pos = None if nxt is None else max(nxt, pos + 1)
        return None

    def _pass(
        self, fh: _File, start: int, gzipped: bool, skip: int
    ) -> Generator[RawRecord | Reject, None, _PassEnd]:
        """Records from `start` with one warcio iterator, up to the end or the first broken part."""
        fh.seek(start)
        src = _BudgetFile(fh)
        it = WARCIterator(src)
        last_end = start  # where the last whole record ended: a failure is searched past here
        errors = 0
        seen = 0
        while True:
            self.at = f"offset {last_end}"
            src.allow(HEADER_BUDGET)
            try:
                if seen:
                    it.read_to_end()
                    last_end = max(last_end, int(it.get_record_offset()) + int(it.get_record_length()))
                rec = next(it)
            except StopIteration:
                return _PassEnd(tail_from=last_end)
            except Exception as exc:
                if _is_io_error(exc):
                    raise
                if gzipped and _NON_CHUNKED in str(exc) and start == 0:
                    return _PassEnd(multi_record_member=seen)
                detail = _describe(exc)
                if _NON_CHUNKED in str(exc):
                    detail = "a gzip member holds several records (not a per-record .warc.gz)"
                yield self.reject(
                    f"offset {last_end}",
                    RejectReason.MALFORMED,
                    f"no WARC record at offset {last_end}: {detail}",
                )
                return _PassEnd(resume_from=_skip_blank(fh, last_end) + 1)
            seen += 1
            record_start = int(it.offset)
            self.at = f"offset {record_start}"
            # Once a record is read, a later failure is searched for past its start, never before.
            last_end = max(last_end, record_start + 1)
            if it.err_count > errors:
                # warcio skips one unexpected line after a record with only a warning on stderr.
                errors = it.err_count
                if seen > skip:
                    yield self.reject(
                        f"offset {record_start}",
                        RejectReason.MALFORMED,
                        f"unexpected bytes between WARC records before offset {record_start}",
                    )
            item, broken = self._record(rec, record_start, src)
            if broken is not None:
                if not rec.rec_headers.headers and _blank_from(fh, record_start, gzipped):
                    return _PassEnd(tail_from=record_start)  # only blank padding was left
                record_id = _record_id(rec)
                yield self.reject(
                    f"offset {record_start}",
                    RejectReason.MALFORMED,
                    f"WARC record {record_id or ''} at offset {record_start}: {broken}",
                    trusted_url(rec.rec_headers.get_header("WARC-Target-URI")),
                )
                return _PassEnd(resume_from=record_start + 1)
            if not gzipped:
                # The end of the record's block, so that junk after it is reported where it is.
                last_end = max(last_end, _block_end(it) or 0)
            if item is not None and seen > skip:
                yield item

    def _record(self, rec: Any, start: int, src: _BudgetFile) -> tuple[RawRecord | Reject | None, str | None]:
        """One parsed WARC record: (what it gives, if anything; what is wrong with its container, if so).

        The record's stream is always read to its end here, so that a record cut short (the
        end of a truncated file, a broken gzip member) is noticed and not taken for a page.
        """
        length = rec.length
        if not isinstance(length, int):
            return None, "no Content-Length header"
        src.allow(length + length // 64 + HEADER_BUDGET)
        if rec.rec_type != "response":
            return None, _drain(rec, length)
        record_id = _record_id(rec)
        source_record = record_id or f"offset {start}"
        url = trusted_url(rec.rec_headers.get_header("WARC-Target-URI"))

        http = rec.http_headers
        warc_type = rec.content_type or ""
        if http is None and warc_type.strip().lower().startswith("application/http"):
            # warcio parses HTTP headers only for http(s) target URIs; the block is HTTP all the same.
            try:
                http = _HTTP_PARSER.parse(rec.raw_stream)
            except EOFError:
                http = None
            except Exception as exc:
                return None, f"bad HTTP headers: {_describe(exc)}"
            rec.http_headers = http
            content_type = http.get_header("Content-Type") if http is not None else None
        elif http is not None:
            content_type = http.get_header("Content-Type")
        else:
            content_type = warc_type or None
        media = content_type.split(";", 1)[0].strip().lower() if content_type else ""

        def reject(reason: RejectReason, detail: str) -> Reject:
            return self.reject(source_record, reason, detail, url)

        if media and media not in HTML_TYPES:
            return reject(
                RejectReason.NO_ARTICLE, f"WARC response is {_printable(media, 80)}, not HTML"
            ), _drain(rec, length)
        try:
            data = _read_upto(rec.content_stream(), self.limits.max_record_bytes + 1)
        except Exception as exc:
            if _is_io_error(exc):
                raise
            return None, f"cannot read the payload: {_describe(exc)}"
        broken = _drain(rec, length)
        if broken is not None:
            return None, broken
        if len(data) > self.limits.max_record_bytes:
            if not media and not _looks_like_html(data):
                return reject(
                    RejectReason.NO_ARTICLE, "WARC response has no content type and is not HTML"
                ), None
            return reject(
                RejectReason.TOO_LARGE,
                f"WARC response payload larger than {self.limits.max_record_bytes} bytes",
            ), None
        if not data.strip():
            return reject(RejectReason.EMPTY, "WARC response has an empty payload"), None
        if not media and not _looks_like_html(data):
            return reject(RejectReason.NO_ARTICLE, "WARC response has no content type and is not HTML"), None
        status = _status(http)
        return RawRecord(
            source_path=self.raw.rel,
            source_record=source_record,
            kind=InputKind.HTML,
            data=data,
            url=url,
            fetched_at=parse_timestamp(rec.rec_headers.get_header("WARC-Date")),
            charset_hint=_charset(content_type) if http is not None else None,
            file_type=self.raw.file_type,
            meta={"warc_record_id": record_id, "http_status": status},
        ), None


def _block_end(it: Any) -> int | None:
    """Where the current record's block ends in an uncompressed file, once it has been read.

    The same sum warcio makes for its record lengths; it is taken before warcio looks for
    the next record, which may fail on junk right after this one.
    """
    try:
        return int(it.fh.tell()) - int(it.reader.rem_length())
    except Exception:
        return None


def _record_id(rec: Any) -> str | None:
    value = rec.rec_headers.get_header("WARC-Record-ID")
    return (value.strip() or None) if isinstance(value, str) else None


def _status(http: Any) -> int | None:
    if http is None:
        return None
    code = str(http.get_statuscode() or "").strip()
    return int(code) if code.isdigit() else None


def _charset(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type, the server's word on the page's encoding."""
    m = _CHARSET.search(content_type or "")
    return m.group(1).lower() if m else None


def _looks_like_html(data: bytes) -> bool:
    """For a response without a content type: does the payload start like an HTML document?"""
    head = data[:1024].lstrip(b"\xef\xbb\xbf" + _BLANK).lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _read_upto(stream: Any, limit: int) -> bytes:
    """At most `limit` bytes of a stream, read in chunks (a decompressing stream may return less)."""
    parts: list[bytes] = []
    got = 0
    while got < limit:
        chunk = stream.read(min(limit - got, 1 << 16))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _drain(rec: Any, length: int) -> str | None:
    """Read the rest of the record's raw block, keeping nothing; say so when it ends early."""
    stream = rec.raw_stream
    try:
        while stream.read(1 << 16):
            pass
    except Exception as exc:
        if _is_io_error(exc):
            raise
        return f"cannot read the record: {_describe(exc)}"
    if isinstance(stream, LimitReader) and stream.tell() < length:
        return f"cut short ({stream.tell()} of {length} bytes)"
    return None


def _find_record_start(fh: _File, start: int, gzipped: bool) -> int | None:
    """The offset of the first record start at or after `start`, read in bounded chunks; None if none.

    Uncompressed: a `WARC/1.0` or `WARC/1.1` version line. Gzipped: a gzip member header
    whose data decompresses to a version line, since the three magic bytes alone also
    turn up inside compressed data.
    """
    pattern = re.compile(re.escape(GZIP_MAGIC)) if gzipped else WARC_START
    overlap = (len(GZIP_MAGIC) if gzipped else WARC_START_LEN) - 1
    pos = start
    while True:
        try:
            fh.seek(pos)
            chunk = fh.read(SCAN_CHUNK)
        except Exception as exc:
            if _is_io_error(exc):
                raise
            return None  # a stream that cannot be read further has no more records
        for m in pattern.finditer(chunk):
            candidate = pos + m.start()
            if not gzipped or _gzip_member_is_warc(fh, candidate):
                return candidate
        if len(chunk) < SCAN_CHUNK:
            return None
        pos += len(chunk) - overlap


def _gzip_member_is_warc(fh: _File, pos: int) -> bool:
    """Does a gzip member start at `pos` whose data starts with a WARC version line?"""
    fh.seek(pos)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = b""
    for _ in range(16):  # a real member gives its first line within a few KB
        data = fh.read(1 << 12)
        if not data:
            break
        try:
            out += d.decompress(data, 64)
        except zlib.error:
            return False
        if len(out) >= WARC_START_LEN or d.eof:
            break
    return WARC_START.match(out) is not None


def _skip_blank(fh: _File, pos: int) -> int:
    """The first offset at or after `pos` that is not a blank (space, tab, CR, LF)."""
    try:
        fh.seek(pos)
        while chunk := fh.read(1 << 12):
            rest = chunk.lstrip(_BLANK)
            pos += len(chunk) - len(rest)
            if rest:
                break
    except Exception as exc:
        if _is_io_error(exc):
            raise
    return pos


def _blank_from(fh: _File, pos: int, gzipped: bool) -> bool:
    """Is everything from `pos` to the end blank? (whole gzip members of blanks, when gzipped)

    After warcio stops cleanly this tells a clean end from a cut (a gzip member whose
    header is cut short gives warcio no error at all) or junk after the last record.
    """
    try:
        fh.seek(pos)
        if not gzipped:
            while chunk := fh.read(SCAN_CHUNK):
                if chunk.strip(_BLANK):
                    return False
            return True
        return _blank_gzip_members(fh)
    except Exception as exc:
        if _is_io_error(exc):
            raise
        return False  # a decompressed stream that breaks here: cut or corrupt


def _blank_gzip_members(fh: _File) -> bool:
    """Whole gzip members of blank text from the current position to the end, output kept bounded."""
    data = b""
    d: Any = None
    while True:
        if not data:
            data = fh.read(SCAN_CHUNK)
            if not data:
                return d is None  # in the middle of a member: cut short
        if d is None:
            data = data.lstrip(_BLANK)
            if not data:
                continue
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = d.decompress(data, SCAN_CHUNK)
        except zlib.error:
            return False
        if out.strip(_BLANK):
            return False
        if d.eof:
            data, d = d.unused_data, None
        else:
            data = d.unconsumed_tail


def _is_io_error(exc: BaseException) -> bool:
    """An operating-system read failure (UNREADABLE), as opposed to bad gzip data (MALFORMED)."""
    return isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile)


def _printable(text: str, limit: int) -> str:
    flat = "".join(c if c.isprintable() else " " for c in text)
    return one_line(flat, limit)


def _describe(exc: BaseException) -> str:
    """A short, printable one-line account of an error (warcio's messages quote raw bytes)."""
    return _printable(str(exc) or type(exc).__name__, 160)
