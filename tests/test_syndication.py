"""Signatures agree with datasketch bit for bit; clusters and canonicals on a corpus with known copies."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from corpus import article_body, outlet_copy, sentence
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from kliping.config import RunConfig
from kliping.run import run_local
from kliping.syndication.clusters import DocInfo, UnionFind, choose_canonical
from kliping.syndication.shingles import jaccard, shingle_hash32, shingle_hashes, shingles, tokenize
from kliping.syndication.signatures import permutations, signatures, to_minhash


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 12345)])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = permutations(num_perm, seed)
    assert ours[0].dtype == ours[1].dtype == np.uint32
    assert np.array_equal(ours[0], a) and np.array_equal(ours[1], b)


def test_signatures_bit_compatible_with_datasketch(rng: random.Random) -> None:
    texts = [" ".join(article_body(rng, 3)) for _ in range(5)] + ["", "satu dua"]
    sigs = signatures([shingle_hashes(t, 5) for t in texts], 128, 1)
    # the pipeline signs without sorting the shingle hashes: repeats do not change a minimum
    assert np.array_equal(sigs, signatures([shingle_hashes(t, 5, unique=False) for t in texts], 128, 1))
    for text, sig in zip(texts, sigs, strict=True):
        m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash32)
        m.update_batch(shingles(tokenize(text), 5))
        assert np.array_equal(m.hashvalues, sig)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("a", to_minhash(sigs[0]))
    assert lsh.query(to_minhash(sigs[0])) == ["a"]


def test_minhash_estimate_tracks_exact_jaccard(rng: random.Random) -> None:
    body = article_body(rng, 10)
    a, b = " ".join(body), " ".join(body[:7])
    sa, sb = shingle_hashes(a), shingle_hashes(b)
    exact = jaccard(sa, sb)
    ma, mb = (to_minhash(s) for s in signatures([sa, sb]))
    assert abs(ma.jaccard(mb) - exact) < 0.15
    assert 0.5 < exact < 0.9


def test_canonical_order() -> None:
    from datetime import UTC, datetime

    t1, t2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    assert choose_canonical([DocInfo("b", t2, None), DocInfo("a", None, t1)])[0].doc_id == "b"
    assert choose_canonical([DocInfo("b", t1, t2), DocInfo("a", t1, None)]) == (
        DocInfo("b", t1, t2),
        "earliest_fetched",
    )
    assert choose_canonical([DocInfo("b", None, None), DocInfo("a", None, None)])[1] == "smallest_doc_id"
    uf = UnionFind()
    uf.union("x", "y")
    uf.union("y", "z")
    assert uf.find("z") == uf.find("x")


def write_story_corpus(raw: Path, rng: random.Random) -> dict[str, str]:
    """Two wire stories copied by three outlets, plus unrelated articles of the same outlets.

    Returns file name → the story it belongs to ('A', 'B') or a unique label for singles.
    """
    labels: dict[str, str] = {}
    stories = {"A": article_body(rng, 9), "B": article_body(rng, 8)}
    published = {"A": "2024-10-24T01:00:00+00:00", "B": "2024-10-25T03:00:00+00:00"}
    for story, body in stories.items():
        # the original (earliest published), from the wire
        name = f"wire-{story}.jsonl"
        (raw / name).write_text(
            json.dumps({"url": f"https://wire.example/{story}", "text": "\n".join(body),
                        "fetched_at": published[story], "published": published[story]}) + "\n",
            encoding="utf-8",
        )  # fmt: skip
        labels[name] = story
        for i, outlet in enumerate(["kabarsatu.co.id", "warta-nusantara.com", "beritaku.id"]):
            text = outlet_copy(body, outlet, rng, cut=i % 2, edits=0.02 * i, title=sentence(rng, 8)[:-1])
            name = f"{outlet}/{story}.txt"
            (raw / outlet).mkdir(exist_ok=True)
            (raw / name).write_text(text, encoding="utf-8")
            (raw / f"{name}.meta.json").write_text(
                json.dumps({"url": f"https://{outlet}/{story}", "fetched_at": f"2024-10-2{6 + i}T00:00:00Z"}),
                encoding="utf-8",
            )
            labels[name] = story
    for outlet in ["kabarsatu.co.id", "warta-nusantara.com", "beritaku.id"]:
        for j in range(3):  # unrelated articles sharing the outlet's boilerplate
            name = f"{outlet}/other-{j}.txt"
            (raw / name).write_text(outlet_copy(article_body(rng, 6), outlet, rng), encoding="utf-8")
            labels[name] = name
    return labels


def test_clusters_and_canonicals_exact(tmp_path: Path, rng: random.Random) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    labels = write_story_corpus(raw, rng)
    summary = run_local(raw, out, RunConfig(workers=0))
    df = pd.read_parquet(out / "articles")
    assert len(df) == len(labels)
    got = {p: c for p, c in zip(df["source_path"], df["cluster_id"], strict=True)}
    # same story ⇔ same cluster
    for a in labels:
        for b in labels:
            assert (got[a] == got[b]) == (labels[a] == labels[b]), (a, b)
    for story in ("A", "B"):
        members = df[df["source_path"].map(labels) == story]
        assert len(members) == 4
        canon = members[members["is_canonical"]]
        assert canon["source_path"].tolist() == [f"wire-{story}.jsonl"]
        assert (members["canonical_id"] == canon["doc_id"].iloc[0]).all()
        assert (members["cluster_size"] == 4).all()
        assert set(members["canonical_reason"]) == {"earliest_fetched"}
        copies = members[~members["is_canonical"]]
        assert (copies["similarity"] >= 0.5).all()
        # kabarsatu's copy is verbatim once its boilerplate is gone; the others are cut or edited
        verbatim = copies["source_path"].str.startswith("kabarsatu")
        assert (copies.loc[verbatim, "similarity"] == 1.0).all()
        assert (copies.loc[~verbatim, "similarity"] < 1.0).all()
        # the outlets' boilerplate did not survive into the text
        assert (
            not copies["text"].str.contains("Baca Juga|BACA JUGA|Google News|Jangan lupa", case=False).any()
        )
        assert copies["dateline"].notna().all()
    assert summary.count("cluster.multi_member") == 2


def test_declared_source_decides_among_undated(tmp_path: Path, rng: random.Random) -> None:
    """No dates anywhere: the copy that names its source points to that source's article."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    body = article_body(rng, 8)
    # kabarsatu's own article, fetched last
    (raw / "kabarsatu.txt").write_text("\n\n".join(body))
    (raw / "kabarsatu.txt.meta.json").write_text(
        json.dumps({"url": "https://kabarsatu.co.id/a", "fetched_at": "2024-10-30T00:00:00Z"})
    )
    # a farm's copy, fetched first, that says where it comes from
    copy = "\n\n".join([*body[:-1], "Artikel ini telah tayang di Kabarsatu.co.id dengan judul apa saja"])
    (raw / "farm.txt").write_text(copy)
    (raw / "farm.txt.meta.json").write_text(
        json.dumps({"url": "https://farm.example/a", "fetched_at": "2024-10-25T00:00:00Z"})
    )
    run_local(raw, out, RunConfig(workers=0))
    df = pd.read_parquet(out / "articles").set_index("source_path")
    assert df.loc["farm.txt", "declared_source"] == "Kabarsatu.co.id"
    assert df["cluster_id"].nunique() == 1
    assert df.loc["kabarsatu.txt", "is_canonical"]
    assert set(df["canonical_reason"]) == {"declared_source"}


