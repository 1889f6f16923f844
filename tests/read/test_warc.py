"""WARC reader: the records a crawl holds come out as RawRecords or Rejects, even around broken parts.

Every fixture is written here with warcio's own WARCWriter, one record at a time, so that
records can be spliced, corrupted and cut at known places.
"""

from __future__ import annotations

import gzip
import io
import random
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kliping.read.files import RawFile, discover
from kliping.read.limits import ReadLimits
from kliping.read.warc import read_warc
from kliping.records import InputKind, RawRecord, Reject, RejectReason

LIMITS = ReadLimits()
HTML_A = (
    b"<!DOCTYPE html><html><head><title>Banjir</title></head><body><p>Banjir di Jakarta.</p></body></html>"
)
HTML_B = "<html><body><p>Harga cabai naik di pasar Bandung.</p></body></html>".encode("latin-1")


def _record(
    uri: str,
    payload: bytes,
    *,
    gz: bool,
    rec_type: str = "response",
    content_type: str | None = "text/html; charset=utf-8",
    record_id: str = "<urn:uuid:00000000-0000-0000-0000-000000000001>",
    date: str = "2024-10-24T06:52:00Z",
    extra_http: list[tuple[str, str]] | None = None,
) -> bytes:
    """One WARC record as bytes (one gzip member when `gz`), written by warcio itself."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    headers = {"WARC-Record-ID": record_id, "WARC-Date": date}
    if rec_type == "warcinfo":
        rec = writer.create_warcinfo_record("crawl.warc", {"software": "test"})
    elif rec_type in ("response", "request"):
        http_list = [("Content-Type", content_type)] if content_type else []
        http_list += extra_http or []
        if rec_type == "response":
            http = StatusAndHeaders("200 OK", http_list, protocol="HTTP/1.1")
        else:
            http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
        rec = writer.create_warc_record(
            uri, rec_type, payload=io.BytesIO(payload), http_headers=http, warc_headers_dict=headers
        )
    else:
        rec = writer.create_warc_record(
            uri,
            rec_type,
            payload=io.BytesIO(payload),
            warc_content_type=content_type,
            warc_headers_dict=headers,
        )
    writer.write_record(rec)
    return out.getvalue()


def _two_pages(gz: bool) -> tuple[bytes, bytes]:
    first = _record(
        "https://news.example.co.id/banjir",
        HTML_A,
        gz=gz,
        record_id="<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>",
    )
    second = _record(
        "https://news.example.co.id/cabai",
        HTML_B,
        gz=gz,
        content_type="text/html; charset=ISO-8859-1",
        record_id="<urn:uuid:bbbbbbbb-0000-0000-0000-000000000002>",
        date="2024-10-25T01:02:03.5Z",
    )
    return first, second


def _raw(path: Path) -> RawFile:
    (found,) = [f for f in discover(path.parent) if f.path.name == path.name]
    return found


def _read(tmp_path: Path, name: str, data: bytes, limits: ReadLimits = LIMITS) -> list[RawRecord | Reject]:
    path = tmp_path / name
    path.write_bytes(data)
    return list(read_warc(_raw(path), limits))


def _split(items: list[RawRecord | Reject]) -> tuple[list[RawRecord], list[Reject]]:
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, Reject)]


def _name(gz: bool) -> str:
    return "crawl.warc.gz" if gz else "crawl.warc"


@pytest.mark.parametrize("gz", [False, True])
def test_good_records_round_trip(tmp_path: Path, gz: bool) -> None:
    info = _record("", b"", gz=gz, rec_type="warcinfo")
    request = _record("https://news.example.co.id/banjir", b"", gz=gz, rec_type="request")
    first, second = _two_pages(gz)
    items = _read(tmp_path, _name(gz), info + request + first + second)
    records, rejects = _split(items)
    assert rejects == []
    assert [r.data for r in records] == [HTML_A, HTML_B]
    a, b = records
    assert a.source_path == _name(gz)
    assert a.source_record == "<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>"
    assert a.kind is InputKind.HTML
    assert a.url == "https://news.example.co.id/banjir"
    assert a.fetched_at == datetime(2024, 10, 24, 6, 52, tzinfo=UTC)
    assert a.charset_hint == "utf-8"
    assert a.file_type == "warc"
    assert a.meta == {"warc_record_id": "<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>", "http_status": 200}
    assert b.url == "https://news.example.co.id/cabai"
    assert b.charset_hint == "iso-8859-1"
    assert b.fetched_at == datetime(2024, 10, 25, 1, 2, 3, 500000, tzinfo=UTC)
    assert a.doc_id != b.doc_id


def test_chunked_and_gzip_content_encoding_are_undone(tmp_path: Path) -> None:
    body = gzip.compress(HTML_A)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    rec = _record(
        "https://news.example.co.id/banjir",
        chunked,
        gz=True,
        extra_http=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
    )
    records, rejects = _split(_read(tmp_path, "crawl.warc.gz", rec))
    assert rejects == []
    assert [r.data for r in records] == [HTML_A]


def test_xhtml_and_sniffed_html_are_pages(tmp_path: Path) -> None:
    xhtml = _record("https://a.example.com/x", HTML_A, gz=False, content_type="application/xhtml+xml")
    untyped = _record("https://a.example.com/y", b"\n  " + HTML_A, gz=False, content_type=None)
    untyped_png = _record(
        "https://a.example.com/z.png", b"\x89PNG\r\n\x1a\n" + bytes(64), gz=False, content_type=None
    )
    records, rejects = _split(_read(tmp_path, "crawl.warc", xhtml + untyped + untyped_png))
    assert [r.url for r in records] == ["https://a.example.com/x", "https://a.example.com/y"]
    assert records[1].charset_hint is None
    assert [r.reason for r in rejects] == [RejectReason.NO_ARTICLE]
    assert rejects[0].source_url == "https://a.example.com/z.png"


@pytest.mark.parametrize("gz", [False, True])
def test_non_html_response_is_a_no_article_reject(tmp_path: Path, gz: bool) -> None:
    first, second = _two_pages(gz)
    png = _record(
        "https://news.example.co.id/foto.png",
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        gz=gz,
        content_type="image/png",
        record_id="<urn:uuid:cccccccc-0000-0000-0000-000000000003>",
    )
    records, rejects = _split(_read(tmp_path, _name(gz), first + png + second))
    assert len(records) == 2
    (reject,) = rejects
    assert reject.reason is RejectReason.NO_ARTICLE
    assert reject.detail == "WARC response is image/png, not HTML"
    assert reject.source_record == "<urn:uuid:cccccccc-0000-0000-0000-000000000003>"
    assert reject.source_url == "https://news.example.co.id/foto.png"
    assert reject.file_type == "warc"


def test_crawl_records_that_are_not_responses_are_skipped(tmp_path: Path) -> None:
    items = _read(
        tmp_path,
        "crawl.warc",
        _record("", b"", gz=False, rec_type="warcinfo")
        + _record("https://a.example.com/", b"", gz=False, rec_type="request")
        + _record(
            "https://a.example.com/",
            b'{"a": 1}',
            gz=False,
            rec_type="metadata",
            content_type="application/json",
        )
        + _record(
            "https://a.example.com/r.html", HTML_A, gz=False, rec_type="resource", content_type="text/html"
        ),
    )
    # Nothing is a page, yet the file still leaves one trace.
    assert [(i.reason, i.detail) for i in items if isinstance(i, Reject)] == [
        (RejectReason.NO_ARTICLE, "no HTML response records in WARC file")
    ]
    assert len(items) == 1


@pytest.mark.parametrize("gz", [False, True])
def test_too_large_payload_is_rejected_and_the_next_record_still_reads(tmp_path: Path, gz: bool) -> None:
    big = b"<html><body>" + b"<p>kata</p>" * 1000 + b"</body></html>"
    large = _record("https://a.example.com/big", big, gz=gz, record_id="<urn:uuid:big>")
    first, second = _two_pages(gz)
    items = _read(tmp_path, _name(gz), first + large + second, ReadLimits(max_record_bytes=2000))
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    (reject,) = rejects
    assert reject.reason is RejectReason.TOO_LARGE
    assert reject.source_record == "<urn:uuid:big>"
    assert [type(i).__name__ for i in items] == ["RawRecord", "Reject", "RawRecord"]


GARBAGE = [
    pytest.param(b"\x00\xffgarbage bytes\x13\x37 no newline", id="binary-no-newline"),
    pytest.param(b"this is not a record\r\nnor is this\r\n\r\n", id="text-lines"),
    pytest.param(b"junk \x1f\x8b\x08 with a gzip magic and WARC/1.0 inside", id="fake-magic"),
    pytest.param(b"x" * (3 << 20), id="3MiB-without-line-break"),
]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("garbage", GARBAGE)
def test_corrupt_record_between_good_ones_is_one_malformed_reject(
    tmp_path: Path, gz: bool, garbage: bytes
) -> None:
    first, second = _two_pages(gz)
    items = _read(tmp_path, _name(gz), first + garbage + second)
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert [r.reason for r in rejects] == [RejectReason.MALFORMED]
    assert rejects[0].source_record is not None
    assert rejects[0].source_record.startswith("offset ")
    assert int(rejects[0].source_record.split()[1]) >= len(first) - 4  # at the junk, not before record 1


def test_broken_gzip_member_between_good_ones(tmp_path: Path) -> None:
    first, second = _two_pages(True)
    middle = bytearray(_record("https://a.example.com/m", HTML_A * 50, gz=True, record_id="<urn:uuid:mid>"))
    for i in range(40, len(middle) - 20, 7):  # wreck the deflate data, keep the gzip header
        middle[i] ^= 0x5A
    items = _read(tmp_path, "crawl.warc.gz", first + bytes(middle) + second)
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert [r.reason for r in rejects] == [RejectReason.MALFORMED]


def test_junk_line_warcio_would_skip_silently_is_reported(tmp_path: Path) -> None:
    first, second = _two_pages(False)
    assert first.endswith(b"\r\n\r\n")
    # One stray line right after a record's block: warcio skips it with only a stderr warning.
    spliced = first[:-4] + b"stray line\r\n\r\n" + second
    records, rejects = _split(_read(tmp_path, "crawl.warc", spliced))
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert [r.reason for r in rejects] == [RejectReason.MALFORMED]


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_empty_file_is_one_empty_reject(tmp_path: Path, name: str) -> None:
    items = _read(tmp_path, name, b"")
    assert [(type(i), i.reason) for i in items if isinstance(i, Reject)] == [(Reject, RejectReason.EMPTY)]
    assert len(items) == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.warc", b"Just some notes, saved with the wrong name.\nA second line.\n"),
        ("notes.warc", b"<html><body>a page, not a crawl</body></html>"),
        ("notes.warc.gz", b"plain text under a .gz name\n"),
        ("notes.warc.gz", gzip.compress(b"gzipped text that is no WARC at all\n" * 10)),
        ("noise.warc", random.Random(7).randbytes(50_000)),
    ],
)
def test_file_that_is_not_warc_is_one_malformed_reject(tmp_path: Path, name: str, data: bytes) -> None:
    items = _read(tmp_path, name, data)
    assert [i.reason for i in items if isinstance(i, Reject)] == [RejectReason.MALFORMED]
    assert len(items) == 1


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("keep", [3, 8, 60, 150, 0.5, 0.9])
def test_truncated_file_keeps_the_records_before_the_cut(tmp_path: Path, gz: bool, keep: float) -> None:
    first, second = _two_pages(gz)
    third = _record("https://a.example.com/3", HTML_A * 20, gz=gz, record_id="<urn:uuid:third>")
    cut = int(len(third) * keep) if isinstance(keep, float) else keep
    items = _read(tmp_path, _name(gz), first + second + third[:cut])
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert [r.reason for r in rejects] == [RejectReason.MALFORMED]


def test_whole_file_gzip_is_read_as_one_stream(tmp_path: Path) -> None:
    first, second = _two_pages(False)
    info = _record("", b"", gz=False, rec_type="warcinfo")
    items = _read(tmp_path, "crawl.warc.gz", gzip.compress(info + first + second))
    records, rejects = _split(items)
    assert rejects == []
    assert [r.data for r in records] == [HTML_A, HTML_B]


def test_whole_file_gzip_cut_short_keeps_what_came_before(tmp_path: Path) -> None:
    first, second = _two_pages(False)
    third = _record("https://a.example.com/3", random.Random(3).randbytes(20_000), gz=False)
    whole = gzip.compress(first + second + third)
    items = _read(tmp_path, "crawl.warc.gz", whole[: len(whole) - 5_000])
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert [r.reason for r in rejects] == [RejectReason.MALFORMED]


@pytest.mark.parametrize("uri", ["ftp://example.com/page.html", "urn:example:page", "news.example.co.id/x"])
def test_non_http_target_uri_gives_no_url(tmp_path: Path, uri: str) -> None:
    records, rejects = _split(_read(tmp_path, "crawl.warc", _record(uri, HTML_A, gz=False)))
    assert rejects == []
    (record,) = records
    assert record.url is None
    assert record.data == HTML_A  # the HTTP headers are still taken off
    assert record.meta["http_status"] == 200


def test_unreadable_file_is_one_unreadable_reject(tmp_path: Path) -> None:
    raw = RawFile(str(tmp_path), "gone.warc", "warc", False, 10, 0)  # a directory: open() fails
    items = list(read_warc(raw, LIMITS))
    assert [i.reason for i in items if isinstance(i, Reject)] == [RejectReason.UNREADABLE]
    assert len(items) == 1


@pytest.mark.parametrize("gz", [False, True])
def test_damaged_files_never_raise_and_always_leave_a_trace(tmp_path: Path, gz: bool) -> None:
    rng = random.Random(20241024)
    first, second = _two_pages(gz)
    base = first + _record("https://a.example.com/m", HTML_A * 5, gz=gz) + second
    for n in range(150):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            if op < 0.4:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif op < 0.7:
                at = rng.randrange(len(data))
                data[at:at] = rng.randbytes(rng.randint(1, 40))
            else:
                at = rng.randrange(len(data))
                del data[at : at + rng.randint(1, 60)]
        items = _read(tmp_path, f"f{n}.warc" + (".gz" if gz else ""), bytes(data))
        assert items
        for item in items:
            if isinstance(item, RawRecord):
                assert item.data  # never an empty page handed on


def test_gzip_magic_inside_compressed_data_is_not_taken_for_a_record(tmp_path: Path) -> None:
    # Resync candidates are checked by decompressing them, not trusted on three bytes.
    first, second = _two_pages(True)
    fake = b"\x1f\x8b\x08" + zlib.compress(b"not a warc")
    items = _read(tmp_path, "crawl.warc.gz", first + fake + second)
    records, rejects = _split(items)
    assert [r.data for r in records] == [HTML_A, HTML_B]
    assert len(rejects) == 1
