"""kliping's compiled kernels (`kernels.c`), called through ctypes on NumPy arrays.

Shingling and signing a text record's 600 words cost about 95 µs in NumPy, an eighth of what a
worker spends on the record: case folding in Python, then a dozen NumPy passes over its code
points and a (shingles × permutations) array per group of texts. In C they are one pass each,
about 30 µs. Walking the language model's automaton over a record's first 400 characters and
counting its features: 50-65 µs in NumPy, 8 in C. The C code does the same arithmetic as the
NumPy code, which stays as the reference (tests compare the two bit for bit) and as the
fallback. Looking through a page for a tag with too many attributes for the HTML parser:
0.45 ms a page with `re`, 0.1 in C (the pattern then checks the few tags the C scan finds).

The library is built by the package's build hook (`hatch_build.py`, as `pip install` runs it)
with the system's C compiler. Without it — no compiler, another platform, or
KLIPING_NATIVE=0 in the environment — `library()` is None and kliping runs on NumPy alone:
the same output, slower.
"""

from __future__ import annotations

import ctypes
import os
import sysconfig
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

# Not named as a Python extension module (`_kernels.so` would be one to `pkgutil` and `import`)
LIBRARY_NAME = "libkliping_kernels" + (sysconfig.get_config_var("SHLIB_SUFFIX") or ".so") + ".1"
LIBRARY_PATH = Path(__file__).with_name(LIBRARY_NAME)
# a code point that folds to more than one: this bit set, the rest the row of `expand`
FOLD_MANY = 0x80000000

_P = ctypes.c_void_p
_I64 = ctypes.c_int64


@cache
def library() -> ctypes.CDLL | None:
    """The compiled kernels, or None: not built, not loadable here, or KLIPING_NATIVE=0."""
    if os.environ.get("KLIPING_NATIVE", "1") == "0" or not LIBRARY_PATH.is_file():
        return None
    try:
        lib = ctypes.CDLL(str(LIBRARY_PATH))
        lib.kl_shingle_hashes.restype = _I64
        lib.kl_shingle_hashes.argtypes = [_P, _P, _P, _I64, _P, _P, _P, _I64, _P, _P, _P]
        lib.kl_sign.restype = None
        lib.kl_sign.argtypes = [_P, _P, _I64, _P, _P, _I64, _P]
        lib.kl_lang_features.restype = _I64
        lib.kl_lang_features.argtypes = [_P, _P, _P, _I64, _P, _P, _P, _P, _P, _P, _P, _P]
        lib.kl_crowded_tag.restype = _I64
        lib.kl_crowded_tag.argtypes = [ctypes.c_char_p, _I64, _I64, _I64]
    except (OSError, AttributeError):  # not loadable, or built from an older kernels.c
        return None
    return lib


def _ptr(array: npt.NDArray[np.generic], dtype: type[np.generic]) -> int:
    """The address of an array's data, after checking it is what the C code reads it as: a
    wrong type or a strided view would be read as garbage, not refused."""
    if array.dtype != dtype or not array.flags.c_contiguous:
        raise TypeError(f"expected a contiguous {np.dtype(dtype)} array, got {array.dtype}")
    return int(array.ctypes.data)


