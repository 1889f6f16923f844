"""Files that hold one record: `*.html`, `*.htm`, `*.txt`, optionally gzipped, with a sidecar."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator

from kliping.read.files import RawFile
from kliping.read.limits import ReadLimits
from kliping.read.sidecar import SidecarError, read_sidecar
from kliping.records import InputKind, RawRecord, Reject, RejectReason

_CHUNK = 1 << 20


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
            return raw.path.read_bytes()
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


def read_single(raw: RawFile, limits: ReadLimits) -> Iterator[RawRecord | Reject]:
    payload = read_payload(raw, limits)
    if isinstance(payload, Reject):
        yield payload
        return
    kind = InputKind.HTML if raw.file_type == "html" else InputKind.TEXT
    try:
        side = read_sidecar(raw.path)
    except SidecarError as exc:
        sha = hashlib.sha256(payload).hexdigest()
        yield Reject(raw.rel, None, sha, RejectReason.MALFORMED, str(exc), None, raw.file_type)
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
