"""Find the raw files under RAW_DIR and say what kind each is.

Symlinks that resolve outside the raw folder are refused (reported, not followed):
a landing zone is not a way to read the rest of the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Longest suffix first: "x.warc.gz" is a WARC file, not a gzip of something else.
SUFFIX_TYPES: tuple[tuple[str, str], ...] = (
    (".warc.gz", "warc"),
    (".jsonl.gz", "jsonl"),
    (".html.gz", "html"),
    (".htm.gz", "html"),
    (".txt.gz", "text"),
    (".warc", "warc"),
    (".jsonl", "jsonl"),
    (".html", "html"),
    (".htm", "html"),
    (".txt", "text"),
)
SIDECAR_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class RawFile:
    """A file under the raw folder that kliping reads."""

    path: Path
    rel: str
    file_type: str  # html | text | jsonl | warc
    compressed: bool
    size: int
    mtime_ns: int
    refused: str | None = None  # why it is not read, when it is not


def classify(name: str) -> tuple[str, bool] | None:
    """(file type, gzipped) for a raw file name, or None for files kliping does not read."""
    lower = name.lower()
    for suffix, file_type in SUFFIX_TYPES:
        if lower.endswith(suffix):
            return file_type, suffix.endswith(".gz")
    return None


def discover(raw_dir: Path) -> Iterator[RawFile]:
    """Every raw file under `raw_dir`, recursively, in a stable (sorted) order."""
    root = raw_dir.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(filenames):
            kind = classify(name)
            if kind is None:
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            refused = None
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root):
                    refused = f"symlink leaves the raw folder (points to {target})"
            try:
                st = path.stat() if refused is None else path.lstat()
            except OSError as exc:
                refused = refused or f"cannot stat: {exc.strerror}"
                yield RawFile(path, rel, kind[0], kind[1], 0, 0, refused)
                continue
            yield RawFile(path, rel, kind[0], kind[1], st.st_size, st.st_mtime_ns, refused)
