"""Site-learned boilerplate: short lines an outlet repeats across many different stories.

No rule names an outlet's own signature line, newsletter pitch or disclaimer, but
it recurs in that outlet's articles. A short line is learned as boilerplate of a
`source_domain` once it has been seen in articles of at least `MIN_CLUSTERS`
different syndication clusters of that domain. Counting clusters, not articles,
is what keeps it from removing a line because copies of one syndicated story share
it. Evidence accumulates across the records of a run and across runs (kept in the
state); removals are recorded with the rule id `site:<domain>`.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa

SITE_RULE_PREFIX = "site:"
MIN_CLUSTERS = 3  # distinct stories of one outlet a line must recur in
MIN_WORDS, MAX_WORDS = 3, 25  # only short lines: signatures, pitches, disclaimers
_NORM = re.compile(r"[\W_]+", re.UNICODE)

EVIDENCE_SCHEMA = pa.schema([("domain", pa.string()), ("line_key", pa.int64()), ("cluster_id", pa.string())])


# More than MAX_WORDS words, found without normalising the line: paragraphs, most of an
# article, stop here after their first MAX_WORDS + 1 words. Case folding never joins two words
# (it can split one: 'İ' folds to 'i' and a combining dot), so a line with more words than
# that before folding has more after.
_TOO_MANY_WORDS = re.compile(rf"[\W_]*(?:[^\W_]+[\W_]+){{{MAX_WORDS}}}[^\W_]")
# The same for a line without '_', where [^\W_] is \w: the regex engine tests a class of its
# own (\w) about twice as fast as a set made of a class and a character (77 → 42 µs an article).
_TOO_MANY_WORDS_NO_UNDERSCORE = re.compile(rf"\W*(?:\w+\W+){{{MAX_WORDS}}}\w")


def line_key(line: str) -> int | None:
    """A 63-bit key of a short line, insensitive to case and punctuation; None for other lines."""
    too_many = _TOO_MANY_WORDS if "_" in line else _TOO_MANY_WORDS_NO_UNDERSCORE
    if line.count(" ") > 2 * MAX_WORDS or too_many.match(line):  # a paragraph, not a short line
        return None
    words = _NORM.sub(" ", line.casefold()).split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def line_keys(paragraphs: Iterable[str]) -> list[int]:
    """The distinct keys of an article's short lines."""
    keys = {k for p in paragraphs if (k := line_key(p)) is not None}
    return sorted(keys)


@dataclass
class SiteLines:
    """Evidence per (domain, line): the clusters it was seen in, capped at MIN_CLUSTERS.

    The clusters are a tuple, not a set (48-64 bytes against 216: a 100k-article run holds some
    65,000 of them through its commit), and the domain one string for all its lines."""

    evidence: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)

    def observe(self, domain: str | None, keys: Iterable[int], cluster_id: str) -> None:
        if not domain:
            return
        domain = sys.intern(domain)
        for key in keys:
            seen = self.evidence.get((domain, key), ())
            if len(seen) < MIN_CLUSTERS and cluster_id not in seen:
                self.evidence[(domain, key)] = (*seen, cluster_id)

    def learned(self, domain: str | None) -> set[int]:
        if not domain:
            return set()
        return {k for (d, k), seen in self.evidence.items() if d == domain and len(seen) >= MIN_CLUSTERS}

    def learned_all(self) -> dict[str, set[int]]:
        out: dict[str, set[int]] = defaultdict(set)
        for (d, k), seen in self.evidence.items():
            if len(seen) >= MIN_CLUSTERS:
                out[d].add(k)
        return dict(out)

    def to_table(self) -> pa.Table:
        rows = [(d, k, c) for (d, k), seen in self.evidence.items() for c in sorted(seen)]
        return pa.table(
            {
                "domain": [r[0] for r in rows],
                "line_key": [r[1] for r in rows],
                "cluster_id": [r[2] for r in rows],
            },
            schema=EVIDENCE_SCHEMA,
        )

    @classmethod
    def from_table(cls, table: pa.Table | None) -> SiteLines:
        site = cls()
        if table is None:
            return site
        cols = [table.column(c).to_pylist() for c in ("domain", "line_key", "cluster_id")]
        for domain, key, cid in zip(*cols, strict=True):
            seen = site.evidence.get((domain, key), ())
            if cid not in seen:
                site.evidence[(sys.intern(domain) if isinstance(domain, str) else domain, key)] = (*seen, cid)
        return site


def strip_site_lines(
    text: str, removed: list[dict[str, str]], domain: str, learned: set[int]
) -> tuple[str, list[dict[str, str]]] | None:
    """Remove the learned lines from an article; None when it has none of them."""
    paragraphs = text.split("\n\n")
    keep, gone = [], []
    for p in paragraphs:
        if line_key(p) in learned:
            gone.append({"rule": f"{SITE_RULE_PREFIX}{domain}", "text": p})
        else:
            keep.append(p)
    if not gone:
        return None
    return "\n\n".join(keep), [*removed, *gone]
