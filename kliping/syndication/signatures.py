"""MinHash signatures for many documents at once, bit-compatible with datasketch.

datasketch's `MinHash.update_batch` hashes shingles one by one in Python and then
permutes; here every shingle of a chunk of documents is permuted in one NumPy
expression and reduced per document with `minimum.reduceat`. The permutation
parameters are taken from datasketch itself, and the pre-mix is its MurmurHash3
finalizer, so `MinHash(hashvalues=sig, scheme="affine32")` is the same object
datasketch would have built (tests check this bit for bit). The permutation parameters are
drawn as datasketch draws them, not taken from it: importing datasketch (and the SciPy it
pulls in) cost each worker process about a second at start.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kliping import native
from kliping.syndication.shingles import DEFAULT_SHINGLE_SIZE, U32Array, shingle_hashes_many

if TYPE_CHECKING:
    from datasketch import MinHash

# Bumped whenever the same text would get another signature (tokenising, hashing, permuting):
# a dataset signed by another version is signed again from its stored text.
SIGNATURE_VERSION = 2
DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
SCHEME = "affine32"
MAX_HASH = np.uint32(0xFFFFFFFF)
# Values permuted per NumPy call (shingles × num_perm): an 8 MB temporary, which the multiply,
# the add and the minimum each pass over while it is still in the processor's cache (32 MB of
# L3 here, shared by two workers). Measured on 2,000 generated articles at 128 permutations:
# 63 µs a document with 32 MB, 24–26 µs with 4–8 MB, 40 with 2 MB (more NumPy calls).
_CHUNK_VALUES = 1 << 21


@cache
def permutations(num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED) -> tuple[U32Array, U32Array]:
    """datasketch's affine32 parameters (`MinHash(num_perm, seed, scheme="affine32").permutations`):
    an odd multiplier and an offset per permutation, from NumPy's legacy generator."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a.astype(np.uint32), b.astype(np.uint32)


def fmix32(hv: U32Array) -> U32Array:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
    with np.errstate(over="ignore"):
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        return hv ^ (hv >> np.uint32(16))


def signatures(
    shingle_sets: Sequence[U32Array], num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """One uint32 signature row per document; an empty document gets the all-max signature."""
    sizes = np.fromiter((s.size for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    flat = np.concatenate(shingle_sets) if len(shingle_sets) else np.empty(0, dtype=np.uint32)
    return signatures_of_flat(flat, sizes, num_perm, seed)


def signatures_of_flat(
    flat: U32Array, sizes: npt.NDArray[np.int64], num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """`signatures` of documents whose shingle hashes are concatenated in `flat`, `sizes[i]`
    of them for document i (what `shingle_hashes_many` gives): by the compiled kernel
    (`kliping.native`, 9 µs a 600-word document) when it is built, else in NumPy (28 µs)."""
    a, b = permutations(num_perm, seed)
    lib = native.library()
    if lib is not None:
        hashes = np.ascontiguousarray(flat, dtype=np.uint32)
        return native.sign(lib, hashes, np.ascontiguousarray(sizes, dtype=np.int64), a, b)
    out = np.full((len(sizes), num_perm), MAX_HASH, dtype=np.uint32)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    chunk = max(_CHUNK_VALUES // max(num_perm, 1), 1)
    doc = 0
    while doc < len(sizes):
        # documents whose shingles fit one chunk (at least one document)
        stop = max(int(np.searchsorted(ends, starts[doc] + chunk, side="right")), doc + 1)
        _sign_chunk(flat[starts[doc] : ends[stop - 1]], sizes[doc:stop], a, b, out[doc:stop])
        doc = stop
    return out


def sign_texts(
    texts: Sequence[str],
    shingle_size: int = DEFAULT_SHINGLE_SIZE,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """The signature of each text, from its shingles hashed a group of texts at a time
    (`shingle_hashes_many`): repeats left in, as a minimum does not change with them."""
    return signatures_of_flat(*shingle_hashes_many(texts, shingle_size), num_perm, seed)


def _sign_chunk(
    hashes: U32Array, sizes: npt.NDArray[np.int64], a: U32Array, b: U32Array, out: np.ndarray
) -> None:
    nonempty = np.flatnonzero(sizes)
    if nonempty.size == 0:
        return
    hv = fmix32(hashes)
    # (num_perm, shingles): the min-reduction then runs along contiguous memory
    phv = np.empty((a.size, hv.size), dtype=np.uint32)
    with np.errstate(over="ignore"):
        np.multiply(a[:, None], hv[None, :], out=phv)
        np.add(phv, b[:, None], out=phv)
    offsets = np.concatenate(([0], np.cumsum(sizes[nonempty])[:-1]))
    out[nonempty] = np.minimum.reduceat(phv, offsets, axis=1).T


def to_minhash(signature: np.ndarray, seed: int = DEFAULT_SEED) -> MinHash:
    """A datasketch MinHash holding this signature, for MinHashLSH and `jaccard()`.

    The permutations are passed in: datasketch would otherwise draw them again for every
    object (about 200 µs each)."""
    from datasketch import MinHash

    return MinHash(
        hashvalues=signature, seed=seed, scheme=SCHEME, permutations=permutations(len(signature), seed)
    )
