"""Find the raw files under RAW_DIR and say what kind each is.

Symlinks that resolve outside the raw folder are refused (reported, not followed):
a landing zone is not a way to read the rest of the machine. So are symlink loops and
anything that is not a regular file (a FIFO named `x.html` would block the reader forever).

File names are bytes on Linux and need not be UTF-8; `rel` is always valid Unicode (bytes
that are not UTF-8 are written as `\\xNN`), so that it can be stored in Parquet.
"""

from __future__ import annotations

import errno
import os
import stat
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


@dataclass(frozen=True, slots=True)
class RawFile:
    """A file under the raw folder that kliping reads.

    Its path is kept as a string: a plan of 10,000 files is pickled for the flow's tasks,
    and unpickling 10,000 `Path` objects took 0.1 s each time (strings: 1 ms). Slotted: a run
    holds one for every file it reads until it commits."""

    location: str
    rel: str
    file_type: str  # html | text | jsonl | warc
    compressed: bool
    size: int
    mtime_ns: int
    refused: str | None = None  # why it is not read, when it is not
    refusal: str = "refused"  # the reject reason for a file not read: refused, or unreadable

    @property
    def path(self) -> Path:
        return Path(self.location)


def work_bytes(size: int, compressed: bool, compressed_factor: int) -> int:
    """A file's size as a measure of the work of reading it: a compressed file's counts
    `compressed_factor` times (news text and HTML compress about 4:1)."""
    return size * (compressed_factor if compressed else 1)


# Each suffix's last part ("gz", "html", ...) → the suffixes ending in it, longest first.
_BY_LAST_PART: dict[str, tuple[tuple[str, str, bool], ...]] = {}
for _suffix, _type in SUFFIX_TYPES:
    _BY_LAST_PART.setdefault(_suffix.rsplit(".", 1)[1], ())
    _BY_LAST_PART[_suffix.rsplit(".", 1)[1]] += ((_suffix, _type, _suffix.endswith(".gz")),)


def classify(name: str) -> tuple[str, bool] | None:
    """(file type, gzipped) for a raw file name, or None for files kliping does not read.

    Looked up by the name's last suffix: a folder of 100,000 records holds 200,000 names
    (sidecars too), and trying every suffix in turn took 0.4 s of each run's plan."""
    lower = name.lower()
    for suffix, file_type, gzipped in _BY_LAST_PART.get(lower.rpartition(".")[2], ()):
        if lower.endswith(suffix):
            return file_type, gzipped
    return None


def printable_path(path: str | os.PathLike[str]) -> str:
    """A path as valid Unicode: bytes of the name that are not UTF-8 become `\\xNN`."""
    if isinstance(path, str) and path.isascii():  # bytes that are not UTF-8 are non-ASCII surrogates
        return path
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _refusal(path: Path, root: Path) -> tuple[str, str] | os.stat_result:
    """The file's stat when it is read; else why it is not, and the reject reason for that."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
                return "symlink loop", "refused"
            try:
                dangling = path.resolve()
            except (OSError, RuntimeError):
                return "symlink loop", "refused"
            if not dangling.is_relative_to(root):
                return f"symlink leaves the raw folder (points to {printable_path(dangling)})", "refused"
            return f"broken symlink (points to {printable_path(dangling)}, not there)", "unreadable"
        if not target.is_relative_to(root):
            return f"symlink leaves the raw folder (points to {printable_path(target)})", "refused"
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}", "unreadable"
    if not stat.S_ISREG(st.st_mode):
        mode = st.st_mode
        kind = (
            "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a directory" if stat.S_ISDIR(mode)
            else "a device or special file"
        )  # fmt: skip
        return f"not a regular file ({kind})", "refused"
    return st


@dataclass
class Ignored:
    """How many entries a `discover` walk passed over, once it is done: files that are not raw
    input (sidecars, notes) and symlinks to directories with other names. Directories are not
    counted."""

    count: int = 0


def discover(raw_dir: Path, ignored: Ignored | None = None) -> Iterator[RawFile]:
    """Every raw file under `raw_dir`, recursively, in a stable (sorted) order; with `ignored`,
    the entries passed over are counted on the same walk (a second walk of a 100k-record folder
    for them took 0.8 s of every run).

    A plain regular file is taken from one `lstat`, its relative name from string joins
    (with pathlib's `relative_to` and two stat calls a file, 100,000 files took 11 s; now 2);
    symlinks and special files go through `_refusal`."""
    root = raw_dir.resolve()
    root_text = str(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        inside = os.path.relpath(dirpath, root_text).replace(os.sep, "/")
        prefix = "" if dirpath == root_text else inside + "/"
        base = dirpath if dirpath.endswith(os.sep) else dirpath + os.sep  # os.path.join, per folder
        # os.walk lists a symlink to a directory with the directories and does not follow it;
        # one named like a raw file is reported, not silently passed over.
        links = [d for d in dirnames if (here / d).is_symlink()]
        linked_dirs = [d for d in links if classify(d) is not None]
        if ignored is not None:
            ignored.count += len(links) - len(linked_dirs)
        for name in sorted([*filenames, *linked_dirs]):
            kind = classify(name)
            if kind is None:
                if ignored is not None:
                    ignored.count += 1
                continue
            location = base + name
            rel = printable_path(prefix + name)
            try:
                plain = os.lstat(location)
            except OSError:
                plain = None
            if plain is not None and stat.S_ISREG(plain.st_mode):  # not a symlink, nothing special
                yield RawFile(location, rel, kind[0], kind[1], plain.st_size, plain.st_mtime_ns)
                continue
            found = _refusal(Path(location), root)
            if isinstance(found, os.stat_result):
                yield RawFile(location, rel, kind[0], kind[1], found.st_size, found.st_mtime_ns)
                continue
            size, mtime = (plain.st_size, plain.st_mtime_ns) if plain is not None else (0, 0)
            yield RawFile(location, rel, kind[0], kind[1], size, mtime, _one_line(found[0]), found[1])
