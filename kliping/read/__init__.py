"""Read step: raw files → RawRecord (or Reject). One module per container kind."""

from __future__ import annotations

from collections.abc import Iterator

from kliping.read.files import RawFile, classify, discover
from kliping.read.jsonl import read_jsonl
from kliping.read.limits import ReadLimits
from kliping.read.single import read_single
from kliping.records import RawRecord, Reject, RejectReason, one_line

__all__ = ["RawFile", "ReadLimits", "classify", "discover", "read_file"]


def read_file(raw: RawFile, limits: ReadLimits) -> Iterator[RawRecord | Reject]:
    """Every record of one raw file, each a RawRecord or a Reject; never raises on bad input."""
    if raw.refused:
        reason = RejectReason.UNREADABLE if raw.refusal == "unreadable" else RejectReason.REFUSED
        yield Reject(raw.rel, None, None, reason, one_line(raw.refused), None, raw.file_type)
        return
    if raw.file_type == "jsonl":
        yield from read_jsonl(raw, limits)
    elif raw.file_type == "warc":
        from kliping.read.warc import read_warc

        yield from read_warc(raw, limits)
    else:
        yield from read_single(raw, limits)
