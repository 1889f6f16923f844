"""FileList: a plan's raw files kept as columns behave as the RawFiles they replace."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kliping.config import RunConfig
from kliping.read.file_list import FileList
from kliping.read.files import RawFile, discover
from kliping.run import plan_run

NAMES = st.text(max_size=6)  # empty, non-ASCII, surrogates, separators of every kind
# many draws a file: on a loaded machine generating the lists can take longer than hypothesis likes
RELAXED = settings(
    suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True, database=None
)


@st.composite
def raw_files(draw: st.DrawFn) -> RawFile:
    rel = draw(NAMES)
    # nearly always "<raw folder>/<rel>"; sometimes anything (a name printed differently)
    location = draw(st.sampled_from(["/raw/", "/other/raw/"])) + rel if draw(st.booleans()) else draw(NAMES)
    refused = draw(st.none() | st.text(max_size=6))
    refusal = draw(st.sampled_from(["refused", "unreadable"]))
    return RawFile(
        location,
        rel,
        draw(st.sampled_from(["html", "text", "jsonl", "warc"])),
        draw(st.booleans()),
        draw(st.integers(0, 2**62)),
        draw(st.integers(0, 2**62)),
        refused,
        refusal,
    )


@RELAXED
@given(files=st.lists(raw_files(), max_size=12), cut=st.integers(0, 12))
def test_file_lists_are_the_files_they_were_given(files: list[RawFile], cut: int) -> None:
    listed = FileList(files)
    assert len(listed) == len(files) and list(listed) == files and listed == files
    assert [listed[i] for i in range(-len(files), len(files))] == files + files
    assert list(listed[cut:]) == files[cut:] and list(listed[::3]) == files[::3]
    assert [listed.rel(i) for i in range(len(files))] == [f.rel for f in files]
    assert pickle.loads(pickle.dumps(listed)) == files
    assert FileList.concat([listed[:cut], FileList(), files[cut:]]) == files
    assert FileList.concat([FileList(files[:cut]), FileList(files[cut:])]) == files
    expected = sum(f.size * (4 if f.compressed else 1) for f in files)
    assert listed.work_bytes(4) == expected


@RELAXED
@given(files=st.lists(raw_files(), max_size=12), skip_every=st.integers(1, 5))
def test_state_columns_are_the_read_files_not_skipped(files: list[RawFile], skip_every: int) -> None:
    files = [f for i, f in enumerate(files) if f.rel not in {g.rel for g in files[:i]}]  # rel is a key
    skip = {f.rel for f in files[::skip_every]} if skip_every > 1 else set()
    paths, sizes, mtimes, types = FileList(files).state_columns(skip)
    read = [f for f in files if f.refused is None and f.rel not in skip]
    assert paths.type == pa.string() and sizes.type == mtimes.type == pa.int64()
    assert paths.to_pylist() == [f.rel for f in read]
    assert sizes.to_pylist() == [f.size for f in read]
    assert mtimes.to_pylist() == [f.mtime_ns for f in read]
    assert types.to_pylist() == [f.file_type for f in read]


def test_out_of_range_is_an_index_error() -> None:
    listed = FileList([RawFile("/r/a.html", "a.html", "html", False, 1, 2)])
    with pytest.raises(IndexError):
        listed[1]
    with pytest.raises(IndexError):
        listed[-2]


def test_a_plan_holds_the_files_it_found(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "b").mkdir(parents=True)
    for i in range(7):
        (raw / "b" / f"{i}.txt").write_text("Jakarta - teks " * (i + 1))
    (raw / "a.html.gz").write_bytes(b"\x1f\x8b not really gzip")
    (raw / "ü.html").write_text("<p>x</p>")
    os.symlink(tmp_path, raw / "out.html")  # outside the raw folder: refused
    plan = plan_run(raw, tmp_path / "out", RunConfig(workers=2, batch_size=2))
    found = list(discover(raw))
    assert len(plan.batches) > 1 and all(isinstance(b.files, FileList) for b in plan.batches)
    assert plan.files == found and plan.file_count == len(found)
    assert [f for b in plan.batches for f in b.files] == found
    assert any(f.refused for f in plan.files)
    assert pickle.loads(pickle.dumps(plan)).files == found


def test_planning_and_committing_do_not_import_the_extractor(tmp_path: Path) -> None:
    """The workers extract; their parent plans and commits without trafilatura and lxml
    (11 MB of its memory, 0.1 s of its start)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(4):
        (raw / f"{i}.html").write_text(
            f"<html><body><article><p>{'Kalimat berita. ' * 40}{i}</p></article></body></html>"
        )
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from kliping.config import RunConfig
        from kliping.run import run_local
        if __name__ == "__main__":
            s = run_local(Path(sys.argv[1]), Path(sys.argv[2]), RunConfig(workers=2, batch_size=2))
            assert s.counts["read.records"] == 4, s.counts
            print(sorted(m for m in ("trafilatura", "lxml", "lxml.etree") if m in sys.modules))
        """
    )
    path = tmp_path / "parent.py"
    path.write_text(script)
    done = subprocess.run(
        [sys.executable, str(path), str(raw), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
