"""Site-learned boilerplate: an outlet's recurring line goes; a line shared by copies of one story stays."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pandas as pd
from corpus import article_body
from hypothesis import given, settings
from hypothesis import strategies as st

from kliping.clean.site import MAX_WORDS, MIN_CLUSTERS, MIN_WORDS, SiteLines, line_key
from kliping.config import RunConfig
from kliping.run import run_local

SIGNATURE = "Kabarsatu.co.id, portal berita pilihan keluarga Indonesia sejak 2009"
STORY_LINE = "Penjelasan resmi dari kementerian pertahanan"


def write(raw: Path, name: str, paragraphs: list[str], url: str) -> None:
    (raw / name).write_text("\n\n".join(paragraphs), encoding="utf-8")
    (raw / f"{name}.meta.json").write_text(f'{{"url": "{url}"}}', encoding="utf-8")


def test_site_line_learned_across_runs_and_copies_spared(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    # two different stories of the outlet carry its signature: not yet enough evidence
    for i in range(MIN_CLUSTERS - 1):
        write(raw, f"k{i}.txt", [*article_body(rng, 5), SIGNATURE], f"https://kabarsatu.co.id/{i}")
    # one story, copied by four outlets, shares a short subheading: one cluster, never learned
    story = article_body(rng, 6)
    for j, host in enumerate(["a.id", "b.id", "c.id", "d.id"]):
        write(raw, f"s{j}.txt", [*story[:3], STORY_LINE, *story[3:]], f"https://{host}/x")
    run_local(raw, out, RunConfig(workers=0))
    first = pd.read_parquet(out / "articles").set_index("source_path")
    assert first.loc["k0.txt", "text"].endswith(SIGNATURE)
    assert all(STORY_LINE in first.loc[f"s{j}.txt", "text"] for j in range(4))

    # a third story of the outlet arrives in a later run: the line is learned and removed there
    write(raw, "k9.txt", [*article_body(rng, 5), SIGNATURE], "https://kabarsatu.co.id/9")
    summary = run_local(raw, out, RunConfig(workers=0))
    now = pd.read_parquet(out / "articles").set_index("source_path")
    assert SIGNATURE not in now.loc["k9.txt", "text"]
    assert {"rule": "site:kabarsatu.co.id", "text": SIGNATURE} in list(now.loc["k9.txt", "removed"])
    assert now.loc["k9.txt", "word_count"] == len(now.loc["k9.txt", "text"].split())
    assert summary.count("removed.site:kabarsatu.co.id") == 1
    assert all(STORY_LINE in now.loc[f"s{j}.txt", "text"] for j in range(4))


def test_line_keys_ignore_case_and_punctuation() -> None:
    assert line_key("Portal berita pilihan, keluarga!") == line_key("portal BERITA pilihan keluarga")
    assert line_key("Dua kata") is None  # too short to be a signature
    site = SiteLines()
    key = line_key(SIGNATURE)
    assert key is not None
    for cluster in ["c1", "c1", "c2"]:
        site.observe("kabarsatu.co.id", [key], cluster)
    assert site.learned("kabarsatu.co.id") == set()
    site.observe("kabarsatu.co.id", [key], "c3")
    assert site.learned("kabarsatu.co.id") == {key}
    assert SiteLines.from_table(site.to_table()).learned("kabarsatu.co.id") == {key}


def _key_of_every_line(line: str) -> int | None:
    """line_key without its shortcut for long lines: every line normalised, then counted."""
    words = re.sub(r"[\W_]+", " ", line.casefold()).split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return None
    return int.from_bytes(hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest(), "little") >> 1


_PIECES = st.sampled_from(
    ["kata", "İstanbul", "ß", "-", " – ", "_", " ", ",", "x_y", "ǅ", "\u0307", "42", "ﬁ"]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=70).map(" ".join) | st.text(max_size=200))
def test_line_key_shortcut_for_long_lines_changes_no_key(line: str) -> None:
    """Lines of more than MAX_WORDS words are passed over before being normalised (counted in
    the line as written): the keys must be those of normalising every line, around the limit
    and with characters whose case folding splits a word ('İ')."""
    assert line_key(line) == _key_of_every_line(line)


def test_line_key_at_the_word_limit() -> None:
    assert line_key(" ".join(["kata"] * MAX_WORDS)) is not None
    assert line_key(" ".join(["kata"] * (MAX_WORDS + 1))) is None
    assert line_key("İx" + " kata" * (MAX_WORDS - 1)) is None  # 25 words as written, 26 once folded
