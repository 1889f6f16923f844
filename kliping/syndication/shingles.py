"""Word shingles of cleaned text, hashed to 32-bit values with vectorised NumPy.

Words are what the regex `\\w+` finds in the case-folded text. They are never
materialised as Python strings on the fast path: the text becomes an array of code
points, a table marks word characters, and every word's polynomial hash
(Σ c_j · P^(len-1-j) mod 2^64) comes from prefix sums of c_j · P^-j, because the odd
base P is invertible modulo 2^64. A shingle's hash is a polynomial of its words'
(finalised) hashes. `shingle_hash32` computes the same value for one shingle (a tuple
of words) in plain Python: it is the `hashfunc` that makes a datasketch `MinHash`
agree bit for bit with `kliping.syndication.signatures`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from kliping import native
from kliping.arrays import unique_sorted

DEFAULT_SHINGLE_SIZE = 3  # words; chosen by bench/syndication.py (see README, "Syndication: measured")
_TOKEN = re.compile(r"\w+")
_MASK64 = 0xFFFFFFFFFFFFFFFF
_P = 0x100000001B3  # FNV's 64-bit prime: odd, so invertible modulo 2^64
_P_INV = pow(_P, -1, 1 << 64)
_MULT = np.uint64(0x9E3779B97F4A7C15)  # base of the shingle polynomial
_BMP = 0x10000
_CODE_POINTS = 0x110000

U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: punctuation and case differences between copies do not count."""
    return _TOKEN.findall(text.casefold())


def _mix64(x: int) -> int:
    """splitmix64's finalizer: short words' polynomials spread over all 64 bits."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
    return x ^ (x >> 31)


def _mix64_np(x: U64Array) -> U64Array:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def token_hash(token: str) -> int:
    """The 64-bit hash of one word, in plain Python."""
    acc = 0
    for ch in token:
        acc = (acc * _P + ord(ch)) & _MASK64
    return _mix64(acc)


@cache
def _word_table() -> npt.NDArray[np.bool_]:
    """Which code points of the Basic Multilingual Plane `\\w` matches."""
    return _word_marks(0, _BMP)


def _word_marks(lo: int, hi: int) -> npt.NDArray[np.bool_]:
    """Which of the code points lo..hi-1 `\\w` matches: the words of the text of them all
    marked by \\x01 in one regex pass (\\x00 and \\x01 themselves, no word characters, made
    spaces first)."""
    text = np.arange(lo, hi, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    text = text.replace("\x00", " ").replace("\x01", " ")
    marked = _TOKEN.sub(lambda m: "\x01" * len(m.group()), text).encode("latin-1", "replace")
    is_word: npt.NDArray[np.bool_] = np.frombuffer(marked, dtype=np.uint8) == 1
    return is_word


_powers: dict[str, U64Array] = {}


def _power_tables(n: int) -> tuple[U64Array, U64Array]:
    """P^j and P^-j mod 2^64 for j < n (grown on demand, kept per process)."""
    have = _powers.get("p")
    if have is None or have.size < n:
        size = max(n, 1 << 16, 2 * (have.size if have is not None else 0))
        p = np.empty(size, dtype=np.uint64)
        q = np.empty(size, dtype=np.uint64)
        p[0] = q[0] = 1
        p[1], q[1] = _P, _P_INV
        step = 2
        with np.errstate(over="ignore"):
            while step < size:  # doubling: p[step:2 step] = p[:step] * P^step
                k = min(step, size - step)
                p[step : step + k] = p[:k] * p[step - 1] * np.uint64(_P)
                q[step : step + k] = q[:k] * q[step - 1] * np.uint64(_P_INV)
                step += k
        _powers["p"], _powers["q"] = p, q
    return _powers["p"], _powers["q"]


def token_hashes_of_text(text: str) -> U64Array:
    """The hashes of `tokenize(text)`, computed without creating the tokens."""
    return _token_hashes(text.casefold())[0]


def _token_hashes(folded: str) -> tuple[U64Array, npt.NDArray[np.intp]]:
    """The hashes of the words of case-folded text, and where each word starts."""
    cps = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if cps.size == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.intp)
    # one lookup per character; beyond the table (the BMP), its last entry: fixed just below
    # (np.take with mode='clip' in one pass: half the time of indexing with np.minimum(cps, ...))
    is_word = np.take(_word_table(), cps, mode="clip")
    if cps.max() >= _BMP:  # rare: characters beyond the BMP
        for i in np.flatnonzero(cps >= _BMP):
            is_word[i] = _TOKEN.fullmatch(chr(int(cps[i]))) is not None
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # exclusive
    if starts.size == 0:
        return np.empty(0, dtype=np.uint64), starts
    p, q = _power_tables(cps.size + 1)
    with np.errstate(over="ignore"):
        # characters between words never enter a word's difference of prefixes: no masking
        prefix = np.cumsum(cps.astype(np.uint64) * q[: cps.size], dtype=np.uint64)
        # (mode="clip" takes row 0 for a word at position 0, which np.where then ignores)
        before = np.where(starts > 0, np.take(prefix, starts - 1, mode="clip"), np.uint64(0))
        last = ends - 1
        poly = (np.take(prefix, last) - before) * np.take(p, last)
    return _mix64_np(poly), starts


def shingle_hash32(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a tuple of tokens), in plain Python."""
    acc = 0
    mult = int(_MULT)
    for token in shingle:
        acc = (acc * mult + token_hash(token)) & _MASK64
    return acc >> 32


