"""MinHash signature speed: kliping's vectorised path against datasketch, same run, one core.

    .venv/bin/python -m bench.signatures [--docs 2000] [--words 600] [--out bench/out/signatures.json]

Documents are ~600-word windows of the real article bodies in ../shared/dev-pages (repeated
to reach the count); without that folder, random-word documents. Both paths start from
the text and include shingling and hashing:

    datasketch  tokenize → shingles → MinHash(num_perm=128, seed=1, hashfunc=shingle_hash32)
                .update_batch(shingles), one document at a time
    kliping     sign_texts(all texts): shingle_hashes_many → signatures_of_flat (vectorised
                NumPy, the pipeline's own path: texts hashed joined, a few at a time)

and, as a second reference, datasketch with the same hashfunc memoising word hashes within
a pass (identical values; the fairest plain-Python reference).

The process is pinned to one CPU; kliping's token-hash cache, in versions that have one, is
emptied before every timed pass; passes of the two paths alternate, and the best of 3 of each is reported
(wall and CPU time). A sample is checked bit for bit. When
kliping is under 5× faster, a profile says where its time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash

from bench import corpus_real
from kliping.syndication import shingles as sh
from kliping.syndication.signatures import SCHEME, sign_texts, signatures

NUM_PERM, SEED, SHINGLE_SIZE = 128, 1, 5
REPEATS = 3
TARGET_RATIO = 5.0
SAMPLE = 200  # documents checked bit for bit
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "signatures.json"


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def documents(n: int, words: int, seed: int = 20241024) -> tuple[list[str], str]:
    """`n` documents of `words` words: windows over the real bodies, or random words without them."""
    rng = random.Random(seed)
    if corpus_real.available():
        bodies = corpus_real.load_bodies()
        stream = [w for b in bodies for p in b.paragraphs for w in p.split()]
        source = (
            f"{len(bodies)} real bodies from {corpus_real.DEV_PAGES} ({len(stream)} words), windows repeated"
        )
    else:
        vocab = [
            "".join(rng.choice("abcdefghijklmnoprstuwy") for _ in range(rng.randint(2, 10)))
            for _ in range(20_000)
        ]
        weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like, as words in text are
        stream = rng.choices(vocab, weights, k=max(200_000, 2 * words))
        source = f"random words (Zipf over 20,000), {corpus_real.DEV_PAGES} being absent"
    docs = []
    for _ in range(n):
        start = rng.randrange(len(stream) - words)
        chunk = stream[start : start + words]
        docs.append("\n\n".join(" ".join(chunk[i : i + 60]) for i in range(0, words, 60)))
    return docs, source


def datasketch_path(docs: list[str]) -> list[np.ndarray]:
    out = []
    for text in docs:
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sh.shingle_hash32, scheme=SCHEME)
        m.update_batch(sh.shingles(sh.tokenize(text), SHINGLE_SIZE))
        out.append(m.hashvalues)
    return out


def memoised_shingle_hash32() -> Callable[[tuple[str, ...]], int]:
    """`shingle_hash32` with each word hashed once per pass: the same values, the fastest plain
    Python hashfunc we can give datasketch (a fairer reference when kliping's word hash is slow)."""
    cache: dict[str, int] = {}
    mult, mask = int(sh._MULT), 0xFFFFFFFFFFFFFFFF

    def hashfunc(shingle: tuple[str, ...]) -> int:
        acc = 0
        for token in shingle:
            value = cache.get(token)
            if value is None:
                value = cache[token] = sh.token_hash(token)
            acc = (acc * mult + value) & mask
        return acc >> 32

    return hashfunc


def datasketch_memo_path(docs: list[str]) -> list[np.ndarray]:
    hashfunc = memoised_shingle_hash32()
    out = []
    for text in docs:
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=hashfunc, scheme=SCHEME)
        m.update_batch(sh.shingles(sh.tokenize(text), SHINGLE_SIZE))
        out.append(m.hashvalues)
    return out


def kliping_path(docs: list[str]) -> np.ndarray:
    """What a batch runs (`kliping.pipeline._articles_table`)."""
    return sign_texts(docs, SHINGLE_SIZE, NUM_PERM, SEED)


def _cold() -> None:
    """Empty kliping's token-hash cache where it has one (both paths hash words through it)."""
    cache = getattr(sh, "_token_cache", None)
    if cache is not None:
        cache.clear()


