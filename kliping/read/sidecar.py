"""The optional `<file>.meta.json` sidecar a scraper writes beside a page: url, fetched_at, extras."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kliping.dates import parse_iso
from kliping.read.urls import trusted_url


class SidecarError(ValueError):
    """The sidecar exists but cannot be used."""


@dataclass(frozen=True)
class Sidecar:
    url: str | None = None
    fetched_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MAX_SIDECAR_BYTES = 1_000_000


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def read_sidecar(path: Path) -> Sidecar | None:
    """The sidecar of raw file `path`, None when there is none; SidecarError when it is broken."""
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        raw = side.read_bytes()[: MAX_SIDECAR_BYTES + 1]
    except OSError as exc:
        raise SidecarError(f"sidecar {side.name} unreadable: {exc.strerror}") from exc
    if len(raw) > MAX_SIDECAR_BYTES:
        raise SidecarError(f"sidecar {side.name} larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(f"sidecar {side.name} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise SidecarError(f"sidecar {side.name} is JSON but not an object")
    return metadata_from_mapping(doc)


def metadata_from_mapping(doc: dict[str, Any]) -> Sidecar:
    """url and fetched_at from a sidecar or a JSONL record; everything else kept as extras."""
    url = trusted_url(doc.get("url"))
    fetched = doc.get("fetched_at")
    fetched_at = parse_iso(fetched) if isinstance(fetched, str) else None
    extra = {k: v for k, v in doc.items() if k not in ("url", "fetched_at", "html", "text")}
    return Sidecar(url, fetched_at, extra)
