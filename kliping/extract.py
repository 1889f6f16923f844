"""Extract step: decoded HTML → article body and metadata with trafilatura; text files pass through.

This is the only module that imports trafilatura. Extraction works on one record
and hands back either an `Extracted` or a `Reject`; it never raises on bad input.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import datetime
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config
from trafilatura.utils import is_dubious_html, repair_faulty_html

from kliping import native
from kliping.dates import parse_iso, parse_local_date
from kliping.front_page import front_page_reason, person_author
from kliping.loose_lede import wrap_loose_lede
from kliping.read.decode import UndecodableError, decode_bytes
from kliping.read.urls import trusted_url
from kliping.records import Extracted, InputKind, RawRecord, Reject, RejectReason
from kliping.time_limits import RecordTimeout

EXTRACTOR_HTML = f"trafilatura {trafilatura.__version__}"
EXTRACTOR_TEXT = "text"
# Below this many characters of body, trafilatura's output is a fragment, not an article.
MIN_ARTICLE_CHARS = 200

_CONFIG = use_config()
# trafilatura's own per-document timeout uses signals from any thread and is unreliable in
# workers; kliping enforces its own limit (see `kliping.time_limits`).
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
# trafilatura's parser (`trafilatura.utils.HTML_PARSER`, same options) but for how lxml picks
# the Python class of each element it hands out: lxml.html's lookup is a Python method, called
# for every element object made (some 6,000 a page, as trafilatura walks and copies the tree);
# this one is lxml's C lookup, with the same classes but for five form tags, which become plain
# HtmlElements (kliping and trafilatura use none of their form methods). 234 → 217 million
# instructions a page of extraction (valgrind); the same output (tests/test_extract_parser.py).
_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_HTML_PARSER.set_element_class_lookup(
    lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
# Only this much of a page is searched for its canonical URL and publication time.
HEAD_CHARS = 200_000
# [^<>] rather than [^>]: with [^>], a run of "<meta <meta <meta …" without a ">" makes the
# search quadratic (minutes for a 200 KB page); with [^<>] every start stops at the next "<".
_CANONICAL = re.compile(
    r"""<link\b[^<>]*?rel=["']canonical["'][^<>]*>|<meta\b[^<>]*?property=["']og:url["'][^<>]*>""",
    re.IGNORECASE,
)
_HREF = re.compile(r"""(?:href|content)=["']([^"']+)["']""", re.IGNORECASE)
_PUBLISHED_META = re.compile(
    r"""<meta\b[^<>]*?(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate|"""
    r"""publishdate|publish-date|dc\.date\.issued|content_PublishedDate)["'][^<>]*>""",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"""content=["']([^"']+)["']""", re.IGNORECASE)

# libxml2 checks each attribute of a tag against all the ones before it: a tag with 100,000
# attributes takes it minutes, in C code that no signal interrupts. Real tags have a few dozen;
# 10,000 take libxml2 about 0.1 s.
MAX_TAG_ATTRIBUTES = 10_000
# A tag start followed by at least this many units (a character, or a quoted value) is counted.
_CROWDED_TAG = re.compile(r"""<[A-Za-z](?=(?:[^<>"']|"[^"]*"|'[^']*'){""" + str(MAX_TAG_ATTRIBUTES) + "})")
_TAG_BODY = re.compile(r"""(?:[^<>"']|"[^"]*"|'[^']*')*""")
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_UNQUOTED_VALUE = re.compile(r"""=\s*[^\s"'=<>`]*""")


def page_url(html: str) -> str | None:
    """The page's own URL from <link rel=canonical> or og:url, when it is http(s)."""
    for tag in _CANONICAL.findall(html[:HEAD_CHARS]):
        m = _HREF.search(tag)
        if m and (url := trusted_url(m.group(1))):
            return url
    return None


def published_meta(html: str) -> datetime | None:
    """A full publication timestamp from the page's meta tags (trafilatura keeps only the day)."""
    for tag in _PUBLISHED_META.findall(html[:HEAD_CHARS]):
        m = _CONTENT.search(tag)
        if m and "T" in m.group(1) and (value := parse_iso(m.group(1))):
            return value
    return None


def crowded_tag(html: str) -> int | None:
    """The attribute count of the first tag with more than MAX_TAG_ATTRIBUTES, if there is one.

    The tags that may be are those `_CROWDED_TAG` matches, or, with the compiled kernels, those
    of them that the kernel finds room in for that many names."""
    lib = native.library()
    starts = native.crowded_tag_starts(lib, html, MAX_TAG_ATTRIBUTES) if lib is not None else None
    for start in starts if starts is not None else (m.start() for m in _CROWDED_TAG.finditer(html)):
        if (attributes := tag_attributes(html, start)) > MAX_TAG_ATTRIBUTES:
            return attributes
    return None


