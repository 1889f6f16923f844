"""kliping parses pages as trafilatura does, with a parser whose element lookup runs in C.

`kliping.extract.load_html` repeats `trafilatura.utils.load_html` for a string (its repairs,
its fallback to bytes, its rejection of what is not HTML) with a parser of the same options
whose elements are made without a Python call each. These tests hold it to trafilatura's:
the same tree, the same extraction, for pages that take each of its paths; a trafilatura
upgrade that changes its loader fails here.
"""

from __future__ import annotations

from copy import deepcopy

import lxml.etree
import lxml.html
import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trafilatura.settings import Document
from trafilatura.utils import load_html as trafilatura_load_html

from kliping.extract import load_html

PARAGRAPHS = "".join(
    f"<p>Paragraf {i}: pemerintah daerah mengumumkan harga beras di pasar kota naik tajam pekan ini, "
    f"kata pejabat dinas perdagangan kepada wartawan di kantornya.</p>"
    for i in range(8)
)
ARTICLE = f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Harga beras naik - Kabar Satu</title>
<meta property="og:site_name" content="Kabar Satu">
<meta name="author" content="Budi Santoso">
<meta property="article:published_time" content="2024-10-03T08:00:00+07:00">
<link rel="canonical" href="https://kabarsatu.co.id/berita/1">
<script>var x = "<p>not text</p>";</script><style>p {{ color: red }}</style></head>
<body><!-- a comment --><?php echo 1; ?>
<nav><a href="/">Beranda</a> <a href="/k">Kanal</a></nav>
<form action="/cari"><label for="q">Cari</label><input id="q" name="q" value="beras">
<select name="k"><option>Semua</option></select><textarea name="t">teks &amp; isi</textarea></form>
<article><h1>Harga beras naik</h1>{PARAGRAPHS}
<table><tr><td>Beras</td><td>Rp 14.000</td></tr></table></article>
<footer>&copy; 2024 Kabar Satu</footer></body></html>"""

PAGES = {
    "article": ARTICLE,
    "xml declaration with an encoding (parsed from bytes)": '<?xml version="1.0" encoding="utf-8"?>\n'
    + ARTICLE.split("\n", 1)[1],
    "doctype with a slash on its line": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" />\n'
    + ARTICLE.split("\n", 1)[1],
    "self-closing html tag": '<html lang="id"/>\n<body><article>' + PARAGRAPHS + "</article></body>",
    "control characters": ARTICLE.replace("Paragraf 3", "Para\x00graf\x0b 3\x1f"),
    "no html tag, one block (not HTML)": "<p>Hanya satu paragraf tanpa dokumen.</p>",
    "no markup at all": "Pemerintah mengumumkan harga beras naik.",
    "empty document": "<html></html>",
    "markup only in the head": "<html><head><title>Judul</title></head></html>",
    "fragment of several blocks": "<div>" + PARAGRAPHS + "</div><div><p>Penutup.</p></div>",
    "a lone surrogate (the string parses empty, bytes do not)": "<html>\udcff<body>" + PARAGRAPHS,
    "unclosed tags and stray ends": "<html><body><div><p>Satu<p>Dua</span></div></td>" + PARAGRAPHS,
}


def _serialized(tree: lxml.html.HtmlElement | None) -> bytes | None:
    return None if tree is None else lxml.etree.tostring(tree, encoding="utf-8")


@pytest.mark.parametrize("name", list(PAGES))
def test_the_same_tree_as_trafilatura(name: str) -> None:
    html = PAGES[name]
    ours, theirs = load_html(html), trafilatura_load_html(html)
    assert _serialized(ours) == _serialized(theirs)
    if ours is not None:
        assert all(isinstance(el, lxml.html.HtmlElement) for el in ours.iter(tag=lxml.etree.Element))


@pytest.mark.parametrize("name", ["article", "xml declaration with an encoding (parsed from bytes)"])
def test_the_same_extraction_as_trafilatura(name: str) -> None:
    html = PAGES[name]
    tree = load_html(html)
    assert tree is not None
    ours = trafilatura.bare_extraction(tree, with_metadata=True, include_tables=True)
    theirs = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True)
    assert isinstance(ours, Document) and isinstance(theirs, Document)
    trees = ("body", "commentsbody")  # element objects: compared as serialized
    assert {k: v for k, v in ours.as_dict().items() if k not in trees} == {
        k: v for k, v in theirs.as_dict().items() if k not in trees
    }
    for key in trees:
        assert _serialized(getattr(ours, key)) == _serialized(getattr(theirs, key))
    assert "Paragraf 7" in (ours.text or "") and ours.title == "Harga beras naik"


def test_elements_are_made_without_lxml_html_lookup() -> None:
    """The parser's lookup is lxml's C one: form tags come out as plain HtmlElements (with
    trafilatura's parser, FormElement and the like), everything else as before."""
    tree = load_html(ARTICLE)
    assert tree is not None
    assert type(tree.find(".//form")) is lxml.html.HtmlElement
    assert type(trafilatura_load_html(ARTICLE).find(".//form")) is lxml.html.FormElement  # type: ignore[union-attr]
    assert type(tree.find(".//article")) is lxml.html.HtmlElement
    # copies (trafilatura copies the tree it is given) keep the parser and its lookup
    assert type(deepcopy(tree).find(".//form")) is lxml.html.HtmlElement


TAGS = ["html", "head", "body", "div", "p", "form", "input", "label", "table", "td", "br", "title"]
TOKENS = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"<{t}/>"),
    st.sampled_from(
        ["<!DOCTYPE html>", "<!-- c -->", "<?pi x?>", "&amp;", "&nbsp;", "\x00", "\udcff", "\n", "/>"]
    ),
    st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>', '<meta charset="latin-1">']),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(TOKENS, max_size=30).map("".join))
def test_the_same_tree_as_trafilatura_for_any_markup(html: str) -> None:
    assert _serialized(load_html(html)) == _serialized(trafilatura_load_html(html))
