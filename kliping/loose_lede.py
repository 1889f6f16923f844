"""Give a lede written as loose text its own paragraph, so that trafilatura keeps it.

Many Indonesian pages open the article with text that sits directly in the body's box,
before its first paragraph element: `<div class="body"><b>Kapanlagi.com</b> - Brandon …
hiburan tanah air.<p>…`, `<span itemprop="articleBody"><strong>VIVA.co.id</strong> -
Pianis cilik …<div>…`, `<div class="div-read"><br/><strong>Jakarta</strong> – Tahun
depan …<br/><br/>…`. trafilatura extracts the paragraphs after it and drops that opening
run: the lede, the sentences a reader needs most. Measured on the dev pages
(bench/cleaning.py), this lost 13 of 381 content sentences on 5 of 26 Indonesian pages.

The repair works on the parsed tree before trafilatura sees it: in a box that holds loose
text and also block children (or <br>s), the first run of loose text and inline elements,
when it reads as running text (a sentence, at least LEDE_MIN_CHARS), is wrapped in a <p>.
A box whose first run is a short label ("Jakarta -", a byline) is left alone. In a box
that also holds <p>s, the later loose runs that read as prose are wrapped as well; in one
of <br>-separated runs only, they are not: trafilatura keeps those, and turning them all
into paragraphs made it take that one box for the whole article (antara-singlepage4).
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
import lxml.html

LEDE_MIN_CHARS = 80
_INLINE = frozenset(
    "a abbr b big cite em font i label mark q s small span strike strong sub sup time u".split()
)
_SENTENCE = re.compile(r"\w[.!?][\"'”’)]*(?:\s|$)")
# Boxes with a loose text node of their own (text or an inline child's tail): the only
# candidates, found in C rather than by walking every element in Python (a union of one path
# per tag: twice as fast as one path testing each element's tag).
_BOX_TAGS = ("div", "span", "td", "section", "article", "font")
_BOXES = lxml.etree.XPath("|".join(f"//{tag}[text()[normalize-space()]]" for tag in _BOX_TAGS))
_HOLDS_BLOCK = lxml.etree.XPath("boolean(.//p or .//div or .//br or .//table or .//ul or .//ol)")


def _runs(box: Any) -> list[tuple[Any, str | None, list[Any]]]:
    """The box's loose runs in order: (the block child before it or None, its leading text,
    its inline children)."""
    runs: list[tuple[Any, str | None, list[Any]]] = []
    before, text, inline = None, box.text, []
    for child in box:
        inline_tag = isinstance(child.tag, str) and child.tag in _INLINE
        if inline_tag and (not len(child) or not _HOLDS_BLOCK(child)):
            inline.append(child)
            continue
        runs.append((before, text, inline))
        before, text, inline = child, child.tail, []
    runs.append((before, text, inline))
    return runs


def _wrap(box: Any, before: Any, text: str | None, inline: list[Any]) -> None:
    paragraph = lxml.html.Element("p")
    paragraph.text = text
    if before is None:
        box.text = None
        box.insert(0, paragraph)
    else:
        before.tail = None
        before.addnext(paragraph)
    paragraph.extend(inline)  # moves them, tails and all


def _loose_text(text: str | None, inline: list[Any]) -> str:
    return ((text or "") + "".join(el.text_content() + (el.tail or "") for el in inline)).strip()


def _reads_as_prose(text: str) -> bool:
    return len(text) >= LEDE_MIN_CHARS and _SENTENCE.search(text) is not None


def wrap_loose_lede(tree: Any) -> int:
    """Wrap each box's loose opening run in a <p> where it reads as a lede; returns how many
    boxes were repaired. In a box that also holds <p>s, its later loose runs that read as
    prose are wrapped too: beside paragraphs, trafilatura drops loose text wherever it is."""
    repaired = 0
    for box in _BOXES(tree):
        runs = [(run, text) for run in _runs(box) if (text := _loose_text(run[1], run[2]))]
        if not runs or len(box) == sum(len(run[2]) for run, _ in runs):
            continue  # no block child: trafilatura reads the box as one paragraph already
        if not _reads_as_prose(runs[0][1]):
            continue
        beside_paragraphs = box.find("p") is not None
        _wrap(box, *runs[0][0])
        for run, text in runs[1:]:
            if beside_paragraphs and _reads_as_prose(text):
                _wrap(box, *run)
        repaired += 1
    return repaired
