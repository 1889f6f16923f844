"""Cleaning that a news editor would sign: vanilla trafilatura against kliping, on real pages.

    .venv/bin/python -m bench.cleaning [--json bench/out/cleaning.json] [--candidates]

Reads `../shared/dev-pages` at run time (never copied into the project) and skips with
a message when it is absent.

Indonesian pages (`indonesian/<site>/*-singlepage*.html`, 26 articles of 10 outlets):

- the expected title, date and body of each page come from `indonesian/_expected/*.test.js`,
  the tests of the scrapers that were written for those sites (parsed here);
- content sentences: the sentences of the expected body, less the few that are bylines,
  reporter initials or comment counters (hand-confirmed, `cleaning_labels.json`);
- boilerplate: the lines (or spans glued into a line) of vanilla `trafilatura.extract(html)`
  that are not in the expected body, each confirmed by hand (`cleaning_labels.json`;
  `--candidates` lists the unconfirmed candidates again);
- authors are not in the scrapers' tests: `cleaning_labels.json` has the byline each page
  prints (or none).

For each page it measures, for vanilla trafilatura and for kliping (the real pipeline,
`kliping.pipeline.process_record` with the built-in rule packs): the share of labelled
boilerplate that survives, the share of content sentences kept, and whether title, author
and date are right.

Section fronts (`*-mainpage.html`, 10 pages): does kliping reject them as `no_article`?

English pages (`english-aeb/`, 181 articles with human-annotated `articleBody`): word-level
precision, recall and F1 of vanilla `trafilatura.extract` and of kliping's text.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV_PAGES = ROOT.parent / "shared" / "dev-pages"
INDONESIAN = DEV_PAGES / "indonesian"
ENGLISH = DEV_PAGES / "english-aeb"
LABELS = Path(__file__).with_name("cleaning_labels.json")
WIB = timezone(timedelta(hours=7))
# A label of fewer words must be a whole paragraph to count as surviving; longer ones count
# wherever they appear (a share bar glued into a paragraph).
MIN_SPAN_WORDS = 4
# A long sentence also counts as kept when 90% of its word trigrams are in the output: the
# scrapers' bodies differ from the page in small ways (a dropped link text, a dateline, a
# caption credit glued to the next caption).
FUZZY_MIN_TRIGRAMS = 6
FUZZY_SHARE = 0.9

# ---------------------------------------------------------------------------------------------
# Normalisation and matching
# ---------------------------------------------------------------------------------------------

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "`": "'", "–": "-", "—": "-"})
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")


def norm(text: str) -> str:
    """Compare texts loosely: case, quotes, dashes, spacing (also before punctuation)."""
    text = text.translate(_QUOTES).casefold()
    text = _SPACE.sub(" ", text).strip()
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def key(text: str) -> str:
    """Letters and digits only: sentences compare equal however a page spaced or glued them."""
    return _NON_WORD.sub("", norm(text))


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(norm(text))
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def reflow(body: str) -> list[str]:
    """Paragraphs of an expected body, joining lines a scraper hard-wrapped mid-sentence."""
    out: list[str] = []
    for line in body.split("\n"):
        line = line.strip()
        if not line:
            continue
        if out and line[:1].islower():
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def sentences(body: str) -> list[str]:
    return [s.strip() for p in reflow(body) for s in _SENTENCE.split(p) if s.strip()]


# ---------------------------------------------------------------------------------------------
# The scrapers' tests: expected url, title, date and body of each page
# ---------------------------------------------------------------------------------------------

_JS_STRING = r"'((?:[^'\\]|\\.)*)'"
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)


def _js_unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}.get(code, code)

    return _JS_ESCAPE.sub(one, text)


def parse_expected(js: str) -> dict[str, dict[str, Any]]:
    """`{'antara/antara-singlepage.html': {'url', 'title', 'date' (ms), 'content'}}` from a test file."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in re.split(r"getContent\('test/fixtures/websites/", js)[1:]:
        page = chunk[: chunk.index("'")]
        if "singlepage" not in page:
            continue
        found: dict[str, Any] = {}
        for key in ("url", "title", "content", "date"):
            m = re.search(rf"result\['{key}'\], (?:{_JS_STRING}|(\d+))", chunk)
            if m:
                found[key] = _js_unescape(m.group(1)) if m.group(1) is not None else int(m.group(2))
        out[page] = found
    return out


def load_expected() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((INDONESIAN / "_expected").glob("*.test.js")):
        out.update(parse_expected(path.read_text(encoding="utf-8")))
    return out


# ---------------------------------------------------------------------------------------------
# Vanilla trafilatura and kliping on one page
# ---------------------------------------------------------------------------------------------


@dataclass
class Output:
    """What one extractor made of a page."""

    paragraphs: list[str]
    title: str | None = None
    author: str | None = None
    published: datetime | None = None  # for vanilla trafilatura: the day only (00:00 WIB)
    dateline: str | None = None
    rejected: str | None = None  # kliping: the reject reason
    fields: dict[str, str | None] = field(default_factory=dict)
    removed: list[dict[str, str]] = field(default_factory=list)
    extracted: list[str] | None = None  # kliping: the lines extraction gave, before cleaning

    @cached_property
    def key(self) -> str:
        return key("".join(self.paragraphs))

    @cached_property
    def trigrams(self) -> set[tuple[str, ...]]:
        return trigrams(" ".join(self.paragraphs))


def vanilla(html: str) -> Output:
    import trafilatura

    text = trafilatura.extract(html) or ""
    meta = trafilatura.extract_metadata(html)
    day = None
    if meta is not None and meta.date:
        with contextlib.suppress(ValueError):
            day = datetime.strptime(meta.date[:10], "%Y-%m-%d").replace(tzinfo=WIB)
    return Output(
        [line.strip() for line in text.split("\n") if line.strip()],
        title=meta.title if meta else None,
        author=meta.author if meta else None,
        published=day,
    )


def kliping(name: str, data: bytes) -> Output:
    from kliping.clean import load_rules
    from kliping.extract import extract
    from kliping.pipeline import process_record
    from kliping.records import InputKind, RawRecord, Reject

    record = RawRecord(source_path=name, source_record=None, kind=InputKind.HTML, data=data)
    ex = extract(record)
    extracted = [] if isinstance(ex, Reject) else ex.lines
    result = process_record(record, load_rules(), 0)
    if isinstance(result, Reject):
        return Output([], rejected=f"{result.reason.value}: {result.detail}", extracted=extracted)
    return Output(
        result.text.split("\n\n"),
        title=result.title,
        author=result.author,
        published=result.published_at,
        dateline=result.dateline,
        fields={
            "editor": result.editor,
            "dateline": result.dateline,
            "declared_source": result.declared_source,
            "wire": result.wire,
        },
        removed=result.removed,
        extracted=extracted,
    )


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


@dataclass
class PageScore:
    boilerplate: int = 0
    survived: int = 0
    survivors: list[str] = field(default_factory=list)
    sentences: int = 0
    kept: int = 0
    lost: list[str] = field(default_factory=list)
    delivered: int = 0  # kliping: sentences extraction delivered to the cleaner
    delivered_kept: int = 0  # … and the cleaner kept
    title_ok: bool = False
    author_ok: bool = False
    day_ok: bool = False
    minute_ok: bool = False


def survivors(out: Output, labels: list[str]) -> list[str]:
    """The labelled boilerplate (with its multiplicity) still in an output."""
    paragraphs = Counter(norm(p) for p in out.paragraphs)
    left: list[str] = []
    for label, count in Counter(norm(x) for x in labels).items():
        found = out.key.count(key(label)) if len(label.split()) >= MIN_SPAN_WORDS else paragraphs[label]
        left.extend([label] * min(count, found))
    return left


def content_sentences(body: str, not_content: list[str]) -> list[str]:
    """The expected body's sentences, less the spans labelled as no article text."""
    out: list[str] = []
    for sentence in sentences(body):
        for span in not_content:
            sentence = re.sub(re.escape(span), " ", sentence, flags=re.IGNORECASE).strip()
        if _WORD.search(sentence) and key(sentence) not in {key(o) for o in out}:
            out.append(sentence)  # a sentence a scraper repeated counts once
    return out


def sentence_kept(out: Output, sentence: str) -> bool:
    """In the output; or, once the dateline the output moved into its column is taken off, in it."""
    s = key(sentence)
    if s in out.key:
        return True
    dateline = key(out.dateline or "")
    if dateline and s.startswith(dateline) and s[len(dateline) :] in out.key:
        return True
    grams = trigrams(sentence)
    return len(grams) >= FUZZY_MIN_TRIGRAMS and len(grams & out.trigrams) >= FUZZY_SHARE * len(grams)


def same_author(got: str | None, want: str | None) -> bool:
    def names(value: str | None) -> set[str]:
        return {norm(n) for n in re.split(r";|,|\bdan\b|\band\b|&", value or "") if n.strip()}

    return names(got) == names(want)


def score(out: Output, expected: dict[str, Any], label: dict[str, Any]) -> PageScore:
    sc = PageScore()
    boiler = list(label.get("boilerplate", []))
    sc.boilerplate = len(boiler)
    left = survivors(out, boiler)
    sc.survived, sc.survivors = len(left), left
    for sentence in content_sentences(expected["content"], label.get("not_content", [])):
        sc.sentences += 1
        kept = sentence_kept(out, sentence)
        if kept:
            sc.kept += 1
        else:
            sc.lost.append(sentence)
        if out.extracted is not None and sentence_kept(Output(out.extracted), sentence):
            sc.delivered += 1
            sc.delivered_kept += kept
    sc.title_ok = norm(out.title or "") == norm(expected["title"])
    sc.author_ok = same_author(out.author, label.get("author"))
    want = datetime.fromtimestamp(expected["date"] / 1000, tz=UTC)
    if out.published is not None:
        sc.day_ok = out.published.astimezone(WIB).date() == want.astimezone(WIB).date()
        sc.minute_ok = abs((out.published - want).total_seconds()) <= 60
    return sc


def totals(scores: list[PageScore]) -> dict[str, Any]:
    n = len(scores)
    boiler = sum(s.boilerplate for s in scores)
    sent = sum(s.sentences for s in scores)
    return {
        "pages": n,
        "boilerplate_lines": boiler,
        "boilerplate_survived": sum(s.survived for s in scores),
        "boilerplate_survival": sum(s.survived for s in scores) / boiler if boiler else 0.0,
        "content_sentences": sent,
        "content_kept": sum(s.kept for s in scores),
        "content_kept_share": sum(s.kept for s in scores) / sent if sent else 0.0,
        "content_delivered_by_extraction": sum(s.delivered for s in scores),
        "content_kept_by_cleaner": sum(s.delivered_kept for s in scores),
        "title_ok": sum(s.title_ok for s in scores),
        "author_ok": sum(s.author_ok for s in scores),
        "date_day_ok": sum(s.day_ok for s in scores),
        "date_minute_ok": sum(s.minute_ok for s in scores),
    }


# ---------------------------------------------------------------------------------------------
# The three parts
# ---------------------------------------------------------------------------------------------

SYSTEMS = ("vanilla", "kliping")


def indonesian(labels: dict[str, Any], candidates: bool) -> dict[str, Any]:
    expected = load_expected()
    per_page: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[PageScore]] = {s: [] for s in SYSTEMS}
    for page, exp in sorted(expected.items()):
        path = INDONESIAN / page
        data = path.read_bytes()
        html = data.decode("utf-8", errors="replace")
        label = labels["pages"].get(page, {})
        outs = {"vanilla": vanilla(html), "kliping": kliping(page, data)}
        if candidates:
            _print_candidates(page, outs["vanilla"], exp, label)
        per_page[page] = {}
        for system, out in outs.items():
            sc = score(out, exp, label)
            scores[system].append(sc)
            per_page[page][system] = {
                "rejected": out.rejected,
                "boilerplate": sc.boilerplate,
                "survived": sc.survivors,
                "sentences": sc.sentences,
                "lost": sc.lost,
                "title": out.title,
                "title_ok": sc.title_ok,
                "author": out.author,
                "author_ok": sc.author_ok,
                "published": out.published.isoformat() if out.published else None,
                "date_day_ok": sc.day_ok,
                "date_minute_ok": sc.minute_ok,
                **({"fields": out.fields, "removed": out.removed} if system != "vanilla" else {}),
            }
    return {"totals": {s: totals(v) for s, v in scores.items()}, "pages": per_page}


