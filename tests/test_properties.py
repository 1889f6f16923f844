"""Property-based tests: whatever bytes, HTML or JSONL arrive, no step crashes.

Random bytes, HTML-ish strings and JSONL lines go through the readers (files written to a
temporary folder), the decoder, the extractor, the cleaner and the whole per-record step.
The only results allowed are RawRecord, Reject, Extracted and Article, and the only
exception the documented UndecodableError from decode_bytes. Derandomized: every run
draws the same examples.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kliping.clean import RuleSet, clean_lines, load_rules
from kliping.extract import extract, page_url, published_meta, split_lines
from kliping.pipeline import process_record
from kliping.read import ReadLimits, discover, read_file
from kliping.read.decode import UndecodableError, decode_bytes, usable_charset
from kliping.read.urls import registered_domain, trusted_url
from kliping.records import Article, Extracted, InputKind, RawRecord, Reject, RejectReason

RULES: RuleSet = load_rules()
LIMITS = ReadLimits(max_record_bytes=50_000)

PROPS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(PROPS, max_examples=60)

# ---------------------------------------------------------------------------------------------
# Strategies

CHARSETS = [
    None, "utf-8", "UTF8", "iso-8859-1", "latin1", "windows-1252", "cp1251", "koi8-r", "shift_jis",
    "gbk", "euc-kr", "utf-16", "utf-16le", "utf-32", "utf-7", "zlib", "rot13", "base64", "hex",
    "idna", "punycode", "unicode_escape", "x-user-defined", "", " ", "'utf-8'", "bogus-charset",
]  # fmt: skip
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "cp1251", "shift_jis", "gbk"]

# Text with what breaks naive code: controls, NUL, surrogate-adjacent planes, RTL, combining marks.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("<>&;\"'=/ \n\t\r\x00\x0b\x0c\x1b\x7f\x85\u2028\ufeff\u200b\u202e–—“”‘’€é")),
    ),
    max_size=200,
)
WORDS = st.lists(
    st.sampled_from(
        "harga beras naik pasar Jakarta Café Rp 5.000 — “kata” pedagang Kamis (24/10/2024) "
        "Baca juga: JAKARTA, kabarsatu.co.id – Editor: Penulis: Artikel ini telah tayang di "
        "WIB 06:52 | sindonews | Ikuti berita terkini di Google News".split()
    ),
    max_size=60,
).map(" ".join)
TAGS = ["html", "head", "body", "meta", "title", "p", "div", "article", "script", "style", "table", "tr",
        "td", "br", "a", "img", "link", "span", "h1", "ul", "li", "nav", "footer", "time", "svg", "math"]  # fmt: skip
ATTRS = ["charset", "content", "property", "name", "rel", "href", "class", "id", "itemprop", "http-equiv"]
ATTR_VALUES = st.one_of(
    st.sampled_from(CHARSETS[1:]),
    st.sampled_from([
        "canonical", "og:url", "article:published_time", "datePublished", "https://kabar.example.id/a",
        "javascript:alert(1)", "0001-01-01T00:00:00+01:00", "2024-10-24T06:52:00+07:00",
        "9999-12-31T23:59:59-01:00", "text/html; charset=iso-8859-1", "http://[::1",
    ]),
    TEXT,
)  # fmt: skip


@st.composite
def tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAGS))
    attrs = draw(st.lists(st.tuples(st.sampled_from(ATTRS), ATTR_VALUES), max_size=4))
    quote = draw(st.sampled_from(['"', "'", ""]))
    rendered = "".join(f" {k}={quote}{v}{quote}" for k, v in attrs)
    closing = draw(st.sampled_from([">", "/>", "", " "]))
    return f"<{name}{rendered}{closing}"


FRAGMENTS = st.one_of(
    tag(),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    WORDS,
    TEXT,
    st.sampled_from([
        "<!DOCTYPE html>", '<!DOCTYPE html [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', "&b;", "&amp;",
        "&#0;", "&#xD800;", "&#99999999;", "&bogus;", "&", "<!--", "-->", "<![CDATA[", "]]>", "<?xml ",
        "?>", "<", ">", "</", "<p", "<meta charset=", "<meta ", "<link ", "\x00", "\ufeff", "<div>" * 300,
    ]),
)  # fmt: skip
HTMLISH = st.lists(FRAGMENTS, max_size=40).map("".join)
# Pages with a real article in them, wrapped in random junk, so that extraction is exercised too.
ARTICLEISH = st.tuples(HTMLISH, st.lists(WORDS, min_size=3, max_size=8), HTMLISH).map(
    lambda t: f"{t[0]}<html><body><article>" + "".join(f"<p>{w}</p>" for w in t[1]) + f"</article>{t[2]}"
)


@st.composite
def encoded(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    value = draw(text)
    encoding = draw(st.sampled_from(ENCODINGS))
    return value.encode(encoding, "replace")  # "replace": lone surrogates and unmappable characters


RAW_BYTES = st.one_of(st.binary(max_size=3000), encoded(HTMLISH), encoded(ARTICLEISH), encoded(TEXT))

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=12,
)
JSON_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "url": st.one_of(ATTR_VALUES, JSON_VALUES),
        "html": st.one_of(HTMLISH, ARTICLEISH, JSON_VALUES),
        "text": st.one_of(WORDS, TEXT, JSON_VALUES),
        "fetched_at": st.one_of(ATTR_VALUES, JSON_VALUES),
        "title": JSON_VALUES,
    },
)
JSONL_LINES = st.one_of(
    JSON_RECORDS.map(lambda d: json.dumps(d).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300).map(lambda b: b.replace(b"\n", b" ")),
    st.sampled_from(
        [b"", b"   ", b"{", b"[" * 5000, b'{"text": 1' + b"0" * 5000 + b"}", b'{"text": "\\ud800"}']
    ),
)

SUFFIXES = [".html", ".htm", ".txt", ".jsonl", ".html.gz", ".txt.gz", ".jsonl.gz", ".warc", ".warc.gz"]
NAMES = st.one_of(
    st.sampled_from(["page", "-dash", "with space", "ünï ✓", "..", "a.meta", "x.html"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=20),
)

# ---------------------------------------------------------------------------------------------
# Checks


def assert_storable(value: str | None) -> None:
    """A string Parquet can hold: valid Unicode, no lone surrogates."""
    if value is not None:
        value.encode("utf-8")


def check_reject(reject: Reject) -> None:
    assert isinstance(reject.reason, RejectReason)
    assert reject.detail and "\n" not in reject.detail
    for value in (reject.source_path, reject.source_record, reject.source_url, reject.detail):
        assert_storable(value)
    if reject.source_url is not None:
        assert trusted_url(reject.source_url) == reject.source_url


def check_record(record: RawRecord) -> None:
    assert isinstance(record.data, bytes)
    assert_storable(record.source_path)
    assert_storable(record.source_record)
    if record.url is not None:
        assert trusted_url(record.url) == record.url
        assert_storable(record.url)
    assert len(record.data) <= LIMITS.max_record_bytes or record.kind is InputKind.HTML


def check_result(result: Any) -> None:
    if isinstance(result, Reject):
        check_reject(result)
    elif isinstance(result, Extracted):
        for line in result.lines:
            assert_storable(line)
            assert "\n" not in line
        for value in (result.title, result.author, result.outlet, result.url):
            assert_storable(value)
    else:
        assert isinstance(result, Article), type(result)
        for value in (result.text, result.title, result.author, result.editor, result.dateline,
                      result.declared_source, result.outlet, result.source_url, result.source_domain):  # fmt: skip
            assert_storable(value)
        assert result.text.strip() and result.word_count == len(result.text.split())


def read_all(raw_dir: Path) -> list[RawRecord | Reject]:
    items: list[RawRecord | Reject] = []
    for raw in discover(raw_dir):
        for item in read_file(raw, LIMITS):
            assert isinstance(item, RawRecord | Reject), type(item)
            assert item.source_path == raw.rel
            if isinstance(item, Reject):
                check_reject(item)
            else:
                check_record(item)
            items.append(item)
    return items


# ---------------------------------------------------------------------------------------------
# Properties


@PROPS
@given(data=RAW_BYTES, hint=st.sampled_from(CHARSETS), is_html=st.booleans())
def test_decode_bytes_returns_text_or_says_undecodable(data: bytes, hint: str | None, is_html: bool) -> None:
    try:
        text, encoding = decode_bytes(data, hint=hint, is_html=is_html)
    except UndecodableError as exc:
        assert str(exc)
        return
    assert isinstance(text, str) and isinstance(encoding, str)
    assert_storable(text)
    if data.startswith(b"\xef\xbb\xbf"):
        assert encoding == "utf-8-sig"


@PROPS
@given(label=st.one_of(st.sampled_from(CHARSETS), TEXT))
def test_usable_charset_only_names_text_codecs(label: str | None) -> None:
    codec = usable_charset(label)
    if codec is not None:
        assert "<meta charset=x>".encode("ascii").decode(codec) == "<meta charset=x>"


@PROPS
@given(
    text=st.one_of(
        TEXT, st.sampled_from(["https://kabar.example.id/a?b=c#d", "HTTPS://X.CO.ID", "http://1.2.3.4:80/"])
    )
)
def test_trusted_urls_are_http_and_have_a_domain_lookup(text: str) -> None:
    url = trusted_url(text)
    if url is not None:
        assert url.lower().startswith(("http://", "https://"))
        assert_storable(url)
        domain = registered_domain(url)
        assert domain is None or isinstance(domain, str)


NAME_PIECES = st.sampled_from(
    [".", "html", "HTM", "htm", "gz", "Gz", "warc", "jsonl", "txt", "a", "meta", "json", "tar", "é", "\udcff"]
)


@PROPS
@given(name=st.one_of(TEXT, st.lists(NAME_PIECES, max_size=6).map("".join)))
@example("x.warc.gz")
@example(".html")
def test_classify_by_last_suffix_is_trying_every_suffix(name: str) -> None:
    """classify's lookup by the last suffix agrees with trying the suffixes longest first."""
    from kliping.read.files import SUFFIX_TYPES, classify

    expected = next(((t, sfx.endswith(".gz")) for sfx, t in SUFFIX_TYPES if name.lower().endswith(sfx)), None)
    assert classify(name) == expected


