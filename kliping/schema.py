"""The explicit Arrow schemas of `articles` and `rejects`, read from `schemas/*.json`.

The JSON files are the single home of every column: name, type, nullability and
description. Every Parquet file kliping writes carries the schema built here (with
the descriptions as field metadata), so nothing is ever inferred from data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa

_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bool": pa.bool_(),
    "float64": pa.float64(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "timestamp[us, UTC]": pa.timestamp("us", tz="UTC"),
}
_LIST_STRUCT = re.compile(r"^list<struct<(?P<fields>.+)>>$")


@dataclass(frozen=True)
class TableSchema:
    """One versioned table schema: the Arrow schema plus what the JSON said of it."""

    name: str
    version: int
    arrow: pa.Schema
    descriptions: dict[str, str]

    @property
    def names(self) -> list[str]:
        return list(self.arrow.names)


def parse_type(spec: str) -> pa.DataType:
    """Turn the small type vocabulary of the schema files into Arrow types."""
    spec = spec.strip()
    if spec in _PRIMITIVES:
        return _PRIMITIVES[spec]
    m = _LIST_STRUCT.match(spec)
    if m:
        fields = []
        for part in m.group("fields").split(","):
            fname, ftype = (s.strip() for s in part.split(":", 1))
            fields.append(pa.field(fname, parse_type(ftype)))
        return pa.list_(pa.struct(fields))
    raise ValueError(f"unknown column type in schema file: {spec!r}")


def schemas_dir() -> Path:
    """Where the schema files are: inside an installed wheel, or the source tree's `schemas/`."""
    packaged = Path(__file__).parent / "_schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


@cache
def load_schema(name: str) -> TableSchema:
    """Load `schemas/<name>.json` into an Arrow schema with per-column descriptions."""
    doc = json.loads((schemas_dir() / f"{name}.json").read_text(encoding="utf-8"))
    fields = []
    descriptions: dict[str, str] = {}
    for col in doc["columns"]:
        descriptions[col["name"]] = col["description"]
        fields.append(
            pa.field(
                col["name"],
                parse_type(col["type"]),
                nullable=bool(col["nullable"]),
                metadata={"description": col["description"]},
            )
        )
    meta = {
        "kliping.schema": doc["name"],
        "kliping.schema_version": str(doc["version"]),
        "description": doc["description"],
    }
    return TableSchema(doc["name"], int(doc["version"]), pa.schema(fields, metadata=meta), descriptions)


def articles_schema() -> TableSchema:
    return load_schema("articles")


def rejects_schema() -> TableSchema:
    return load_schema("rejects")