def test_choose_canonical_published_beats_declared() -> None:
    from datetime import UTC, datetime

    early = datetime(2024, 1, 1, tzinfo=UTC)
    source = DocInfo("s", None, None, "kompas.com")
    copy = DocInfo("c", early, None, "farm.id", ("kompas.com",))
    assert choose_canonical([source, copy]) == (copy, "earliest_published")
    assert choose_canonical([source, DocInfo("c", None, None, "farm.id", ("kompas.com",))]) == (
        source,
        "declared_source",
    )


def test_band_candidates_equal_datasketch_minhashlsh(rng: random.Random) -> None:
    """The vectorised banding finds exactly the pairs datasketch's MinHashLSH finds."""
    from kliping.syndication.clusters import lsh_candidates, lsh_params

    texts: list[str] = []
    for _ in range(40):
        body = article_body(rng, 6)
        texts.append(" ".join(body))
        for keep in (5, 4, 3):  # copies at falling similarity, some below any threshold
            words = " ".join(body[:keep]).split()
            texts.append(" ".join(w if rng.random() > 0.03 else "ganti" for w in words))
    texts += ["", texts[0]]  # an empty document never matches; a verbatim duplicate does
    ids = [f"d{i:04d}" for i in range(len(texts))]
    sigs = signatures([shingle_hashes(t) for t in texts])
    some = np.array([i % 3 == 0 for i in range(len(ids))])
    everyone = np.ones(len(ids), dtype=bool)  # a first run: no key lookup
    for threshold, query in ((0.3, some), (0.5, some), (0.7, some), (0.5, everyone)):
        ours = lsh_candidates(ids, sigs, query, threshold)
        lsh = MinHashLSH(num_perm=128, params=lsh_params(threshold, 128))
        for doc_id, sig, text in zip(ids, sigs, texts, strict=True):
            if text:
                lsh.insert(doc_id, to_minhash(sig))
        theirs = {
            (min(a, b), max(a, b))
            for a, sig, text, q in zip(ids, sigs, texts, query, strict=True)
            if q and text
            for b in lsh.query(to_minhash(sig))
            if b != a
        }
        assert ours == theirs and len(ours) > 40


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_vectorised_word_hashes_equal_plain_python(text: str) -> None:
    """Words hashed from code-point arrays are exactly `token_hash` of `tokenize`'s words."""
    from kliping.syndication.shingles import token_hash, token_hashes_of_text

    expected = np.array([token_hash(t) for t in tokenize(text)], dtype=np.uint64)
    assert np.array_equal(token_hashes_of_text(text), expected)


