"""Every rule of every shipped pack removes its own positive examples and keeps its negatives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliping.clean import clean_lines, load_rules
from kliping.clean.rules import Rule, RulePackError

RULES = load_rules()
FILLER = "Pemerintah mengumumkan kebijakan baru itu pada Senin pagi di Jakarta setelah rapat kabinet panjang."


def _ids(rule: Rule) -> str:
    return rule.id


@pytest.mark.parametrize("rule", RULES.rules, ids=_ids)
def test_rule_has_examples(rule: Rule) -> None:
    assert rule.match_examples, f"{rule.id} has no positive example"


GATED = [r for r in RULES.rules if r.requires or r.requires_text]


@pytest.mark.parametrize("rule", GATED, ids=_ids)
def test_rule_requires_hold_for_its_examples(rule: Rule) -> None:
    """`requires` and `requires_text` are necessary conditions: every text the rule matches
    satisfies them."""
    for example in rule.match_examples:
        assert rule.may_match(f"{FILLER}\n{example}"), (rule.id, example)
        assert rule.may_match(f"{FILLER}\n{example.upper()}") or not rule.regex.flags & re.IGNORECASE
    assert not rule.may_match(FILLER)


@pytest.mark.parametrize("rule", GATED, ids=_ids)
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(data=st.data())
def test_rule_requires_hold_for_any_line_it_matches(rule: Rule, data: st.DataObject) -> None:
    """Beyond the examples: lines drawn from the rule's own pattern all pass its gate (for trail
    and tag rules, paragraphs the pattern is found in, which their gates are checked on)."""
    if rule.scope == "trail" or rule.action == "tag":  # found within a paragraph, not a whole line
        text = data.draw(st.from_regex(rule.regex))
        found = rule.match_span(text) if rule.scope == "trail" else rule.find(text)
        if found is not None:
            assert rule.may_match(text), (rule.id, text)
        return
    line = data.draw(st.from_regex(rule.regex, fullmatch=True))
    if rule.match_line(line.strip()) is not None:
        assert rule.may_match(f"{FILLER}\n{line.strip()}"), (rule.id, line)


def test_requires_text_must_be_lower_case(tmp_path: Path) -> None:
    pack = tmp_path / "p.toml"
    pack.write_text('[[rule]]\nid = "x"\npattern = "Foo"\nrequires_text = ["Foo"]\nmatch = ["Foo"]\n')
    with pytest.raises(RulePackError, match="lower-case"):
        load_rules((str(pack),), include_builtin=False)


@pytest.mark.parametrize("rule", RULES.rules, ids=_ids)
def test_rule_removes_its_examples(rule: Rule) -> None:
    for example in rule.match_examples:
        if rule.action == "tag":
            # a tag rule sets its field and removes nothing
            assert rule.find(example), f"{rule.id} should find its pattern in {example!r}"
            cleaned = clean_lines([FILLER, example, FILLER], RULES, title="x")
            assert example in cleaned.paragraphs, (rule.id, cleaned.removed)
            for name in rule.regex.groupindex:
                base = name.rstrip("0123456789")
                if rule.fields(rule.find(example)).get(base):  # type: ignore[arg-type]
                    assert cleaned.fields.get(base), (rule.id, example, cleaned.fields)
        elif rule.scope in ("line", "head", "tail"):
            assert rule.match_line(example), f"{rule.id} should remove {example!r}"
            # and the engine, in context, removes it (head rules: above the body; tail rules: at
            # the end). Packs may overlap ('share' is in both): the first pack in order names it.
            lines = {
                "line": [FILLER, example, FILLER],
                "head": [example, FILLER, FILLER],
                "tail": [FILLER, FILLER, example],
            }[rule.scope]
            cleaned = clean_lines(lines, RULES, title="x")
            assert any(r["text"] == example for r in cleaned.removed), (rule.id, example)
            assert example not in cleaned.paragraphs
        else:
            m = rule.match_span(example)
            assert m is not None, f"{rule.id} should find a span in {example!r}"
            if rule.require_outlet_evidence:
                outlet = rule.fields(m)["outlet"]
                evidence = outlet.replace(" ", "").lower() + ".com"
                cleaned = clean_lines([example + " " + FILLER], RULES, title="x", evidence=evidence)
                assert cleaned.removed and cleaned.removed[0]["rule"] == rule.id


@pytest.mark.parametrize("rule", RULES.rules, ids=_ids)
def test_rule_keeps_its_negatives(rule: Rule) -> None:
    for example in rule.keep_examples:
        if rule.action == "tag":
            cleaned = clean_lines([FILLER, example, FILLER], RULES, title="x")
            assert example in cleaned.paragraphs
            assert rule.find(example) is None, f"{rule.id} should not tag {example!r}"
            continue
        if rule.scope in ("line", "tail"):
            assert rule.match_line(example) is None, f"{rule.id} matches its negative {example!r}"
        elif rule.scope == "head":
            assert rule.match_line(example) is None or len(example.split()) > 3
        lines = [FILLER, example] if rule.scope not in ("lead", "head") else [example, FILLER]
        cleaned = clean_lines(lines, RULES, title="x")
        assert example in cleaned.paragraphs, f"{rule.id} removed content {example!r}: {cleaned.removed}"


def test_read_also_inside_a_quote_is_content() -> None:
    line = "“Baca juga peraturan itu dengan teliti,” kata menteri kepada wartawan di Jakarta, Selasa."
    cleaned = clean_lines([FILLER, line, FILLER], RULES, title="x")
    assert line in cleaned.paragraphs


def test_rules_version_is_a_content_hash(tmp_path: object) -> None:
    assert len(RULES.version) == 16
    assert load_rules().version == RULES.version


def test_user_pack_adds_rules_and_changes_version(tmp_path: object) -> None:
    from pathlib import Path

    pack = Path(str(tmp_path)) / "mine.toml"
    pack.write_text(
        '[pack]\nname = "mine"\nversion = "1"\n[[rule]]\nid = "mine.promo"\nscope = "line"\n'
        "pattern = '''promo spesial.*'''\nmatch = [\"Promo spesial hari ini\"]\n",
        encoding="utf-8",
    )
    rules = load_rules((str(pack),))
    assert rules.version != RULES.version
    cleaned = clean_lines([FILLER, "Promo spesial hari ini"], rules, title="x")
    assert cleaned.removed == [{"rule": "mine.promo", "text": "Promo spesial hari ini"}]


def test_bad_pack_is_refused_with_its_name(tmp_path: object) -> None:
    from pathlib import Path

    pack = Path(str(tmp_path)) / "bad.toml"
    pack.write_text('[[rule]]\nid = "x"\npattern = "("\n', encoding="utf-8")
    with pytest.raises(RulePackError, match=r"bad\.toml: rule x"):
        load_rules((str(pack),))


def _flat_wire_alternation(names: list[str]) -> str:
    """The wire names as a plain list, longest first: what the trie must match like."""
    forms = {f for n in names for f in (n, n.upper(), " ".join(w[:1].upper() + w[1:] for w in n.split()))}
    parts = [r"\s+".join(re.escape(w) for w in f.split()) for f in sorted(forms, key=lambda f: (-len(f), f))]
    return "(?-i:" + "|".join(parts) + ")"


_WIRE_NAMES = ["Antara", "Antara News", "ANT", "AP", "Agence France-Presse", "Agence France Presse", "dpa",
               "Kantor Berita Antara", "AFP", "A.P.", "Xinhua"]  # fmt: skip
_WIRE_PIECES = [*(w for n in _WIRE_NAMES for w in n.split()), "An", "Ant", "Agence", "France", "News",
                "NEWS", " ", "  ", "\n", "-", "(", ")", "/", "x", "antara", "Antaranews"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.sampled_from(_WIRE_NAMES), min_size=1, max_size=6), data=st.data())
def test_wire_trie_matches_as_the_list_of_names_longest_first(names: list[str], data: st.DataObject) -> None:
    """`<<wires>>` is compiled as a trie: every search, and every match a longer pattern
    backtracks into ('<<wires>>' before '\\s+News', '\\)' or the end), finds what the plain
    alternation of the names, longest first, finds."""
    from kliping.clean.rules import _wire_alternation

    # the names' own words (as written and in capitals) among the pieces: names that begin
    # other names ('ANT', 'ANTARA', 'ANTARA NEWS') must meet in the text
    own = [v for n in names for w in n.split() for v in (w, w.upper())]
    text = "".join(data.draw(st.lists(st.sampled_from(own + _WIRE_PIECES), max_size=14)))
    trie, flat = _wire_alternation(names), _flat_wire_alternation(names)
    for context in (
        "{}",
        r"\b(?P<w>{})\b",
        r"(?P<w>{})\s+News",
        r"\(\s*(?P<w>{})\s*\)",
        r"(?P<w>{})(?:\s*/\s*{})*$",
    ):
        a = re.compile(context.format(trie, trie))
        b = re.compile(context.format(flat, flat))
        assert [(m.span(), m.groups()) for m in a.finditer(text)] == [
            (m.span(), m.groups()) for m in b.finditer(text)
        ], context
        assert bool(a.fullmatch(text)) == bool(b.fullmatch(text))
