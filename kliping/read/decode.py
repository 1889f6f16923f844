"""Bytes to text: a byte order mark, then valid UTF-8, then what the container or the page
declares, then windows-1252 when the result reads as Latin-script text, then detection.

Valid UTF-8 wins over a declared single-byte charset: pages that declare latin-1 or
windows-1252 but are UTF-8 are common, and multi-byte UTF-8 sequences almost never
occur by chance in single-byte text. For the same reason a page that is mostly UTF-8
with a few stray windows-1252 bytes (an article pasted into a UTF-8 template) is read
as UTF-8 with those bytes read as windows-1252.

Declared charsets are read the way browsers read them (the WHATWG Encoding Standard):
`iso-8859-1` and `ascii` mean windows-1252, a `<meta>` that says UTF-16 means nothing
(a page whose `<meta>` can be read as ASCII is not UTF-16), and only encodings a
browser knows are used at all: a page cannot make the decoder run `zlib`, `rot13`,
`utf-7` or EBCDIC. With nothing usable declared, windows-1252 is the browsers' default
for Indonesian and English pages, and it is tried before statistical detection, which
tends to pick a Central-European or DOS code page for short Latin-script text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import cache

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# [^<>] rather than [^>]: a run of "<meta <meta <meta" must not make the search quadratic.
_META_CHARSET = re.compile(rb"""<meta\b[^<>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^<>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Every byte but the control characters': what `bytes.translate` deletes to count those.
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not _CONTROL.match(chr(b)))
# Share of control characters above which decoded "text" is binary data.
MAX_CONTROL_SHARE = 0.01
# Detection looks at this much of the data.
DETECT_BYTES = 200_000
# Plausibility of a windows-1252 reading is judged on this many characters.
_SAMPLE_CHARS = 200_000

# Labels Python does not know, as the WHATWG Encoding Standard names them.
_LABEL_ALIASES = {
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-sjis": "shift_jis",
    "windows-31j": "cp932",
    "iso-8859-8-i": "iso8859-8",
    "x-cp1252": "cp1252",
    "x-user-defined": "cp1252",
}
# Python codec → the encoding a browser uses for that label.
_WHATWG = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "euc_kr": "cp949",
    "gb2312": "gbk",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# The encodings a declaration may select (Python codec names). UTF-16/32 are recognised by
# their byte order mark or their zero bytes, never by a declaration.
_USABLE = frozenset(
    {
        "utf-8", "cp866", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6",
        "iso8859-7", "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15",
        "iso8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "cp1250",
        "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
        "gbk", "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949",
    }
)  # fmt: skip
WINDOWS_1252 = "cp1252"
MIXED = "utf-8+cp1252"  # the name decode_bytes reports for UTF-8 with stray windows-1252 bytes

# The five bytes windows-1252 leaves undefined decode to the C1 controls of the same number,
# as browsers do; every other byte as in windows-1252.
_CP1252_TABLE = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(256))
_CP1252_ERRORS = "kliping-cp1252"


