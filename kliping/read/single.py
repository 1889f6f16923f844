"""Files that hold one record: `*.html`, `*.htm`, `*.txt`, optionally gzipped, with a sidecar."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Iterator

from kliping.read.files import RawFile
from kliping.read.limits import ReadLimits, read_at_most
from kliping.read.sidecar import SidecarError, read_sidecar
from kliping.records import InputKind, RawRecord, Reject, RejectReason, one_line

_CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b\x08"


def _file_sha256(raw: RawFile) -> str | None:
    h = hashlib.sha256()
    try:
        with raw.path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def read_payload(raw: RawFile, limits: ReadLimits) -> bytes | Reject:
    """The file's bytes with gzip undone, or a Reject saying why not."""

    def reject(reason: RejectReason, detail: str, sha: str | None = None) -> Reject:
        return Reject(raw.rel, None, sha, reason, detail, None, raw.file_type)

    try:
        if not raw.compressed:
            if raw.size > limits.max_record_bytes:
                return reject(
                    RejectReason.TOO_LARGE,
                    f"{raw.size} bytes, limit {limits.max_record_bytes}",
                    _file_sha256(raw),
                )
            # Bounded: the file may have grown since it was listed.
            data = read_at_most(raw.location, limits.max_record_bytes, raw.size)
            if len(data) > limits.max_record_bytes:
                return reject(
                    RejectReason.TOO_LARGE,
                    f"more than {limits.max_record_bytes} bytes (grew while being read)",
                    _file_sha256(raw),
                )
            if data.startswith(GZIP_MAGIC):
                # A page saved as the server sent it (Content-Encoding: gzip) under a plain name.
                inner = _gunzip(data, limits.max_record_bytes)
                if inner is _TOO_LARGE:
                    return reject(
                        RejectReason.TOO_LARGE,
                        f"gzip data (under a name without .gz), more than {limits.max_record_bytes} "
                        "bytes once decompressed",
                        _file_sha256(raw),
                    )
                return data if inner is None else inner
            return data
        if raw.size == 0:
            return reject(RejectReason.EMPTY, "empty gzip file (0 bytes)", hashlib.sha256(b"").hexdigest())
        out = bytearray()
        with gzip.open(raw.path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                out += chunk
                if len(out) > limits.max_record_bytes:
                    return reject(
                        RejectReason.TOO_LARGE,
                        f"more than {limits.max_record_bytes} bytes once decompressed",
                        _file_sha256(raw),
                    )
        return bytes(out)
    except (gzip.BadGzipFile, zlib.error) as exc:
        return reject(RejectReason.MALFORMED, f"bad gzip data: {exc}", _file_sha256(raw))
    except EOFError:
        return reject(
            RejectReason.MALFORMED, "truncated gzip file (ended before its end marker)", _file_sha256(raw)
        )
    except OSError as exc:
        return reject(RejectReason.UNREADABLE, f"cannot read: {exc.strerror or exc}")


_TOO_LARGE = b"\0too large"  # a sentinel, compared by identity


def _gunzip(data: bytes, limit: int) -> bytes | None:
    """The content of `data` when it is one whole gzip stream of at most `limit` bytes
    (`_TOO_LARGE` when larger); None when it is not gzip after all."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error:
        return None
    if len(out) > limit:
        return _TOO_LARGE
    return out if d.eof else None


def raw_root(raw: RawFile) -> str:
    """The raw folder a RawFile was found in: its path less as many parts as its relative path
    has (counted as `PurePosixPath(rel).parts` counts them, without building one per file)."""
    root = raw.location
    for _ in range(sum(1 for part in raw.rel.split("/") if part not in ("", "."))):
        root = os.path.dirname(root)
    return root


def read_single(raw: RawFile, limits: ReadLimits) -> Iterator[RawRecord | Reject]:
    payload = read_payload(raw, limits)
    if isinstance(payload, Reject):
        yield payload
        return
    kind = InputKind.HTML if raw.file_type == "html" else InputKind.TEXT
    try:
        side = read_sidecar(raw.location, raw_root(raw))
    except SidecarError as exc:
        sha = hashlib.sha256(payload).hexdigest()
        reason = RejectReason.REFUSED if exc.refused else RejectReason.MALFORMED
        yield Reject(raw.rel, None, sha, reason, one_line(str(exc)), None, raw.file_type)
        return
    yield RawRecord(
        source_path=raw.rel,
        source_record=None,
        kind=kind,
        data=payload,
        url=side.url if side else None,
        fetched_at=side.fetched_at if side else None,
        file_type=raw.file_type,
        meta=dict(side.extra) if side else {},
    )
