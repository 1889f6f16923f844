"""A batch's files are advised to the kernel ahead of being read (kliping.read.prefetch)."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import time
from pathlib import Path

import pytest

from kliping.read.files import discover
from kliping.read.prefetch import advise_will_need, prefetch_paths, probably_cached, read_ahead

pytestmark = pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cached(path: Path) -> bool:
    """Whether every page of the file is in the page cache: `mincore` on a mapping of it, which
    looks without reading (a read that must not wait, RWF_NOWAIT, starts reading the file)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    size = path.stat().st_size
    vec = (ctypes.c_ubyte * -(-size // mmap.PAGESIZE))()
    with path.open("rb") as fh:
        mapped = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY)  # writable: from_buffer
        try:
            start = ctypes.c_char.from_buffer(mapped)
            rc = libc.mincore(ctypes.c_void_p(ctypes.addressof(start)), ctypes.c_size_t(size), vec)
            del start
        finally:
            mapped.close()
    if rc != 0:
        raise OSError(ctypes.get_errno(), "mincore failed")
    return all(v & 1 for v in vec)


def _evict(path: Path) -> bool:
    """Drop the file from the page cache; False where that cannot be done (tmpfs keeps it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # dirty pages are not dropped
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return not _cached(path)


def test_paths_are_the_files_and_their_sidecars_in_reading_order(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(raw / "a.html", "<html><body><p>x</p></body></html>")
    _write(raw / "b.txt", "teks")
    _write(raw / "c.jsonl", '{"text": "x"}\n')
    files = sorted(discover(raw), key=lambda f: f.rel)
    raw = raw.resolve()
    assert list(prefetch_paths(files)) == [
        str(raw / "a.html"), str(raw / "a.html.meta.json"),
        str(raw / "b.txt"), str(raw / "b.txt.meta.json"),
        str(raw / "c.jsonl"),
    ]  # fmt: skip


def test_advice_skips_what_cannot_be_opened_and_never_blocks(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", "satu")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opened without O_NONBLOCK, this would wait for a writer forever
    links = [tmp_path / "pipe.txt.meta.json", tmp_path / "a.txt.meta.json"]
    links[0].symlink_to(fifo)  # symlinks (which could lead to a device) are not even opened
    links[1].symlink_to(a)
    paths = [str(a), str(tmp_path / "missing.txt"), str(fifo), str(tmp_path), *map(str, links)]
    assert advise_will_need(paths) == 1  # only the regular file itself


def test_advised_files_come_into_the_page_cache(tmp_path: Path) -> None:
    files = [_write(tmp_path / f"{i}.txt", "kata " * 2000) for i in range(20)]
    if not all(_evict(f) for f in files):
        pytest.skip("this filesystem keeps files in memory (tmpfs): nothing to read ahead")
    assert advise_will_need(str(f) for f in files) == len(files)
    deadline = time.monotonic() + 30  # the kernel reads them in the background: wait, not time it
    while not all(_cached(f) for f in files) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_cached(f) for f in files)


def test_read_ahead_yields_every_file_after_advising_the_one_far_enough_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kliping.read import prefetch

    raw = tmp_path / "raw"
    for i in range(10):
        _write(raw / f"{i:02d}.jsonl", '{"text": "x"}\n')
    files = sorted(discover(raw), key=lambda f: f.rel)
    advised: list[str] = []
    monkeypatch.setattr(prefetch, "advise_will_need", lambda paths: advised.extend(paths) or 0)
    monkeypatch.setattr(prefetch, "probably_cached", lambda files: False)
    seen = []
    for raw_file in read_ahead(files, distance=3):
        seen.append(raw_file)
        # the file being read and the three after it (as many as there are) have been advised
        assert advised == [f.location for f in files[: min(len(seen) + 3, len(files))]]
    assert seen == files


def test_cached_files_are_read_without_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kliping.read import prefetch

    raw = tmp_path / "raw"
    for i in range(40):
        _write(raw / f"{i:02d}.txt", "kata " * 200)
    files = sorted(discover(raw), key=lambda f: f.rel)
    assert probably_cached(files)  # just written: in the page cache
    advised: list[str] = []
    monkeypatch.setattr(prefetch, "advise_will_need", lambda paths: advised.extend(paths) or 0)
    assert list(read_ahead(files)) == files
    assert advised == []


def test_files_out_of_the_cache_are_advised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kliping.read import prefetch

    if not hasattr(os, "RWF_NOWAIT"):
        pytest.skip("no RWF_NOWAIT here: every batch is advised")
    raw = tmp_path / "raw"
    paths = [_write(raw / f"{i:02d}.txt", "kata " * 2000) for i in range(40)]
    if not all(_evict(p) for p in paths):
        pytest.skip("this filesystem keeps files in memory (tmpfs): nothing to read ahead")
    files = sorted(discover(raw), key=lambda f: f.rel)
    advised: list[str] = []
    monkeypatch.setattr(prefetch, "advise_will_need", lambda paths: advised.extend(paths) or 0)
    assert list(read_ahead(files, distance=3)) == files
    assert [p for p in advised if not p.endswith(".meta.json")] == [f.location for f in files]


def test_a_batch_of_unreadable_files_counts_as_cached(tmp_path: Path) -> None:
    """Files that cannot be opened (gone, a symlink) have nothing to wait for."""
    raw = tmp_path / "raw"
    _write(raw / "a.txt", "satu")
    _write(tmp_path / "elsewhere.txt", "dua")
    (raw / "b.txt").symlink_to(tmp_path / "elsewhere.txt")
    files = sorted(discover(raw), key=lambda f: f.rel)
    (raw / "a.txt").unlink()
    assert probably_cached(files)