_WORDY = st.text(alphabet=st.sampled_from(["a", "b", "ß", "İ", "🙂", " ", "\n", ".", "k", "ﬁ"]), max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_WORDY | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60), max_size=12),
       st.integers(1, 5), st.sampled_from([8, 64, 1 << 15]))  # fmt: skip
def test_batched_shingles_and_signatures_equal_one_text_at_a_time(
    texts: list[str], size: int, group: int
) -> None:
    """The pipeline hashes a batch's texts joined (`shingle_hashes_many`): each text's part must be
    `shingle_hashes` of it alone, whatever the group size (texts of no words, of fewer words than
    a shingle, whose case folding lengthens them, beyond the BMP), and its signatures the same."""
    from kliping.syndication import shingles as sh
    from kliping.syndication.signatures import signatures_of_flat

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sh, "_BATCH_CODE_POINTS", group)
        flat, counts = sh.shingle_hashes_many(texts, size)
    alone = [shingle_hashes(t, size, unique=False) for t in texts]
    assert [int(c) for c in counts] == [a.size for a in alone]
    assert np.array_equal(flat, np.concatenate(alone) if alone else np.empty(0, dtype=np.uint32))
    assert flat.dtype == np.uint32 and counts.dtype == np.int64
    assert np.array_equal(signatures_of_flat(flat, counts, 64, 3), signatures(alone, 64, 3))
    sets = sh.shingle_sets_many(texts, size)  # the commit's, for exact Jaccard
    assert len(sets) == len(texts)
    for got, text in zip(sets, texts, strict=True):
        assert np.array_equal(got, shingle_hashes(text, size))
        assert got.base is None  # not a view that would keep the whole batch's hashes alive


