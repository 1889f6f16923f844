"""The raw files of a run or of a batch, kept as columns.

A run holds every file it reads from its plan to its commit. As `RawFile` objects, 100,000
files were 33 MB of small objects through the commit's memory peak (an object, two path
strings and two integers a file); as one string of the relative paths, a location prefix
shared by all and four numbers a file, about 4 MB (42 bytes a file with the
benchmark's 16-character paths). Files are handed out as `RawFile`s,
made when asked for (1 µs each).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import pyarrow as pa

from kliping.read.files import RawFile, work_bytes
from kliping.row_sequence import CodeColumn, RowSequence, StringColumn

_REFUSED = "refused"  # RawFile.refusal's default


class FileList(RowSequence[RawFile]):
    """RawFiles as columns. A file's location is `_prefix + rel` when it is that (nearly
    always: the raw folder and the path under it), else in `_locations`; `refused` and
    `refusal`, set for few files, are in `_refused`."""

    __slots__ = ("_compressed", "_locations", "_mtimes", "_prefix", "_refused", "_rels", "_sizes", "_types")

    def __init__(self, files: Iterable[RawFile] = ()) -> None:
        self._prefix: str | None = None
        self._compressed = array("B")
        self._sizes = array("q")
        self._mtimes = array("q")
        self._locations: dict[int, str] = {}
        self._refused: dict[int, tuple[str | None, str]] = {}
        rels: list[str] = []
        types: list[str] = []
        for i, f in enumerate(files):
            if self._prefix is None and f.location.endswith(f.rel):
                self._prefix = f.location[: len(f.location) - len(f.rel)]
            if self._prefix is None or f.location != self._prefix + f.rel:
                self._locations[i] = f.location
            rels.append(f.rel)
            types.append(f.file_type)
            self._compressed.append(f.compressed)
            self._sizes.append(f.size)
            self._mtimes.append(f.mtime_ns)
            if f.refused is not None or f.refusal != _REFUSED:
                self._refused[i] = (f.refused, f.refusal)
        self._rels = StringColumn(rels)
        self._types = CodeColumn(types)

    @classmethod
    def concat(cls, parts: Iterable[Sequence[RawFile]]) -> FileList:
        """The files of `parts`, one after the other, joined column by column (FileLists with
        the same location prefix) or file by file."""
        lists = [p if isinstance(p, FileList) else cls(p) for p in parts]
        prefixes = {p._prefix for p in lists if len(p)}
        if len(prefixes) > 1:
            return cls(f for p in lists for f in p)
        out = cls()
        out._prefix = prefixes.pop() if prefixes else None
        out._rels = StringColumn.concat([p._rels for p in lists])
        out._types = CodeColumn.concat([p._types for p in lists])
        for part in lists:
            base = len(out._compressed)
            out._compressed.extend(part._compressed)
            out._sizes.extend(part._sizes)
            out._mtimes.extend(part._mtimes)
            out._locations.update((base + i, loc) for i, loc in part._locations.items())
            out._refused.update((base + i, r) for i, r in part._refused.items())
        return out

    def __len__(self) -> int:
        return len(self._rels)

    def rel(self, i: int) -> str:
        """The relative path of file `i`, without making its RawFile."""
        return self._rels[i]

    def _row(self, i: int) -> RawFile:
        rel = self.rel(i)
        location = self._locations.get(i)
        if location is None:
            location = (self._prefix or "") + rel
        refused, refusal = self._refused.get(i, (None, _REFUSED))
        return RawFile(
            location,
            rel,
            self._types[i],
            bool(self._compressed[i]),
            self._sizes[i],
            self._mtimes[i],
            refused,
            refusal,
        )

    def work_bytes(self, compressed_factor: int) -> int:
        """The files' sizes added up, a compressed file's `compressed_factor` times over."""
        if not any(self._compressed):
            return sum(self._sizes)
        return sum(
            work_bytes(s, bool(c), compressed_factor)
            for s, c in zip(self._sizes, self._compressed, strict=True)
        )

    def state_columns(self, skip: set[str]) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """source_path, size, mtime_ns and file_type of the files that were read (not refused)
        and are not in `skip`, as Arrow arrays: the run's rows of the state's file index."""
        keep = [i for i in range(len(self)) if i not in self._refused or self._refused[i][0] is None]
        if skip:
            keep = [i for i in keep if self.rel(i) not in skip]
        if len(keep) == len(self):
            paths = self._rel_array()
            sizes, mtimes, types = self._sizes, self._mtimes, self._types.codes
        else:
            paths = pa.array([self.rel(i) for i in keep], pa.string())
            sizes = array("q", (self._sizes[i] for i in keep))
            mtimes = array("q", (self._mtimes[i] for i in keep))
            types = array("B", (self._types.codes[i] for i in keep))
        names = pa.array(self._types.names, pa.string())
        return (
            paths,
            pa.Array.from_buffers(pa.int64(), len(sizes), [None, pa.py_buffer(sizes)]),
            pa.Array.from_buffers(pa.int64(), len(mtimes), [None, pa.py_buffer(mtimes)]),
            names.take(pa.Array.from_buffers(pa.uint8(), len(types), [None, pa.py_buffer(types)])),
        )

    def _rel_array(self) -> pa.Array:
        """Every relative path as an Arrow string array: from the joined string's bytes when it
        is ASCII (character ends are byte ends then), else from a list of strings."""
        n = len(self)
        text, ends = self._rels.text, self._rels.ends
        if not text.isascii() or (ends[-1] if n else 0) >= 2**31:
            return pa.array([self.rel(i) for i in range(n)], pa.string())
        offsets = array("i", [0])
        offsets.extend(iter(ends))
        data = text.encode("ascii")
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
