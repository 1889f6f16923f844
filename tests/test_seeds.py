"""The five seed articles shipped in raw/: titles, outlets, dates, boilerplate gone, content kept."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from corpus import SEEDS

from kliping.config import RunConfig
from kliping.run import run_local

BOILERPLATE = {
    "000_c31d73d7346e60bc.txt": ["Global | sindonews", "share", "Baca Juga:", "Topik Menarik"],
    "001_0c1b7038fc966227.txt": ["MOSKOW, sp-globalindo.co.id", "Baca Juga:"],
    "002_baca1cbf2f675a3c.txt": ["mobic.store –"],
    "003_5cc8d4c95eea76fa.txt": ["Detak Tribe —", "Jangan lupa ikuti", "google news"],
    "004_4f183366c38137f2.txt": ["\nSumber"],
}
EXPECTED = {
    # file: (title, outlet, source_domain, published_at UTC, published_at_source)
    "000_c31d73d7346e60bc.txt": (
        "AS: 3.000 Tentara Korut Dikerahkan ke Rusia, Jadi Target Sah Jika Berperang di Ukraina",
        "sindonews", "sindonews.com", datetime(2024, 10, 23, 23, 52, tzinfo=UTC), "header",
    ),
    "001_0c1b7038fc966227.txt": (
        None, "sp-globalindo.co.id", "sp-globalindo.co.id", datetime(2024, 10, 28, 17, 0, tzinfo=UTC), "text_date",
    ),
    "002_baca1cbf2f675a3c.txt": (
        None, "mobic.store", "mobic.store", datetime(2024, 10, 30, 17, 0, tzinfo=UTC), "text_date",
    ),
    "003_5cc8d4c95eea76fa.txt": (
        None, "Detak Tribe", "detaktribe.com", datetime(2024, 10, 23, 17, 0, tzinfo=UTC), "text_date",
    ),
    "004_4f183366c38137f2.txt": (
        "AS berbicara tentang “bukti” bahwa Korea Utara mengirim pasukan ke Rusia", None, None, None, None,
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    raw = tmp_path_factory.mktemp("raw")
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy(f, raw / f.name)
    out = tmp_path_factory.mktemp("out")
    run_local(raw, out, RunConfig(workers=0))
    return pd.read_parquet(out / "articles").set_index("source_path")


def test_five_articles_five_singleton_clusters(seeds_out: pd.DataFrame) -> None:
    assert sorted(seeds_out.index) == sorted(EXPECTED)
    assert seeds_out["cluster_id"].nunique() == 5
    assert seeds_out["is_canonical"].all()
    assert (seeds_out["cluster_size"] == 1).all()
    assert (seeds_out["similarity"] == 1.0).all()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata(seeds_out: pd.DataFrame, name: str) -> None:
    row = seeds_out.loc[name]
    title, outlet, domain, published, source = EXPECTED[name]
    assert (row["title"] if isinstance(row["title"], str) else None) == title
    assert (row["outlet"] if isinstance(row["outlet"], str) else None) == outlet
    assert (row["source_domain"] if isinstance(row["source_domain"], str) else None) == domain
    got = row["published_at"]
    assert (None if pd.isna(got) else got.to_pydatetime()) == published
    assert (row["published_at_source"] if isinstance(row["published_at_source"], str) else None) == source
    assert row["lang"] == "id"


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_boilerplate_gone_and_recorded(seeds_out: pd.DataFrame, name: str) -> None:
    row = seeds_out.loc[name]
    text = "\n" + row["text"]
    for needle in BOILERPLATE[name]:
        assert needle.lower() not in text.lower(), (name, needle)
    assert all(r["rule"] for r in row["removed"])
    removed_text = "\n".join(r["text"] for r in row["removed"])
    for needle in BOILERPLATE[name]:
        assert needle.strip().lower() in removed_text.lower(), (name, needle)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_content_sentence_kept(seeds_out: pd.DataFrame, name: str) -> None:
    """Every line of the seed that no rule names is in the text, quotes and all."""
    row = seeds_out.loc[name]
    removed = {r["text"] for r in row["removed"]}
    text = row["text"]
    for line in (SEEDS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line in removed:
            continue
        for r in removed:  # a dateline removed from the start of a line
            if line.startswith(r):
                line = line[len(r) :].strip()
        assert line in text, (name, line[:80])
    assert "\n\n" in text and not re.search(r"\n{3,}", text)


def test_dateline_becomes_a_column(seeds_out: pd.DataFrame) -> None:
    assert seeds_out.loc["001_0c1b7038fc966227.txt", "dateline"] == "MOSKOW, sp-globalindo.co.id –"
    assert seeds_out.loc["002_baca1cbf2f675a3c.txt", "dateline"] == "mobic.store –"
    assert seeds_out.loc["003_5cc8d4c95eea76fa.txt", "dateline"] == "Detak Tribe —"


def test_seed_files_shipped() -> None:
    assert len(list(Path(SEEDS).glob("*.txt"))) == 5