def shingles(tokens: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """The word shingles of a token list; a text shorter than `size` is one shingle."""
    if not tokens:
        return []
    if len(tokens) < size:
        return [tuple(tokens)]
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]


def shingle_hashes(text: str, size: int = DEFAULT_SHINGLE_SIZE, unique: bool = True) -> U32Array:
    """Sorted unique 32-bit hashes of the text's word shingles (the set MinHash and Jaccard use).

    `unique=False` skips the sort: a MinHash signature is the same with repeats, and signing
    is the hot path."""
    th = token_hashes_of_text(text)
    if th.size == 0:
        return np.empty(0, dtype=np.uint32)
    hashes = _window_hashes(th, min(size, len(th)))
    return unique_sorted(hashes) if unique else hashes


def _window_hashes(th: U64Array, width: int) -> U32Array:
    """The 32-bit hash of every run of `width` consecutive word hashes."""
    n = len(th) - width + 1
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(width):
            acc = acc * _MULT + th[i : i + n]
    return (acc >> np.uint64(32)).astype(np.uint32)


# Code points hashed per NumPy pass in `shingle_hashes_many` (whole texts; a longer text alone):
# eight 600-word texts, whose arrays (about 40 bytes a code point) stay in the processor's cache.
# Measured on 1,000 texts: 0.10-0.18 ms a text at 2^15, 0.2 at 2^14 and 2^16 and 2^17, 0.25 at
# 2^13, 0.29 at 2^18 (one text at a time: 0.29-0.34).
_BATCH_CODE_POINTS = 1 << 15


def shingle_hashes_many(
    texts: Sequence[str], size: int = DEFAULT_SHINGLE_SIZE
) -> tuple[U32Array, npt.NDArray[np.int64]]:
    """`shingle_hashes(text, size, unique=False)` of every text, concatenated, and how many
    each text has: what signing needs, a group of texts at a time — in one pass of the compiled
    kernel (`kliping.native`) when it is built, else in a few NumPy passes per group instead of
    a dozen calls per text (0.3 ms a 600-word text one at a time).

    On NumPy, texts are hashed joined by a newline, which is no word character, so no word
    spans two texts; the runs of words that do are dropped."""
    lib = native.library()
    counts = np.zeros(len(texts), dtype=np.int64)
    parts: list[U32Array] = []
    lo = 0
    while lo < len(texts):
        hi, total = lo, 0
        while hi < len(texts) and (hi == lo or total + len(texts[hi]) <= _BATCH_CODE_POINTS):
            total += len(texts[hi]) + 1
            hi += 1
        group = list(texts[lo:hi])
        if lib is not None:
            hashes, counts[lo:hi] = native.shingle_hashes(lib, group, size, *fold_tables())
        else:
            hashes, counts[lo:hi] = _group_shingles([t.casefold() for t in group], size)
        parts.append(hashes)
        lo = hi
    flat = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    return flat, counts


