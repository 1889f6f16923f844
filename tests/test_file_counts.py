"""FileCounts: per-file counts kept as columns behave as the list of tuples they replace."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kliping.file_counts import FileCounts

ROWS = st.lists(
    st.tuples(
        st.text(max_size=12),  # paths: empty, non-ASCII, surrogates, separators of every kind
        st.sampled_from(["html", "text", "jsonl", "warc", "ß"]),
        st.integers(0, 2**40),
        st.integers(0, 2**40),
        st.integers(0, 2**40),
    ),
    max_size=30,
)


@given(rows=ROWS, cut=st.integers(0, 30))
def test_file_counts_are_the_rows_they_were_given(
    rows: list[tuple[str, str, int, int, int]], cut: int
) -> None:
    counts = FileCounts(rows)
    assert len(counts) == len(rows) and list(counts) == rows and counts == rows
    assert [counts[i] for i in range(-len(rows), len(rows))] == rows + rows
    assert list(counts[cut:]) == rows[cut:] and list(counts[::2]) == rows[::2]
    assert pickle.loads(pickle.dumps(counts)) == rows
    assert FileCounts.concat([counts[:cut], FileCounts(), rows[cut:]]) == rows
    assert sorted(counts, key=lambda f: f[4] == 0) == sorted(rows, key=lambda f: f[4] == 0)


def test_out_of_range_is_an_index_error() -> None:
    counts = FileCounts([("a.html", "html", 1, 1, 0)])
    with pytest.raises(IndexError):
        counts[1]
    with pytest.raises(IndexError):
        counts[-2]
    assert FileCounts() == [] and not FileCounts() and counts != [("a.html", "html", 1, 0, 1)]
