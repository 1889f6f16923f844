"""Cluster step: LSH candidates, exact Jaccard check, union-find, stable ids, canonicals.

History matters: clusters only grow or merge, never split, so a cluster that
already has an id keeps it, and when a new article joins two clusters the older
id survives (the merge is reported). Candidates come from datasketch's
MinHashLSH banding (see `lsh_candidates`); a candidate pair is accepted only when the exact Jaccard similarity
of the two shingle sets reaches the threshold, so LSH's false positives never
merge strangers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from kliping.arrays import unique_sorted
from kliping.syndication.shingles import U32Array, jaccard
from kliping.syndication.signatures import MAX_HASH

DEFAULT_THRESHOLD = 0.4  # exact Jaccard of word 3-shingles; chosen by bench/syndication.py (see README)


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What clustering needs to know of an article, old or new."""

    doc_id: str
    published_at: datetime | None
    fetched_at: datetime | None
    source_domain: str | None = None
    points_to: tuple[str, ...] = ()  # domains this article names as its source


@dataclass(frozen=True, slots=True)
class Assignment:
    """A member's place in its cluster: the cluster columns of an `articles` row."""

    cluster_id: str
    cluster_size: int
    canonical_id: str
    is_canonical: bool
    canonical_reason: str
    similarity: float


@dataclass
class ClusterResult:
    assignments: dict[str, Assignment]  # every member of every cluster touched by the new docs
    merges: list[tuple[str, str]] = field(default_factory=list)  # (surviving id, absorbed id)
    new_clusters: list[str] = field(default_factory=list)
    grown_clusters: list[str] = field(default_factory=list)
    candidate_pairs: int = 0  # pairs sharing a band whose signatures pass `plausible`: checked exactly
    accepted_pairs: int = 0
    # those pairs as rows of the signatures given (`candidate_rows`), for `candidates_after_change`
    candidates: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))