def shingle_hashes(
    lib: ctypes.CDLL,
    texts: list[str],
    size: int,
    fold: npt.NDArray[np.uint32],
    expand: npt.NDArray[np.uint32],
    word: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """The shingle hashes of each text, concatenated, and how many each text has (what
    `kliping.syndication.shingles.shingle_hashes_many` gives), with the texts case-folded by
    the tables: `fold` and `word` of every code point, `expand` of the multi-character folds."""
    if fold.size != 0x110000 or word.size != 0x110000:
        raise ValueError("fold and word tables must cover every code point")
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths) - lengths
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    counts = np.empty(len(texts), dtype=np.int64)
    # a code point folds to at most three, each may end a word: room for every shingle
    out = np.empty(3 * cps.size + len(texts) + 1, dtype=np.uint32)
    words = np.empty(3 * int(lengths.max(initial=0)) // 2 + 2, dtype=np.uint64)
    n = lib.kl_shingle_hashes(
        _ptr(cps, np.uint32), _ptr(starts, np.int64), _ptr(lengths, np.int64), len(texts),
        _ptr(fold, np.uint32), _ptr(expand, np.uint32), _ptr(word, np.uint8), size,
        _ptr(out, np.uint32), _ptr(counts, np.int64), _ptr(words, np.uint64),
    )  # fmt: skip
    return out[:n].copy(), counts


def sign(
    lib: ctypes.CDLL,
    hashes: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.int64],
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
) -> npt.NDArray[np.uint32]:
    """MinHash signatures of documents whose shingle hashes are `sizes[d]` consecutive values of
    `hashes` (`kliping.syndication.signatures.signatures_of_flat`); all-max for no shingles."""
    if int(sizes.sum()) != hashes.size or a.size != b.size:
        raise ValueError("sizes must add up to the hashes, a and b be as long as each other")
    out = np.full((sizes.size, a.size), 0xFFFFFFFF, dtype=np.uint32)
    lib.kl_sign(
        _ptr(hashes, np.uint32), _ptr(sizes, np.int64), sizes.size,
        _ptr(a, np.uint32), _ptr(b, np.uint32), a.size, _ptr(out, np.uint32),
    )  # fmt: skip
    return out


def lang_features(
    lib: ctypes.CDLL,
    texts: list[bytes],
    nextmove: npt.NDArray[np.int32],
    rowbase: npt.NDArray[np.int64],
    output: npt.NDArray[np.int64],
    n_features: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """py3langid's automaton (`nextmove`, `rowbase` pre-shifted, `output`) walked over each of
    `texts`: every text's features in the order it first meets them and their counts,
    concatenated, and how many each text has (`kliping.lang`'s `_walk` and
    `first_seen_counts`). The tables are checked to hold only states and features in range
    when `kliping.lang` loads them; here only their types are."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths) - lengths
    data = np.frombuffer(b"".join(texts), dtype=np.uint8)
    feats = np.empty(data.size, dtype=np.int32)
    seen = np.full(n_features, -1, dtype=np.int32)
    out_feat = np.empty(data.size, dtype=np.int32)
    out_count = np.empty(data.size, dtype=np.float32)
    n_feats = np.empty(len(texts), dtype=np.int64)
    n = lib.kl_lang_features(
        _ptr(data, np.uint8), _ptr(starts, np.int64), _ptr(lengths, np.int64), len(texts),
        _ptr(nextmove, np.int32), _ptr(rowbase, np.int64), _ptr(output, np.int64),
        _ptr(feats, np.int32), _ptr(seen, np.int32), _ptr(out_feat, np.int32),
        _ptr(out_count, np.float32), _ptr(n_feats, np.int64),
    )  # fmt: skip
    return out_feat[:n], out_count[:n], n_feats


def crowded_tag_starts(lib: ctypes.CDLL, html: str, attributes: int) -> Iterator[int]:
    """Where in `html` (character indexes, in order) the tags start that `kliping.extract`'s
    `_CROWDED_TAG` pattern matches and that may hold more than `attributes` attribute names (by
    counting what could separate them): `crowded_tag`'s candidates, fewer than the pattern's
    matches (a tag whose quotes go unclosed matches it on one page in ten)."""
    data = html.encode("utf-8", "surrogatepass")
    offset, chars_before = 0, 0  # a byte offset and the characters before it
    while (found := int(lib.kl_crowded_tag(data, len(data), offset, attributes))) >= 0:
        chars_before += len(data[offset:found].decode("utf-8", "surrogatepass"))
        yield chars_before
        chars_before, offset = chars_before + 1, found + 1  # past the '<': one byte, one character
