"""Section fronts and headline lists are rejected as no_article; articles with link boxes are not."""

from __future__ import annotations

import random
from typing import Any

from corpus import article_body, sentence
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from trafilatura.utils import load_html

from kliping import front_page
from kliping.extract import extract
from kliping.front_page import person_author
from kliping.records import Extracted, InputKind, RawRecord, Reject, RejectReason


def teaser_card(rng: random.Random, i: int) -> str:
    headline = sentence(rng, 8)[:-1]
    summary = " ".join(sentence(rng) for _ in range(2))
    return f'<div class="card"><h3><a href="/berita/{i}">{headline}</a></h3><p>{summary}</p></div>'


def page(body: str) -> bytes:
    nav = "".join(f'<li><a href="/kanal/{i}">Kanal {i}</a></li>' for i in range(10))
    return (
        f"<html><head><title>Kabar Satu</title></head><body><nav><ul>{nav}</ul></nav>"
        f"<main>{body}</main><footer><p>Kabar Satu, 2024.</p></footer></body></html>"
    ).encode()


def run(html: bytes) -> Extracted | Reject:
    return extract(RawRecord("p.html", None, InputKind.HTML, html))


def test_section_front_of_teasers_is_no_article(rng: random.Random) -> None:
    front = "".join(teaser_card(rng, i) for i in range(12))
    result = run(page(f'<section class="terkini">{front}</section>'))
    assert isinstance(result, Reject) and result.reason is RejectReason.NO_ARTICLE
    assert "front page" in result.detail


def test_headline_list_without_running_text_is_no_article(rng: random.Random) -> None:
    items = "".join(f'<li><a href="/b/{i}">{sentence(rng, 7)[:-1]}</a></li>' for i in range(40))
    result = run(page(f"<ul>{items}</ul>"))
    assert isinstance(result, Reject) and result.reason is RejectReason.NO_ARTICLE


def test_article_with_related_box_is_an_article(rng: random.Random) -> None:
    paras = "".join(f"<p>{p}</p>" for p in article_body(rng, 7))
    related = "".join(teaser_card(rng, i) for i in range(3))
    html = page(f"<article><h1>Judul berita</h1>{paras}</article><aside>{related}</aside>")
    assert isinstance(run(html), Extracted)


def test_person_author() -> None:
    assert person_author("Pewarta: Nur Imansyah") == "Nur Imansyah"
    assert person_author("Kompas Cyber Media") is None
    assert person_author("PT VIVA MEDIA BARU") is None
    assert person_author(None) is None


def brute_force_index(tree: Any, wanted: set[str], openings: set[str]) -> dict[str, set[str]]:
    """What `teaser_index` must find: every element of the teaser tags looked at, one by one."""
    index: dict[str, set[str]] = {}
    where = tree.getroottree().getpath
    for el in tree.iter(*front_page._TEASER_TAGS):
        if front_page._first_words(el) not in openings:
            continue
        text = el.text_content()
        if 0 < len(text) <= front_page.MAX_TEASER_CHARS * 2 and (key := front_page._norm(text)) in wanted:
            index.setdefault(key, set()).add(where(el))
    return index


def found_index(tree: Any, wanted: set[str], openings: set[str]) -> dict[str, set[str]]:
    where = tree.getroottree().getpath  # elements by their path: lxml makes new proxies
    return {k: {where(e) for e in v} for k, v in front_page.teaser_index(tree, wanted, openings).items()}


_WORDS = ["Jakarta", "ja", "Ja", "karta", "JAKARTA", "Pemerintah", "baru", "ß", "SS", "İstanbul", "the", "a"]
_SPACES = [" ", "", "\n", "\xa0", "  "]
_TAGS = ["p", "div", "span", "a", "b", "li", "section", "em", "i", "u"]


@st.composite
def html_trees(draw: st.DrawFn) -> str:
    """Small pages where text starts in odd places: in tails, after comments and blank boxes,
    split inside a word (`<b>Ja</b>karta`), in other cases, after non-breaking spaces."""

    def text() -> str:
        n = draw(st.integers(0, 4))
        return "".join(draw(st.sampled_from(_SPACES)) + draw(st.sampled_from(_WORDS)) for _ in range(n))

    def node(depth: int) -> str:
        if depth > 3 or draw(st.integers(0, 5)) == 0:
            return draw(st.sampled_from(["<!-- Jakarta baru -->", "<br>", "<img src=x>"])) + text()
        tag = draw(st.sampled_from(_TAGS))
        inner = text() + "".join(node(depth + 1) for _ in range(draw(st.integers(0, 3))))
        return f"<{tag}>{inner}</{tag}>" + text()

    return "<html><body>" + "".join(node(0) for _ in range(draw(st.integers(1, 4)))) + "</body></html>"


@settings(max_examples=300, deadline=None)
@given(html_trees(), st.data())
def test_teaser_index_finds_what_testing_every_element_finds(html: str, data: st.DataObject) -> None:
    tree = load_html(html)
    assume(tree is not None)
    texts = [front_page._norm(el.text_content()) for el in tree.iter(*front_page._TEASER_TAGS)]
    texts = [t for t in texts if t]
    assume(texts)
    chosen = data.draw(st.lists(st.sampled_from(texts), min_size=1, max_size=4))
    lines = [*chosen, *data.draw(st.lists(st.sampled_from(["jakarta baru", "the baru a"]), max_size=2))]
    wanted = {front_page._norm(line) for line in lines}
    openings = {front_page._opening(line) for line in lines}
    assert found_index(tree, wanted, openings) == brute_force_index(tree, wanted, openings)


def test_teaser_index_on_fronts_and_articles(rng: random.Random) -> None:
    """The same on whole generated pages, with the lines an extractor would give and with every
    paragraph-like text of the page as a line."""
    pages = [
        page("".join(teaser_card(rng, i) for i in range(12))),
        page(f"<article>{article_body(rng)}</article><aside>{teaser_card(rng, 1)}</aside>"),
    ]
    for html in pages:
        tree = load_html(html.decode())
        lines = [" ".join(el.text_content().split()) for el in tree.iter("p", "div", "a", "li", "h3")]
        lines = [line for line in lines if line]
        wanted = {front_page._norm(line) for line in lines}
        openings = {front_page._opening(line) for line in lines}
        assert found_index(tree, wanted, openings) == brute_force_index(tree, wanted, openings)
        assert sum(len(v) for v in brute_force_index(tree, wanted, openings).values()) > 5
