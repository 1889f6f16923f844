"""Site-learned boilerplate: an outlet's recurring line goes; a line shared by copies of one story stays."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
from corpus import article_body

from kliping.clean.site import MIN_CLUSTERS, SiteLines, line_key
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