def tag_attributes(html: str, start: int) -> int:
    """How many attribute names the tag starting at `html[start]` (its "<") holds, as libxml2
    would see them: the words of the tag, quoted values taken for one letter and `=value`
    for a space, less the tag's name."""
    body = _TAG_BODY.match(html, start + 1)
    tag = body.group() if body else ""
    return len(_UNQUOTED_VALUE.sub(" ", _QUOTED.sub("v", tag)).split()) - 1


def _parser_gave_up(html: str) -> str | None:
    """Why the HTML parser stopped early (nesting deeper than libxml2 takes), if it did.

    trafilatura only sees the tree up to there, and says no more than that it found no article.
    """
    parser = lxml.etree.HTMLParser()
    with suppress(Exception):
        lxml.etree.fromstring(html, parser)
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            what = "markup nested too deeply" if "depth" in entry.message.lower() else "a parser limit"
            return f"{what}: the HTML parser stopped at line {entry.line} ({entry.message.strip()})"
    return None


def load_html(html: str) -> lxml.html.HtmlElement | None:
    """The page's tree as `trafilatura.utils.load_html` parses a string (its repairs, its
    fallback to bytes, its rejection of what is not HTML), with `_HTML_PARSER`; trafilatura then
    works on this tree and its copies, which keep the parser's element lookup."""
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree = None
    as_bytes = False
    try:
        tree = lxml.html.fromstring(html, parser=_HTML_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        as_bytes = True
    except RecordTimeout:
        raise
    except Exception:  # as trafilatura: parsed again from bytes
        tree = None
    if as_bytes or tree is None or len(tree) < 1:
        tree = _from_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None  # not HTML: trafilatura rejects it too
    return tree


def _from_bytes(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_HTML_PARSER)
    except RecordTimeout:
        raise
    except Exception:
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
    if (attributes := crowded_tag(html)) is not None:
        return Reject.of(
            record,
            RejectReason.EXTRACT_ERROR,
            f"hostile markup: a tag with {attributes} attributes (limit {MAX_TAG_ATTRIBUTES}), "
            "which the HTML parser takes quadratic time over",
        )
    url = record.url or page_url(html)
    # Parsed once, here, for the lede repair, the front-page check and trafilatura, which copies
    # a tree it is given (1.4 ms a page) instead of parsing the text again (5 ms); its output
    # is the same (text, title, author, date, site, url of 1,026 extractions of the dev and
    # bench pages).
    try:
        tree = load_html(html)
    except RecordTimeout:
        raise
    except Exception as exc:  # lxml raises many kinds on hostile markup
        return Reject.of(record, RejectReason.EXTRACT_ERROR, f"{type(exc).__name__}: {exc}")
    doc = None
    if tree is not None:
        wrap_loose_lede(tree)
        doc = _bare_extraction(record, tree, url, favor_precision=False)
    if isinstance(doc, Reject):
        return doc
    if doc is not None and not isinstance(doc, dict) and (reason := front_page_reason(tree, doc.text or "")):
        # a teaser list in the first extraction; a stricter one may still find the article
        retry = _bare_extraction(record, tree, url, favor_precision=True)
        if retry is None or isinstance(retry, Reject | dict) or front_page_reason(tree, retry.text or ""):
            return Reject.of(record, RejectReason.NO_ARTICLE, f"a front page or a list of links: {reason}")
        doc = retry
    if doc is None or isinstance(doc, dict):
        if problem := _parser_gave_up(html):
            return Reject.of(record, RejectReason.NO_ARTICLE, f"no article body before {problem}")
        return Reject.of(record, RejectReason.NO_ARTICLE, "extractor found no article body")
    body = doc.text or ""
    if len(body.strip()) < MIN_ARTICLE_CHARS:
        detail = f"extractor found {len(body.strip())} characters of body text"
        if problem := _parser_gave_up(html):
            detail += f"; {problem}"
        return Reject.of(record, RejectReason.NO_ARTICLE, detail)
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
        author=person_author(doc.author),
        published_at=published,
        published_at_source=source if published else None,
        outlet=_sitename(doc.sitename),
        url=url or trusted_url(doc.url),
    )


def _bare_extraction(record: RawRecord, page: Any, url: str | None, favor_precision: bool) -> Any:
    """trafilatura's extraction with metadata from the parsed page (which trafilatura copies,
    so the page stays as it was for the front-page check); a Reject when it raises on hostile
    markup."""
    try:
        return trafilatura.bare_extraction(
            page,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=favor_precision,
            config=_CONFIG,
        )
    except RecordTimeout:
        raise
    except RecursionError:
        return Reject.of(record, RejectReason.EXTRACT_ERROR, "markup nested too deeply (recursion limit)")
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile markup
        return Reject.of(record, RejectReason.EXTRACT_ERROR, f"{type(exc).__name__}: {exc}")


def _sitename(value: str | None) -> str | None:
    """trafilatura sometimes returns a social profile URL as the site name: that is no name."""
    if not value or "://" in value:
        return None
    return value.strip() or None