def _print_candidates(page: str, out: Output, exp: dict[str, Any], label: dict[str, Any]) -> None:
    """Vanilla lines not in the expected body and not yet labelled: to confirm by hand."""
    body = key(exp["content"])
    known = {norm(x) for x in label.get("boilerplate", [])} | {norm(x) for x in label.get("content", [])}
    short = {norm(s) for s in sentences(exp["content"])}
    for line in out.paragraphs:
        n = norm(line)
        in_body = key(n) in body if len(n.split()) >= 3 else n in short
        if not in_body and n not in known:
            print(f"candidate  {page}  {line[:160]!r}")


def mainpages() -> dict[str, str]:
    """kliping's verdict on each section front: it must be a `no_article` reject."""
    out: dict[str, str] = {}
    for path in sorted(INDONESIAN.glob("*/*-mainpage.html")):
        page = f"{path.parent.name}/{path.name}"
        plain = kliping(page, path.read_bytes())
        out[page] = plain.rejected or f"ARTICLE ({sum(len(p.split()) for p in plain.paragraphs)} words)"
    return out


def content_only() -> dict[str, Any]:
    """The cleaner alone on text that is all article: the scrapers' expected bodies (26) and the
    annotated English bodies (181). Whatever it removes there must be provenance (datelines,
    credits) or the few non-article lines those bodies keep; the list is printed in full."""
    from kliping.clean import clean_lines, load_rules

    rules = load_rules()
    removed: list[dict[str, str]] = []
    for page, exp in sorted(load_expected().items()):
        for r in clean_lines(reflow(exp["content"]), rules, title=exp["title"]).removed:
            removed.append({"page": page, **r})
    truth = json.loads((ENGLISH / "ground-truth.json").read_text(encoding="utf-8"))
    for page, item in sorted(truth.items()):
        lines = [line for line in item["articleBody"].split("\n") if line.strip()]
        for r in clean_lines(lines, rules, title=None).removed:
            if r["rule"] != "core.title":  # no title given: the first short line is taken as one
                removed.append({"page": page[:12], **r})
    return {"bodies": len(truth) + len(load_expected()), "removed": removed}


