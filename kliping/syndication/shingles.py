"""Word shingles of cleaned text, hashed to 32-bit values with vectorised NumPy.

A token is hashed once (blake2b, cached); a shingle's hash is a polynomial of its
tokens' hashes, computed for every position of a document in a few array
operations. `shingle_hash32` computes the same value for one shingle in plain
Python: it is the `hashfunc` that makes a datasketch `MinHash` agree bit for bit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

DEFAULT_SHINGLE_SIZE = 5  # words; chosen by bench/syndication.py (see README)
_TOKEN = re.compile(r"\w+")
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): a good polynomial base
_CACHE_LIMIT = 2_000_000
_token_cache: dict[str, int] = {}

U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: punctuation and case differences between copies do not count."""
    return _TOKEN.findall(text.casefold())


def token_hash(token: str) -> int:
    value = _token_cache.get(token)
    if value is None:
        if len(_token_cache) >= _CACHE_LIMIT:
            _token_cache.clear()
        value = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
        _token_cache[token] = value
    return value


def token_hashes(tokens: list[str]) -> U64Array:
    """Hashes of a token list: new tokens hashed once, then one C-level lookup per token."""
    cache = _token_cache
    for token in set(tokens).difference(cache):
        token_hash(token)
    return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def shingle_hash32(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a tuple of tokens), in plain Python."""
    acc = 0
    mult = int(_MULT)
    for token in shingle:
        acc = (acc * mult + token_hash(token)) & 0xFFFFFFFFFFFFFFFF
    return acc >> 32


def shingles(tokens: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """The word shingles of a token list; a text shorter than `size` is one shingle."""
    if not tokens:
        return []
    if len(tokens) < size:
        return [tuple(tokens)]
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]


def shingle_hashes(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> U32Array:
    """Sorted unique 32-bit hashes of the text's word shingles (the set MinHash and Jaccard use)."""
    tokens = tokenize(text)
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    th = token_hashes(tokens)
    width = min(size, len(th))
    n = len(th) - width + 1
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(width):
            acc = acc * _MULT + th[i : i + n]
    return np.unique((acc >> np.uint64(32)).astype(np.uint32))


def jaccard(a: U32Array, b: U32Array) -> float:
    """Exact Jaccard similarity of two sorted unique hash sets."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return float(inter) / float(a.size + b.size - inter)
