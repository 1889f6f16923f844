"""Section fronts and link lists are not articles, even when trafilatura extracts text from them.

trafilatura's page type does not tell them apart (it says "article" for kompas.com's front
page). What does: an article has running text of its own, while a front page's sentences
are the teasers of other articles, each in a small box beside a headline link to another
page, and a menu or headline list has no running text at all. Measured on the dev pages
(bench/cleaning.py): every section front is caught, and 206 of 207 article pages pass; the
one flagged really was a teaser list in its first extraction.
"""

from __future__ import annotations

import re
from typing import Any

FRONT_PAGE_TEASER_SHARE = 0.6  # of the running text's characters in teaser cards
FRONT_PAGE_MIN_RUNNING_CHARS = 120  # less running text than this: a list of links, no article
MAX_TEASER_CHARS = 2000  # longer elements are not teaser cards
_RUNNING = re.compile(r"\w[.!?。！？][\"'”’)]*(?:\s|$)")
_TEASER_TAGS = (
    "p", "div", "li", "span", "td", "a", "article", "aside", "section", "figcaption", "strong", "em", "b",
)  # fmt: skip
_TEASER_SET = frozenset(_TEASER_TAGS)
_ROLE = re.compile(r"^(?:pewarta|penulis|reporter|oleh|by|editor|redaktur)\b\s*:?\s*", re.IGNORECASE)
_NOT_A_PERSON = re.compile(r"\b(?:media|cyber|pt|web\s+design|development|group|network|redaksi)\b|;", re.I)


_OPENING_WORDS = 3


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _opening(text: str) -> str:
    return " ".join(text.split()[:_OPENING_WORDS]).casefold()


def _first_words(el: Any) -> str:
    """`_opening` of the element's text, reading only as much of it as that takes: most often
    its own leading text, read without walking the subtree."""
    own = el.text or ""
    if not len(el) or len(own.split(maxsplit=_OPENING_WORDS)) > _OPENING_WORDS:
        return _opening(own)  # no children, or three whole words: itertext (10 µs) not needed
    text = ""
    for piece in el.itertext():
        text += piece
        if len(text.split(maxsplit=_OPENING_WORDS)) > _OPENING_WORDS:  # the last word is whole
            break
    return _opening(text)


def _is_teaser(el: Any, own: int) -> bool:
    """A paragraph in a teaser card: a link itself, or in a small box (at most ~3× its own text)
    that also holds a headline link (4+ words) to another page."""
    inside = set(el.iter())
    own_text = _norm(el.text_content())
    for depth, anc in enumerate([el, *el.iterancestors()]):
        if anc.tag == "a":
            return True
        if depth == 0:
            continue
        if depth > 3 or _longer_than(anc, 3 * own + 200):
            return False
        for a in anc.iter("a"):
            words = " ".join(a.text_content().split())
            if a not in inside and len(words.split()) >= 4 and _norm(words) not in own_text:
                return True
    return False


def _longer_than(el: Any, limit: int) -> bool:
    """Whether an element's text (spaces collapsed) exceeds `limit`, reading no more than needed:
    the box around a real paragraph may be the whole article."""
    total = 0
    for piece in el.itertext():
        total += len(" ".join(piece.split())) + 1
        if total > limit + 1:
            return True
    return False


def teaser_index(tree: Any, wanted: set[str], openings: set[str]) -> dict[str, list[Any]]:
    """The page's elements (of `_TEASER_TAGS`) whose text, normalised, is one of the `wanted`
    lines (normalised, `_norm`; `openings` are their `_opening`s), by that text.

    An element's text starts in its first piece of text that is not blank, so an element can
    only be wanted when that piece's first token is the start of a wanted line's first word.
    Only the pieces that pass this test are followed, up through the elements they are the
    first piece of (`_candidates`); the others are never looked at, where reading every
    element's first words cost 10 µs an element (5 ms a page). The result is the same as
    testing every element (`tests/test_front_page.py` compares the two)."""
    index: dict[str, list[Any]] = {}
    for el in _candidates(tree, wanted):
        # An element's whole text costs its whole subtree: look at its first words first.
        if _first_words(el) not in openings:
            continue
        text = el.text_content()
        if 0 < len(text) <= MAX_TEASER_CHARS * 2 and (key := _norm(text)) in wanted:
            index.setdefault(key, []).append(el)
    return index


def _candidates(tree: Any, wanted: set[str]) -> list[Any]:
    """Every element of `_TEASER_TAGS` whose first non-blank piece of text starts with a token
    that begins the first word of a wanted line (the word may go on in the next piece, as in
    `<b>Ja</b>karta`; case folding is done a character at a time, so a token's folding begins
    its word's)."""
    firsts = {line.split(maxsplit=1)[0] for line in wanted if line.strip()}
    starts = {word[:i] for word in firsts for i in range(1, len(word) + 1)}
    found: list[Any] = []

    def climb(el: Any) -> None:  # `el`'s text starts with the piece: so may its ancestors'
        while el is not None:
            if el.tag in _TEASER_SET:
                found.append(el)
            parent = el.getparent()
            if parent is None or not _blank_before(parent, el, inclusive=False):
                return
            el = parent

    for el in tree.iter():
        text = el.text if isinstance(el.tag, str) else None  # a comment's text is no text
        if text and (token := text.split(maxsplit=1)) and token[0].casefold() in starts:
            climb(el)
        tail = el.tail
        if tail and (token := tail.split(maxsplit=1)) and token[0].casefold() in starts:
            parent = el.getparent()
            if parent is not None and _blank_before(parent, el, inclusive=True):
                climb(parent)
    return found


def _blank_before(parent: Any, child: Any, inclusive: bool) -> bool:
    """Whether `parent` holds no text but blanks before `child` (and in `child`'s own
    subtree when `inclusive`: the piece is then `child`'s tail)."""
    own = parent.text
    if own and not own.isspace():
        return False
    for c in parent:
        if c is child:
            return not inclusive or _subtree_blank(c)
        if not _subtree_blank(c) or (c.tail and not c.tail.isspace()):
            return False
    return False


def _subtree_blank(el: Any) -> bool:
    return not isinstance(el.tag, str) or not el.text_content().strip()


def front_page_reason(tree: Any, body: str) -> str | None:
    """Why an extracted body is no article, or None: too little running text (a menu, a list
    of headlines), or running text that is mostly the teasers of other articles. `tree` is the
    page, parsed (lxml.html)."""
    running = [line.strip() for line in body.split("\n") if len(line.strip()) >= 40 and _RUNNING.search(line)]
    chars = sum(len(line) for line in running)
    if chars < FRONT_PAGE_MIN_RUNNING_CHARS:
        return f"no running text ({chars} characters in sentences)"
    wanted = {_norm(line) for line in running}
    index = teaser_index(tree, wanted, {_opening(line) for line in running})
    teaser = sum(
        len(line) for line in running if any(_is_teaser(el, len(line)) for el in index.get(_norm(line), []))
    )
    if teaser >= FRONT_PAGE_TEASER_SHARE * chars:
        return f"teasers of other articles ({teaser / chars:.0%} of the running text)"
    return None


def person_author(author: str | None) -> str | None:
    """'Pewarta Nur Imansyah' → 'Nur Imansyah'; a publisher or a site credit is no author."""
    if not author:
        return None
    name = _ROLE.sub("", author.strip())
    return None if not name or _NOT_A_PERSON.search(name) else name
