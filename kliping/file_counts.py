"""Records, articles and rejects per input file, for a batch or a run, kept as columns.

A run holds these counts for every file it read, from its batches to its end. As a list of
tuples, 100,000 files were 22 MB of small objects at the commit's memory peak (a tuple, a path
string and a list slot a file); as one string of the paths, a type code and three integers a
file, about 8 MB.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

from kliping.row_sequence import CodeColumn, RowSequence, StringColumn

FileRow = tuple[str, str, int, int, int]  # source path, file type, records, articles, rejects


class FileCounts(RowSequence[FileRow]):
    """(source path, file type, records, articles, rejects) of each file, as a sequence of
    tuples, made when asked for; counts are three to a file."""

    __slots__ = ("_counts", "_paths", "_types")

    def __init__(self, rows: Iterable[FileRow] = ()) -> None:
        paths: list[str] = []
        types: list[str] = []
        self._counts = array("q")
        for path, file_type, records, articles, rejects in rows:
            paths.append(path)
            types.append(file_type)
            self._counts.extend((records, articles, rejects))
        self._paths = StringColumn(paths)
        self._types = CodeColumn(types)

    @classmethod
    def concat(cls, parts: Iterable[Sequence[FileRow]]) -> FileCounts:
        """The rows of `parts`, one after the other; FileCounts are joined column by column,
        without a string or a tuple a row (a run's 100,000 rows were 11 MB of them)."""
        counts = [p if isinstance(p, FileCounts) else cls(p) for p in parts]
        out = cls()
        out._paths = StringColumn.concat([p._paths for p in counts])
        out._types = CodeColumn.concat([p._types for p in counts])
        for part in counts:
            out._counts.extend(part._counts)
        return out

    def __len__(self) -> int:
        return len(self._paths)

    def _row(self, i: int) -> FileRow:
        c = 3 * i
        return (self._paths[i], self._types[i], self._counts[c], self._counts[c + 1], self._counts[c + 2])
