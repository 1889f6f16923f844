"""Section fronts and headline lists are rejected as no_article; articles with link boxes are not."""

from __future__ import annotations

import random

from corpus import article_body, sentence

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
