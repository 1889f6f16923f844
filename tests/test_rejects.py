"""Bad input never stops a run and is never lost: every record ends in articles or rejects."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from corpus import article_body

from kliping.config import RunConfig
from kliping.run import run_local


def page(rng: random.Random, title: str = "Judul berita") -> str:
    paras = "".join(f"<p>{p}</p>" for p in article_body(rng, 6))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}</article></body></html>"


def write_hostile_corpus(tmp_path: Path, rng: random.Random) -> tuple[Path, dict[str, str]]:
    """A raw folder of every kind of broken input beside good records; returns it and the
    reject reason expected per broken file (the records are read with a 20,000-byte limit)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    good = "\n\n".join(article_body(rng, 5))
    expected_reject = {
        "empty.txt": "empty",
        "blank.html": "empty",
        "garbage.html": "undecodable",
        "empty.txt.gz": "empty",
        "notgzip.html.gz": "malformed",
        "truncated.txt.gz": "malformed",
        "badsidecar.txt": "malformed",
        "big.txt": "too_large",
        "nav.html": "no_article",
    }
    (raw / "empty.txt").write_bytes(b"")
    (raw / "blank.html").write_bytes(b"   \n\t  ")
    noise = random.Random(1)
    (raw / "garbage.html").write_bytes(bytes(noise.randrange(256) for _ in range(5000)))
    (raw / "empty.txt.gz").write_bytes(b"")
    (raw / "notgzip.html.gz").write_bytes(b"this is not gzip at all")
    (raw / "truncated.txt.gz").write_bytes(gzip.compress(good.encode())[:-20])
    (raw / "badsidecar.txt").write_text(good)
    (raw / "badsidecar.txt.meta.json").write_text("{not json")
    (raw / "big.txt").write_text(good * 40)
    (raw / "nav.html").write_text("<html><body><nav><a href='/a'>Beranda</a></nav></body></html>")
    # good ones, with awkward names and encodings
    (raw / "with space ü.txt").write_text(good)
    (raw / "-leading-dash.txt").write_text("\n\n".join(article_body(rng, 5)))
    (raw / "latin1.html").write_bytes(
        page(rng, "Café di Jakarta").replace("<head>", '<head><meta charset="iso-8859-1">').encode("latin-1")
    )
    (raw / "utf16.txt").write_bytes("\n\n".join(article_body(rng, 5)).encode("utf-16"))
    (raw / "zipped.html.gz").write_bytes(gzip.compress(page(rng).encode()))
    (raw / "outside-link.txt").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "secret.txt").write_text(good)
    (raw / "notes.md").write_text("not raw input")
    lines = [
        json.dumps({"url": "https://example.id/1", "text": "\n\n".join(article_body(rng, 5))}),
        "{broken json",
        json.dumps({"url": "https://example.id/3"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"url": "javascript:alert(1)", "html": page(rng), "fetched_at": "2024-10-24T00:00:00Z"}),
    ]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n")
    os.utime(raw / "feed.jsonl")
    return raw, expected_reject


def test_hostile_corpus_fully_accounted(tmp_path: Path, rng: random.Random) -> None:
    raw, expected_reject = write_hostile_corpus(tmp_path, rng)
    out = tmp_path / "out"
    summary = run_local(raw, out, RunConfig(workers=0, max_record_bytes=20_000))
    art = pd.read_parquet(out / "articles")
    rej = pd.read_parquet(out / "rejects")
    reasons = {
        (r["source_path"], r["source_record"]): r["reason"]
        for r in pq.ParquetDataset(out / "rejects").read().to_pylist()
    }
    for name, reason in expected_reject.items():
        assert reasons.get((name, None)) == reason, (name, reasons)
    assert reasons[("outside-link.txt", None)] == "refused"
    assert reasons[("feed.jsonl", "2")] == "malformed"
    assert reasons[("feed.jsonl", "3")] == "malformed"
    assert reasons[("feed.jsonl", "4")] == "malformed"
    assert set(art["source_path"]) == {
        "with space ü.txt", "-leading-dash.txt", "latin1.html", "utf16.txt", "zipped.html.gz", "feed.jsonl",
    }  # fmt: skip
    feed = art[art["source_path"] == "feed.jsonl"].set_index("source_record")
    assert feed.loc["1", "source_url"] == "https://example.id/1"
    assert pd.isna(feed.loc["5", "source_url"])  # a javascript: URL is not trusted
    assert "Café di Jakarta" in art.set_index("source_path").loc["latin1.html", "title"]
    # accounting: records read = articles + rejects, and every record has one row
    assert summary.count("read.records") == len(art) + len(rej)
    assert summary.count("read.files_ignored") == 2  # notes.md and the sidecar
    assert (rej["detail"].str.len() > 0).all() and not rej["detail"].str.contains("\n").any()


def test_files_passed_over_are_counted_on_the_walk_that_finds_the_raw_files(tmp_path: Path) -> None:
    """`discover` counts what it passes over as it walks (a second walk took 0.8 s a run at
    100k records): files that are not raw input and symlinks to folders with other names; a
    symlinked folder named like a raw file is found (and refused), folders are not counted."""
    from kliping.read.files import Ignored, discover

    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (raw / "a.txt").write_text("x")
    (raw / "a.txt.meta.json").write_text("{}")
    (raw / "notes.md").write_text("x")
    (raw / "sub" / "b.html").write_text("x")
    (raw / "sub" / "README").write_text("x")
    (raw / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (raw / "linked.html").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    ignored = Ignored()
    found = {f.rel: f.refused is not None for f in discover(raw, ignored)}
    assert found == {"a.txt": False, "linked.html": True, "sub/b.html": False}
    assert ignored.count == 4  # the sidecar, notes.md, sub/README, the folder link 'linked'
    assert {f.rel for f in discover(raw)} == set(found)  # counting changes nothing found
