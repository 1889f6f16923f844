"""A read-only sequence of rows kept as columns, each row made when asked for.

A run keeps some per-file data for every file it reads (`kliping.file_counts.FileCounts`,
`kliping.read.file_list.FileList`): as columns, not an object a row, for memory. What makes
them sequences (indexes, slices, iteration, equality with a list of rows) is the same for all
and lives here; each says how to make its row `i` and how to build itself from rows.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
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
