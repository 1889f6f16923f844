"""Every input a scraper produces, and every way it can be broken.

Each record ends in `articles` (when it is actually fine) or in `rejects` with a precise
reason, and the records around it go on. Every fixture is written here; nothing is fetched.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import lxml.etree
import pyarrow.parquet as pq
import pytest
import trafilatura
from corpus import article_body
from hypothesis import given, settings
from hypothesis import strategies as st

from kliping.clean import RuleSet, load_rules
from kliping.config import RunConfig
from kliping.extract import MAX_TAG_ATTRIBUTES, page_url, published_meta
from kliping.pipeline import BatchSpec, process_batch, process_record
from kliping.read import ReadLimits, discover, read_file
from kliping.read.decode import UndecodableError, decode_bytes
from kliping.records import Article, InputKind, RawRecord, Reject, RejectReason
from kliping.run import run_local
from kliping.time_limits import batch_time_limit, time_limit

LIMIT = 300_000
LIMITS = ReadLimits(max_record_bytes=LIMIT)
TIMEOUT_S = 20.0  # generous: these tests are about outcomes, not speed (except where timed)
SLOW_MARKER_ENV = "KLIPING_TEST_SLOW_MARKER"

# Non-ASCII words that must survive decoding into the article text.
SPECIAL = "Harga beras di Café Sederhana kini Rp 5.000 — naik dua kali lipat, kata “pedagang” di ‘pasar’ itu."
LATIN1_SPECIAL = "Menu di Café Façade kini Rp 5.000, suhu 30° di luar, kata pemilik « bistro » itu."

# Not speed checks (speed lives in bench/): the hostile cases below hung or took minutes before
# they were fixed, so a run over this bound means the hang is back. Generous for loaded CI machines.
HANG_GUARD_S = 120


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def paragraphs(seed: int, special: str | None = SPECIAL) -> list[str]:
    paras = article_body(random.Random(seed), 5)
    if special:
        paras.insert(1, special)
    return paras


def html_page(
    seed: int, *, head: str = "", title: str = "Café di Jakarta", special: str | None = SPECIAL
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(seed, special))
    return (
        f"<html><head>{head}<title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def text_page(seed: int, special: str | None = SPECIAL) -> str:
    return "\n\n".join(paragraphs(seed, special)) + "\n"


def outcomes(raw_dir: Path, rules: RuleSet, limits: ReadLimits = LIMITS) -> dict[tuple[str, str | None], Any]:
    """(path, record) → Article or Reject, for every record under raw_dir; duplicates are an error."""
    out: dict[tuple[str, str | None], Any] = {}
    for raw in discover(raw_dir):
        for item in read_file(raw, limits):
            result = item if isinstance(item, Reject) else process_record(item, rules, TIMEOUT_S)
            key = (result.source_path, result.source_record)
            assert key not in out, key
            out[key] = result
    return out


def one(raw_dir: Path, rules: RuleSet, name: str, limits: ReadLimits = LIMITS) -> Any:
    """The single outcome of raw file `name`."""
    found = [v for (path, _), v in outcomes(raw_dir, rules, limits).items() if path == name]
    assert len(found) == 1, found
    return found[0]


def assert_reject(result: Any, reason: RejectReason, *words: str) -> None:
    assert isinstance(result, Reject), result
    assert result.reason is reason, (result.reason, result.detail)
    assert "\n" not in result.detail and result.detail
    for word in words:
        assert word.lower() in result.detail.lower(), (word, result.detail)


def assert_article(result: Any, *words: str) -> Article:
    assert isinstance(result, Article), result
    for word in words:
        assert word in result.text, (word, result.text[:500])
    return result


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    path = tmp_path / "raw"
    path.mkdir()
    return path


# ---------------------------------------------------------------------------------------------
# Encodings: the right text, whatever the bytes and whatever the page says about them


ENCODED_PAGES = {
    # name: (bytes, words that must come out)
    "cp1252-undeclared.html": (html_page(1).encode("cp1252"), ["Café", "Rp 5.000 — naik", "“pedagang”", "‘pasar’"]),
    "cp1252-declared-latin1.html": (
        html_page(2, head='<meta charset="iso-8859-1">').encode("cp1252"),
        ["Café", "Rp 5.000 — naik", "“pedagang”"],
    ),
    "cp1252-declared-utf8.html": (
        html_page(3, head='<meta http-equiv="Content-Type" content="text/html; charset=utf-8">').encode("cp1252"),
        ["Café", "Rp 5.000 — naik", "“pedagang”"],
    ),
    "utf8-declared-latin1.html": (
        html_page(4, head='<meta charset="iso-8859-1">').encode("utf-8"),
        ["Café", "Rp 5.000 — naik", "“pedagang”"],
    ),
    "latin1.html": (html_page(5, special=LATIN1_SPECIAL).encode("latin-1"), ["Café Façade", "30°", "« bistro »"]),
    "latin1-declared.html": (
        html_page(6, head="<meta charset=latin1>", special=LATIN1_SPECIAL).encode("latin-1"),
        ["Café Façade", "30°"],
    ),
    "utf16-bom.html": (html_page(7).encode("utf-16"), ["Café", "Rp 5.000 — naik", "“pedagang”"]),
    "utf16-bom.txt": (text_page(8).encode("utf-16"), ["Café", "Rp 5.000 — naik", "“pedagang”"]),
    "utf16le-no-bom.txt": (text_page(9).encode("utf-16-le"), ["Café", "Rp 5.000 — naik"]),
    "utf8-bom.txt": (text_page(10).encode("utf-8-sig"), ["Café", "Rp 5.000 — naik"]),
    "cp1252.txt": (text_page(11).encode("cp1252"), ["Café", "Rp 5.000 — naik", "“pedagang”"]),
    # a UTF-8 template with an article pasted in from a windows-1252 source
    "mixed.html": (
        html_page(12, special=None).replace("</article>", "<p>© Hak cipta dilindungi · kabar</p></article>").encode()
        .replace(b"</h1>", b"</h1><p>" + SPECIAL.encode("cp1252") + b"</p>"),
        ["Café", "Rp 5.000 — naik", "“pedagang”"],
    ),
    # a <meta> that says UTF-16 is read as the standard says: not UTF-16
    "declared-utf16.html": (
        html_page(13, head='<meta charset="utf-16">').encode("cp1252"),
        ["Café", "Rp 5.000 — naik"],
    ),
    # a page cannot make the decoder run a non-text codec
    "declared-zlib.html": (html_page(14, head='<meta charset="zlib">').encode("cp1252"), ["Café"]),
    "declared-rot13.html": (html_page(15, head="<meta charset=rot13>").encode("cp1252"), ["Café"]),
    "declared-utf7.html": (html_page(16, head="<meta charset=utf-7>").encode("cp1252"), ["Café"]),
}  # fmt: skip


def test_encodings_decode_to_the_right_text(raw: Path, rules: RuleSet) -> None:
    for name, (data, _) in ENCODED_PAGES.items():
        (raw / name).write_bytes(data)
    results = outcomes(raw, rules)
    for name, (_, words) in ENCODED_PAGES.items():
        assert_article(results[(name, None)], *words)
    assert results[("cp1252-undeclared.html", None)].title == "Café di Jakarta"
    assert "\x93" not in results[("cp1252-declared-latin1.html", None)].text  # no C1 controls for quotes


@pytest.mark.parametrize(
    ("hint", "data", "word"),
    [
        ("iso-8859-1", SPECIAL.encode("cp1252"), "“pedagang”"),  # the HTTP header's latin-1 is windows-1252
        ("utf-8", SPECIAL.encode("cp1252"), "Rp 5.000 — naik"),  # the header is wrong
        ("windows-1251", "Привет, мир: новости".encode("cp1251"), "Привет"),
        ("base64", SPECIAL.encode("cp1252"), "Café"),  # not a text encoding: ignored
        ("no-such-charset", SPECIAL.encode("cp1252"), "Café"),
        (None, ("Café " * 30).encode() + b"caf\xe9", "café"),  # UTF-8 with one stray byte
    ],
)
def test_decode_with_container_hints(hint: str | None, data: bytes, word: str) -> None:
    text, _encoding = decode_bytes(data, hint=hint, is_html=False)
    assert word in text


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(6000),
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
        b"\x00\x01\x02\x03" * 1000,
        b"\xff\xfe" + b"\x00\xd8" * 100,  # a UTF-16 BOM, then lone surrogates
    ],
)
def test_binary_data_is_undecodable(data: bytes) -> None:
    with pytest.raises(UndecodableError):
        decode_bytes(data, is_html=True)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    text=st.text(
        st.sampled_from(
            ["a", "é", "“", "\n", "\t", "\r", "\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "中", "😀"]
        ),
        max_size=300,
    ),
    padding=st.integers(0, 400),
)
def test_utf8_is_binary_exactly_when_its_text_is_mostly_control_characters(text: str, padding: int) -> None:
    """UTF-8 is read as text when it has no control bytes, without counting them in the text:
    the answer is the same as counting control characters in the decoded text (`_looks_binary`)."""
    from kliping.read.decode import _bomless_utf16, _looks_binary

    text = "Berita " * padding + text  # control characters from 0 to 100% of the text
    data = text.encode("utf-8")
    if _bomless_utf16(data):
        return  # read as UTF-16, another path
    if _looks_binary(text):
        with pytest.raises(UndecodableError):
            decode_bytes(data)
    else:
        assert decode_bytes(data) == (text, "utf-8")


def test_undecodable_files_are_rejected(raw: Path, rules: RuleSet) -> None:
    (raw / "garbage.html").write_bytes(random.Random(3).randbytes(8000))
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(4).randbytes(4000))
    (raw / "good.txt").write_text(text_page(20))
    results = outcomes(raw, rules)
    assert_reject(results[("garbage.html", None)], RejectReason.UNDECODABLE, "binary")
    assert_reject(results[("image.txt", None)], RejectReason.UNDECODABLE, "binary")
    assert_article(results[("good.txt", None)], "Café")


# ---------------------------------------------------------------------------------------------
# Containers: empty, cut, mislabelled, oversized


def test_broken_containers_are_rejected_precisely(raw: Path, rules: RuleSet) -> None:
    good = text_page(30).encode()
    (raw / "empty.html").write_bytes(b"")
    (raw / "blank.txt").write_bytes(b" \n\t\r\n ")
    (raw / "empty.txt.gz").write_bytes(b"")
    (raw / "empty-content.html.gz").write_bytes(gzip.compress(b""))
    (raw / "truncated.txt.gz").write_bytes(gzip.compress(good)[:-12])
    (raw / "half.html.gz").write_bytes(gzip.compress(html_page(31).encode())[:40])
    (raw / "not-gzip.txt.gz").write_bytes(b"plain text, not gzip")
    (raw / "gzip-junk-after.txt.gz").write_bytes(gzip.compress(good) + b"junk after the member")
    (raw / "big.html").write_bytes(html_page(32).encode() + b"<!--" + b"x" * LIMIT + b"-->")
    # 50 MB of zeros in 50 KB of gzip: stopped at the limit, not inflated
    (raw / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"\0" * 50_000_000, compresslevel=9))
    # a page saved gzipped, as the server sent it, under a plain name
    (raw / "served-gzipped.html").write_bytes(gzip.compress(html_page(33).encode()))
    (raw / "good.txt.gz").write_bytes(gzip.compress(good))
    started = time.perf_counter()
    results = outcomes(raw, rules)
    assert time.perf_counter() - started < HANG_GUARD_S
    assert_reject(results[("empty.html", None)], RejectReason.EMPTY)
    assert_reject(results[("blank.txt", None)], RejectReason.EMPTY)
    assert_reject(results[("empty.txt.gz", None)], RejectReason.EMPTY, "empty gzip")
    assert_reject(results[("empty-content.html.gz", None)], RejectReason.EMPTY)
    assert_reject(results[("truncated.txt.gz", None)], RejectReason.MALFORMED, "truncated gzip")
    assert_reject(results[("half.html.gz", None)], RejectReason.MALFORMED, "gzip")
    assert_reject(results[("not-gzip.txt.gz", None)], RejectReason.MALFORMED, "bad gzip")
    assert_reject(results[("gzip-junk-after.txt.gz", None)], RejectReason.MALFORMED, "gzip")
    assert_reject(results[("big.html", None)], RejectReason.TOO_LARGE, str(LIMIT))
    assert_reject(results[("bomb.html.gz", None)], RejectReason.TOO_LARGE, "decompressed")
    assert_article(results[("served-gzipped.html", None)], "Café")
    assert_article(results[("good.txt.gz", None)], "Café")
    assert all(r.raw_sha256 for r in results.values() if isinstance(r, Reject))


def test_files_that_changed_since_they_were_listed_are_read_whole_or_refused(
    raw: Path, rules: RuleSet
) -> None:
    """A file is read by the size it was listed with, then for what it grew by since: grown past
    the limit, it is too large; grown within it, or shrunk, it is read whole."""
    good = "\n\n".join(paragraphs(40)).encode()
    (raw / "grows.txt").write_bytes(good[:100])
    (raw / "grows-past.txt").write_bytes(good[:100])
    (raw / "shrinks.txt").write_bytes(good + b"\n\n" + good)
    listed = {f.rel: f for f in discover(raw)}
    (raw / "grows.txt").write_bytes(good)
    (raw / "grows-past.txt").write_bytes(good + b"x" * LIMIT)
    (raw / "shrinks.txt").write_bytes(good)
    results = {}
    for name in ("grows.txt", "grows-past.txt", "shrinks.txt"):
        assert listed[name].size != len(good)
        [results[name]] = read_file(listed[name], LIMITS)
    for name in ("grows.txt", "shrinks.txt"):
        record = results[name]
        assert isinstance(record, RawRecord) and record.data == good
    assert_reject(results["grows-past.txt"], RejectReason.TOO_LARGE, "grew while being read")


def test_read_at_most_reads_to_the_limit_and_one_byte_more(tmp_path: Path) -> None:
    from kliping.read.limits import read_at_most

    path = tmp_path / "f"
    for size in (0, 1, 9, 10, 11, 50):
        path.write_bytes(bytes(range(size)))
        for expected in (0, 1, 5, 10, 11, 100):
            assert read_at_most(path, 10, expected) == bytes(range(min(size, 11)))


def test_read_at_most_reads_on_after_short_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read may return fewer bytes than asked for before the end of a file: it is asked again."""
    from kliping.read import limits

    real_read = os.read
    calls = []

    def dribble(fd: int, n: int) -> bytes:
        calls.append(n)
        return real_read(fd, min(n, 3))

    monkeypatch.setattr(limits.os, "read", dribble)
    path = tmp_path / "f"
    for size in (0, 2, 7, 10, 11, 50):
        path.write_bytes(bytes(range(size)))
        for expected in (0, 4, 10, 100):
            assert limits.read_at_most(path, 10, expected) == bytes(range(min(size, 11)))
    assert max(calls) > 3  # the reads asked for more than they got