def _cp1252_errors(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each byte a decoder cannot take is read as windows-1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _CP1252_TABLE[exc.object[exc.start]], exc.start + 1


codecs.register_error(_CP1252_ERRORS, _cp1252_errors)

# A valid multi-byte UTF-8 sequence (no overlongs, no surrogates).
_UTF8_MULTI = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH_BYTES = bytes(range(0x80, 0x100))
# Non-letters windows-1252 text is full of; other symbols (±, ³, ¶, ¿ …) are what Polish,
# Czech or Cyrillic text read as windows-1252 turns into.
_LATIN_PUNCT = frozenset("\u00a0“”‘’‚„–—…•€©®°«»·×™£¥¢§")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
MAX_NON_ASCII_LETTER_SHARE = 0.3  # Latin-script languages: a few percent of letters carry accents


class UndecodableError(ValueError):
    """The bytes are not text in any encoding that can be trusted."""


def usable_charset(name: str | None) -> str | None:
    """The Python codec a declared charset label selects, as a browser reads it; None if none."""
    if not name:
        return None
    label = name.strip().strip("\"'").strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        codec = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    codec = _WHATWG.get(codec, codec)
    return codec if codec in _USABLE else None


def declared_charset(data: bytes, is_html: bool) -> str | None:
    """The charset a page declares in a <meta> tag (or an XML declaration) within its first 4 KB."""
    if not is_html:
        return None
    head = data[:4096]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return usable_charset(m.group(1).decode("ascii", "ignore")) if m else None


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > MAX_CONTROL_SHARE


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte order mark, told by its zero bytes: Latin-script text in UTF-16
    has a zero in every other byte. None when the data does not look like that."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0 : 2 * half : 2].count(0), sample[1 : 2 * half : 2].count(0)
    if odd >= 0.4 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


@cache
def _latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith("LATIN")


def plausible_latin(text: str) -> bool:
    """Does text read as a Latin-script language: few accented letters, no stray symbols?

    Cyrillic, Greek or CJK text read as windows-1252 is nearly all non-ASCII letters;
    Polish or Czech read so is full of ±, ³, ¶ and C1 controls.
    """
    sample = text[:_SAMPLE_CHARS]
    high = _NON_ASCII.findall(sample)
    letters = [c for c in high if _latin_letter(c)]
    odd = sum(1 for c in high if c not in _LATIN_PUNCT and not _latin_letter(c))
    all_letters = len(_ASCII_LETTER.findall(sample)) + len(letters)
    if odd * 20 > len(high):
        return False
    return len(letters) <= MAX_NON_ASCII_LETTER_SHARE * all_letters


def _mostly_utf8(data: bytes) -> bool:
    """At least as many valid multi-byte UTF-8 sequences as high bytes outside them."""
    sequences = _UTF8_MULTI.findall(data)
    in_sequences = sum(len(s) for s in sequences)
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    return bool(sequences) and len(sequences) >= high - in_sequences


def decode_bytes(data: bytes, *, hint: str | None = None, is_html: bool = False) -> tuple[str, str]:
    """Decode `data`; return (text, encoding used). Raise UndecodableError when nothing fits.

    `hint` is the container's word (an HTTP Content-Type charset, a JSONL file's UTF-8);
    `is_html` lets the page's own <meta> declaration count.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeError as exc:
                reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
                raise UndecodableError(f"byte order mark says {name}, but {reason}") from exc
            return _checked(text, name)
    binary: list[str] = []  # encodings whose reading was binary data, for the message

    def attempt(encoding: str, errors: str = "strict", label: str | None = None) -> tuple[str, str] | None:
        try:
            return _checked(data.decode(encoding, errors), label or encoding)
        except UndecodableError:
            binary.append(label or encoding)
        except (UnicodeError, LookupError, ValueError):
            pass
        return None

    if (utf16 := _bomless_utf16(data)) and (found := attempt(utf16)):
        return found
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not len(data.translate(None, _NOT_CONTROL_BYTES)):
            # UTF-8 writes a control character as that very byte, and uses none of those bytes
            # for anything else: no control byte, no control character (counting them in the
            # text, with a regex, cost 30 µs a 600-word article, 4% of its processing)
            return utf8, "utf-8"
        return _checked(utf8, "utf-8")
    if _looks_binary(data[:20000].decode("latin-1")):
        # Control bytes stay control characters in every ASCII-compatible encoding.
        raise UndecodableError("binary data: control bytes throughout, not text in any encoding")
    declared = [c for c in (usable_charset(hint), declared_charset(data, is_html)) if c and c != "utf-8"]
    if _mostly_utf8(data) and (found := attempt("utf-8", _CP1252_ERRORS, MIXED)):
        return found
    for charset in declared:
        errors = _CP1252_ERRORS if charset == WINDOWS_1252 else "strict"
        if found := attempt(charset, errors):
            return found
    if WINDOWS_1252 not in declared:
        # UTF-8 with windows-1252 for what is not UTF-8: the same as windows-1252 when the
        # data holds no UTF-8 sequence at all.
        text = data.decode("utf-8", _CP1252_ERRORS)
        if plausible_latin(text):
            label = WINDOWS_1252 if not _UTF8_MULTI.search(data) else MIXED
            try:
                return _checked(text, label)
            except UndecodableError:
                binary.append(label)
    best = from_bytes(data[:DETECT_BYTES]).best()
    guess = best.encoding if best is not None else None
    if guess and guess.replace("-", "_").lower() != "utf_7" and (found := attempt(guess)):
        return found
    if binary:
        raise UndecodableError(f"binary data: mostly control characters when read as {binary[0]}")
    raise UndecodableError("not valid UTF-8, no usable declared charset, and detection found none")


def _checked(text: str, encoding: str) -> tuple[str, str]:
    if _looks_binary(text):
        raise UndecodableError(f"decodes as {encoding} but is mostly control characters (binary data)")
    return text, encoding
