"""Real article bodies from ../shared/dev-pages, for benchmarks (read at run time, never copied).

`../shared/dev-pages` (seen from the project root) holds real scraped pages: 181 English
articles with human-annotated bodies (`english-aeb/ground-truth.json`) and 26 Indonesian
article pages (`indonesian/<site>/*-singlepage*.html`, whose text trafilatura extracts).
A user's clone does not have that folder: `available()` says so and callers skip.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_PAGES = ROOT.parent / "shared" / "dev-pages"
MIN_WORDS = 150
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Body:
    """One real article: the lines as the page gives them, and the paragraphs kliping keeps."""

    id: str
    lang: str  # ISO 639-1 as py3langid reads the cleaned text (mostly "en" and "id")
    lines: tuple[str, ...]  # as extracted (Indonesian pages keep their outlet's boilerplate)
    paragraphs: tuple[str, ...]  # after kliping's cleaner: the article text itself

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def available() -> bool:
    return (DEV_PAGES / "english-aeb" / "ground-truth.json").is_file() and (DEV_PAGES / "indonesian").is_dir()


def skip_message(what: str) -> str:
    return f"{what}: {DEV_PAGES} is absent (it is not part of the project); skipped."


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _lang(text: str) -> str:
    import py3langid

    lang = str(py3langid.classify(text)[0])
    return "id" if lang == "ms" else lang


def load_bodies(min_words: int = MIN_WORDS) -> list[Body]:
    """Every dev-pages article whose cleaned body has at least `min_words` words, in a fixed order."""
    import trafilatura

    from kliping.clean import clean_lines, load_rules

    rules = load_rules()
    out: list[Body] = []
    truth = json.loads((DEV_PAGES / "english-aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    raw: list[tuple[str, list[str]]] = [
        (f"aeb-{key[:10]}", _lines(v["articleBody"])) for key, v in sorted(truth.items())
    ]
    for path in sorted((DEV_PAGES / "indonesian").glob("*/*-singlepage*.html")):
        text = trafilatura.extract(path.read_text(encoding="utf-8", errors="replace")) or ""
        raw.append((f"idn-{path.stem}", _lines(text)))
    for body_id, lines in raw:
        if not lines:
            continue
        paragraphs = clean_lines(lines, rules, title=None).paragraphs
        body = Body(body_id, _lang(" ".join(paragraphs)), tuple(lines), tuple(paragraphs))
        if body.words >= min_words:
            out.append(body)
    return out


def vocabulary(bodies: list[Body]) -> dict[str, list[str]]:
    """Per language, the corpus's distinct words (sorted: deterministic for seeded choices)."""
    vocab: dict[str, set[str]] = {}
    for b in bodies:
        vocab.setdefault(b.lang, set()).update(
            w for p in b.paragraphs for w in _WORD.findall(p) if w.isalpha()
        )
    return {lang: sorted(words) for lang, words in vocab.items()}
