"""Apply rule packs to an article's lines: drop boilerplate, move provenance into fields.

Order matters and is fixed:

1. link lists: runs of teaser cards (a bare bullet line, then a headline, a time or a
   one-line summary) are other articles' links, not this one's text (`core.link_list`);
2. whole-line rules: `head` rules on the lines before the first body paragraph (a
   printed date, a breadcrumb), then `line` rules everywhere (so a header line is never
   taken for a title); a rule may also take the headline after it (`take_next`);
3. islands: a short run of lines left between a link list and the boilerplate that
   closes the page is a widget, not the article's end (`core.tail_island`);
4. the title and its repeats (also behind a kicker, 'FOTO: <title>');
5. trailing lines peeled from the end (`tail` rules);
6. spans opening the first paragraph (`lead` rules, one after the other: a title glued
   to a byline, the byline, a share bar, a dateline) and a span closing the last (`trail`);
7. tag rules: fields named by the text that stays (and by the spans removed at its
   edges), such as the wire agency a story comes from; they remove nothing.

Every removal is recorded with the id of the rule that made it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kliping.clean.rules import Rule, RuleSet, squash

TITLE_RULE = "core.title"
TITLE_REPEAT_RULE = "core.title_repeat"
LINK_LIST_RULE = "core.link_list"
TAIL_ISLAND_RULE = "core.tail_island"
# A headline is short: longer first lines are ledes.
MAX_HEADLINE_WORDS = 30
MAX_HEADLINE_CHARS = 220
_CLOSING_PUNCT = (".", ",", ";", ":")
_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")
# A site name around a title: 'Judul - Kompas.com', 'Judul | Republika Online', 'KapanLagi.com: Judul'.
_SITE_SUFFIX = re.compile(r"\s+[-|–—]\s+([^|–—]{2,40})$")
_SITE_PREFIX = re.compile(r"([^:|–—]{2,40}?)\s*[:|–—-]\s+(?:(\w{2,15})\s+[-|–—]\s+)?")
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_SITE_WORDS = {"online", "news", "com", "id", "tv", "daily", "digital", "network"}
_KICKER_WORDS = 4  # 'FOTO: <title>', 'In Picture: <title>'
MIN_TITLE_WORDS = 3
# The body starts at the first paragraph that reads as running text.
BODY_MIN_WORDS = 12
BODY_ANY_WORDS = 30
_SENTENCE_END = re.compile(r"\w[.!?][\"'”’)]*(?:\s|$)")
# Link lists: cards after bare bullets.
_BULLET = re.compile(r"[-–—•·*]")
LINK_LIST_MIN_ITEMS = 3
LINK_LIST_MAX_ITEM_LINES = 3
LINK_LIST_MAX_LINE_WORDS = 30
LINK_LIST_MAX_ITEM_WORDS = 45
# Islands left between a link list and the closing boilerplate.
ISLAND_MAX_LINES = 2
ISLAND_MAX_WORDS = 80
ISLAND_MIN_AFTER = 3
# take_next takes a headline.
TAKE_NEXT_MAX_WORDS = 20
MAX_LEAD_SPANS = 4
MAX_TRAIL_SPANS = 3
_CAPS_FIELDS = ("author", "editor")

Take = Callable[["_Line", str, str, int], None]


@dataclass
class Cleaned:
    """The kept paragraphs, what was removed (in text order) and the fields lifted out.

    `title` is the article's title without the site name around it when one was found
    ('Judul - Kompas.com' → 'Judul'), else the title given or the headline found.
    """

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
    return " ".join(text.split()).casefold()


def title_variants(title: str) -> set[str]:
    """A title and the title without a trailing ' - Site Name', normalised for comparison."""
    out = {_norm(title)}
    stripped = _TITLE_SUFFIX.sub("", title)
    if stripped and len(stripped.split()) >= 3:
        out.add(_norm(stripped))
    return out


def looks_like_headline(line: _Line, following: _Line | None, rest: list[_Line]) -> bool:
    """A first line reads as a headline: short, no closing full stop, and set apart or repeated
    in `rest`, the lines after it.

    Without blank lines to set it apart, a short line followed by a much longer sentence
    that does end with a full stop reads as a headline too.
    """
    words = line.text.split()
    if not 2 <= len(words) <= MAX_HEADLINE_WORDS or len(line.text) > MAX_HEADLINE_CHARS:
        return False
    if line.text.rstrip("”\"' ").endswith(_CLOSING_PUNCT):
        return False
    if line.blank_after:
        return True
    own = _norm(line.text)
    if any(len(x.text.split()) == len(words) and _norm(x.text) == own for x in rest):
        return True  # repeated (compared only where the word counts agree: cheap, and necessary)
    return (
        following is not None
        and len(following.text.split()) >= 2 * len(words)
        and following.text.rstrip("”\"' ").endswith((".", "!", "?"))
    )


def reads_as_body(text: str) -> bool:
    """Running text: a sentence of some length, not a label, a headline or a date."""
    words = len(text.split())
    return words >= BODY_ANY_WORDS or (words >= BODY_MIN_WORDS and bool(_SENTENCE_END.search(text)))


def _reads_as_list_headline(text: str) -> bool:
    words = len(text.split())
    return 1 <= words <= TAKE_NEXT_MAX_WORDS and not text.rstrip("”\"' ").endswith(_CLOSING_PUNCT)


def _names_outlet(segment: str, rules: RuleSet, host_labels: set[str]) -> bool:
    """A title segment that is a site name: a domain ('Kompas.com Regional', 'ihram.co.id'), a
    known outlet ('ANTARA News'), or a known outlet or the page's own host followed by at most
    a generic word ('Republika Online', 'Tempo Gaya' on gaya.tempo.co)."""
    words = segment.split()
    if not 1 <= len(words) <= 4:
        return False
    if _DOMAIN.fullmatch(words[0]) or squash(segment) in rules.outlets:
        return True
    base = squash(words[0])
    if len(words) > 2 or not (base in rules.outlets or (len(base) >= 4 and base in host_labels)):
        return False
    return len(words) == 1 or words[1].lower() in _SITE_WORDS or bool(host_labels & {base})


def site_free_title(title: str, rules: RuleSet, url: str = "") -> str:
    """The title without the site name printed around it, when the name is surely a site's."""
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0]
    labels = {label for label in host.split(".") if label}
    out = title.strip()
    m = _SITE_SUFFIX.search(out)
    if m and _names_outlet(m.group(1), rules, labels) and len(out[: m.start()].split()) >= MIN_TITLE_WORDS:
        out = out[: m.start()].rstrip()
    m = _SITE_PREFIX.match(out)
    if m and _names_outlet(m.group(1), rules, labels) and len(out[m.end() :].split()) >= MIN_TITLE_WORDS:
        out = out[m.end() :].lstrip()
    return out