URL_PIECES = st.sampled_from(
    ["/", "?", "#", "@", ":", "[", "]", "[::1]", ".", "-", "a", "Kabar", "co.id", "80", "99999", " ", "\t",
     "\n", "%20", "\\", "é", "\u3002", "\x00", "\x7f", "~", "'", "<"]
)  # fmt: skip
URLISH = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "ftp", "", " http"]),
    st.sampled_from(["://", "://", ":/", ":"]),
    st.one_of(st.text("aZ09.-", max_size=5), st.lists(URL_PIECES, max_size=4).map("".join)),
    st.sampled_from(["", "", ":", ":80", ":8x", ":99999"]),
    st.lists(URL_PIECES, max_size=5).map("".join),
).map("".join)


@settings(PROPS, max_examples=500)
@given(text=st.one_of(TEXT, URLISH))
@example("http://a/ b")
@example("http://a@b/")
@example("http://[x/")
@example("http://:80/")
def test_plain_urls_are_trusted_as_urlsplit_trusts_them(text: str) -> None:
    """trusted_url's pattern for plain URLs decides as the urlsplit path would."""
    from kliping.read.urls import _trusted_url_slowly

    assert trusted_url(text) == _trusted_url_slowly(text)


@settings(PROPS, max_examples=500)
@given(text=st.one_of(TEXT, URLISH))
@example("http:///x")
@example("HTTP://News.A-B.co.id:8080?q")
@example("http://a.b:")
@example("http://a.b:80:90/")
@example("\x00http://a.b/")
@example("1http://a.b/")
@example("http://user@a.b/")
def test_plain_hosts_are_found_as_urlsplit_finds_them(text: str) -> None:
    """registered_domain's pattern for a URL's host finds what `urlsplit(...).hostname` finds."""
    from urllib.parse import urlsplit

    from kliping.read.urls import _PLAIN_HOST

    value = text.strip().lower()
    m = _PLAIN_HOST.match(value)
    if m is not None:
        assert m.group(1) == (urlsplit(value).hostname or "")


