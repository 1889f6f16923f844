"""Records, articles and rejects per input file, for a batch or a run, kept as columns.

A run holds these counts for every file it read, from its batches to its end. As a list of
tuples, 100,000 files were 22 MB of small objects at the commit's memory peak (a tuple, a path
string and a list slot a file); as one string of the paths, a type code and three integers a
file, about 8 MB.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

from kliping.row_sequence import RowSequence

FileRow = tuple[str, str, int, int, int]  # source path, file type, records, articles, rejects


class FileCounts(RowSequence[FileRow]):
    """(source path, file type, records, articles, rejects) of each file, as a sequence of
    tuples, made when asked for. Paths end where `_ends` says in `_paths`; types are indexes
    into `_type_names`; counts are three to a file."""

    __slots__ = ("_counts", "_ends", "_paths", "_type_names", "_types")

    def __init__(self, rows: Iterable[FileRow] = ()) -> None:
        paths: list[str] = []
        names: dict[str, int] = {}
        ends, types, counts = array("q"), array("I"), array("q")
        end = 0
        for path, file_type, records, articles, rejects in rows:
            paths.append(path)
            end += len(path)
            ends.append(end)
            types.append(names.setdefault(file_type, len(names)))
            counts.extend((records, articles, rejects))
        self._paths = "".join(paths)
        self._ends = ends
        self._types = types
        self._type_names = tuple(names)
        self._counts = counts

    @classmethod
    def concat(cls, parts: Iterable[Sequence[FileRow]]) -> FileCounts:
        """The rows of `parts`, one after the other; FileCounts are joined column by column,
        without a string or a tuple a row (a run's 100,000 rows were 11 MB of them)."""
        out = cls()
        paths: list[str] = []
        names: dict[str, int] = {}
        for part in parts:
            if not isinstance(part, FileCounts):
                part = cls(part)
            codes = [names.setdefault(name, len(names)) for name in part._type_names]
            offset = out._ends[-1] if out._ends else 0
            out._ends.extend(end + offset for end in part._ends)
            out._types.extend(codes[t] for t in part._types)
            out._counts.extend(part._counts)
            paths.append(part._paths)
        out._paths = "".join(paths)
        out._type_names = tuple(names)
        return out

    def __len__(self) -> int:
        return len(self._ends)

    def _row(self, i: int) -> FileRow:
        start = self._ends[i - 1] if i else 0
        c = 3 * i
        return (
            self._paths[start : self._ends[i]],
            self._type_names[self._types[i]],
            self._counts[c],
            self._counts[c + 1],
            self._counts[c + 2],
        )
