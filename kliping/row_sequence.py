"""A read-only sequence of rows kept as columns, each row made when asked for.

A run keeps some per-file data for every file it reads (`kliping.file_counts.FileCounts`,
`kliping.read.file_list.FileList`): as columns, not an object a row, for memory. What makes
them sequences (indexes, slices, iteration, equality with a list of rows) is the same for all
and lives here, with the two kinds of column both keep (paths as one string, file types as
codes); each says how to make its row `i` and how to build itself from rows.
"""

from __future__ import annotations

from abc import abstractmethod
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Self, TypeVar, overload

Row = TypeVar("Row")


class RowSequence(Sequence[Row]):
    """Rows from `_row(i)`; a slice is a new sequence of the same kind, built from its rows."""

    __slots__ = ()

    @abstractmethod
    def __init__(self, rows: Iterable[Row] = ()) -> None: ...

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _row(self, i: int) -> Row:
        """Row `i`, for 0 <= i < len(self)."""

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> Row | Self:
        if isinstance(index, slice):
            return type(self)(self._row(i) for i in range(*index.indices(len(self))))
        n = len(self)
        if not -n <= index < n:
            raise IndexError("file index out of range")  # both kinds so far hold a row a file
        return self._row(index % n)

    def __iter__(self) -> Iterator[Row]:
        return (self._row(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class StringColumn:
    """Strings kept as one joined string and where each ends in it: a string a row cost an
    object and a list slot (about 60 bytes for a 16-character path), this costs its characters
    and 8 bytes."""

    __slots__ = ("ends", "text")

    def __init__(self, values: Sequence[str] = ()) -> None:
        self.text = "".join(values)
        self.ends = array("q", accumulate(map(len, values)))

    @classmethod
    def concat(cls, parts: Sequence[StringColumn]) -> StringColumn:
        out = cls()
        for part in parts:
            offset = out.ends[-1] if out.ends else 0
            out.ends.extend(end + offset for end in part.ends)
        out.text = "".join(part.text for part in parts)
        return out

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        return self.text[self.ends[i - 1] if i else 0 : self.ends[i]]


class CodeColumn:
    """A few distinct strings (file types) repeated down a column: a byte a row, an index into
    `names`."""

    __slots__ = ("codes", "names")

    def __init__(self, values: Iterable[str] = ()) -> None:
        index: dict[str, int] = {}
        self.codes = array("B", (index.setdefault(v, len(index)) for v in values))
        self.names = tuple(index)

    @classmethod
    def concat(cls, parts: Sequence[CodeColumn]) -> CodeColumn:
        """The parts' rows in turn, their codes mapped to one shared set of names."""
        out = cls()
        index: dict[str, int] = {}
        for part in parts:
            codes = [index.setdefault(name, len(index)) for name in part.names]
            out.codes.extend(codes[c] for c in part.codes)
        out.names = tuple(index)
        return out

    def __getitem__(self, i: int) -> str:
        return self.names[self.codes[i]]