def _is_title_repeat(text: str, variants: set[str], last_words: set[str]) -> bool:
    """The title again, alone or behind a short kicker ('FOTO: <title>').

    `last_words` are the variants' last words: a repeat ends with one. Checking the line's last
    word first spares normalising every paragraph of the article (a sixth of the cleaner's time)."""
    if text.rsplit(None, 1)[-1].casefold() not in last_words:
        return False
    n = _norm(text)
    if n in variants:
        return True
    for v in variants:
        if n.endswith(v) and len(v.split()) >= MIN_TITLE_WORDS:
            head = n[: -len(v)].rstrip()
            if head.endswith(":") and len(head.split()) <= _KICKER_WORDS:
                return True
    return False


def _has_outlet_evidence(outlet: str, rules: RuleSet, evidence: str) -> bool:
    key = squash(outlet)
    return bool(key) and (key in rules.outlets or f"{key}." in evidence)


def _merge(fields: dict[str, str], new: dict[str, str], rules: RuleSet) -> None:
    """First value wins, except authors, which accumulate ('A; B'). Wires are normalised
    ('REUTERS' → 'Reuters'); names printed in capitals are set in title case."""
    for name, raw in new.items():
        value = raw
        if name == "wire":
            value = rules.wire_name(value)
        elif name in _CAPS_FIELDS and value.isupper() and len(value) > 3:
            value = value.title()
        if name == "author" and "author" in fields and value not in fields["author"]:
            fields["author"] = f"{fields['author']}; {value}"
        else:
            fields.setdefault(name, value)