class UnionFind:
    """Disjoint sets over string keys, with path halving."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def canonical_order(info: DocInfo) -> tuple[bool, datetime, bool, datetime, str]:
    """Earliest published first (unknown last), then earliest fetched, then smallest doc_id."""
    far = datetime.max.replace(tzinfo=None)

    def key(value: datetime | None) -> datetime:
        return value.replace(tzinfo=None) if value is not None else far

    return (
        info.published_at is None,
        key(info.published_at),
        info.fetched_at is None,
        key(info.fetched_at),
        info.doc_id,
    )


def choose_canonical(members: list[DocInfo]) -> tuple[DocInfo, str]:
    """The cluster's original and the reason it won over the runner-up.

    Earliest published wins. Among those published first (or all, when no date is known),
    an article that another member names as its source ("Artikel ini telah tayang di
    Kompas.com", "dikutip dari AFP") wins next; then earliest fetched; then smallest doc_id.
    """
    if len(members) == 1:  # most articles: no need to build their sort keys
        return members[0], "single"
    ordered = sorted(members, key=canonical_order)
    first = ordered[0]
    second = ordered[1]
    if first.published_at is not None and first.published_at != second.published_at:
        return first, "earliest_published"
    named = {d for m in members for d in m.points_to}
    tied = [m for m in ordered if m.published_at == first.published_at]
    sources = [m for m in tied if m.source_domain is not None and m.source_domain in named]
    if sources and len(sources) < len(tied):
        return sources[0], "declared_source"
    if first.fetched_at is not None and first.fetched_at != second.fetched_at:
        return first, "earliest_fetched"
    return first, "smallest_doc_id"


# Every candidate is verified by exact Jaccard, so false candidates cost only a check while a
# missed pair is a missed copy: bands are chosen for recall at the threshold, not datasketch's
# balanced default (with b=25, r=5 a pair at J=0.68 is missed 2.7% of the time).
LSH_RECALL_AT_THRESHOLD = 0.995


def lsh_params(threshold: float, num_perm: int, recall: float = LSH_RECALL_AT_THRESHOLD) -> tuple[int, int]:
    """(bands, rows): the most selective banding that still finds a pair at `threshold` with `recall`."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


_BAND_MULT = np.uint64(0x9E3779B97F4A7C15)
# Candidates further below the threshold in estimated Jaccard skip the exact check (`plausible`).
PLAUSIBLE_MARGIN = 0.2
PLAUSIBLE_ERRORS = 4.5
_PAIR_CHUNK = 20_000
# band keys are screened by 64 - _FILTER_SHIFT bits of theirs (`candidate_rows`): a 1 MB bitmap
_FILTER_SHIFT = np.uint64(44)
_FILTER_MIX = np.uint64(0xBF58476D1CE4E5B9)


def _filter_bits(keys: np.ndarray) -> np.ndarray:
    """The top bits of each key times an odd constant, where every bit of the key counts: a
    key's own top bits barely vary with its band's last values (small numbers: minima), and
    two-row bands of the 100k generated articles had 8,900 distinct tops for 72,700 keys."""
    with np.errstate(over="ignore"):
        out: np.ndarray = ((keys * _FILTER_MIX) >> _FILTER_SHIFT).astype(np.intp)
    return out


_SCRATCH_ROWS = 4_096  # pairs compared at once: 5.5 MB of working arrays at 128 values


def _band_key(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One 64-bit key per document for one band: equal bands give equal keys.

    datasketch keys a band by its bytes; here it is a 64-bit polynomial of its values (two
    different bands collide with probability 2^-64, and every candidate is checked by exact
    Jaccard anyway).
    """
    # the band's columns converted at once: each document's values are side by side in memory,
    # where reading the signatures one column at a time strides across all of them per column
    block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    acc = np.zeros(signatures.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            acc = acc * _BAND_MULT + block[:, j] + np.uint64(1)
    return acc


def lsh_candidates(
    ids: list[str], signatures: np.ndarray, is_query: np.ndarray, threshold: float
) -> set[tuple[str, str]]:
    """Pairs (a < b) that share an LSH band, at least one of them a query document.

    Same candidates as datasketch's `MinHashLSH(params=lsh_params(...))` with every document
    inserted and every query document queried (a test checks this). A scheduled run adds a
    few documents to a history of millions, so each band is keyed for all documents at once
    and only the keys some query document has are looked up (binary search against them),
    one band at a time: memory stays at the signatures plus one key per document.
    Empty documents (all-max signatures) never match.
    """
    return {
        (min(ids[i], ids[j]), max(ids[i], ids[j]))
        for i, j in candidate_rows(signatures, is_query, threshold).tolist()
    }


def candidate_rows(
    signatures: np.ndarray, is_query: np.ndarray, threshold: float, screen: bool = False
) -> np.ndarray:
    """`lsh_candidates` as row numbers: an (n, 2) array of pairs i < j, sorted, each once.

    Every pair is made in NumPy: most shared bands are two documents that meet by chance, and
    larger groups are expanded with ragged ranges, no Python loop. With `screen`, each band's pairs go
    through `plausible` at once, so that the strangers meeting by chance (their number grows
    with the square of the documents) are never all held together.

    The screening is NumPy gathering and comparing, which runs without the GIL: from
    SCREEN_THREAD_MIN_DOCS documents on, a band's pairs are screened on a second thread while
    the next band's are made (100,000 generated articles: 3.9 → 2.3 s on 2 cores, same pairs).
    """
    none = np.empty((0, 2), dtype=np.int64)
    n = signatures.shape[0]
    if n == 0 or not is_query.any():
        return none
    bands, rows = lsh_params(threshold, signatures.shape[1])
    usable = ~np.all(signatures == MAX_HASH, axis=1)
    query = is_query & usable
    low = low_bytes(signatures) if screen else None
    everyone = bool(is_query.all())
    bitmap = np.zeros(0 if everyone else 1 << (64 - int(_FILTER_SHIFT)), dtype=bool)

    def band_pairs(b: int) -> np.ndarray | None:
        """The band's candidate pairs as codes i * n + j (i < j), sorted; None for none."""
        keys = _band_key(signatures, b, rows)
        if everyone:  # a first run: every document is new, no key needs looking up
            hits = np.flatnonzero(usable)
        else:
            wanted = unique_sorted(keys[query])
            if wanted.size == 0:
                return None
            # a bitmap of 20 bits of each wanted key (`_filter_bits`) lets through, at one
            # gather, the few keys that can be wanted; only those are searched for (a binary
            # search of every key, 100,000 against a thousand wanted, was most of a run that
            # adds 1%)
            top = _filter_bits(wanted)
            bitmap[top] = True
            maybe = np.flatnonzero(bitmap[_filter_bits(keys)] & usable)
            bitmap[top] = False
            pos = np.minimum(np.searchsorted(wanted, keys[maybe]), wanted.size - 1)
            hits = maybe[wanted[pos] == keys[maybe]]
        if hits.size < 2:
            return None
        return _shared_key_pairs(keys, hits, None if everyone else query, n)

    scratch = PlausibleScratch.for_width(signatures.shape[1])

    def screening(codes: np.ndarray, run: Callable[..., Future[None]]) -> _Screening:
        keep = np.empty(codes.size, dtype=bool)
        args = (keep, signatures, codes // n, codes % n, threshold, low, scratch)
        return _Screening(codes, keep, run(plausible_into, *args))

    found: list[np.ndarray] = []
    if screen and n >= SCREEN_THREAD_MIN_DOCS:
        # a band's pairs are screened on a second thread while the next band's are made
        with ThreadPoolExecutor(1, thread_name_prefix="kliping-lsh") as helper:
            pending: deque[_Screening] = deque()
            for b in range(bands):
                if (codes := band_pairs(b)) is not None:
                    pending.append(screening(codes, helper.submit))
                    del codes
                if len(pending) > 1:  # one band waits for its screening at most: bounded memory
                    found.append(pending.popleft().kept())
            found.extend(p.kept() for p in pending)
    else:
        for b in range(bands):
            if (codes := band_pairs(b)) is not None:
                found.append(screening(codes, _done).kept() if screen else codes)
    if not found:
        return none
    unique = unique_sorted(np.concatenate(found))
    return np.stack([unique // n, unique % n], axis=1)


@dataclass(frozen=True)
class _Screening:
    """A band's pairs (as codes) on their way through `plausible_into`."""

    codes: np.ndarray
    keep: np.ndarray
    done: Future[None]

    def kept(self) -> np.ndarray:
        self.done.result()  # its error, raised here
        out: np.ndarray = self.codes[self.keep]
        return out


def _done(fn: Callable[..., None], *args: Any) -> Future[None]:
    """`fn(*args)` run now, as a finished Future (the screening without a helper thread)."""
    future: Future[None] = Future()
    fn(*args)
    future.set_result(None)
    return future


# Below this many documents the screening is too quick for a second thread to pay
SCREEN_THREAD_MIN_DOCS = 20_000


def _shared_key_pairs(keys: np.ndarray, hits: np.ndarray, query: np.ndarray | None, n: int) -> np.ndarray:
    """Every pair of rows `hits` with equal `keys`, at least one of them a `query` row (None:
    all are), as sorted codes i * n + j (i < j). Its own function so that the groups and
    ranges it builds (several times the pairs' memory) are freed before the pairs are screened."""
    order = hits[np.argsort(keys[hits])]  # any order within a group: its pairs are sorted after
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    del sorted_keys
    sizes = np.diff(np.r_[starts, order.size])
    two = starts[sizes == 2]
    first, second = order[two], order[two + 1]
    if query is not None:
        mine = query[first] | query[second]
        first, second = first[mine], second[mine]
    band = [np.minimum(first, second).astype(np.int64) * n + np.maximum(first, second)]
    big = sizes > 2
    if big.any():  # every pair within each larger group, still in NumPy
        group_start, group_size = starts[big], sizes[big]
        member = np.repeat(group_start, group_size) + _ragged_arange(group_size)
        after = np.repeat(group_start + group_size, group_size) - member - 1
        first = np.repeat(member, after)
        a, o = order[first], order[first + 1 + _ragged_arange(after)]
        del first, member, after
        if query is not None:
            mine = query[a] | query[o]
            a, o = a[mine], o[mine]
        band.append(np.minimum(a, o).astype(np.int64) * n + np.maximum(a, o))
    return unique_sorted(np.concatenate(band))


def candidates_after_change(
    previous: np.ndarray, signatures: np.ndarray, changed: np.ndarray, threshold: float
) -> np.ndarray:
    """`candidate_rows(signatures, query, threshold, screen=True)` again after the rows marked
    `changed` (all of them query rows) got new signatures, given its result `previous` from
    before: pairs of two unchanged rows stay as they were, and only pairs with a changed row are
    searched again. After site lines are learned, the texts stripped of them are signed again
    and clustered a second time; at 100k articles, banding them all again took 5 s."""
    if not changed.any():
        return previous
    untouched = previous[~(changed[previous[:, 0]] | changed[previous[:, 1]])]
    fresh = candidate_rows(signatures, changed, threshold, screen=True)
    n = signatures.shape[0]
    codes = unique_sorted(np.concatenate([_codes(untouched, n), _codes(fresh, n)]))
    return np.stack([codes // n, codes % n], axis=1)


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated: [2, 3] → [0, 1, 0, 1, 2]."""
    counts = counts.astype(np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    out: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) - starts
    return out


def _codes(pairs: np.ndarray, n: int) -> np.ndarray:
    codes: np.ndarray = pairs[:, 0] * n + pairs[:, 1]
    return codes


def low_bytes(signatures: np.ndarray) -> np.ndarray:
    """Each signature value's lowest byte: a quarter of the signatures' memory for `plausible`'s
    first pass."""
    return signatures.astype(np.uint8)


def plausible(
    signatures: np.ndarray, pairs: np.ndarray, threshold: float, low: np.ndarray | None = None
) -> np.ndarray:
    """The candidate pairs (rows of `pairs`) whose signatures agree in enough places to reach
    `threshold`.

    LSH is tuned for recall, so most candidates are strangers that share a band by chance
    (on 10,000 generated articles, 300,000 candidates for 1,000 copies), and exact Jaccard on
    each costs two shingle sets and a set intersection. The share of agreeing signature
    values estimates Jaccard with a standard error of at most 0.5/sqrt(num_perm) (0.044 at
    128): a pair estimated more than PLAUSIBLE_MARGIN below the threshold, and more than
    PLAUSIBLE_ERRORS standard errors (4.5 × 0.044 = 0.2 at 128), is dropped without the exact
    check.

    With `low` (`low_bytes(signatures)`), pairs are first compared on the values' lowest bytes:
    equal values have equal low bytes, so a pair dropped there would have been dropped on the
    whole values too, and reading a quarter of the bytes is what counts when 16 million
    candidates meet by chance (100,000 generated articles). The pairs kept are the same.
    """
    if len(pairs) == 0:
        return pairs
    keep = np.empty(len(pairs), dtype=bool)
    scratch = PlausibleScratch.for_width(signatures.shape[1])
    # np.take of contiguous row numbers: 2.5 times faster than values[pairs[:, 0]]
    left, right = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
    plausible_into(keep, signatures, left, right, threshold, low, scratch)
    return pairs[keep]


def plausible_into(
    keep: np.ndarray,
    signatures: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    threshold: float,
    low: np.ndarray | None,
    scratch: PlausibleScratch,
) -> None:
    """`plausible` for the pairs (left[k], right[k]), into the mask `keep`. It allocates only for
    the few pairs that pass the first comparison, so that it can run on a helper thread (see
    `PlausibleScratch`)."""
    width = signatures.shape[1]
    margin = max(PLAUSIBLE_MARGIN, PLAUSIBLE_ERRORS * 0.5 / math.sqrt(width))
    need = (threshold - margin) * width  # agreeing values

    def agree(values: np.ndarray, a_rows: np.ndarray, b_rows: np.ndarray, out: np.ndarray) -> None:
        for start in range(0, len(out), scratch.rows):
            stop = min(start + scratch.rows, len(out))
            k = stop - start
            block_a, block_b = scratch.blocks(values.dtype)
            # mode="clip": with `out`, the default mode writes to a temporary array first
            a = np.take(values, a_rows[start:stop], axis=0, out=block_a[:k], mode="clip")
            b = np.take(values, b_rows[start:stop], axis=0, out=block_b[:k], mode="clip")
            same = np.equal(a, b, out=scratch.same[:k])
            agreeing = np.sum(same, axis=1, dtype=np.uint32, out=scratch.count[:k])
            np.greater_equal(agreeing, need, out=out[start:stop])

    for start in range(0, len(keep), _PAIR_CHUNK):
        chunk = slice(start, start + _PAIR_CHUNK)
        if low is None:
            agree(signatures, left[chunk], right[chunk], keep[chunk])
            continue
        agree(low, left[chunk], right[chunk], keep[chunk])
        passed = np.flatnonzero(keep[chunk]) + start  # few: most chance pairs are dropped here
        if passed.size:
            sure = np.empty(passed.size, dtype=bool)
            agree(signatures, left[passed], right[passed], sure)
            keep[passed] = sure


class PlausibleScratch:
    """`plausible_into`'s working arrays, made by the thread that calls `candidate_rows` and
    filled by the one that screens.

    A thread's own allocations are served from its own malloc arena, and glibc gives back the
    free top of a thread's arena only when a free crosses its trim threshold (`malloc_trim`
    trims the main arena's): screening on a helper thread that made its arrays itself held 15
    to 30 MB more through the rest of a 100,000-article commit, at its peak."""

    def __init__(self, width: int, rows: int) -> None:
        self.rows = rows
        self._blocks: dict[np.dtype[Any], tuple[np.ndarray, np.ndarray]] = {
            np.dtype(np.uint8): (np.empty((rows, width), np.uint8), np.empty((rows, width), np.uint8)),
            np.dtype(np.uint32): (np.empty((rows, width), np.uint32), np.empty((rows, width), np.uint32)),
        }
        self.same = np.empty((rows, width), dtype=bool)
        self.count = np.empty(rows, dtype=np.uint32)

    @classmethod
    def for_width(cls, width: int) -> PlausibleScratch:
        return cls(width, _SCRATCH_ROWS)

    def blocks(self, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
        return self._blocks[np.dtype(dtype)]


def _pair(a: str, b: str) -> tuple[str, str]:
    """A pair of doc ids in the one order `cluster` keys pairs and similarities by."""
    return (a, b) if a < b else (b, a)


def cluster(
    new_docs: list[DocInfo],
    ids: list[str],
    signatures: np.ndarray,
    shingles_of: Callable[[list[str]], dict[str, U32Array]],
    history_cluster: Mapping[str, str],
    cluster_members: Callable[[list[str]], dict[str, list[DocInfo]]],
    cluster_created: Mapping[str, int],
    threshold: float = DEFAULT_THRESHOLD,
    candidates: np.ndarray | None = None,
    similarities: dict[tuple[str, str], float] | None = None,
) -> ClusterResult:
    """Cluster `new_docs` against each other and the history.

    `ids` and the rows of `signatures` are every article (history and new); `history_cluster`
    maps every earlier doc_id to its cluster id; `cluster_members` returns the members of
    given earlier clusters; `cluster_created` orders earlier clusters by age;
    `shingles_of` returns shingle sets for doc ids on demand (earlier ones are rebuilt
    from stored text, so only candidates and touched clusters are loaded), and is called
    at most twice: once for the candidate pairs, once for the members compared with their
    canonical. `candidates`, when given, are the candidate rows already found
    (`candidates_after_change`). `similarities` (pair (a, b), a < b → exact Jaccard) is
    read and filled: a second clustering of mostly the same texts passes the first's, with
    the pairs of changed texts taken out, and loads only the shingles it still lacks.
    """
    memo = similarities if similarities is not None else {}
    new_ids = [d.doc_id for d in new_docs]
    wanted = set(new_ids)
    is_query = np.array([d in wanted for d in ids], dtype=bool)
    rows = candidate_rows(signatures, is_query, threshold, screen=True) if candidates is None else candidates
    pairs = {_pair(ids[i], ids[j]) for i, j in rows.tolist()}
    shingle_cache: dict[str, U32Array] = {}

    def need(doc_ids: Iterable[str]) -> None:
        missing = sorted({i for i in doc_ids if i not in shingle_cache})
        if missing:
            shingle_cache.update(shingles_of(missing))

    def similarity(a: str, b: str) -> float:
        key = _pair(a, b)
        value = memo.get(key)
        if value is None:
            value = memo[key] = jaccard(shingle_cache[a], shingle_cache[b])
        return value

    need(x for pair in pairs if pair not in memo for x in pair)
    uf = UnionFind()

    def node(doc_id: str) -> str:
        """Earlier docs are represented by their cluster: a cluster never splits."""
        cid = history_cluster.get(doc_id)
        return f"c:{cid}" if cid is not None else f"d:{doc_id}"

    accepted = 0
    for a, b in sorted(pairs):
        if similarity(a, b) >= threshold:
            uf.union(node(a), node(b))
            accepted += 1
    components: dict[str, list[str]] = {}
    joined = uf.parent
    for doc_id in new_ids:
        n = node(doc_id)
        if n in joined or n.startswith("c:"):
            components.setdefault(uf.find(n), []).append(doc_id)
        else:  # in no accepted pair: alone (most articles), and no union-find entry to make
            components[n] = [doc_id]
    for n in list(uf.parent):
        if n.startswith("c:"):
            root = uf.find(n)
            if root in components:
                components[root].append(n)

    result = ClusterResult({}, candidate_pairs=len(rows), accepted_pairs=accepted, candidates=rows)
    new_info = {d.doc_id: d for d in new_docs}
    groups: list[tuple[str, list[DocInfo], DocInfo, str]] = []
    for nodes in components.values():
        if len(nodes) == 1 and (doc_id := nodes[0]) in new_info:  # a new article alone
            result.new_clusters.append(doc_id)
            result.assignments[doc_id] = Assignment(doc_id, 1, doc_id, True, "single", 1.0)
            continue
        old_ids = sorted({n[2:] for n in nodes if n.startswith("c:")}, key=lambda c: (cluster_created[c], c))
        fresh = sorted({n for n in nodes if n in new_info})
        old_members = cluster_members(old_ids) if old_ids else {}
        members = [m for cid in old_ids for m in old_members[cid]] + [new_info[d] for d in fresh]
        if old_ids:
            cluster_id = old_ids[0]
            result.grown_clusters.append(cluster_id)
            result.merges.extend((cluster_id, absorbed) for absorbed in old_ids[1:])
        else:
            cluster_id = fresh[0]
            result.new_clusters.append(cluster_id)
        canon, reason = choose_canonical(members)
        if len(members) == 1:  # most articles: nothing to compare
            result.assignments[canon.doc_id] = Assignment(cluster_id, 1, canon.doc_id, True, reason, 1.0)
        else:
            groups.append((cluster_id, members, canon, reason))
    # every member's similarity to its canonical that is not known yet, their shingles read at once
    need(
        d
        for _, members, canon, _ in groups
        for m in members
        if m.doc_id != canon.doc_id and _pair(m.doc_id, canon.doc_id) not in memo
        for d in (m.doc_id, canon.doc_id)
    )
    for cluster_id, members, canon, reason in groups:
        for m in members:
            is_canon = m.doc_id == canon.doc_id
            sim = 1.0 if is_canon else similarity(m.doc_id, canon.doc_id)
            result.assignments[m.doc_id] = Assignment(
                cluster_id, len(members), canon.doc_id, is_canon, reason, round(sim, 6)
            )
    return result
