"""`kliping.load`: a clean dataset as a pandas DataFrame with the right dtypes.

    import kliping
    articles = kliping.load("clean")                    # articles
    rejects = kliping.load("clean", table="rejects")

Timestamps are tz-aware UTC, the few-valued text columns are categoricals, `removed`
stays a list of `{rule, text}` dicts per row. The output folder's `current` link is
resolved once, so both tables of one call come from the same committed snapshot even
while a run commits a new one. pandas is imported only when `load` is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kliping.records import RejectReason

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

Table = Literal["articles", "rejects"]

# Columns with few distinct values: categoricals save memory and make value_counts/groupby cheap.
# Where the values are a documented set, the categories are that set (in the documented order),
# so that a category with no rows still shows up.
CANONICAL_REASONS = ["single", "earliest_published", "declared_source", "earliest_fetched", "smallest_doc_id"]
REJECT_REASONS = [r.value for r in RejectReason]
PUBLISHED_SOURCES = ["metadata", "metadata_date", "header", "text_date"]
CATEGORICAL: dict[str, dict[str, list[str] | None]] = {
    "articles": {
        "source_domain": None,
        "outlet": None,
        "published_at_source": PUBLISHED_SOURCES,
        "declared_source": None,
        "wire": None,
        "lang": None,
        "canonical_reason": CANONICAL_REASONS,
        "pipeline_version": None,
        "extractor": None,
        "rules_version": None,
        "flow_run_id": None,
    },
    "rejects": {"reason": REJECT_REASONS, "flow_run_id": None},
}


def resolve_table_dir(path: str | Path, table: Table = "articles") -> Path:
    """The folder of Parquet files to read: OUT/<table> (through the snapshot links), or `path`
    itself when it already is such a folder (e.g. `clean/articles`)."""
    p = Path(path)
    current = p / "current"
    if current.exists():  # resolve `current` once: one snapshot for the whole read
        candidate = current.resolve() / table
        if candidate.is_dir():
            return candidate
    if (p / table).is_dir():
        return (p / table).resolve()
    if p.is_dir() and _holds_table(p, table):
        return p.resolve()
    raise FileNotFoundError(f"no {table} table at {p} (run `kliping run` first)")


def _holds_table(folder: Path, table: Table) -> bool:
    """Whether `folder`'s Parquet files are kliping's `table` (by name, else by the schema they carry)."""
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet"))
    if not files:
        return folder.resolve().name == table
    meta = pq.read_schema(files[0]).metadata or {}
    return bool(meta.get(b"kliping.schema", table.encode()) == table.encode())


def read_table(path: str | Path, table: Table = "articles") -> pa.Table:
    """The table as Arrow, with the current schema (columns an older file lacks come back null)."""
    import pyarrow.dataset as ds

    from kliping.schema import load_schema

    schema = load_schema(table).arrow
    folder = resolve_table_dir(path, table)
    files = sorted(str(f) for f in folder.glob("*.parquet"))
    if not files:
        return schema.empty_table()
    return ds.dataset(files, schema=schema, format="parquet").to_table()


def load(path: str | Path = "clean", table: Table = "articles") -> pd.DataFrame:
    """Read a clean dataset's `articles` (default) or `rejects` into pandas.

    `path` is the output folder (`clean`), or a table folder (`clean/articles`).
    """
    if table not in CATEGORICAL:
        raise ValueError(f"table must be 'articles' or 'rejects', not {table!r}")
    return to_pandas(read_table(path, table), table)


def to_pandas(arrow: pa.Table, table: Table = "articles") -> pd.DataFrame:
    """Arrow → pandas with the dtypes `load` promises."""
    import pandas as pd
    import pyarrow as pa

    names = list(arrow.column_names)
    removed = arrow.column("removed").to_pylist() if "removed" in names else None
    if removed is not None:
        arrow = arrow.drop_columns(["removed"])
    df: pd.DataFrame = arrow.to_pandas(
        types_mapper={pa.timestamp("us", tz="UTC"): pd.DatetimeTZDtype("us", "UTC")}.get
    )
    for name in arrow.column_names:
        if pa.types.is_timestamp(arrow.schema.field(name).type):
            df[name] = df[name].dt.tz_convert("UTC")
    for name, categories in CATEGORICAL[table].items():
        if name in df.columns:
            if categories is None:
                found = sorted(v for v in df[name].dropna().unique())
                df[name] = pd.Categorical(df[name], categories=found)
            else:
                extra = sorted(set(df[name].dropna().unique()) - set(categories))
                df[name] = pd.Categorical(df[name], categories=[*categories, *extra])
    if removed is not None:
        df.insert(
            names.index("removed"),
            "removed",
            pd.Series([list(r or []) for r in removed], index=df.index, dtype=object),
        )
    return df
