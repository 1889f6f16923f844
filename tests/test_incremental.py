"""Runs in a row over a growing raw folder: nothing reprocessed, stable ids, late originals, crashes."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from corpus import ROOT, article_body, outlet_copy

from kliping.config import RunConfig
from kliping.dataset import OutputBusyError, OutputStore
from kliping.run import run_local

CFG = RunConfig(workers=0)
OUTLETS = ["kabarsatu.co.id", "warta-nusantara.com", "beritaku.id"]


def add_copy(raw: Path, name: str, body: list[str], outlet: str, rng: random.Random, fetched: str) -> None:
    (raw / name).write_text(outlet_copy(body, outlet, rng, cut=1, edits=0.02), encoding="utf-8")
    (raw / f"{name}.meta.json").write_text(
        json.dumps({"url": f"https://{outlet}/{name}", "fetched_at": fetched})
    )


def add_original(raw: Path, name: str, body: list[str], published: str) -> None:
    (raw / name).write_text(
        json.dumps({"url": f"https://wire.example/{name}", "text": "\n".join(body), "fetched_at": published})
        + "\n"
    )


def rows(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "articles").sort_values("source_path").reset_index(drop=True)


def test_rerun_adds_nothing_and_late_original_takes_over(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    body = article_body(rng, 9)
    add_copy(raw, "a.txt", body, OUTLETS[0], rng, "2024-10-26T00:00:00Z")
    add_copy(raw, "b.txt", body, OUTLETS[1], rng, "2024-10-27T00:00:00Z")
    (raw / "other.txt").write_text("\n\n".join(article_body(rng, 5)))
    run_local(raw, out, CFG)
    first = rows(out)
    cluster = first.loc[first["source_path"] == "a.txt", "cluster_id"].item()
    assert first.loc[first["source_path"] == "b.txt", "cluster_id"].item() == cluster
    assert first.loc[first["source_path"] == "a.txt", "is_canonical"].item()

    again = run_local(raw, out, CFG)  # same input: no new rows, no new snapshot
    assert not again.committed and again.count("read.files_skipped_unchanged") == 3
    pd.testing.assert_frame_equal(rows(out), first)

    add_original(raw, "wire.jsonl", body, "2024-10-24T00:00:00+00:00")
    add_copy(raw, "c.txt", body, OUTLETS[2], rng, "2024-10-28T00:00:00Z")
    third = run_local(raw, out, CFG)
    assert third.count("read.records") == 2  # only the new files were read
    assert third.count("commit.articles_rewritten") == 2
    now = rows(out)
    assert len(now) == 5 and now["doc_id"].is_unique
    members = now[now["cluster_id"] == cluster]
    assert sorted(members["source_path"]) == ["a.txt", "b.txt", "c.txt", "wire.jsonl"]
    wire_id = members.loc[members["source_path"] == "wire.jsonl", "doc_id"].item()
    assert (members["canonical_id"] == wire_id).all()
    assert members.loc[members["doc_id"] == wire_id, "is_canonical"].item()
    assert (members["cluster_size"] == 4).all()
    # rows of the first run keep what they were, but for their cluster columns
    old = first.set_index("doc_id")
    for col in ("text", "processed_at", "flow_run_id", "removed"):
        for doc_id in old.index:
            assert str(now.set_index("doc_id").loc[doc_id, col]) == str(old.loc[doc_id, col])


def test_merge_keeps_older_cluster_id(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    body = article_body(rng, 12)
    # two halves of one story, too different to be one cluster on their own...
    (raw / "first-half.txt").write_text("\n\n".join(body[:8]))
    run_local(raw, out, CFG)
    (raw / "second-half.txt").write_text("\n\n".join(body[4:]))
    run_local(raw, out, CFG)
    before = rows(out).set_index("source_path")["cluster_id"]
    assert before["first-half.txt"] != before["second-half.txt"]
    # ...until the whole story arrives and bridges them
    (raw / "whole.txt").write_text("\n\n".join(body))
    run_local(raw, out, CFG)
    after = rows(out).set_index("source_path")["cluster_id"]
    assert set(after) == {before["first-half.txt"]}
    merges = pq.read_table(out / "_state" / "merges.parquet").to_pylist()
    assert [(m["survivor"], m["absorbed"]) for m in merges] == [
        (before["first-half.txt"], before["second-half.txt"])
    ]


KILL_AT_COMMIT = """
import os, signal, sys
from pathlib import Path
from kliping.dataset import OutputStore
from kliping.run import run_local
from kliping.config import RunConfig
def die(self, snap):
    os.kill(os.getpid(), signal.SIGKILL)
