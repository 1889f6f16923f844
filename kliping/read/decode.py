"""Bytes to text, with the charset from the container first, then the page, then detection.

Valid UTF-8 wins over a declared single-byte charset: pages that declare latin-1 or
windows-1252 but are UTF-8 are common, and multi-byte UTF-8 sequences almost never
occur by chance in single-byte text.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Share of control characters above which decoded "text" is binary data.
MAX_CONTROL_SHARE = 0.01


class UndecodableError(ValueError):
    """The bytes are not text in any encoding that can be trusted."""


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def declared_charset(data: bytes, is_html: bool) -> str | None:
    """The charset a page declares in a <meta> tag within its first 4 KB."""
    if not is_html:
        return None
    m = _META_CHARSET.search(data[:4096])
    return _known(m.group(1).decode("ascii", "ignore")) if m else None


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > MAX_CONTROL_SHARE


def decode_bytes(data: bytes, *, hint: str | None = None, is_html: bool = False) -> tuple[str, str]:
    """Decode `data`; return (text, encoding used). Raise UndecodableError when nothing fits."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"byte order mark says {name}, but {exc.reason}") from exc
            return _checked(text, name)
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    for declared in (_known(hint), declared_charset(data, is_html)):
        if declared and declared != "utf-8":
            try:
                return _checked(data.decode(declared), declared)
            except (UnicodeDecodeError, UndecodableError):
                continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return _checked(data.decode(best.encoding), best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    raise UndecodableError("not valid UTF-8, no usable declared charset, and detection found none")


def _checked(text: str, encoding: str) -> tuple[str, str]:
    if _looks_binary(text):
        raise UndecodableError(f"decodes as {encoding} but is mostly control characters (binary data)")
    return text, encoding