def clean_lines(lines: list[str], rules: RuleSet, *, title: str | None = None, evidence: str = "") -> Cleaned:
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
    # spans removed at the article's edges (dateline, trailers): tag rules read them too
    lead_edges: list[str] = []
    end_edges: list[str] = []
    evidence_text = (evidence + "\n" + "\n".join(lines)).lower()

    def take(line: _Line, rule_id: str, text: str, pos: int = 0) -> None:
        removed.append((line.index, pos, rule_id, text))

    gone: dict[int, str] = {}  # position in `content` → the rule that removed it
    for pos in _link_list_positions(content):
        gone[pos] = LINK_LIST_RULE
        take(content[pos], LINK_LIST_RULE, content[pos].text)

    kept_pos = _apply_line_rules(content, gone, rules, take, fields, evidence_text)
    kept_pos = _drop_tail_islands(content, kept_pos, gone, take)
    kept = [content[p] for p in kept_pos]

    found_title = title
    if kept and title is None:
        first = kept[0]
        following = kept[1] if len(kept) > 1 else None
        if not _starts_with_dateline(first.text, rules) and looks_like_headline(first, following, kept[1:]):
            found_title = first.text
            take(first, TITLE_RULE, first.text)
            kept = kept[1:]
    clean_title = site_free_title(found_title, rules, evidence) if found_title else None
    if found_title and clean_title:
        variants = title_variants(found_title) | title_variants(clean_title)
        last_words = {v.rsplit(" ", 1)[-1] for v in variants}
        still = []
        for line in kept:
            if _is_title_repeat(line.text, variants, last_words):
                take(line, TITLE_REPEAT_RULE, line.text)
            else:
                still.append(line)
        kept = still

    kept = _peel_tail(kept, rules, take, fields, end_edges)

    if kept:
        kept[0] = _lead_spans(kept[0], rules, take, fields, evidence_text, clean_title, lead_edges)
        if not kept[0].text:
            kept = kept[1:]
    if kept:
        kept[-1] = _trail_spans(kept[-1], rules, take, fields, end_edges)

    paragraphs = [line.text for line in kept if line.text]
    _tag([*lead_edges, *paragraphs, *end_edges], rules, fields)
    removed.sort(key=lambda r: (r[0], r[1]))
    return Cleaned(
        paragraphs=paragraphs,
        removed=[{"rule": r[2], "text": r[3]} for r in removed],
        fields=fields,
        title=clean_title,
    )


def _link_list_positions(content: list[_Line]) -> list[int]:
    """Positions of runs of at least LINK_LIST_MIN_ITEMS teaser cards, each opened by a bare bullet.

    A card is short: a headline (or a time, or a rank) and at most a one-line summary.
    Lists in an article's own text carry their words on the bullet's line ('- Kurang tidur'),
    so a bare bullet line followed by a headline is a link card. The last card of a run (no
    card follows it) is taken as long as the cards before it were.
    """
    bullets = [i for i, line in enumerate(content) if _BULLET.fullmatch(line.text)]
    out: list[int] = []
    i = 0
    while i < len(bullets):
        items: list[tuple[int, int]] = []  # (bullet position, lines after it)
        j = i
        while j < len(bullets):
            start = bullets[j]
            gap = bullets[j + 1] - start - 1 if j + 1 < len(bullets) else len(content) - start - 1
            last = j + 1 == len(bullets) or not _is_card(content[start + 1 : start + 1 + gap])
            size = gap
            if last:
                usual = Counter(s for _, s in items).most_common(1)[0][0] if items else 1
                size = 0
                while (
                    size < min(usual, gap)
                    and len(content[start + size + 1].text.split()) <= LINK_LIST_MAX_LINE_WORDS
                ):
                    size += 1
                if not _is_card(content[start + 1 : start + 1 + size]):
                    break
            items.append((start, size))
            j += 1
            if last:
                break
        if len(items) >= LINK_LIST_MIN_ITEMS:
            for start, size in items:
                out.extend(range(start, start + size + 1))
        i = max(j, i + 1)
    return out


def _is_card(lines: list[_Line]) -> bool:
    if len(lines) > LINK_LIST_MAX_ITEM_LINES:
        return False
    if not lines:
        return True
    words = [len(line.text.split()) for line in lines]
    return (
        max(words) <= LINK_LIST_MAX_LINE_WORDS
        and sum(words) <= LINK_LIST_MAX_ITEM_WORDS
        and _reads_as_list_headline(lines[0].text)
    )