def test_read_at_most_does_not_wait_on_a_fifo(tmp_path: Path) -> None:
    """A file swapped for a named pipe after it was listed reads as empty at once, not as a run
    that hangs waiting for a writer."""
    from kliping.read.limits import read_at_most

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(read_at_most(fifo, 10, 5)), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive() and got == [b""]


def test_jsonl_lines_each_end_somewhere(raw: Path, rules: RuleSet) -> None:
    good_text = text_page(40)
    lines: list[bytes] = [
        json.dumps({"url": "https://kabar.example.id/1", "text": good_text}).encode(),  # 1
        b"{not json at all",  # 2
        json.dumps({"url": "https://kabar.example.id/3", "fetched_at": "2024-10-24T06:52:00Z"}).encode(),  # 3
        json.dumps(["an", "array"]).encode(),  # 4
        json.dumps({"html": 42}).encode(),  # 5
        json.dumps({"text": "   "}).encode(),  # 6
        b'{"text": "x", "n": ' + b"9" * 5000 + b"}",  # 7: an integer Python refuses to convert
        b"[" * 100_000 + b"]" * 100_000,  # 8: deeper than the recursion limit
        b'{"text": "caf\xe9"}',  # 9: not UTF-8
        b"",  # 10: blank lines are skipped, not rejected
        json.dumps({"text": "a" * LIMIT}).encode(),  # 11: longer than the record limit
        # 12: a javascript: URL is not trusted; the page's canonical URL is used instead
        json.dumps({
            "url": "javascript:alert(1)",
            "html": html_page(41, head='<link rel="canonical" href="https://kabar.example.id/12">'),
        }).encode(),
        json.dumps({"url": "file:///etc/passwd", "text": text_page(42)}).encode(),  # 13
        # 14: lone surrogates in the text and the URL; an impossible fetched_at
        b'{"url": "https://kabar.example.id/\\udc00", "fetched_at": "0001-01-01T00:00:00+01:00", "text": '
        + json.dumps(text_page(43) + " rusak \ud800 di sini").encode("utf-8", "surrogatepass") + b"}",
        json.dumps({"url": "https://kabar.example.id/15", "text": text_page(44)}).encode(),  # 15
    ]  # fmt: skip
    (raw / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    results = outcomes(raw, rules)
    r = {int(rec): v for (_, rec), v in results.items() if rec is not None}
    assert sorted(r) == [n for n in range(1, 16) if n != 10]
    assert assert_article(r[1], "Café").source_url == "https://kabar.example.id/1"
    assert_reject(r[2], RejectReason.MALFORMED, "line 2", "not valid JSON")
    assert_reject(r[3], RejectReason.MALFORMED, "neither 'html' nor 'text'")
    assert r[3].source_record == "3" and r[3].raw_sha256
    assert_reject(r[4], RejectReason.MALFORMED, "not an object")
    assert_reject(r[5], RejectReason.MALFORMED, "int")
    assert_reject(r[6], RejectReason.EMPTY)
    assert_reject(r[7], RejectReason.MALFORMED, "digits")
    assert_reject(r[8], RejectReason.MALFORMED, "nested too deeply")
    assert_reject(r[9], RejectReason.UNDECODABLE, "not UTF-8")
    assert_reject(r[11], RejectReason.TOO_LARGE, "line longer than")
    assert assert_article(r[12], "Café").source_url == "https://kabar.example.id/12"
    assert assert_article(r[13], "Café").source_url is None
    a14 = assert_article(r[14], "Café", "rusak \ufffd di sini")
    assert a14.source_url is None and a14.fetched_at is None
    assert assert_article(r[15], "Café").source_url == "https://kabar.example.id/15"


def test_jsonl_broken_gzip_keeps_the_lines_before(raw: Path, rules: RuleSet) -> None:
    body = "".join(json.dumps({"text": text_page(50 + i)}) + "\n" for i in range(3)).encode()
    packed = gzip.compress(body)
    (raw / "cut.jsonl.gz").write_bytes(packed[: len(packed) - 10])
    (raw / "empty.jsonl").write_bytes(b"")
    (raw / "empty.jsonl.gz").write_bytes(b"")
    results = outcomes(raw, rules)
    cut = {k[1]: v for k, v in results.items() if k[0] == "cut.jsonl.gz"}
    assert sum(isinstance(v, Article) for v in cut.values()) >= 2
    assert [v.reason for v in cut.values() if isinstance(v, Reject)] == [RejectReason.MALFORMED]
    assert_reject(results[("empty.jsonl", None)], RejectReason.EMPTY, "no records")
    assert_reject(results[("empty.jsonl.gz", None)], RejectReason.EMPTY)


def test_sidecars(raw: Path, tmp_path: Path, rules: RuleSet) -> None:
    cases: dict[str, bytes | None] = {
        "not-json.txt": b"{url: nope",
        "array.txt": b'["https://kabar.example.id/x"]',
        "huge-int.txt": b'{"n": ' + b"1" * 5000 + b"}",
        "deep.txt": b"[" * 100_000,
        "latin1.txt": '{"url": "https://kabar.example.id/café"}'.encode("latin-1"),
        "too-big.txt": b'{"pad": "' + b"x" * 1_100_000 + b'"}',
        "js-url.txt": b'{"url": "javascript:alert(1)", "fetched_at": "2024-10-24T06:52:00+07:00"}',
        "no-host.txt": b'{"url": "https://", "fetched_at": "9999-12-31T23:59:59-01:00"}',
        "ctrl-url.txt": b'{"url": "https://kabar.example.id/\\u0000x"}',
        "good.txt": b'{"url": "https://kabar.example.id/ok", "fetched_at": "2024-10-24T06:52:00+07:00"}',
        "linked.txt": None,
    }
    for i, (name, sidecar) in enumerate(cases.items()):
        (raw / name).write_text(text_page(60 + i))
        if sidecar is not None:
            (raw / f"{name}.meta.json").write_bytes(sidecar)
    (tmp_path / "outside.meta.json").write_text('{"url": "https://elsewhere.example/secret"}')
    (raw / "linked.txt.meta.json").symlink_to(tmp_path / "outside.meta.json")
    results = outcomes(raw, rules)
    assert_reject(
        results[("not-json.txt", None)], RejectReason.MALFORMED, "not-json.txt.meta.json", "not valid JSON"
    )
    assert_reject(results[("array.txt", None)], RejectReason.MALFORMED, "not an object")
    assert_reject(results[("huge-int.txt", None)], RejectReason.MALFORMED, "digits")
    assert_reject(results[("deep.txt", None)], RejectReason.MALFORMED, "nested too deeply")
    assert_reject(results[("latin1.txt", None)], RejectReason.MALFORMED, "not UTF-8")
    assert_reject(results[("too-big.txt", None)], RejectReason.MALFORMED, "larger than")
    assert_reject(results[("linked.txt", None)], RejectReason.REFUSED, "leaves the raw folder")
    js = assert_article(results[("js-url.txt", None)], "Café")
    assert js.source_url is None and js.fetched_at is not None and js.fetched_at.hour == 23
    no_host = assert_article(results[("no-host.txt", None)])
    assert no_host.source_url is None and no_host.fetched_at is None
    assert assert_article(results[("ctrl-url.txt", None)]).source_url is None
    assert assert_article(results[("good.txt", None)]).source_url == "https://kabar.example.id/ok"


# ---------------------------------------------------------------------------------------------
# Hostile HTML: deep, explosive, huge, crowded


def test_deeply_nested_html(raw: Path, rules: RuleSet) -> None:
    article = "".join(f"<p>{p}</p>" for p in paragraphs(70))
    (raw / "deep.html").write_text(
        "<html><body>" + "<div>" * 100_000 + article + "</div>" * 100_000 + "</body></html>"
    )
    (raw / "deep-unclosed.html").write_text("<html><body>" + "<div><span>" * 50_000 + article)
    (raw / "deep-after.html").write_text(
        f"<html><body><article>{article}</article>" + "<div>" * 100_000 + "</body></html>"
    )
    results = outcomes(raw, rules, ReadLimits(5_000_000))
    assert_reject(results[("deep.html", None)], RejectReason.NO_ARTICLE, "nested too deeply")
    assert_reject(results[("deep-unclosed.html", None)], RejectReason.NO_ARTICLE, "nested too deeply")
    assert_article(results[("deep-after.html", None)], "Café", "Rp 5.000 — naik")


def test_entity_bomb_is_not_expanded(raw: Path, rules: RuleSet) -> None:
    entities = ['<!ENTITY a0 "' + "ha" * 50 + '">'] + [
        f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">' for i in range(1, 10)
    ]
    doctype = "<!DOCTYPE html [" + "".join(entities) + "]>"
    page = (
        html_page(80)
        .replace("<html>", doctype + "<html>")
        .replace("</h1>", "</h1><p>Bom &a9;&a9; selesai</p>")
    )
    (raw / "bomb.html").write_text(page)
    (raw / "amp.html").write_text(
        html_page(81).replace("</h1>", "</h1><p>" + "&amp;&lt;&#233;&eacute; " * 100_000 + "</p>")
    )
    started = time.perf_counter()
    results = outcomes(raw, rules, ReadLimits(5_000_000))
    assert time.perf_counter() - started < HANG_GUARD_S
    bomb = assert_article(results[("bomb.html", None)], "Café")
    assert len(bomb.text) < 20_000 and "hahaha" not in bomb.text
    assert isinstance(results[("amp.html", None)], Article | Reject)


def test_huge_page_is_extracted(raw: Path, rules: RuleSet) -> None:
    rng = random.Random(90)
    paras = "".join(f"<p>{' '.join(article_body(rng, 1))}</p>" for _ in range(6000))
    page = html_page(91).replace("</article>", paras + "</article>")
    assert len(page) > 2_000_000
    (raw / "huge.html").write_text(page)
    started = time.perf_counter()
    result = one(raw, rules, "huge.html", ReadLimits(5_000_000))
    assert time.perf_counter() - started < HANG_GUARD_S
    assert_article(result, "Café")


def test_tag_with_too_many_attributes_is_refused_quickly(raw: Path, rules: RuleSet) -> None:
    # libxml2 takes quadratic time, in C, over the attributes of one tag: minutes for this page
    attrs = " ".join(f'a{i}=">"' for i in range(100_000))
    (raw / "crowded.html").write_text(html_page(95).replace("<article>", f"<article><div {attrs}>"))
    (raw / "fine.html").write_text(html_page(96).replace("<article>", '<article><div class="a" id="b">'))
    started = time.perf_counter()
    results = outcomes(raw, rules, ReadLimits(5_000_000))
    assert time.perf_counter() - started < HANG_GUARD_S
    assert_reject(
        results[("crowded.html", None)],
        RejectReason.EXTRACT_ERROR,
        "100000 attributes",
        str(MAX_TAG_ATTRIBUTES),
    )
    assert_article(results[("fine.html", None)], "Café")


def test_head_scans_stay_linear() -> None:
    # "<meta " without a ">" used to make both searches quadratic: minutes for 200 KB
    for spam in ("<meta ", "<link ", "<meta property='og:url' "):
        page = spam * 40_000 + html_page(97)
        started = time.perf_counter()
        assert page_url(page) is None
        assert published_meta(page) is None
        assert time.perf_counter() - started < HANG_GUARD_S, spam
    head = (
        '<link rel="canonical" href="https://kabar.example.id/a"><meta property="article:published_time" '
        'content="0001-01-01T00:00:00+01:00">'
    )
    assert page_url(head) == "https://kabar.example.id/a"
    assert published_meta(head) is None  # out of range once made UTC: no date, no crash


def test_impossible_text_date_does_not_stop_a_record(rules: RuleSet) -> None:
    text = text_page(98) + "Peristiwa itu terjadi Senin (01/01/0001) menurut arsip.\n"
    result = process_record(RawRecord("old.txt", None, InputKind.TEXT, text.encode()), rules, TIMEOUT_S)
    assert isinstance(result, Article | Reject)


# ---------------------------------------------------------------------------------------------
# The per-record time limit


def _sleep_extraction(*args: Any, **kwargs: Any) -> Any:
    time.sleep(30)
    raise AssertionError("the time limit did not stop the extraction")


def _swallowing_extraction(*args: Any, **kwargs: Any) -> Any:
    # library code that catches every Exception must not disable the limit
    for _ in range(3):
        with contextlib.suppress(Exception):
            time.sleep(30)
    raise AssertionError("the time limit did not stop the extraction")


def html_record(seed: int, name: str = "page.html") -> RawRecord:
    return RawRecord(name, None, InputKind.HTML, html_page(seed).encode())


@pytest.mark.parametrize("fake", [_sleep_extraction, _swallowing_extraction])
def test_hanging_extraction_times_out_in_the_main_thread(
    fake: Any, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler_before = signal.getsignal(signal.SIGALRM)
    real = trafilatura.bare_extraction
    monkeypatch.setattr(trafilatura, "bare_extraction", fake)
    started = time.perf_counter()
    result = process_record(html_record(100), rules, 0.3)
    assert time.perf_counter() - started < HANG_GUARD_S
    assert_reject(result, RejectReason.TIMEOUT, "0.3 s")
    # the limit leaves nothing behind: no timer, the previous handler, the next record fine
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == handler_before
    monkeypatch.setattr(trafilatura, "bare_extraction", real)
    assert_article(process_record(html_record(101), rules, TIMEOUT_S), "Café")


def test_nested_time_limits_give_the_outer_one_back() -> None:
    with pytest.raises(BaseException) as caught, time_limit(0.4):
        with time_limit(5):
            pass
        time.sleep(5)
    assert type(caught.value).__name__ == "RecordTimeout"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_batch_time_limit_stops_each_hanging_record_and_leaves_nothing_behind(
    rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """process_batch's limit: SIGALRM's handler installed once for many records; each record
    that hangs (even one swallowing the first RecordTimeout) is stopped, the others are not."""
    handler_before = signal.getsignal(signal.SIGALRM)
    real = trafilatura.bare_extraction
    text = RawRecord("t.txt", None, InputKind.TEXT, text_page(105).encode())
    with batch_time_limit(0.3) as limit:
        assert signal.getsignal(signal.SIGALRM) != handler_before  # the batch owns the signal
        results = []
        for fake in (_sleep_extraction, _swallowing_extraction):
            monkeypatch.setattr(trafilatura, "bare_extraction", fake)
            started = time.perf_counter()
            results.append(process_record(html_record(100), rules, 0.3, limit))
            assert time.perf_counter() - started < HANG_GUARD_S
        monkeypatch.setattr(trafilatura, "bare_extraction", real)
        time.sleep(0.7)  # between records no timer runs: nothing is raised here
        after = process_record(text, rules, 0.3, limit)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    for result in results:
        assert_reject(result, RejectReason.TIMEOUT, "0.3 s")
    assert_article(after, "Café")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == handler_before


def test_a_batch_time_limit_inside_another_limit_gives_it_back() -> None:
    # the batch cannot own SIGALRM while an enclosing timer runs: each record gets a time_limit
    with pytest.raises(BaseException) as caught, time_limit(0.4):
        with batch_time_limit(5) as limit:
            with limit:
                pass
            with limit:
                pass
        time.sleep(5)
    assert type(caught.value).__name__ == "RecordTimeout"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_batch_time_limit_in_a_worker_thread(rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trafilatura, "bare_extraction", _busy_extraction)

    def in_thread() -> tuple[Any, Any, Any]:
        with batch_time_limit(0.3) as limit:
            results = [process_record(html_record(106 + i), rules, 0.3, limit) for i in range(2)]
        return results[0], results[1], signal.getsignal(signal.SIGALRM)

    handler_before = signal.getsignal(signal.SIGALRM)
    with ThreadPoolExecutor(1) as pool:
        first, second, handler = pool.submit(in_thread).result(timeout=60)
    assert_reject(first, RejectReason.TIMEOUT, "0.3 s")
    assert_reject(second, RejectReason.TIMEOUT, "0.3 s")
    assert handler == handler_before


def _busy_extraction(*args: Any, **kwargs: Any) -> Any:
    # Python-level work that never ends (each short sleep returns to the interpreter)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            time.sleep(0.01)
    raise AssertionError("the time limit did not stop the extraction")


def test_hanging_extraction_times_out_in_a_worker_thread(
    rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dask and Prefect's thread runner run batches in threads, where no signal reaches
    monkeypatch.setattr(trafilatura, "bare_extraction", _busy_extraction)

    def in_thread() -> tuple[Any, float, Any]:
        started = time.perf_counter()
        result = process_record(html_record(102), rules, 0.3)
        elapsed = time.perf_counter() - started
        time.sleep(1.0)  # nothing raised here later: the limit left nothing behind
        return (
            result,
            elapsed,
            process_record(RawRecord("t.txt", None, InputKind.TEXT, text_page(103).encode()), rules, 5),
        )

    with ThreadPoolExecutor(1) as pool:
        result, elapsed, after = pool.submit(in_thread).result(timeout=30)
    assert elapsed < 25  # stopped by the limit, not by the fake extraction's own 30 s deadline
    assert_reject(result, RejectReason.TIMEOUT, "0.3 s")
    assert_article(after, "Café")


def _slow_worker_init() -> None:
    """Worker initializer: pages holding the marker named by the environment hang in extraction.

    Reads the environment here, in the test's own hook, never in library code.
    """
    marker = os.environ.get(SLOW_MARKER_ENV)
    if not marker:
        return
    # Warm the worker (the extractor and language models load on first use), so that a
    # short limit measures the hang, not the start-up.
    process_record(html_record(0), load_rules(), 0)
    real = trafilatura.bare_extraction

    def slow(html: Any, *args: Any, **kwargs: Any) -> Any:
        page = html if isinstance(html, str) else lxml.etree.tostring(html, encoding="unicode")
        if marker in page:
            time.sleep(60)
        return real(html, *args, **kwargs)

    trafilatura.bare_extraction = slow


def test_process_batch_enforces_the_limit_in_a_spawned_worker(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "kliping-test-hang-7f3a"
    (raw / "a-good.html").write_text(html_page(110))
    (raw / "b-hangs.html").write_text(html_page(111).replace("</article>", f"<p>{marker}</p></article>"))
    (raw / "c-good.txt").write_text(text_page(112))
    staging = tmp_path / "staging"
    staging.mkdir()
    spec = BatchSpec(
        index=0,
        raw_dir=str(raw),
        files=tuple(discover(raw)),
        staging_dir=str(staging),
        flow_run_id="test-flow-run",
        config=RunConfig(workers=1, record_timeout_s=1, max_record_bytes=LIMIT),
    )
    monkeypatch.setenv(SLOW_MARKER_ENV, marker)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_slow_worker_init) as pool:
        summary = pool.submit(process_batch, spec).result(timeout=60)
    rejected = pq.read_table(summary.rejects_path).to_pylist() if summary.rejects_path else []
    assert summary.articles == 2 and summary.rejects == 1, rejected
    assert summary.counts["reject.timeout"] == 1
    assert summary.rejects_path is not None
    rejects = pq.read_table(summary.rejects_path).to_pylist()
    assert [(r["source_path"], r["reason"]) for r in rejects] == [("b-hangs.html", "timeout")]


# ---------------------------------------------------------------------------------------------
# Files: symlinks, odd names, things that are not files


def test_symlinks_and_special_files(raw: Path, tmp_path: Path, rules: RuleSet) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(text_page(120))
    (raw / "real.txt").write_text(text_page(121))
    (raw / "to-outside.txt").symlink_to(outside / "secret.txt")
    (raw / "relative-escape.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (raw / "to-inside.txt").symlink_to("real.txt")
    (raw / "dangling.txt").symlink_to("nowhere.txt")
    (raw / "loop-a.txt").symlink_to("loop-b.txt")
    (raw / "loop-b.txt").symlink_to("loop-a.txt")
    (raw / "dir-outside").symlink_to(outside, target_is_directory=True)  # not followed
    (raw / "dir-named-like-a-page.html").symlink_to(outside, target_is_directory=True)
    (raw / "inner").mkdir()
    (raw / "dir-inside.txt").symlink_to(raw / "inner", target_is_directory=True)
    os.mkfifo(raw / "pipe.html")  # opening it would block forever
    with time_limit(10):
        results = outcomes(raw, rules)
    assert_reject(results[("to-outside.txt", None)], RejectReason.REFUSED, "leaves the raw folder")
    assert_reject(results[("relative-escape.txt", None)], RejectReason.REFUSED, "leaves the raw folder")
    assert_reject(results[("dangling.txt", None)], RejectReason.UNREADABLE, "broken symlink")
    assert_reject(results[("loop-a.txt", None)], RejectReason.REFUSED, "symlink loop")
    assert_reject(results[("loop-b.txt", None)], RejectReason.REFUSED, "symlink loop")
    assert_reject(results[("pipe.html", None)], RejectReason.REFUSED, "not a regular file", "FIFO")
    assert_reject(
        results[("dir-named-like-a-page.html", None)], RejectReason.REFUSED, "leaves the raw folder"
    )
    assert_reject(results[("dir-inside.txt", None)], RejectReason.REFUSED, "not a regular file", "directory")
    assert_article(results[("real.txt", None)], "Café")
    assert_article(results[("to-inside.txt", None)], "Café")
    assert not any("secret" in path or path.startswith("dir-outside") for path, _ in results)


def test_awkward_file_names(raw: Path, rules: RuleSet) -> None:
    names = ["with space.txt", "ünïcödé ✓.txt", "-leading-dash.txt", "--.html", "tab\there.txt"]
    for i, name in enumerate(names):
        data = html_page(130 + i) if name.endswith(".html") else text_page(130 + i)
        (raw / name).write_text(data)
    (raw / "with space.txt.meta.json").write_text('{"url": "https://kabar.example.id/spasi"}')
    bad = os.fsencode(raw) + b"/latin1-\xe9.txt"  # a name that is not UTF-8
    with open(bad, "wb") as fh:
        fh.write(text_page(140).encode())
    results = outcomes(raw, rules)
    for name in names:
        assert_article(results[(name, None)], "Café")
    assert results[("with space.txt", None)].source_url == "https://kabar.example.id/spasi"
    assert_article(results[("latin1-\\xe9.txt", None)], "Café")


# ---------------------------------------------------------------------------------------------
# A whole run over all of it: nothing stops it, nothing is lost


def test_a_run_over_hostile_input_accounts_for_every_record(raw: Path, tmp_path: Path) -> None:
    (raw / "cp1252.html").write_bytes(html_page(150, head='<meta charset="utf-8">').encode("cp1252"))
    (raw / "utf16.txt").write_bytes(text_page(151).encode("utf-16"))
    (raw / "garbage.html").write_bytes(random.Random(152).randbytes(3000))
    (raw / "deep.html").write_text("<html><body>" + "<div>" * 40_000 + "</body></html>")
    (raw / "big.txt").write_text(text_page(153) * 2000)
    (raw / "truncated.html.gz").write_bytes(gzip.compress(html_page(154).encode())[:-8])
    (raw / "feed.jsonl").write_bytes(
        b"{oops\n"
        + json.dumps({"url": "ftp://kabar.example.id/x", "text": text_page(155)}).encode()
        + b"\n"
        + b'{"text": "' + text_page(156).encode().replace(b"\n", b"\\n") + b' \\ud800"}\n'
    )  # fmt: skip
    with open(os.fsencode(raw) + b"/nama-\xff.txt", "wb") as fh:  # stored as nama-\xff.txt
        fh.write(text_page(157).encode())
    (tmp_path / "secret.txt").write_text(text_page(159))
    (raw / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (raw / "page.txt").write_text(text_page(158))
    (raw / "page.txt.meta.json").write_text("{broken")
    summary = run_local(
        raw, tmp_path / "out", RunConfig(workers=0, max_record_bytes=LIMIT, record_timeout_s=10)
    )
    articles = pq.ParquetDataset(tmp_path / "out" / "articles").read().to_pylist()
    rejects = pq.ParquetDataset(tmp_path / "out" / "rejects").read().to_pylist()
    reasons = {(r["source_path"], r["source_record"]): r["reason"] for r in rejects}
    assert reasons == {
        ("garbage.html", None): "undecodable",
        ("deep.html", None): "no_article",
        ("big.txt", None): "too_large",
        ("truncated.html.gz", None): "malformed",
        ("feed.jsonl", "1"): "malformed",
        ("escape.txt", None): "refused",
        ("page.txt", None): "malformed",
    }
    by_key = {(a["source_path"], a["source_record"]): a for a in articles}
    assert set(by_key) == {
        ("cp1252.html", None), ("utf16.txt", None), ("feed.jsonl", "2"), ("feed.jsonl", "3"),
        ("nama-\\xff.txt", None),
    }  # fmt: skip
    assert all("Café" in a["text"] and "Rp 5.000 — naik" in a["text"] for a in articles)
    assert by_key[("feed.jsonl", "2")]["source_url"] is None  # an ftp: URL is not trusted
    assert "\ufffd" in by_key[("feed.jsonl", "3")]["text"]  # a lone surrogate is no text
    assert summary.count("read.records") == len(articles) + len(rejects) == 12
