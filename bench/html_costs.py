"""What kliping adds to an HTML page beyond trafilatura, step by step, one process, same pages.

    .venv/bin/python -m bench.html_costs [--pages 300]

Pages come from `bench.generate` (the dev pages' own markup with their bodies swapped, when
../shared/dev-pages is there). Each step is timed over all pages, in ms a page, beside
trafilatura's `bare_extraction` with metadata (what `kliping run` is compared with in `make
bench`). trafilatura is given kliping's parsed page and copies it instead of parsing the text
again: the row "trafilatura given text, not the tree" is what that saves, more than kliping's
own parse costs. The HTML ratio there is about 65 / (65 + the front-page check + the scan +
the lede repair + kliping's parse - that saving + cleaning and signing + worker start-up).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from bench.generate import write_corpus
from kliping.extract import crowded_tag, load_html
from kliping.front_page import front_page_reason
from kliping.loose_lede import wrap_loose_lede


def per_page_ms(n: int, step: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(n):
        step(i)
    return (time.perf_counter() - started) / n * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--pages", type=int, default=300)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kliping-html-costs-") as tmp:
        write_corpus(Path(tmp), args.pages, "html")
        pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(tmp).rglob("*.html"))]
    n = len(pages)
    trees = [load_html(h) for h in pages]
    docs = [trafilatura.bare_extraction(h, with_metadata=True) for h in pages]
    rows = {
        "trafilatura bare_extraction (reference)": per_page_ms(
            n, lambda i: trafilatura.bare_extraction(pages[i], with_metadata=True)
        ),
        "front-page check": per_page_ms(n, lambda i: front_page_reason(trees[i], docs[i].text or "")),
        "kliping's own parse (load_html)": per_page_ms(n, lambda i: load_html(pages[i])),
        # trafilatura is given that tree (lxml's C element lookup, kept by its copies) and
        # copies it, instead of parsing the page again with its own parser
        "trafilatura given text, not the tree": per_page_ms(
            n, lambda i: trafilatura.bare_extraction(pages[i], with_metadata=True)
        )
        - per_page_ms(n, lambda i: trafilatura.bare_extraction(trees[i], with_metadata=True)),
        "crowded-tag scan": per_page_ms(n, lambda i: crowded_tag(pages[i])),
        "lede repair (on a fresh parse, less the parse)": per_page_ms(
            n, lambda i: wrap_loose_lede(load_html(pages[i]))
        ),
    }
    rows["lede repair (on a fresh parse, less the parse)"] -= rows["kliping's own parse (load_html)"]
    for name, ms in rows.items():
        print(f"{name:<50}{ms:8.2f} ms a page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