def test_registered_domains_of_urls_and_hosts() -> None:
    from kliping.read.urls import _PLAIN_HOST

    assert _PLAIN_HOST.match("https://news.detik.com/berita/1?x#y") is not None  # the fast path is taken
    assert registered_domain("https://news.detik.com/berita/1?x#y") == "detik.com"
    assert registered_domain(" HTTPS://WWW.Kompas.COM:443 ") == "kompas.com"
    assert registered_domain("http://user@sp-globalindo.co.id/a") == "sp-globalindo.co.id"  # by urlsplit
    assert registered_domain("sp-globalindo.co.id") == "sp-globalindo.co.id"
    assert registered_domain("http:///no-host") is None
    assert registered_domain("localhost") is None


@PROPS
@given(data=RAW_BYTES, kind=st.sampled_from(list(InputKind)), hint=st.sampled_from(CHARSETS))
def test_extract_never_raises(data: bytes, kind: InputKind, hint: str | None) -> None:
    record = RawRecord("p.html", None, kind, data, charset_hint=hint)
    result = extract(record)
    assert isinstance(result, Extracted | Reject)
    check_result(result)


@PROPS
@given(page=st.one_of(HTMLISH, ARTICLEISH))
def test_extract_and_head_scans_on_html_strings(page: str) -> None:
    result = extract(RawRecord("p.html", None, InputKind.HTML, page.encode("utf-8", "replace")))
    check_result(result)
    url = page_url(page)
    assert url is None or trusted_url(url) == url
    published = published_meta(page)
    assert published is None or published.tzinfo is not None