def test_signatures_in_chunks_equal_signatures_at_once(
    rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing groups documents so that a chunk's permuted shingles stay bounded; a document
    larger than a chunk is a chunk of its own."""
    from kliping.syndication import signatures as sg

    texts = [" ".join(article_body(rng, rng.randint(0, 4))) for _ in range(30)]
    sets = [shingle_hashes(t, 3, unique=False) for t in texts]
    whole = signatures(sets, 128, 1)
    monkeypatch.setattr(sg, "_CHUNK_VALUES", 50 * 128)  # 50 shingles a chunk
    assert np.array_equal(signatures(sets, 128, 1), whole)


def test_plausible_keeps_every_candidate_that_reaches_the_threshold(rng: random.Random) -> None:
    """The signature pre-check before exact Jaccard drops strangers, never a pair at or above
    the threshold (copies at falling similarity, down to below it)."""
    from kliping.syndication.clusters import candidate_rows, low_bytes, plausible

    texts: list[str] = []
    pool = [sentence(rng) for _ in range(60)]  # shared sentences: strangers meet in bands
    for _ in range(60):
        body = [" ".join(rng.choice(pool) for _ in range(3)) for _ in range(6)]
        texts.append(" ".join(body))
        for keep in (6, 4, 3, 2):
            words = " ".join(body[:keep]).split()
            texts.append(" ".join(w if rng.random() > 0.05 else "ganti" for w in words))
    sets = [shingle_hashes(t) for t in texts]
    sigs = signatures(sets)
    for threshold in (0.3, 0.4, 0.6):
        rows = candidate_rows(sigs, np.ones(len(texts), dtype=bool), threshold)
        kept = {tuple(p) for p in plausible(sigs, rows, threshold).tolist()}
        reaching = {tuple(p) for p in rows.tolist() if jaccard(sets[p[0]], sets[p[1]]) >= threshold}
        assert reaching and reaching <= kept
        assert len(kept) < len(rows)  # and it does drop strangers
        # a first pass on the values' low bytes keeps exactly the same pairs
        assert {tuple(p) for p in plausible(sigs, rows, threshold, low_bytes(sigs)).tolist()} == kept
        # screened band by band, as a run does, the same pairs remain
        screened = candidate_rows(sigs, np.ones(len(texts), dtype=bool), threshold, screen=True)
        assert {tuple(p) for p in screened.tolist()} == kept


def _near_copies(rng: random.Random, n_bodies: int = 40) -> tuple[list[np.ndarray], np.ndarray]:
    """Shingle sets and signatures of bodies from shared sentences, each with altered copies."""
    texts: list[str] = []
    pool = [sentence(rng) for _ in range(60)]
    for _ in range(n_bodies):
        body = [" ".join(rng.choice(pool) for _ in range(3)) for _ in range(6)]
        texts.append(" ".join(body))
        for keep in (6, 4, 3):
            words = " ".join(body[:keep]).split()
            texts.append(" ".join(w if rng.random() > 0.05 else "ganti" for w in words))
    sets = [shingle_hashes(t) for t in texts]
    return sets, signatures(sets)


def test_screening_on_a_helper_thread_keeps_the_same_pairs(
    rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From SCREEN_THREAD_MIN_DOCS on, bands are screened on a second thread while the next
    are made: the pairs are those of screening in turn, for a first run and for a few queries,
    and the helper thread did the screening."""
    import threading

    from kliping.syndication import clusters

    _, sigs = _near_copies(rng)
    everyone = np.ones(len(sigs), dtype=bool)
    some = np.zeros(len(sigs), dtype=bool)
    some[::5] = True
    screeners: set[str] = set()
    real = clusters.plausible_into

    def spy(*args: Any) -> None:
        screeners.add(threading.current_thread().name)
        real(*args)

    monkeypatch.setattr(clusters, "plausible_into", spy)
    for query in (everyone, some):
        monkeypatch.setattr(clusters, "SCREEN_THREAD_MIN_DOCS", len(sigs) + 1)
        alone = clusters.candidate_rows(sigs, query, 0.4, screen=True)
        assert screeners == {threading.current_thread().name}
        monkeypatch.setattr(clusters, "SCREEN_THREAD_MIN_DOCS", 1)
        screeners.clear()
        helped = clusters.candidate_rows(sigs, query, 0.4, screen=True)
        assert np.array_equal(helped, alone) and len(alone) > 0
        assert screeners and threading.current_thread().name not in screeners
        screeners.clear()


def test_screening_error_on_the_helper_thread_is_raised(
    monkeypatch: pytest.MonkeyPatch, rng: random.Random
) -> None:
    from kliping.syndication import clusters

    _, sigs = _near_copies(rng, 10)

    def broken(*args: Any) -> None:
        raise MemoryError("screening")

    monkeypatch.setattr(clusters, "plausible_into", broken)
    monkeypatch.setattr(clusters, "SCREEN_THREAD_MIN_DOCS", 1)
    with pytest.raises(MemoryError, match="screening"):
        clusters.candidate_rows(sigs, np.ones(len(sigs), dtype=bool), 0.4, screen=True)


@pytest.mark.parametrize("rows", [1, 3, 4096])
def test_plausible_in_blocks_of_any_size_counts_every_agreement(rows: int, rng: random.Random) -> None:
    """`plausible_into` compares pairs a scratch block at a time: any block size keeps the pairs
    whose signatures agree in enough places, counted plainly."""
    from kliping.syndication.clusters import PlausibleScratch, low_bytes, plausible_into

    _, sigs = _near_copies(rng, 10)
    pairs = np.array([(i, j) for i in range(len(sigs)) for j in range(i + 1, len(sigs))])
    need = (0.4 - 0.2) * 128
    plain = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).sum(axis=1) >= need
    for low in (None, low_bytes(sigs)):
        keep = np.empty(len(pairs), dtype=bool)
        left, right = pairs[:, 0].copy(), pairs[:, 1].copy()
        plausible_into(keep, sigs, left, right, 0.4, low, PlausibleScratch(128, rows))
        assert np.array_equal(keep, plain) and 0 < plain.sum() < len(pairs)