def _apply_line_rules(
    content: list[_Line],
    gone: dict[int, str],
    rules: RuleSet,
    take: Take,
    fields: dict[str, str],
    lowered: str,
) -> list[int]:
    """Whole-line rules; returns the positions kept. `head` rules only before the body starts.
    `lowered` is the article lower-cased (with the evidence: more text only lets more rules
    through the `requires_text` gate, never fewer)."""
    body_start = next((p for p, line in enumerate(content) if p not in gone and reads_as_body(line.text)), 0)
    article = "\n".join(line.text for line in content)
    seen: dict[int, bool] = {}
    # rules whose `requires` the article lacks cannot match any of its lines
    head_rules, head_positions = rules.let_through("head", article, seen, lowered)
    line_rules, body_key = rules.let_through("line", article, seen, lowered)
    kept: list[int] = []
    # a line's candidates depend only on the rules let through and on how many of the rules'
    # lengths it exceeds (`RuleSet.screen_for`)
    head_split = rules.needle_split((*head_rules, *line_rules), head_positions + body_key)
    body_split = rules.needle_split(line_rules, body_key)
    pos = 0
    while pos < len(content):
        if pos in gone:
            pos += 1
            continue
        line = content[pos]
        hit: tuple[Rule, re.Match[str]] | None = None
        screened, key, needled, order = head_split if pos < body_start else body_split
        candidates, screen = rules.screen_for(screened, key, len(line.text))
        if screen and not screen.fullmatch(line.text):
            candidates = ()  # no rule can match: most body lines
        # rules with `requires_text` are tried on a line that holds one of their strings
        if needled and (extra := _needled_for(line.text, needled)):
            candidates = tuple(sorted((*candidates, *extra), key=lambda r: order[r.id]))
        for rule in candidates:
            m = rule.match_line(line.text)
            if m:
                hit = (rule, m)
                break
        if hit is None:
            kept.append(pos)
            pos += 1
            continue
        rule, m = hit
        take(line, rule.id, line.text, 0)
        gone[pos] = rule.id
        if rule.action == "extract":
            _merge(fields, rule.fields(m), rules)
        nxt = pos + 1
        if (
            rule.take_next
            and nxt < len(content)
            and nxt not in gone
            and _reads_as_list_headline(content[nxt].text)
        ):
            take(content[nxt], rule.id, content[nxt].text, 0)
            gone[nxt] = rule.id
            pos = nxt
        pos += 1
    return kept


def _needled_for(text: str, needled: tuple[Rule, ...]) -> list[Rule]:
    """The rules of `needled` (each with `requires_text`) that a line could match: not longer
    than their `max_chars`, and passing their gates on the line itself (`Rule.may_match`): a
    gate must hold for any text the rule matches (the packs' contract, tested), and a line
    rule's text is the whole line."""
    fitting = [r for r in needled if len(text) <= r.max_chars]
    if not fitting:
        return []
    low = text.lower()
    return [r for r in fitting if r.may_match(text, lowered=low)]


def _drop_tail_islands(content: list[_Line], kept: list[int], gone: dict[int, str], take: Take) -> list[int]:
    """Drop short runs of lines that sit after a link list with only boilerplate after them."""
    keep = list(kept)
    while keep:
        last = keep[-1]
        if len(content) - 1 - last < ISLAND_MIN_AFTER:
            break
        run = [last]
        while len(run) < len(keep) and keep[-len(run) - 1] == run[0] - 1:
            run.insert(0, keep[-len(run) - 1])
        if len(run) == len(keep) or len(run) > ISLAND_MAX_LINES:
            break
        if sum(len(content[p].text.split()) for p in run) > ISLAND_MAX_WORDS:
            break
        if gone.get(run[0] - 1) != LINK_LIST_RULE:
            break
        for p in run:
            take(content[p], TAIL_ISLAND_RULE, content[p].text, 0)
            gone[p] = TAIL_ISLAND_RULE
        keep = keep[: -len(run)]
    return keep


def _starts_with_dateline(text: str, rules: RuleSet) -> bool:
    return any(
        r.dateline and r.match_span(text) and not r.require_outlet_evidence for r in rules.by_scope("lead")
    )


def _peel_tail(
    kept: list[_Line], rules: RuleSet, take: Take, fields: dict[str, str], edges: list[str]
) -> list[_Line]:
    """Remove trailing lines that tail rules name, from the end, within each rule's reach."""
    tail_rules = rules.by_scope("tail")
    peeled = 0
    while kept and tail_rules:
        last = kept[-1]
        for rule in tail_rules:
            m = rule.match_line(last.text) if peeled < rule.tail_lines else None
            if m:
                take(last, rule.id, last.text, 0)
                edges.append(last.text)
                if rule.action == "extract":
                    _merge(fields, rule.fields(m), rules)
                kept = kept[:-1]
                peeled += 1
                break
        else:
            break
    return kept


