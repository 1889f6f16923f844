"""A run killed at any write leaves the dataset readable and whole; the next run completes the work."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
from corpus import ROOT, article_body

from kliping.config import RunConfig
from kliping.run import run_local

KILL_AT_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import pyarrow.parquet as pq
    import kliping.dataset as dataset
    from kliping.config import RunConfig
    from kliping.run import run_local

    target, calls = int(sys.argv[3]), [0]
    real = pq.write_table

    def write_then_maybe_die(table, where, **kw):
        calls[0] += 1
        if calls[0] == target:  # die half-way through this file
            with open(where, "wb") as fh:
                fh.write(b"PAR1 half a file")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(table, where, **kw)

    real_close = dataset.ParquetStream.close

    def close_then_maybe_die(self):  # a file written a row group at a time
        calls[0] += 1
        if calls[0] == target:
            with open(self.tmp, "ab") as fh:
                fh.write(b"half a row group")
            os.kill(os.getpid(), signal.SIGKILL)
        return real_close(self)

    dataset.pq.write_table = write_then_maybe_die
    dataset.ParquetStream.close = close_then_maybe_die
    run_local(Path(sys.argv[1]), Path(sys.argv[2]), RunConfig(workers=0, batch_size=2))
    print("writes", calls[0])
    """
)


def read_all(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "articles"), pd.read_parquet(out / "rejects")


def test_sigkill_at_every_write(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for i in range(3):
        (raw / f"first-{i}.txt").write_text("\n\n".join(article_body(rng, 5)))
    run_local(raw, out, RunConfig(workers=0))
    before_articles, before_rejects = read_all(out)
    for i in range(3):
        (raw / f"second-{i}.txt").write_text("\n\n".join(article_body(rng, 5)))
    (raw / "broken.txt.gz").write_bytes(b"nope")

    # how many Parquet writes a whole run makes
    probe = tmp_path / "probe"
    subprocess.run(["cp", "-a", str(out), str(probe)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", KILL_AT_WRITE, str(raw), str(probe), "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    writes = int(done.stdout.split()[-1])
    assert writes >= 6

    for target in range(1, writes + 1):
        proc = subprocess.run(
            [sys.executable, "-c", KILL_AT_WRITE, str(raw), str(out), str(target)], cwd=ROOT
        )
        assert proc.returncode == -9, target
        articles, rejects = read_all(out)  # readable, and exactly the last committed dataset
        pd.testing.assert_frame_equal(articles, before_articles)
        pd.testing.assert_frame_equal(rejects, before_rejects)

    summary = run_local(raw, out, RunConfig(workers=0))
    articles, rejects = read_all(out)
    assert sorted(articles["source_path"]) == [f"{p}-{i}.txt" for p in ("first", "second") for i in range(3)]
    assert articles["doc_id"].is_unique
    assert rejects["source_path"].tolist() == ["broken.txt.gz"]
    assert summary.count("commit.articles_written") == 3


CONCURRENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kliping.config import RunConfig
    from kliping.dataset import OutputBusyError
    from kliping.run import run_local
    try:
        run_local(Path(sys.argv[1]), Path(sys.argv[2]), RunConfig(workers=0))
        print("finished")
    except OutputBusyError as exc:
        print("refused:", exc)
        sys.exit(3)
    """
)


def test_two_runs_at_once_one_refuses(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for i in range(30):
        (raw / f"a-{i}.txt").write_text("\n\n".join(article_body(rng, 6)))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(raw), str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in procs]
    codes = sorted(code for code, _ in results)
    outputs = " ".join(text for _, text in results)
    # either the second started after the first finished (it then finds nothing new), or it was refused
    assert codes in ([0, 0], [0, 3]), results
    if codes == [0, 3]:
        assert "another kliping run is writing to" in outputs
    articles = pd.read_parquet(out / "articles")
    assert len(articles) == 30 and articles["doc_id"].is_unique
