"""Boilerplate rule packs: versioned TOML data files of rules with ids, compiled once.

Rules are data so that editors can read, extend and review them; the engine only
applies them. `rules_version` is a content hash of the packs in force, so every
row says which rules cleaned it.

A pack may also bring tables the rules share:

- `[outlets]`: outlet names as printed → their registered domain;
- `[wires]`: wire agency names as printed → the normalised name (`"agence france-presse" = "AFP"`);
  a rule's pattern can say `<<wires>>` for "any of these names";
- `[patterns]`: named regex fragments (a date, a day name) that patterns use as `<<name>>`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

SCOPES = ("line", "head", "lead", "trail", "tail")
# drop: remove; extract: remove and lift named groups into fields; tag: set fields, remove nothing.
ACTIONS = ("drop", "extract", "tag")
FIELDS = ("author", "editor", "outlet", "published", "declared_source", "wire", "place", "section")
DEFAULT_MAX_CHARS = 300
DEFAULT_TAIL_LINES = 3
BUILTIN_DIR = Path(__file__).parent / "rules"
WIRES_FRAGMENT = "wires"
_FRAGMENT = re.compile(r"<<(\w+)>>")


class RulePackError(ValueError):
    """A rule pack that cannot be used, with the file and rule named."""


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    scope: str
    action: str
    regex: re.Pattern[str]
    max_chars: int = DEFAULT_MAX_CHARS
    tail_lines: int = DEFAULT_TAIL_LINES
    dateline: bool = False
    require_outlet_evidence: bool = False
    require_word: bool = False
    take_next: bool = False
    match_examples: tuple[str, ...] = ()
    keep_examples: tuple[str, ...] = ()
    # Patterns of which one must occur in an article for the rule to match anywhere in it: one
    # search of the whole text spares a search of every paragraph (a tag rule's pattern opens
    # with a case-insensitive alternation, which the regex engine tries at every position).
    requires: tuple[re.Pattern[str], ...] = ()
    # Lower-case strings of which one must occur in the lower-cased article: for rules matched
    # without regard to case. A substring test costs a microsecond where a case-insensitive
    # regex search of a whole article costs 200.
    requires_text: tuple[str, ...] = ()

    def fields(self, m: re.Match[str]) -> dict[str, str]:
        """Named groups of a match, folded onto column names ('outlet2' → 'outlet')."""
        out: dict[str, str] = {}
        for name, value in m.groupdict().items():
            if value and value.strip():
                base = name.rstrip("0123456789")
                out.setdefault(base, value.strip())
        return out

    def match_line(self, line: str) -> re.Match[str] | None:
        """For line/head/tail scopes: the whole stripped line matches."""
        text = line.strip()
        if len(text) > self.max_chars:
            return None
        m = self.regex.fullmatch(text)
        if m is None or (self.require_word and not re.search(r"[^\W\d_]", text)):
            return None
        return m

    def match_span(self, line: str) -> re.Match[str] | None:
        """For lead scope: a span at the start; for trail scope: a span at the end."""
        if self.scope == "lead":
            return self.regex.match(line)
        return self.regex.search(line)

    def find(self, text: str) -> re.Match[str] | None:
        """For tag rules: the pattern anywhere in a paragraph."""
        return self.regex.search(text)

    def may_match(
        self, article: str, seen: dict[int, bool] | None = None, lowered: str | None = None
    ) -> bool:
        """False when the rule cannot match anywhere in `article` (its `requires` or its
        `requires_text` are absent). `seen` remembers searches already made in this article, by
        the pattern's id: rules share their `requires` (`_requirement`). `lowered` is the article
        lower-cased, when the caller has it."""
        if self.requires_text:
            low = article.lower() if lowered is None else lowered
            if not any(t in low for t in self.requires_text):
                return False
        if not self.requires:
            return True
        seen = {} if seen is None else seen
        for pattern in self.requires:
            # keyed by identity: a compiled pattern's hash is worked out anew from its whole
            # program on every lookup (7,500 instructions for the wire names' trie)
            found = seen.get(id(pattern))
            if found is None:
                found = seen[id(pattern)] = pattern.search(article) is not None
            if found:
                return True
        return False


# the candidate rules of a line and one pattern that screens them (`RuleSet.line_screen`)
_Screen = tuple[tuple[Rule, ...], re.Pattern[str] | None]
# the rules of a scope an article lets through, and their positions (`RuleSet.let_through`)
_LetThrough = tuple[tuple[Rule, ...], tuple[int, ...]]
# candidates parted for a line (`RuleSet.needle_split`): the screened rules and their key, the
# rules with `requires_text`, and each rule's place among the candidates
_NeedleSplit = tuple[tuple[Rule, ...], tuple[int, ...], tuple[Rule, ...], dict[str, int]]
# screens `RuleSet.screen_for` remembers at most (the default packs use a few dozen), and as
# many rule sets `let_through` and `needle_split` do
_SCREEN_CACHE_MAX = 4096
_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> _V:
    """Store `value` in one of a RuleSet's memories, emptied when full: a pack with many gated
    rules can let many different sets of them through."""
    if len(cache) >= _SCREEN_CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


@dataclass(frozen=True)
class RuleSet:
    """The packs in force, compiled, with the tables they bring and their content hash."""

    rules: tuple[Rule, ...]
    outlets: dict[str, str] = field(default_factory=dict)
    version: str = ""
    packs: tuple[str, ...] = ()
    wires: dict[str, str] = field(default_factory=dict)  # squashed name as printed → normalised name

    def by_scope(self, scope: str) -> tuple[Rule, ...]:
        """The rules that remove text in a scope (tag rules remove nothing: see `taggers`)."""
        return self._scopes.get(scope, ())

    def taggers(self) -> tuple[Rule, ...]:
        return self._scopes.get("tag", ())

    def line_screen(
        self, candidates: tuple[Rule, ...], length: int
    ) -> tuple[tuple[Rule, ...], re.Pattern[str] | None]:
        """The candidate whole-line rules that can match a line of `length` characters (no
        longer than their `max_chars`), in order, and one regex that fullmatches every line one of
        them matches: a line it rejects skips the rules' loop, as most body paragraphs do.
        Compiled once per set of rules; None when they cannot be combined (a back-reference).

        Screening only the rules a line's length allows matters: the costly patterns (a
        leading `.{0,200}` before a keyword) are those of long lines, and they are few."""
        eligible = tuple(r for r in candidates if r.max_chars >= length)
        key = tuple(r.id for r in eligible)
        screens = self._screen_cache
        if key not in screens:
            screens[key] = _alternation(eligible)
        return eligible, screens[key]

    def screen_for(self, candidates: tuple[Rule, ...], key: tuple[int, ...], length: int) -> _Screen:
        """`line_screen(candidates, length)`, remembered across articles. `key` names the
        candidates (the positions in `rules` of those an article's text let through): most
        articles let the same rules through, and working out a line's candidates and screen
        anew for each article cost 10–25 µs of its 320 µs of cleaning (generated articles).

        Lines whose lengths exceed as many of the rules' `max_chars` have the same candidates, so
        a length is remembered by that count. Bounded: a pack with many gated rules can let
        many different sets through, and the cache is emptied when it is full."""
        step = bisect_left(self.max_chars_steps, length)
        found = self._screen_for_cache.get((key, step))
        if found is None:
            found = _remember(self._screen_for_cache, (key, step), self.line_screen(candidates, length))
        return found

    def let_through(self, scope: str, article: str, seen: dict[int, bool], lowered: str) -> _LetThrough:
        """The rules of `scope` whose gates (`Rule.may_match`) `article` passes, in order, and
        their positions in `rules` (the key `screen_for` takes). Only the gated rules are asked:
        a call per rule, and the key built anew, were 12 µs of an article's cleaning when
        most rules have no gate. Remembered by the gated rules that failed (bounded as the
        screens are)."""
        gated = self._gated.get(scope, ())
        failed = tuple(i for i, rule in gated if not rule.may_match(article, seen, lowered))
        found = self._let_through_cache.get((scope, failed))
        if found is None:
            passed = tuple(r for r in self.by_scope(scope) if self.position[r.id] not in failed)
            passed_key = tuple(self.position[r.id] for r in passed)
            found = _remember(self._let_through_cache, (scope, failed), (passed, passed_key))
        return found

    def needle_split(self, candidates: tuple[Rule, ...], key: tuple[int, ...]) -> _NeedleSplit:
        """`candidates` (named by `key`, their positions) parted into the rules a line screen
        tries, with their key, and those with `requires_text`, with each rule's place in
        `candidates`. A rule with `requires_text` is one whose pattern opens with a scan
        (`.{0,120}` before a keyword): in a screen it is tried on every line, 10–20 µs a line,
        whereas a line without one of its strings cannot match it. Remembered by `key`."""
        found = self._needle_split_cache.get(key)
        if found is None:
            screened = tuple(r for r in candidates if not r.requires_text)
            needled = tuple(r for r in candidates if r.requires_text)
            order = {r.id: i for i, r in enumerate(candidates)}
            split = (screened, tuple(self.position[r.id] for r in screened), needled, order)
            found = _remember(self._needle_split_cache, key, split)
        return found

    @cached_property
    def _needle_split_cache(self) -> dict[tuple[int, ...], _NeedleSplit]:
        return {}

    @cached_property
    def _gated(self) -> dict[str, tuple[tuple[int, Rule], ...]]:
        """Each scope's rules that have a gate, with their positions."""
        out: dict[str, tuple[tuple[int, Rule], ...]] = {}
        for scope, rules in self._scopes.items():
            out[scope] = tuple((self.position[r.id], r) for r in rules if r.requires or r.requires_text)
        return out

    @cached_property
    def _let_through_cache(self) -> dict[tuple[str, tuple[int, ...]], _LetThrough]:
        return {}

    @cached_property
    def _screen_for_cache(self) -> dict[tuple[tuple[int, ...], int], _Screen]:
        return {}

    @cached_property
    def position(self) -> dict[str, int]:
        """Each rule's position in `rules`, by id: a short name for a set of rules."""
        return {rule.id: i for i, rule in enumerate(self.rules)}

    @cached_property
    def max_chars_steps(self) -> tuple[int, ...]:
        """The distinct `max_chars` of the rules, ascending: lines whose lengths exceed as many of
        them have the same candidate rules in `line_screen`."""
        return tuple(sorted({r.max_chars for r in self.rules}))

    @cached_property
    def _screen_cache(self) -> dict[tuple[str, ...], re.Pattern[str] | None]:
        return {}

    @cached_property
    def _scopes(self) -> dict[str, tuple[Rule, ...]]:
        """Rules grouped once: the engine asks for a scope's rules on every line."""
        out: dict[str, tuple[Rule, ...]] = {}
        for rule in self.rules:
            key = "tag" if rule.action == "tag" else rule.scope
            out[key] = (*out.get(key, ()), rule)
        return out

    def wire_name(self, printed: str) -> str:
        """'REUTERS' → 'Reuters', 'Agence France-Presse' → 'AFP'; an unknown name as printed."""
        return self.wires.get(squash(printed), printed.strip())


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_BACKREF = re.compile(r"\\[1-9]|\(\?P=")


def _alternation(rules: tuple[Rule, ...]) -> re.Pattern[str] | None:
    """The rules' patterns as one alternation, each under its own case flag, groups unnamed."""
    parts = []
    for rule in rules:
        pattern = rule.regex.pattern
        if _BACKREF.search(pattern):
            return None
        flag = "i" if rule.regex.flags & re.IGNORECASE else "-i"
        parts.append(f"(?{flag}:{_NAMED_GROUP.sub('(?:', pattern)})")
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


def _wire_alternation(names: list[str]) -> str:
    """A regex for any wire name as printed: as the pack writes it, in capitals, or in title
    case ('Antara', 'ANTARA'), never in lower case ('antara' is also a common word).

    Written as a trie ('ANT(?:ARA(?:\\s+NEWS)?)?' for 'ANT', 'ANTARA', 'ANTARA NEWS'), not as a
    list of the names: the regex engine then turns a position away by its first letter and
    follows one path from there, where a list made it try every name starting with that letter
    (the search for any wire name in an article was a sixth of the cleaner's time). It matches
    what the list of names, longest first, matches: a node's branches begin with different
    letters (or whitespace), so at most one can go on, and a name that ends where a longer one
    goes on is tried after the longer one, as the list did. (A name is its words: spaces within
    or around it do not count, as they did not in the list's patterns; the list ordered names
    by their length as written, so for a name written with extra spaces it could try a shorter
    match first, where the trie always tries the longest.)"""
    forms: set[str] = set()
    for name in names:
        forms.update({name, name.upper(), " ".join(w[:1].upper() + w[1:] for w in name.split())})
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for i, word in enumerate(form.split()):
            for token in ([r"\s+"] if i else []) + [re.escape(c) for c in word]:
                node = node.setdefault(token, {})
        node[_END] = {}
    return "(?-i:" + _trie_regex(trie) + ")" if forms else "(?!)"


_END = ""  # a trie node's key for "a name ends here"


def _trie_regex(node: dict[str, Any]) -> str:
    branches = [token + _trie_regex(child) for token, child in sorted(node.items()) if token != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if _END in node else body


def _expand(pack_path: Path, rid: str, pattern: str, fragments: dict[str, str]) -> str:
    """Replace `<<name>>` by its fragment (fragments may use other fragments)."""
    for _ in range(8):
        if not _FRAGMENT.search(pattern):
            return pattern

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in fragments:
                raise RulePackError(f"{pack_path.name}: rule {rid}: unknown fragment <<{name}>>")
            return f"(?:{fragments[name]})"

        pattern = _FRAGMENT.sub(sub, pattern)
    raise RulePackError(f"{pack_path.name}: rule {rid}: fragments nested too deeply")


_REQUIREMENTS: dict[str, re.Pattern[str]] = {}


def _requirement(pattern: str) -> re.Pattern[str]:
    """One compiled object for each `requires` pattern, however many rules name it: the
    searches an article has had are remembered by the pattern's identity (`Rule.may_match`)."""
    found = _REQUIREMENTS.get(pattern)
    if found is None:
        found = _REQUIREMENTS[pattern] = re.compile(pattern)
    return found


def _compile(pack_path: Path, raw: dict[str, Any], fragments: dict[str, str]) -> Rule:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise RulePackError(f"{pack_path.name}: a rule without an id")
    scope, action = raw.get("scope", "line"), raw.get("action", "drop")
    if scope not in SCOPES:
        raise RulePackError(f"{pack_path.name}: rule {rid}: scope {scope!r} not one of {SCOPES}")
    if action not in ACTIONS:
        raise RulePackError(f"{pack_path.name}: rule {rid}: action {action!r} not one of {ACTIONS}")
    if action == "tag" and scope != "line":
        raise RulePackError(
            f"{pack_path.name}: rule {rid}: a tag rule searches whole paragraphs (scope = 'line')"
        )
    flags = 0 if raw.get("case") else re.IGNORECASE
    try:
        regex = re.compile(_expand(pack_path, rid, raw["pattern"], fragments), flags)
    except (KeyError, TypeError, re.error) as exc:
        raise RulePackError(f"{pack_path.name}: rule {rid}: bad or missing pattern: {exc}") from exc
    requires = raw.get("requires", [])
    if isinstance(requires, str):
        requires = [requires]
    try:
        # case-sensitive whatever the rule's `case`: rules sharing a pattern share its search
        required = tuple(_requirement(_expand(pack_path, rid, str(r), fragments)) for r in requires)
    except (TypeError, re.error) as exc:
        raise RulePackError(f"{pack_path.name}: rule {rid}: bad `requires` pattern: {exc}") from exc
    texts = raw.get("requires_text", [])
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not all(isinstance(t, str) and t and t == t.lower() for t in texts):
        raise RulePackError(f"{pack_path.name}: rule {rid}: `requires_text` must be lower-case strings")
    for group in regex.groupindex:
        if group.rstrip("0123456789") not in FIELDS:
            raise RulePackError(f"{pack_path.name}: rule {rid}: group {group!r} is not a column ({FIELDS})")
    if action == "tag" and not regex.groupindex:
        raise RulePackError(f"{pack_path.name}: rule {rid}: a tag rule needs a named group to set")
    return Rule(
        id=rid,
        description=str(raw.get("description", "")),
        scope=scope,
        action=action,
        regex=regex,
        max_chars=int(raw.get("max_chars", DEFAULT_MAX_CHARS)),
        tail_lines=int(raw.get("tail_lines", DEFAULT_TAIL_LINES)),
        dateline=bool(raw.get("dateline", False)),
        require_outlet_evidence=bool(raw.get("require_outlet_evidence", False)),
        require_word=bool(raw.get("require_word", False)),
        take_next=bool(raw.get("take_next", False)),
        match_examples=tuple(raw.get("match", ())),
        keep_examples=tuple(raw.get("keep", ())),
        requires=required,
        requires_text=tuple(texts),
    )


def builtin_packs() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.toml"))


@cache
def load_rules(extra: tuple[str, ...] = (), include_builtin: bool = True) -> RuleSet:
    """Compile the built-in packs plus any user packs (paths to TOML files)."""
    paths = (builtin_packs() if include_builtin else []) + [Path(p) for p in extra]
    docs: list[tuple[Path, dict[str, Any]]] = []
    outlets: dict[str, str] = {}
    wires: dict[str, str] = {}
    wire_names: list[str] = []
    fragments: dict[str, str] = {}
    digest = hashlib.sha256()
    names: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
            doc = tomllib.loads(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise RulePackError(f"rule pack {path}: {exc}") from exc
        pack = doc.get("pack", {})
        names.append(f"{pack.get('name', path.stem)}@{pack.get('version', '?')}")
        digest.update(path.name.encode() + b"\0" + data + b"\0")
        for name, domain in doc.get("outlets", {}).items():
            outlets[squash(name)] = str(domain).lower()
        for name, normal in doc.get("wires", {}).items():
            wires[squash(name)] = str(normal)
            wire_names.append(str(name))
        for name, fragment in doc.get("patterns", {}).items():
            if name == WIRES_FRAGMENT or name in fragments:
                raise RulePackError(f"{path.name}: pattern fragment {name!r} defined twice")
            fragments[name] = str(fragment)
        docs.append((path, doc))
    fragments[WIRES_FRAGMENT] = _wire_alternation(wire_names)
    rules: list[Rule] = []
    seen: set[str] = set()
    for path, doc in docs:
        for raw in doc.get("rule", []):
            rule = _compile(path, raw, fragments)
            if rule.id in seen:
                raise RulePackError(f"{path.name}: rule id {rule.id} defined twice")
            seen.add(rule.id)
            rules.append(rule)
    return RuleSet(tuple(rules), outlets, digest.hexdigest()[:16], tuple(names), wires)


def squash(name: str) -> str:
    """'Detak Tribe' → 'detaktribe', 'KOMPAS.com' → 'kompas.com': outlet names compared loosely."""
    return re.sub(r"[^0-9a-z.-]", "", name.lower())