def _f1(pred: str, ref: str) -> tuple[float, float, float]:
    p, r = Counter(_WORD.findall(pred.lower())), Counter(_WORD.findall(ref.lower()))
    tp = sum((p & r).values())
    if not tp:
        return 0.0, 0.0, 0.0
    precision, recall = tp / sum(p.values()), tp / sum(r.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def english() -> dict[str, Any]:
    import trafilatura

    truth = json.loads((ENGLISH / "ground-truth.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, tuple[float, float, float]]] = {}
    content_removed: Counter[str] = Counter()
    rejected: dict[str, str] = {}
    for page, item in sorted(truth.items()):
        data = (ENGLISH / "html" / f"{page}.html").read_bytes()
        html = data.decode("utf-8", errors="replace")
        ref = item["articleBody"]
        k = kliping(page, data)
        rows[page] = {
            "vanilla": _f1(trafilatura.extract(html) or "", ref),
            "kliping": _f1("\n".join(k.paragraphs), ref),
        }
        if k.rejected:
            rejected[page] = k.rejected
        body = key(ref)
        for r in k.removed:
            if len(r["text"].split()) >= 3 and key(r["text"]) in body:
                content_removed[r["rule"]] += 1
    n = len(rows)
    summary = {
        system: {
            name: sum(row[system][i] for row in rows.values()) / n
            for i, name in enumerate(("precision", "recall", "f1"))
        }
        for system in SYSTEMS
    }
    return {
        "pages": n,
        "mean": summary,
        "kliping_rejected": rejected,
        # removals whose text the annotators kept in articleBody (datelines, copyright lines
        # and credits are in many annotated bodies): a check that no rule eats real sentences
        "removed_in_article_body_by_rule": dict(content_removed.most_common()),
        "per_page_f1": {k: {s: round(v[s][2], 4) for s in SYSTEMS} for k, v in rows.items()},
    }


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _share(done: int, total: int) -> str:
    return f"{done}/{total} ({done / total:.1%})" if total else "-"


ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("boilerplate surviving", lambda x: _share(x["boilerplate_survived"], x["boilerplate_lines"])),
    ("content sentences kept", lambda x: _share(x["content_kept"], x["content_sentences"])),
    (
        "  of those extraction delivered",
        lambda x: _share(x["content_kept_by_cleaner"], x["content_delivered_by_extraction"]),
    ),
    ("title right", lambda x: f"{x['title_ok']}/{x['pages']}"),
    ("author right", lambda x: f"{x['author_ok']}/{x['pages']}"),
    ("date right (day, WIB)", lambda x: f"{x['date_day_ok']}/{x['pages']}"),
    ("date right (to the minute)", lambda x: f"{x['date_minute_ok']}/{x['pages']}"),
]


def print_report(result: dict[str, Any]) -> None:
    idn = result["indonesian"]
    t = idn["totals"]
    print(f"\nIndonesian article pages ({t['vanilla']['pages']}): labelled boilerplate, content sentences")
    print(f"{'':34}" + "".join(f"{s:>20}" for s in SYSTEMS))
    for label, fmt in ROWS:
        print(f"{label:34}" + "".join(f"{fmt(t[s]):>20}" for s in SYSTEMS))
    for page, r in idn["pages"].items():
        p = r["kliping"]
        if p["survived"] or p["lost"] or p["rejected"]:
            state = p["rejected"] or f"survived {p['survived']}"
            print(f"  kliping: {page}: {state}, lost {len(p['lost'])}")
            for sentence in p["lost"][:2]:
                print(f"      lost: {sentence[:100]!r}")
    fields = Counter(
        f"{name}={value}" if name == "wire" else name
        for r in idn["pages"].values()
        for name, value in (r["kliping"].get("fields") or {}).items()
        if value
    )
    print(f"  kliping fields set from the text: {dict(sorted(fields.items()))}")
    print("\nSection fronts (must be rejected as no_article, not become articles):")
    for page, verdict in result["mainpages"].items():
        print(f"  {page:36} {verdict[:90]}")
    co = result["content_only"]
    print(f"\nThe cleaner on {co['bodies']} content-only bodies (expected + annotated) removes:")
    for r in co["removed"]:
        print(f"  {r['page'][:28]:28} {r['rule']:28} {r['text'][:70]!r}")
    en = result["english"]
    print(f"\nEnglish pages ({en['pages']}): word-level P / R / F1 against articleBody (mean per page)")
    for system in SYSTEMS:
        m = en["mean"][system]
        print(f"  {system:20} {m['precision']:.4f} / {m['recall']:.4f} / {m['f1']:.4f}")
    print(f"  kliping rejected: {en['kliping_rejected']}")
    print(f"  removals of text the annotators kept, by rule: {en['removed_in_article_body_by_rule']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--candidates", action="store_true", help="list unlabelled boilerplate candidates")
    args = parser.parse_args(argv)
    if not (INDONESIAN / "_expected").is_dir() or not (ENGLISH / "ground-truth.json").is_file():
        print(f"bench.cleaning: {DEV_PAGES} is absent (it is not part of the project); skipped.")
        return 0
    started = time.perf_counter()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    result: dict[str, Any] = {
        "indonesian": indonesian(labels, args.candidates),
        "mainpages": mainpages(),
        "content_only": content_only(),
        "english": english(),
    }
    from kliping.clean import load_rules

    result["rules_version"] = load_rules().version
    result["seconds"] = round(time.perf_counter() - started, 1)
    print_report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