def test_candidates_after_change_equal_a_new_search(rng: random.Random) -> None:
    """After some query documents are signed again (site lines stripped), keeping the pairs
    of unchanged documents and searching only from the changed ones finds the same pairs."""
    from kliping.syndication.clusters import candidate_rows, candidates_after_change

    pool = [sentence(rng) for _ in range(50)]
    texts = [" ".join(rng.choice(pool) for _ in range(12)) for _ in range(150)]
    texts += [t[: len(t) * 3 // 4] for t in texts[:60]]  # copies
    sigs = signatures([shingle_hashes(t) for t in texts])
    query = np.array([i % 2 == 0 or i >= 150 for i in range(len(texts))])
    for threshold in (0.3, 0.5):
        before = candidate_rows(sigs, query, threshold, screen=True)
        changed = query & np.array([rng.random() < 0.3 for _ in texts])
        edited = [t + " " + " ".join(rng.choice(pool) for _ in range(6)) if c else t
                  for t, c in zip(texts, changed, strict=True)]  # fmt: skip
        after = signatures([shingle_hashes(t) for t in edited])
        expected = candidate_rows(after, query, threshold, screen=True)
        assert candidates_after_change(before, after, changed, threshold).tolist() == expected.tolist()
        assert len(expected) and not np.array_equal(expected, before)


def test_the_key_bitmap_only_narrows_the_lookup(rng: random.Random, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query band's keys are screened by a bitmap of some of their bits before the exact
    lookup: with a bitmap of four places (every key collides) the pairs are the same."""
    from kliping.syndication import clusters

    pool = [sentence(rng) for _ in range(40)]
    texts = [" ".join(rng.choice(pool) for _ in range(10)) for _ in range(120)]
    sigs = signatures([shingle_hashes(t) for t in texts])
    query = np.array([i % 4 == 0 for i in range(len(texts))])
    expected = clusters.candidate_rows(sigs, query, 0.4)
    monkeypatch.setattr(clusters, "_FILTER_SHIFT", np.uint64(62))
    assert clusters.candidate_rows(sigs, query, 0.4).tolist() == expected.tolist()
    assert len(expected)


def test_ragged_arange() -> None:
    from kliping.syndication.clusters import _ragged_arange

    assert _ragged_arange(np.array([2, 3, 0, 1])).tolist() == [0, 1, 0, 1, 2, 0]
    assert _ragged_arange(np.array([], dtype=np.int64)).tolist() == []


def test_reclustering_with_known_similarities_equals_clustering_afresh(rng: random.Random) -> None:
    """The commit clusters twice when site lines change some texts; the second time it passes
    the first's similarities (stale ones dropped) and only some shingle sets. The result must
    be what clustering the changed texts from nothing gives, and the texts of unchanged
    documents whose similarities are known must not be read again."""
    from kliping.run import _keep_for_reclustering
    from kliping.syndication.clusters import candidates_after_change, cluster

    bodies = [article_body(rng, 4) for _ in range(30)]
    texts = {f"d{i:03d}": "\n\n".join(b) for i, b in enumerate(bodies)}
    for i in range(40):  # copies: some whole, some cut, some with the story's end replaced
        body = bodies[rng.randrange(len(bodies))]
        texts[f"c{i:03d}"] = "\n\n".join(body[: rng.randint(2, 4)] + [sentence(rng)] * (i % 2))
    ids = sorted(texts)
    info = [DocInfo(d, None, None, "site.id") for d in ids]
    reads: list[list[str]] = []

    def shingles_from(current: dict[str, str]) -> Callable[[list[str]], dict[str, np.ndarray]]:
        def of(doc_ids: list[str]) -> dict[str, np.ndarray]:
            reads.append(doc_ids)
            return {d: shingle_hashes(current[d]) for d in doc_ids}

        return of

    def run(current: dict[str, str], **kw: Any) -> Any:
        sigs = signatures([shingle_hashes(current[d]) for d in ids])
        return cluster(info, ids, sigs, shingles_from(current), {}, lambda c: {}, {}, threshold=0.4, **kw)

    memo: dict[tuple[str, str], float] = {}
    first = run(texts, similarities=memo)
    assert memo and any(a.cluster_size > 1 for a in first.assignments.values())
    changed = {d: "" for d in rng.sample(ids, 12)}
    edited = {d: (t + "\n\n" + sentence(rng) * 3 if d in changed else t) for d, t in texts.items()}
    old_sigs = signatures([shingle_hashes(texts[d]) for d in ids])
    new_sigs = signatures([shingle_hashes(edited[d]) for d in ids])
    flags = np.array([d in changed for d in ids])
    candidates = candidates_after_change(first.candidates, new_sigs, flags, 0.4)
    assert np.array_equal(old_sigs[~flags], new_sigs[~flags])
    memo_shingles = {d: shingle_hashes(texts[d]) for d in ids}
    _keep_for_reclustering(memo_shingles, memo, changed, first, ids)
    assert not any(a in changed or b in changed for a, b in memo)
    assert not set(memo_shingles) & set(changed)
    reads.clear()
    again = run(edited, candidates=candidates, similarities=memo)
    read_again = {d for r in reads for d in r}
    afresh = run(edited)
    assert again.assignments == afresh.assignments
    assert (again.candidate_pairs, again.accepted_pairs) == (afresh.candidate_pairs, afresh.accepted_pairs)
    assert again.new_clusters == afresh.new_clusters
    # only texts in a pair whose similarity had to be computed again were read
    stale = {d for pair in {tuple(sorted((ids[i], ids[j]))) for i, j in candidates.tolist()} for d in pair}
    assert read_again <= stale | {a.canonical_id for a in afresh.assignments.values()} | set(changed)
    assert len(read_again) < len(ids)