OutputStore.commit = die
run_local(Path(sys.argv[1]), Path(sys.argv[2]), RunConfig(workers=0))
"""


def test_sigkill_before_commit_leaves_previous_dataset(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "one.txt").write_text("\n\n".join(article_body(rng, 5)))
    run_local(raw, out, CFG)
    before = rows(out)
    state_before = sorted(p.name for p in (out / "_state").iterdir())
    (raw / "two.txt").write_text("\n\n".join(article_body(rng, 5)))
    proc = subprocess.run([sys.executable, "-c", KILL_AT_COMMIT, str(raw), str(out)], cwd=ROOT)
    assert proc.returncode == -9
    # a reader sees the previous dataset, whole; the state is the previous state
    pd.testing.assert_frame_equal(rows(out), before)
    assert sorted(p.name for p in (out / "_state").iterdir()) == state_before
    assert any(p.name.startswith(".building-") for p in (out / "_snapshots").iterdir())
    # the next run finishes the work and clears what the dead run left
    run_local(raw, out, CFG)
    assert sorted(rows(out)["source_path"]) == ["one.txt", "two.txt"]
    assert not any(p.name.startswith(".") for p in (out / "_snapshots").iterdir())
    assert not (out / "_work").exists() or not any((out / "_work").iterdir())


def test_second_run_on_same_output_is_refused(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "out")
    with store.lock(), pytest.raises(OutputBusyError, match="another kliping run"):
        run_local(tmp_path, tmp_path / "out", CFG)


def test_library_never_imports_prefect() -> None:
    code = (
        "import sys, pkgutil, importlib, kliping\n"
        "for m in pkgutil.walk_packages(kliping.__path__, 'kliping.'):\n"
        "    if m.name != 'kliping.cli': importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')]\n"
        "assert not bad, bad[:5]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ})


def test_changed_shingle_size_resigns_history(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    body = article_body(rng, 8)
    add_copy(raw, "a.txt", body, OUTLETS[0], rng, "2024-10-26T00:00:00Z")
    run_local(raw, out, RunConfig(workers=0, shingle_size=5))
    add_copy(raw, "b.txt", body, OUTLETS[1], rng, "2024-10-27T00:00:00Z")
    run_local(raw, out, RunConfig(workers=0, shingle_size=3))
    now = rows(out)
    assert now["cluster_id"].nunique() == 1  # the old article was signed again with 3-word shingles
    manifest = json.loads((out / "_state" / "manifest.json").read_text())
    assert manifest["shingle_size"] == 3 and manifest["signature_version"] >= 2
    assert sorted(p.name for p in (out / "_state").glob("docs-*.parquet")) == [
        "docs-000000.parquet",
        "docs-000002.parquet",
    ]


def test_the_commit_takes_the_history_loaded_while_the_workers_ran(
    tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_local loads the current snapshot's history while the batches run; the commit uses it
    (not loading it twice) and gives the same rows as a commit that loads it itself."""
    from kliping import run
    from kliping.syndication.index import History

    body = article_body(rng, 9)
    raw = tmp_path / "raw-a"
    raw.mkdir()
    add_copy(raw, "a.txt", body, OUTLETS[0], rng, "2024-10-26T00:00:00Z")
    (raw / "other.txt").write_text("\n\n".join(article_body(rng, 5)))
    shutil.copytree(raw, tmp_path / "raw-b")
    for name in ("a", "b"):
        run_local(tmp_path / f"raw-{name}", tmp_path / f"out-{name}", CFG)
        add_original(tmp_path / f"raw-{name}", "wire.jsonl", body, "2024-10-24T00:00:00+00:00")
    loads: list[Path | None] = []
    real = History.load.__func__  # type: ignore[attr-defined]

    def counted(cls: type[History], snapshot: Path | None, num_perm: int) -> History:
        loads.append(snapshot)
        result: History = real(cls, snapshot, num_perm)
        return result

    monkeypatch.setattr(History, "load", classmethod(counted))
    run_local(tmp_path / "raw-a", tmp_path / "out-a", RunConfig(workers=2))
    assert len(loads) == 1 and not run._preloaded  # preloaded once, taken by the commit

    # a history preloaded for another output is not used, nor kept
    run.preload_for_commit(CFG, tmp_path / "out-a")
    assert len(loads) == 2 and run._preloaded
    run_local(tmp_path / "raw-b", tmp_path / "out-b", CFG)
    assert len(loads) == 3 and not run._preloaded
    columns = ["source_path", "cluster_id", "canonical_id", "is_canonical", "similarity", "text"]
    pd.testing.assert_frame_equal(rows(tmp_path / "out-a")[columns], rows(tmp_path / "out-b")[columns])
