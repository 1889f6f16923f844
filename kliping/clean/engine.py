"""Apply rule packs to an article's lines: drop boilerplate, move provenance into fields.

Order matters and is fixed: whole-line rules first (so a header line is never taken
for a title), then the title and its repeats, then the trailing lines peeled from the
end, then the dateline span opening the first paragraph and a span closing the last.
Every removal is recorded with the id of the rule that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kliping.clean.rules import Rule, RuleSet, squash

TITLE_RULE = "core.title"
TITLE_REPEAT_RULE = "core.title_repeat"
# A headline is short: longer first lines are ledes.
MAX_HEADLINE_WORDS = 30
MAX_HEADLINE_CHARS = 220
_CLOSING_PUNCT = (".", ",", ";", ":")
_SPACE = re.compile(r"\s+")
_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")


@dataclass
class Cleaned:
    """The kept paragraphs, what was removed (in text order) and the fields lifted out."""

    paragraphs: list[str]
    removed: list[dict[str, str]]
    fields: dict[str, str] = field(default_factory=dict)
    title: str | None = None


@dataclass
class _Line:
    text: str
    index: int
    blank_after: bool


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def title_variants(title: str) -> set[str]:
    """A title and the title without a trailing ' - Site Name', normalised for comparison."""
    out = {_norm(title)}
    stripped = _TITLE_SUFFIX.sub("", title)
    if stripped and len(stripped.split()) >= 3:
        out.add(_norm(stripped))
    return out


def looks_like_headline(line: _Line, following: _Line | None, repeated: bool) -> bool:
    """A first line reads as a headline: short, no closing full stop, and set apart or repeated.

    Without blank lines to set it apart, a short line followed by a much longer sentence
    that does end with a full stop reads as a headline too.
    """
    words = line.text.split()
    if not 2 <= len(words) <= MAX_HEADLINE_WORDS or len(line.text) > MAX_HEADLINE_CHARS:
        return False
    if line.text.rstrip("”\"' ").endswith(_CLOSING_PUNCT):
        return False
    if line.blank_after or repeated:
        return True
    return (
        following is not None
        and len(following.text.split()) >= 2 * len(words)
        and following.text.rstrip("”\"' ").endswith((".", "!", "?"))
    )


def _has_outlet_evidence(outlet: str, rules: RuleSet, evidence: str) -> bool:
    key = squash(outlet)
    return bool(key) and (key in rules.outlets or f"{key}." in evidence)


def _merge(fields: dict[str, str], new: dict[str, str]) -> None:
    """First value wins, except authors, which accumulate ('A; B')."""
    for name, value in new.items():
        if name == "author" and "author" in fields and value not in fields["author"]:
            fields["author"] = f"{fields['author']}; {value}"
        else:
            fields.setdefault(name, value)


def clean_lines(
    lines: list[str], rules: RuleSet, *, title: str | None = None, evidence: str = ""
) -> Cleaned:
    """Clean one article. `lines` may hold empty strings for blank lines (they set titles apart).

    `title` is the title metadata already gave (HTML); without one, a headline-like first
    line becomes the title. `evidence` is extra text (URL, raw page text) that can confirm
    an outlet named by a dateline.
    """
    content: list[_Line] = []
    for i, raw in enumerate(lines):
        if raw.strip():
            content.append(_Line(raw.strip(), i, False))
        elif content:
            content[-1].blank_after = True
    removed: list[tuple[int, int, str, str]] = []  # (line index, position, rule, text)
    fields: dict[str, str] = {}
    evidence_text = (evidence + "\n" + "\n".join(lines)).lower()

    def take(line: _Line, rule_id: str, text: str, pos: int = 0) -> None:
        removed.append((line.index, pos, rule_id, text))

    kept: list[_Line] = []
    line_rules = rules.by_scope("line")
    for line in content:
        for rule in line_rules:
            m = rule.match_line(line.text)
            if m:
                take(line, rule.id, line.text)
                if rule.action == "extract":
                    _merge(fields, rule.fields(m))
                break
        else:
            kept.append(line)

    found_title = title
    if kept and title is None:
        first = kept[0]
        repeated = any(_norm(x.text) == _norm(first.text) for x in kept[1:])
        following = kept[1] if len(kept) > 1 else None
        if not _starts_with_dateline(first.text, rules) and looks_like_headline(first, following, repeated):
            found_title = first.text
            take(first, TITLE_RULE, first.text)
            kept = kept[1:]
    if found_title:
        variants = title_variants(found_title)
        still = []
        for line in kept:
            if _norm(line.text) in variants:
                take(line, TITLE_REPEAT_RULE, line.text)
            else:
                still.append(line)
        kept = still

    kept = _peel_tail(kept, rules, take, fields)

    if kept:
        kept[0] = _lead_span(kept[0], rules, take, fields, evidence_text)
        if not kept[0].text:
            kept = kept[1:]
    if kept:
        last = kept[-1]
        for rule in rules.by_scope("trail"):
            m = rule.match_span(last.text)
            if m and m.start() > 0:
                take(last, rule.id, m.group(0).strip(), m.start() + 1)
                _merge(fields, rule.fields(m)) if rule.action == "extract" else None
                kept[-1] = _Line(last.text[: m.start()].rstrip(), last.index, last.blank_after)
                break

    removed.sort(key=lambda r: (r[0], r[1]))
    return Cleaned(
        paragraphs=[line.text for line in kept if line.text],
        removed=[{"rule": r[2], "text": r[3]} for r in removed],
        fields=fields,
        title=found_title,
    )


def _starts_with_dateline(text: str, rules: RuleSet) -> bool:
    return any(r.dateline and r.match_span(text) and not r.require_outlet_evidence for r in rules.by_scope("lead"))


def _peel_tail(kept: list[_Line], rules: RuleSet, take: object, fields: dict[str, str]) -> list[_Line]:
    """Remove trailing lines that tail rules name, from the end, within each rule's reach."""
    assert callable(take)
    tail_rules = rules.by_scope("tail")
    peeled = 0
    while kept and tail_rules:
        last = kept[-1]
        for rule in tail_rules:
            m = rule.match_line(last.text) if peeled < rule.tail_lines else None
            if m:
                take(last, rule.id, last.text)
                if rule.action == "extract":
                    _merge(fields, rule.fields(m))
                kept = kept[:-1]
                peeled += 1
                break
        else:
            break
    return kept


def _lead_span(line: _Line, rules: RuleSet, take: object, fields: dict[str, str], evidence: str) -> _Line:
    """Strip a dateline ('MOSKOW, sp-globalindo.co.id –') opening the first paragraph."""
    assert callable(take)
    for rule in rules.by_scope("lead"):
        m = rule.match_span(line.text)
        if not m or m.end() >= len(line.text):
            continue
        found = rule.fields(m)
        if rule.require_outlet_evidence and not _has_outlet_evidence(found.get("outlet", ""), rules, evidence):
            continue
        span = m.group(0).strip()
        take(line, rule.id, span)
        if rule.dateline:
            found["dateline"] = span
        if rule.action == "extract":
            _merge(fields, found)
        return _Line(line.text[m.end() :].lstrip(), line.index, line.blank_after)
    return line


def rule_by_id(rules: RuleSet, rule_id: str) -> Rule | None:
    return next((r for r in rules.rules if r.id == rule_id), None)