@cache
def fold_tables() -> tuple[U32Array, U32Array, npt.NDArray[np.uint8]]:
    """What the compiled kernel folds and tokenises by: the code point each code point
    case-folds to (`str.casefold`, which folds a text one character at a time), or for the hundred
    or so that fold to several, `native.FOLD_MANY` and their row of the second table (up to three
    code points, 0-padded); and which folded code points `\\w` matches. 5.6 MB, built in about
    0.1 s a process, a plane of 65,536 code points at a time (all at once, its strings held
    35 MB more at a worker's start, which is its peak on small runs): each plane folded in one
    `casefold` call with NUL between its code points (NUL folds to itself and is in no other
    character's fold), and its words marked (`_word_marks`)."""
    fold = np.zeros(_CODE_POINTS, dtype=np.uint32)
    word = np.zeros(_CODE_POINTS, dtype=np.uint8)
    expand: list[list[int]] = []
    for lo in range(0, _CODE_POINTS, _BMP):
        cps = np.arange(max(lo, 1), lo + _BMP, dtype=np.uint32)  # NUL folds to NUL: fold[0] = 0
        spaced = np.zeros(2 * cps.size - 1, dtype=np.uint32)  # cp, NUL, cp, NUL, ... the last
        spaced[::2] = cps
        folded_text = spaced.tobytes().decode("utf-32-le", "surrogatepass").casefold()
        folded = np.frombuffer(folded_text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        starts = np.concatenate(([0], np.flatnonzero(folded == 0) + 1))  # each code point's fold
        lengths = np.diff(np.concatenate((starts, [folded.size + 1]))) - 1
        if starts.size != cps.size or lengths.min() < 1 or lengths.max() > 3:
            raise RuntimeError("str.casefold folds beyond what the kernel's tables hold")
        fold[cps] = folded[starts]
        for i in np.flatnonzero(lengths > 1).tolist():
            fold[cps[i]] = native.FOLD_MANY | len(expand)
            expand.append([*folded[starts[i] : starts[i] + lengths[i]].tolist(), 0, 0][:3])
        word[lo : lo + _BMP] = _word_marks(lo, lo + _BMP)
    return fold, np.array(expand, dtype=np.uint32).reshape(-1), word


def shingle_sets_many(texts: Sequence[str], size: int = DEFAULT_SHINGLE_SIZE) -> list[U32Array]:
    """`shingle_hashes(text, size)` of every text (sorted, unique: Jaccard's sets), hashed as
    `shingle_hashes_many` hashes them; each set is an array of its own, not a view of the batch."""
    flat, counts = shingle_hashes_many(texts, size)
    ends = np.cumsum(counts).tolist()
    return [unique_sorted(flat[end - n : end]) for end, n in zip(ends, counts.tolist(), strict=True)]


def _group_shingles(folded: list[str], size: int) -> tuple[U32Array, npt.NDArray[np.int64]]:
    lengths = np.fromiter(map(len, folded), dtype=np.int64, count=len(folded))
    text_starts = np.cumsum(lengths + 1) - (lengths + 1)  # each text's first code point, joined
    th, word_starts = _token_hashes("\n".join(folded))
    doc = np.searchsorted(text_starts, word_starts, side="right") - 1
    words = np.bincount(doc, minlength=len(folded))
    if th.size < size:  # every text shorter than a shingle
        hashes = np.empty(0, dtype=np.uint32)
        win_doc = np.empty(0, dtype=np.intp)
    else:
        hashes = _window_hashes(th, size)
        inside = doc[: hashes.size] == doc[size - 1 :]  # the run's first and last word: one text's
        hashes, win_doc = hashes[inside], doc[: inside.size][inside]
    short = np.flatnonzero((words > 0) & (words < size))
    if short.size:  # a text of fewer words than a shingle is one shingle of all its words
        first = np.searchsorted(doc, short)
        extra = np.array(
            [_window_hashes(th[f : f + w], w)[0] for f, w in zip(first, words[short], strict=True)],
            dtype=np.uint32,
        )
        order = np.argsort(np.concatenate((win_doc, short)), kind="stable")
        hashes = np.concatenate((hashes, extra))[order]
    per_text = np.where(words >= size, words - size + 1, (words > 0).astype(np.int64))
    return hashes, per_text.astype(np.int64)


def jaccard(a: U32Array, b: U32Array) -> float:
    """Exact Jaccard similarity of two sorted unique hash sets."""
    if a.size == 0 and b.size == 0:
        return 1.0
    if a.size > b.size:
        a, b = b, a
    if a.size == 0:
        return 0.0
    # binary search of the smaller set in the larger: no sort of both, as intersect1d does
    at = np.searchsorted(b, a)
    at[at == b.size] = 0
    inter = int(np.count_nonzero(b[at] == a))
    return float(inter) / float(a.size + b.size - inter)