def _title_prefix(text: str, title: str | None) -> int:
    """Length of the title glued to the start of a paragraph (0 when it is not there)."""
    words = (title or "").split()
    if len(words) < MIN_TITLE_WORDS:
        return 0
    # compared word by word: a regex built per title would be compiled again for every article
    head = text.split(maxsplit=len(words))
    if len(head) <= len(words) or [w.lower() for w in head[: len(words)]] != [w.lower() for w in words]:
        return 0
    return len(text) - len(head[-1])


def _lead_match(
    text: str, rules: RuleSet, evidence: str, fields: dict[str, str]
) -> tuple[Rule, re.Match[str]] | None:
    for rule in rules.by_scope("lead"):
        m = rule.match_span(text)
        if not m or m.end() >= len(text):
            continue
        if rule.dateline and "dateline" in fields:
            continue  # one dateline per article
        if rule.require_outlet_evidence and not _has_outlet_evidence(
            rule.fields(m).get("outlet", ""), rules, evidence
        ):
            continue
        return rule, m
    return None


def _lead_spans(
    line: _Line,
    rules: RuleSet,
    take: Take,
    fields: dict[str, str],
    evidence: str,
    title: str | None,
    edges: list[str],
) -> _Line:
    """Strip what opens the first paragraph: a title glued to a byline or share bar, the
    byline, the share bar, a dateline ('MOSKOW, sp-globalindo.co.id –'), one after the other."""
    text, pos = line.text, 0
    cut = _title_prefix(text, title)
    if cut and _lead_match(text[cut:], rules, evidence, fields):
        take(line, TITLE_REPEAT_RULE, text[:cut].strip(), pos)
        pos += 1
        text = text[cut:]
    for _ in range(MAX_LEAD_SPANS):
        hit = _lead_match(text, rules, evidence, fields)
        if hit is None:
            break
        rule, m = hit
        span = m.group(0).strip()
        take(line, rule.id, span, pos)
        pos += 1
        edges.append(span)
        found = rule.fields(m)
        if rule.dateline:
            found["dateline"] = span
        if rule.action == "extract":
            _merge(fields, found, rules)
        text = text[m.end() :].lstrip()
    return _Line(text, line.index, line.blank_after)


def _trail_spans(line: _Line, rules: RuleSet, take: Take, fields: dict[str, str], edges: list[str]) -> _Line:
    """Strip what closes the last paragraph, from the end: initials ('(nwy/ara)'), a block of
    page widgets glued to the text ('Rate artikel ini … Related News …'), one after the other."""
    text = line.text
    for _ in range(MAX_TRAIL_SPANS):
        for rule in rules.by_scope("trail"):
            # the gate on the paragraph itself: a trail pattern is tried at every position of it
            m = rule.match_span(text) if rule.may_match(text) else None
            if m and m.start() > 0:
                span = m.group(0).strip()
                take(line, rule.id, span, m.start() + 1)
                edges.insert(0, span)
                if rule.action == "extract":
                    _merge(fields, rule.fields(m), rules)
                text = text[: m.start()].rstrip()
                break
        else:
            break
    return _Line(text, line.index, line.blank_after)


def _tag(texts: list[str], rules: RuleSet, fields: dict[str, str]) -> None:
    """Tag rules: the first match in text order sets a field; nothing is removed."""
    article = "\n".join(texts)
    seen: dict[int, bool] = {}
    taggers = [rule for rule in rules.taggers() if rule.may_match(article, seen)]
    if not taggers:
        return
    for text in texts:
        in_text: dict[int, bool] = {}
        for rule in taggers:
            # an article that names a wire mostly names it in one paragraph: the others need
            # only the search for the name, not the rule's own (dearer) pattern
            m = rule.find(text) if rule.may_match(text, in_text) else None
            if m:
                new = {k: v for k, v in rule.fields(m).items() if k not in fields}
                _merge(fields, new, rules)


def rule_by_id(rules: RuleSet, rule_id: str) -> Rule | None:
    return next((r for r in rules.rules if r.id == rule_id), None)
