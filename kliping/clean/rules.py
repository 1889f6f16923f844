"""Boilerplate rule packs: versioned TOML data files of rules with ids, compiled once.

Rules are data so that editors can read, extend and review them; the engine only
applies them. `rules_version` is a content hash of the packs in force, so every
row says which rules cleaned it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCOPES = ("line", "lead", "trail", "tail")
ACTIONS = ("drop", "extract")
FIELDS = ("author", "editor", "outlet", "published", "declared_source", "wire", "place", "section")
DEFAULT_MAX_CHARS = 300
DEFAULT_TAIL_LINES = 3
BUILTIN_DIR = Path(__file__).parent / "rules"


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
    match_examples: tuple[str, ...] = ()
    keep_examples: tuple[str, ...] = ()

    def fields(self, m: re.Match[str]) -> dict[str, str]:
        """Named groups of a match, folded onto column names ('outlet2' → 'outlet')."""
        out: dict[str, str] = {}
        for name, value in m.groupdict().items():
            if value and value.strip():
                base = name.rstrip("0123456789")
                out.setdefault(base, value.strip())
        return out

    def match_line(self, line: str) -> re.Match[str] | None:
        """For line/tail scopes: the whole stripped line matches."""
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


@dataclass(frozen=True)
class RuleSet:
    """The packs in force, compiled, with the outlet table they bring and their content hash."""

    rules: tuple[Rule, ...]
    outlets: dict[str, str] = field(default_factory=dict)
    version: str = ""
    packs: tuple[str, ...] = ()

    def by_scope(self, scope: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.scope == scope)


def _compile(pack_path: Path, raw: dict[str, Any]) -> Rule:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise RulePackError(f"{pack_path.name}: a rule without an id")
    scope, action = raw.get("scope", "line"), raw.get("action", "drop")
    if scope not in SCOPES:
        raise RulePackError(f"{pack_path.name}: rule {rid}: scope {scope!r} not one of {SCOPES}")
    if action not in ACTIONS:
        raise RulePackError(f"{pack_path.name}: rule {rid}: action {action!r} not one of {ACTIONS}")
    flags = 0 if raw.get("case") else re.IGNORECASE
    try:
        regex = re.compile(raw["pattern"], flags)
    except (KeyError, re.error) as exc:
        raise RulePackError(f"{pack_path.name}: rule {rid}: bad or missing pattern: {exc}") from exc
    for group in regex.groupindex:
        if group.rstrip("0123456789") not in FIELDS:
            raise RulePackError(f"{pack_path.name}: rule {rid}: group {group!r} is not a column ({FIELDS})")
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
        match_examples=tuple(raw.get("match", ())),
        keep_examples=tuple(raw.get("keep", ())),
    )


def builtin_packs() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.toml"))


@cache
def load_rules(extra: tuple[str, ...] = (), include_builtin: bool = True) -> RuleSet:
    """Compile the built-in packs plus any user packs (paths to TOML files)."""
    paths = (builtin_packs() if include_builtin else []) + [Path(p) for p in extra]
    rules: list[Rule] = []
    outlets: dict[str, str] = {}
    digest = hashlib.sha256()
    names: list[str] = []
    seen: set[str] = set()
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
        for raw in doc.get("rule", []):
            rule = _compile(path, raw)
            if rule.id in seen:
                raise RulePackError(f"{path.name}: rule id {rule.id} defined twice")
            seen.add(rule.id)
            rules.append(rule)
    return RuleSet(tuple(rules), outlets, digest.hexdigest()[:16], tuple(names))


def squash(name: str) -> str:
    """'Detak Tribe' → 'detaktribe', 'KOMPAS.com' → 'kompas.com': outlet names compared loosely."""
    return re.sub(r"[^0-9a-z.-]", "", name.lower())
