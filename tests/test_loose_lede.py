"""A lede written as loose text before the body's first paragraph is kept, on pages built here
in the shapes the dev pages show (kapanlagi, viva, kompas), and nothing else is rewrapped."""

from __future__ import annotations

import random

import lxml.etree
import lxml.html
import trafilatura
from corpus import article_body, sentence

from kliping.extract import _CONFIG, extract
from kliping.loose_lede import wrap_loose_lede
from kliping.records import Extracted, InputKind, RawRecord

LEDE = (
    "Pemerintah kota memutuskan menambah armada bus listrik untuk melayani warga di pinggiran. "
    "Keputusan itu diumumkan wali kota setelah rapat bersama dewan pada Senin malam."
)


def page(body: str) -> bytes:
    nav = "".join(f'<li><a href="/kanal/{i}">Kanal {i}</a></li>' for i in range(10))
    related = "".join(f'<li><a href="/berita/{i}">Berita lain nomor {i} hari ini</a></li>' for i in range(6))
    return (
        "<html><head><title>Armada bus listrik bertambah</title></head><body>"
        f"<nav><ul>{nav}</ul></nav><h1>Armada bus listrik bertambah</h1>{body}"
        f"<aside><h3>Terpopuler</h3><ul>{related}</ul></aside><footer><p>Kabar Satu, 2024.</p></footer>"
        "</body></html>"
    ).encode()


def lines(html: bytes) -> list[str]:
    result = extract(RawRecord("p.html", None, InputKind.HTML, html))
    assert isinstance(result, Extracted), result
    return result.lines


def tree_of(fragment: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{fragment}</body></html>")


def test_lede_before_paragraphs_is_kept(rng: random.Random) -> None:
    """kapanlagi: `<div><b>Outlet</b> - <a>Name</a>, lede …<p>…` (and the broken `<p><p>`)."""
    paras = "<p><p>".join(article_body(rng, 6))
    name, rest = LEDE.split(" ", 1)
    lede = f'<a href="/tag/{name}"><b>{name}</b></a> {rest}'
    html = page(f'<div class="detail"><b>Kabar Satu</b> - {lede}<p><p>{paras}</div>')
    assert LEDE.split(". ")[1][:40] in "\n".join(lines(html))


def test_lede_before_div_paragraphs_is_kept(rng: random.Random) -> None:
    """viva: `<span itemprop=articleBody><strong>Outlet</strong> - lede<div><br/></div><div>…`."""
    divs = "<div><br/></div>".join(f"<div>{p}</div>" for p in article_body(rng, 6))
    html = page(
        f'<span itemprop="articleBody"><strong>Kabar Satu</strong> - {LEDE}<div><br/></div>{divs}</span>'
    )
    text = "\n".join(lines(html))
    assert LEDE[:60] in text and LEDE[-50:] in text


def test_loose_runs_beside_paragraphs_are_kept(rng: random.Random) -> None:
    """kompas: `<div><br/><strong>Place</strong> – lede<br/><br/>second paragraph<p>…`."""
    second = " ".join(sentence(rng, 14) for _ in range(2))
    paras = "".join(f"<p>{p}</p>" for p in article_body(rng, 6))
    html = page(f'<div class="read"><br/><strong>Jakarta</strong> – {LEDE}<br/><br/>{second}{paras}</div>')
    text = "\n".join(lines(html))
    assert LEDE[:60] in text and second[:60] in text


def test_short_label_first_run_is_left_alone() -> None:
    tree = tree_of("<div>Jakarta - <p>Satu kalimat yang panjang sekali.</p></div>")
    before = lxml.etree.tostring(tree)
    assert wrap_loose_lede(tree) == 0
    assert lxml.etree.tostring(tree) == before


def test_box_without_block_children_is_left_alone() -> None:
    tree = tree_of(f"<div><b>Kabar Satu</b> - {LEDE}</div>")
    assert wrap_loose_lede(tree) == 0


def test_opening_run_is_wrapped_with_its_inline_elements_in_order() -> None:
    tree = tree_of(f'<div><b>Kabar</b> - <a href="/x">{LEDE}</a> selesai.<p>Paragraf dua.</p></div>')
    assert wrap_loose_lede(tree) == 1
    box = tree.find(".//div")
    assert [child.tag for child in box] == ["p", "p"]
    assert box[0].text_content() == f"Kabar - {LEDE} selesai."
    assert not (box.text or "").strip()


def test_br_only_box_wraps_only_its_first_run() -> None:
    """<br>-separated runs with no <p> beside them: trafilatura keeps those; wrapping them all
    made it take that one box for the whole article (antara-singlepage4)."""
    runs = "<br/><br/>".join([LEDE, LEDE.upper(), LEDE.lower()])
    tree = tree_of(f"<div>{runs}</div>")
    assert wrap_loose_lede(tree) == 1
    box = tree.find(".//div")
    assert [child.tag for child in box] == ["p", "br", "br", "br", "br"]
    assert box[2].tail and box[2].tail.startswith(LEDE.upper()[:20])


def test_plain_paragraph_pages_are_extracted_as_before(rng: random.Random) -> None:
    """Where there is no loose text, the repair changes nothing: kliping's body is trafilatura's."""
    paras = "".join(f"<p>{p}</p>" for p in article_body(rng, 8))
    html = page(f"<article>{paras}</article>")
    vanilla = trafilatura.bare_extraction(
        html.decode(), with_metadata=True, include_tables=True, config=_CONFIG
    )
    assert vanilla is not None
    assert lines(html) == [line.strip() for line in vanilla.text.split("\n") if line.strip()]
