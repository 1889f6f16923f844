"""Small NumPy helpers for the hot paths.

`np.unique` in NumPy 2.4 takes a hash-table path for integer arrays that measured here 20 to
50 times slower than sorting (2 million int64: 3.4 s against 0.07 s; 600 uint32: 48 µs
against 7 µs), and LSH calls it for every band. Sorting gives the same values, in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def unique_sorted(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The distinct values of a 1-D array, ascending: `np.unique(values)`, by sorting."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    out: npt.NDArray[Any] = ordered[keep]
    return out


def first_seen_counts(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    """The distinct values of a 1-D array in the order they first appear, and how often each
    appears (what `collections.Counter` gives, in NumPy)."""
    if values.size == 0:
        return values[:0], np.empty(0, dtype=np.intp)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.size])
    by_first = np.argsort(order[starts], kind="stable")  # a stable sort keeps each first index
    return ordered[starts][by_first], counts[by_first]