@FEW
@given(page=st.one_of(ARTICLEISH, HTMLISH, WORDS.map(lambda w: w * 5)), kind=st.sampled_from(list(InputKind)))
def test_process_record_ends_in_article_or_reject(page: str, kind: InputKind) -> None:
    result = process_record(RawRecord("p.html", None, kind, page.encode("utf-8", "replace")), RULES, 30.0)
    assert isinstance(result, Article | Reject)
    check_result(result)


@PROPS
@given(
    lines=st.lists(st.one_of(WORDS, TEXT, st.just("")), max_size=30),
    title=st.one_of(st.none(), WORDS, TEXT),
    evidence=st.one_of(WORDS, TEXT, ATTR_VALUES),
)
def test_cleaner_never_raises(lines: list[str], title: str | None, evidence: str) -> None:
    cleaned = clean_lines(lines, RULES, title=title, evidence=evidence)
    assert all(isinstance(p, str) and p.strip() for p in cleaned.paragraphs)
    assert all(isinstance(r["rule"], str) and isinstance(r["text"], str) for r in cleaned.removed)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cleaned.fields.items())


@PROPS
@given(text=TEXT)
def test_cleaner_on_split_text(text: str) -> None:
    cleaned = clean_lines(split_lines(text, keep_blank=True), RULES)
    assert isinstance(cleaned.paragraphs, list)


@PROPS
@given(
    files=st.lists(
        st.tuples(NAMES, st.sampled_from(SUFFIXES), RAW_BYTES, st.one_of(st.none(), st.binary(max_size=200), JSON_RECORDS.map(lambda d: json.dumps(d).encode()))),
        min_size=1,
        max_size=4,
    )
)  # fmt: skip
def test_readers_on_random_files(files: list[tuple[str, str, bytes, bytes | None]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw_dir = Path(tmp)
        written = set()
        for stem, suffix, data, sidecar in files:
            name = stem + suffix
            if name in written or name.startswith("."):
                continue
            payload = data if not suffix.endswith(".gz") or data[:1] == b"\x1f" else gzip.compress(data)
            try:
                (raw_dir / name).write_bytes(payload)
            except OSError:  # a name this filesystem refuses
                continue
            written.add(name)
            if sidecar is not None:
                (raw_dir / (name + ".meta.json")).write_bytes(sidecar)
        items = read_all(raw_dir)
        # every file gives at least one item (a record or a reject): nothing disappears
        assert {i.source_path for i in items} == {r.rel for r in discover(raw_dir)}
        for item in items:
            if isinstance(item, RawRecord):
                check_result(extract(item))


@PROPS
@given(lines=st.lists(JSONL_LINES, max_size=12), gzipped=st.booleans())
def test_jsonl_every_line_is_accounted_for(lines: list[bytes], gzipped: bool) -> None:
    body = b"\n".join(lines) + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("feed.jsonl.gz" if gzipped else "feed.jsonl")
        path.write_bytes(gzip.compress(body) if gzipped else body)
        items = read_all(Path(tmp))
    expected = [str(n) for n, line in enumerate(body.split(b"\n")[:-1], 1) if line.strip()]
    if expected:
        assert [i.source_record for i in items] == expected
    else:
        assert len(items) == 1 and isinstance(items[0], Reject) and items[0].reason is RejectReason.EMPTY
    for item in items:
        if isinstance(item, RawRecord):
            check_result(extract(item))


@FEW
@given(
    name=st.binary(min_size=1, max_size=30).filter(
        lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b"..")
    )
)
def test_any_file_name_gives_a_storable_source_path(name: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.fsencode(tmp) + b"/" + name + b".txt"
        try:
            with open(path, "wb") as fh:
                fh.write(b"Harga beras naik di pasar.")
        except OSError:
            return
        items = read_all(Path(tmp))
    assert len(items) == 1