def timed(fn: Callable[[list[str]], Any], docs: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one pass from a cold start."""
    _cold()
    wall, cpu = time.perf_counter(), time.process_time()
    fn(docs)
    return time.perf_counter() - wall, time.process_time() - cpu


def best_of(
    fn: Callable[[list[str]], Any], docs: list[str], repeats: int = REPEATS
) -> tuple[float, list[float]]:
    """Best wall time of `repeats` passes of one path, and all of them (used by bench/run.py)."""
    times = [timed(fn, docs)[0] for _ in range(repeats)]
    return min(times), times


def interleaved(docs: list[str], repeats: int = REPEATS) -> dict[str, dict[str, Any]]:
    """Both paths, passes alternating (so both see the same machine load); best of `repeats` each."""
    paths = {"datasketch": datasketch_path, "datasketch_memo": datasketch_memo_path, "kliping": kliping_path}
    passes: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            passes[name].append(timed(fn, docs))
    return {
        name: {
            "best_wall_seconds": min(w for w, _ in runs),
            "best_cpu_seconds": min(c for _, c in runs),
            "wall_seconds": [round(w, 4) for w, _ in runs],
            "cpu_seconds": [round(c, 4) for _, c in runs],
            "docs_per_second": len(docs) / min(w for w, _ in runs),
        }
        for name, runs in passes.items()
    }


def _clock(fn: Callable[[], Any]) -> float:
    started = time.process_time()
    fn()
    return round(time.process_time() - started, 4)


def stage_times(docs: list[str]) -> dict[str, float]:
    """CPU seconds of each stage of both paths, timed on its own (kliping's as it is today)."""
    tokens = [sh.tokenize(t) for t in docs]
    sets = [sh.shingle_hashes(t, SHINGLE_SIZE) for t in docs]
    tuples = [sh.shingles(toks, SHINGLE_SIZE) for toks in tokens]
    out = {
        "datasketch: tokenize": _clock(lambda: [sh.tokenize(t) for t in docs]),
        "datasketch: shingle tuples": _clock(lambda: [sh.shingles(toks, SHINGLE_SIZE) for toks in tokens]),
        "datasketch: shingle_hash32 of every shingle": _clock(
            lambda: [[sh.shingle_hash32(x) for x in tup] for tup in tuples]
        ),
    }
    if hasattr(sh, "token_hashes_of_text"):
        out["kliping: token_hashes_of_text"] = _clock(lambda: [sh.token_hashes_of_text(t) for t in docs])
    out["kliping: shingle_hashes, all of it"] = _clock(
        lambda: [sh.shingle_hashes(t, SHINGLE_SIZE) for t in docs]
    )
    out["kliping: signatures"] = _clock(lambda: signatures(sets, NUM_PERM, SEED))
    return out


def profile(docs: list[str], top: int = 12) -> str:
    _cold()
    prof = cProfile.Profile()
    prof.enable()
    kliping_path(docs)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.signatures", description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--profile", action="store_true", help="print kliping's profile even above the target")
    args = ap.parse_args(argv)
    pinned = pin_one_core()
    docs, source = documents(args.docs, args.words)
    print(f"{len(docs)} documents of {args.words} words: {source}; {pinned}")

    timings = interleaved(docs)
    ds, kl = timings["datasketch"], timings["kliping"]
    ratio = ds["best_wall_seconds"] / kl["best_wall_seconds"]
    cpu_ratio = ds["best_cpu_seconds"] / kl["best_cpu_seconds"]
    memo = timings["datasketch_memo"]
    memo_ratio = memo["best_wall_seconds"] / kl["best_wall_seconds"]
    memo_cpu_ratio = memo["best_cpu_seconds"] / kl["best_cpu_seconds"]

    sample = random.Random(7).sample(range(len(docs)), min(SAMPLE, len(docs)))
    sub = [docs[i] for i in sample]
    ds_sigs, kl_sigs = datasketch_path(sub), kliping_path(sub)
    equal = sum(bool(np.array_equal(a, b)) for a, b in zip(ds_sigs, kl_sigs, strict=True))
    equal_memo = sum(
        bool(np.array_equal(a, b)) for a, b in zip(datasketch_memo_path(sub), kl_sigs, strict=True)
    )
    same_object = sum(
        MinHash(hashvalues=b, seed=SEED, scheme=SCHEME) == MinHash(hashvalues=a, seed=SEED, scheme=SCHEME)
        for a, b in zip(ds_sigs, kl_sigs, strict=True)
    )
    stages = stage_times(docs)

    for name, t in timings.items():
        print(
            f"{name + ':':<12}{t['docs_per_second']:8.0f} docs/s  (best of {REPEATS}: "
            f"{t['best_wall_seconds']:.3f} s wall, {t['best_cpu_seconds']:.3f} s CPU; "
            f"passes {t['wall_seconds']})"
        )
    print(f"ratio:      {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU (target {TARGET_RATIO:g}x)")
    print(f"ratio to datasketch with memoised word hashes: {memo_ratio:.1f}x wall, {memo_cpu_ratio:.1f}x CPU")
    print(
        f"bit-equal:  {equal}/{len(sub)} signatures ({equal_memo}/{len(sub)} memoised); "
        f"equal MinHash objects: {same_object}/{len(sub)}"
    )
    print("stages (CPU s):")
    for name, seconds in stages.items():
        print(f"  {name:<45} {seconds:7.3f}")
    prof_text = None
    if min(ratio, memo_ratio) < TARGET_RATIO or args.profile:
        prof_text = profile(docs)
        print(f"\nkliping path profile (tottime):\n{prof_text}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": "python -m bench.signatures",
        "documents": len(docs),
        "words_per_document": args.words,
        "source": source,
        "cpu": pinned,
        "num_perm": NUM_PERM,
        "shingle_size": SHINGLE_SIZE,
        "datasketch": ds,
        "kliping": kl,
        "datasketch_memo": memo,
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "memo_ratio": memo_ratio,
        "memo_cpu_ratio": memo_cpu_ratio,
        "bit_equal": {
            "sample": len(sub),
            "equal": equal,
            "equal_memo": equal_memo,
            "equal_minhash": same_object,
        },
        "kliping_stages_seconds": stages,
        "profile": prof_text,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if equal == equal_memo == len(sub) else 1


if __name__ == "__main__":
    sys.exit(main())
