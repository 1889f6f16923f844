"""The optional `<file>.meta.json` sidecar a scraper writes beside a page: url, fetched_at, extras."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kliping.dates import parse_iso
from kliping.read.files import SIDECAR_SUFFIX
from kliping.read.limits import read_at_most
from kliping.read.urls import trusted_url
from kliping.records import without_surrogates


class SidecarError(ValueError):
    """The sidecar exists but cannot be used; `refused` when it is not read on purpose."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Sidecar:
    url: str | None = None
    fetched_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MAX_SIDECAR_BYTES = 1_000_000


def read_sidecar(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> Sidecar | None:
    """The sidecar of raw file `path`, None when there is none; SidecarError when it is broken.

    With `root` (the raw folder), a sidecar that is a symlink leaving it is refused, like a raw file.
    Paths are handled as strings, with one `lstat` for a sidecar that is a plain file: this runs
    for every text and HTML file (it took three `Path` objects, a `stat` and an `lstat`).
    """
    side = os.fspath(path) + SIDECAR_SUFFIX
    name = printable_name(os.path.basename(side))
    try:
        st = os.lstat(side)
        if stat.S_ISLNK(st.st_mode):
            if root is not None:
                try:
                    target = Path(os.path.realpath(side, strict=True))
                except (OSError, RuntimeError):
                    return None  # dangling, or vanished since: as if there were none
                if not target.is_relative_to(Path(root).resolve()):
                    raise SidecarError(
                        f"sidecar {name} is a symlink that leaves the raw folder", refused=True
                    )
            st = os.stat(side)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        raw = read_at_most(side, MAX_SIDECAR_BYTES, st.st_size)
    except OSError as exc:
        raise SidecarError(f"sidecar {name} unreadable: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SIDECAR_BYTES:
        raise SidecarError(f"sidecar {name} larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        doc = parse_json(raw, f"sidecar {name}")
    except JSONProblem as exc:
        raise SidecarError(str(exc)) from exc
    if not isinstance(doc, dict):
        raise SidecarError(f"sidecar {name} is JSON but not an object")
    return metadata_from_mapping(doc)


def printable_name(name: str) -> str:
    """A file name as valid one-line Unicode, for messages."""
    return " ".join(os.fsencode(name).decode("utf-8", "backslashreplace").split())


class JSONProblem(ValueError):
    """Bytes that do not hold a usable JSON document; the message says why.

    `undecodable` when the bytes are not UTF-8 text at all (rather than text that is not JSON).
    """

    def __init__(self, message: str, undecodable: bool = False) -> None:
        super().__init__(message)
        self.undecodable = undecodable


def parse_json(raw: bytes, what: str) -> Any:
    """The JSON document in `raw`; JSONProblem, with `what` in its message, when there is none.

    Besides bad syntax, this turns into JSONProblem what json.loads raises on hostile input
    that is no JSONDecodeError: integers longer than Python converts (ValueError) and
    nesting deeper than the recursion limit (RecursionError).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JSONProblem(f"{what} is not UTF-8", undecodable=True) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONProblem(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise JSONProblem(f"{what} is not usable JSON: nested too deeply") from exc
    except ValueError as exc:
        raise JSONProblem(f"{what} is not usable JSON: {exc}") from exc


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from a sidecar, a JSONL line or a WARC header; None when unusable
    (not a string, not ISO 8601, or out of range once made UTC, e.g. '0001-01-01T00:00+01:00')."""
    if not isinstance(value, str):
        return None
    return parse_iso(without_surrogates(value))


def metadata_from_mapping(doc: dict[str, Any]) -> Sidecar:
    """url and fetched_at from a sidecar or a JSONL record; everything else kept as extras."""
    url = trusted_url(doc.get("url"))
    fetched_at = parse_timestamp(doc.get("fetched_at"))
    extra = {k: v for k, v in doc.items() if k not in ("url", "fetched_at", "html", "text")}
    return Sidecar(url, fetched_at, extra)
