"""Scale of the syndication index: 1,000,000 signatures in numpy and in datasketch's MinHashLSH.

    .venv/bin/python -m bench.lsh_scale [--n 1000000] [--queries 1000] [--out bench/out/lsh_scale.json]

Random uint32 signatures (128 permutations) stand in for articles; keys are 16-character
strings like kliping's doc ids. Measured, each size in a fresh process so that the peak
resident set size (getrusage ru_maxrss) is its own:

    (a) building the (n, 128) uint32 array;
    (b) inserting every signature into MinHashLSH with kliping's banding, lsh_params(0.5, 128),
        the way `lsh_candidates` does it (an insertion session, `to_minhash(sig)` per row);
    (c) querying 1,000 of them;
    (d) when kliping does its own banding (`lsh_candidates(ids, signatures, is_query, t)`),
        that call on all n signatures with 1,000 of them as the new documents.

100,000 is measured first; when its rate puts 1,000,000 insertions above ~3 minutes, or its
memory above 70 % of what the machine has free, 300,000 is measured instead and 1,000,000
is extrapolated linearly from it (and said so).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "lsh_scale.json"
NUM_PERM, SEED = 128, 1
PROBE, FALLBACK = 100_000, 300_000
MAX_INSERT_SECONDS = 180.0
MAX_MEMORY_SHARE = 0.7


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def child(n: int, queries: int, threshold: float, array_only: bool = False) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    from kliping.syndication.clusters import lsh_params
    from kliping.syndication.signatures import SCHEME, permutations, to_minhash

    out: dict[str, Any] = {
        "n": n,
        "queries": queries,
        "threshold": threshold,
        "lsh_params": lsh_params(threshold, NUM_PERM),
    }
    out["rss_after_imports_mb"] = peak_rss_mb()
    rng = np.random.default_rng(20241024)
    started = time.perf_counter()
    sigs = rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)  # below MAX_HASH: none empty
    out["array_seconds"] = time.perf_counter() - started
    out["array_mb"] = sigs.nbytes / 2**20
    out["peak_rss_after_array_mb"] = peak_rss_mb()
    if array_only:
        return out

    ids = [f"{i:016x}" for i in range(n)]
    lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_params(threshold, NUM_PERM))
    started, cpu = time.perf_counter(), time.process_time()
    with lsh.insertion_session() as session:
        for i in range(n):
            session.insert(ids[i], to_minhash(sigs[i]), check_duplication=False)
    out["insert_seconds"] = time.perf_counter() - started
    out["insert_cpu_seconds"] = time.process_time() - cpu
    out["peak_rss_after_insert_mb"] = peak_rss_mb()

    picks = rng.choice(n, size=min(queries, n), replace=False)
    started = time.perf_counter()
    found = [lsh.query(to_minhash(sigs[i])) for i in picks]
    out["query_seconds"] = time.perf_counter() - started
    out["queries_finding_themselves"] = sum(ids[i] in hits for i, hits in zip(picks, found, strict=True))
    out["mean_hits_per_query"] = float(np.mean([len(h) for h in found]))
    out["peak_rss_after_query_mb"] = peak_rss_mb()

    # What `to_minhash` costs: datasketch draws the permutations again for every MinHash.
    sample = sigs[: min(n, 20_000)]
    started = time.perf_counter()
    for row in sample:
        to_minhash(row)
    out["to_minhash_us"] = (time.perf_counter() - started) / len(sample) * 1e6
    perms = permutations(NUM_PERM, SEED)
    started = time.perf_counter()
    for row in sample:
        MinHash(hashvalues=row, seed=SEED, scheme=SCHEME, permutations=perms)
    out["minhash_with_given_permutations_us"] = (time.perf_counter() - started) / len(sample) * 1e6
    return out


def kliping_child(n: int, queries: int, threshold: float) -> dict[str, Any]:
    """(d) kliping's own `lsh_candidates` (NumPy banding, no datasketch index), as a run calls it:
    every signature indexed, `queries` of them the new documents."""
    import numpy as np

    from kliping.syndication.clusters import lsh_candidates, lsh_params

    out: dict[str, Any] = {
        "n": n,
        "queries": queries,
        "threshold": threshold,
        "lsh_params": lsh_params(threshold, NUM_PERM),
    }
    out["rss_after_imports_mb"] = peak_rss_mb()
    rng = np.random.default_rng(20241024)
    sigs = rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)
    ids = [f"{i:016x}" for i in range(n)]
    is_query = np.zeros(n, dtype=bool)
    is_query[rng.choice(n, size=min(queries, n), replace=False)] = True
    out["peak_rss_before_mb"] = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    pairs = lsh_candidates(ids, sigs, is_query, threshold)
    out["seconds"] = time.perf_counter() - started
    out["cpu_seconds"] = time.process_time() - cpu
    out["candidate_pairs"] = len(pairs)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def kliping_has_own_banding() -> bool:
    import inspect

    from kliping.syndication.clusters import lsh_candidates

    return "ids" in inspect.signature(lsh_candidates).parameters


def run_child(
    n: int, queries: int, threshold: float, array_only: bool = False, kliping: bool = False
) -> dict[str, Any]:
    args = ["--child", "--n", str(n), "--queries", str(queries), "--threshold", str(threshold)]
    args += ["--array-only"] if array_only else []
    args += ["--kliping"] if kliping else []
    proc = subprocess.run(
        [sys.executable, "-m", "bench.lsh_scale", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def show(r: dict[str, Any]) -> None:
    n = r["n"]
    print(f"threshold {r['threshold']}: MinHashLSH bands, rows = {tuple(r['lsh_params'])}")
    print(
        f"n={n:>9,}  (a) array {r['array_seconds']:6.2f} s, {r['array_mb']:7.0f} MB, "
        f"peak RSS {r['peak_rss_after_array_mb']:7.0f} MB"
    )
    print(
        f"{'':13}(b) insert {r['insert_seconds']:7.1f} s ({n / r['insert_seconds']:,.0f}/s; "
        f"{r['insert_cpu_seconds']:.1f} s CPU), "
        f"peak RSS {r['peak_rss_after_insert_mb']:7.0f} MB "
        f"(+{r['peak_rss_after_insert_mb'] - r['peak_rss_after_array_mb']:.0f} MB for the index, "
        f"{(r['peak_rss_after_insert_mb'] - r['peak_rss_after_array_mb']) * 2**20 / n:,.0f} B/signature)"
    )
    print(
        f"{'':13}(c) {r['queries']:,} queries {r['query_seconds']:.3f} s "
        f"({r['query_seconds'] / r['queries'] * 1e3:.3f} ms each; {r['queries_finding_themselves']} found "
        f"themselves, {r['mean_hits_per_query']:.2f} hits each)"
    )
    print(
        f"{'':13}to_minhash {r['to_minhash_us']:.1f} µs per signature; with the permutations passed in "
        f"{r['minhash_with_given_permutations_us']:.1f} µs"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lsh_scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument(
        "--threshold", type=float, default=0.5, help="banding: kliping's lsh_params(threshold, 128)"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--array-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--kliping", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        if args.kliping:
            print(json.dumps(kliping_child(args.n, args.queries, args.threshold)))
        else:
            print(json.dumps(child(args.n, args.queries, args.threshold, args.array_only)))
        return 0
    runs = []
    probe = run_child(min(PROBE, args.n), args.queries, args.threshold)
    runs.append(probe)
    show(probe)
    scale = args.n / probe["n"]
    index_mb = probe["peak_rss_after_insert_mb"] - probe["rss_after_imports_mb"]
    predicted_seconds, predicted_mb = probe["insert_seconds"] * scale, index_mb * scale
    free = available_mb()
    too_slow = predicted_seconds > MAX_INSERT_SECONDS
    too_big = free is not None and predicted_mb > MAX_MEMORY_SHARE * free
    print(
        f"predicted for n={args.n:,}: insert {predicted_seconds:.0f} s, {predicted_mb:,.0f} MB"
        + (f" (free: {free:,.0f} MB)" if free else "")
    )
    extrapolated = None
    if args.n > probe["n"] and (too_slow or too_big):
        second = run_child(min(FALLBACK, args.n), args.queries, args.threshold)
        runs.append(second)
        show(second)
        k = args.n / second["n"]
        extrapolated = {
            "n": args.n,
            "from": [r["n"] for r in runs],
            "reason": " and ".join(
                ([f"insertion over {MAX_INSERT_SECONDS:.0f} s"] if too_slow else [])
                + ([f"memory over {MAX_MEMORY_SHARE:.0%} of free"] if too_big else [])
            ),
            "array_seconds": second["array_seconds"] * k,
            "array_mb": second["array_mb"] * k,
            "insert_seconds": second["insert_seconds"] * k,
            "index_mb": (second["peak_rss_after_insert_mb"] - second["peak_rss_after_array_mb"]) * k,
            "peak_rss_mb": second["rss_after_imports_mb"]
            + (second["peak_rss_after_insert_mb"] - second["rss_after_imports_mb"]) * k,
            "query_ms_each": second["query_seconds"] / second["queries"] * 1e3,
        }
        full = run_child(args.n, args.queries, args.threshold, array_only=True)
        extrapolated["array_measured"] = full
        print(
            f"n={args.n:>9,}  (a) array {full['array_seconds']:6.2f} s, {full['array_mb']:7.0f} MB, "
            f"peak RSS {full['peak_rss_after_array_mb']:7.0f} MB (measured)"
        )
        print(
            f"extrapolated linearly to n={args.n:,} from n={second['n']:,} ({extrapolated['reason']}): "
            f"array {extrapolated['array_seconds']:.1f} s / {extrapolated['array_mb']:,.0f} MB; insert "
            f"{extrapolated['insert_seconds']:.0f} s; index {extrapolated['index_mb']:,.0f} MB; "
            f"peak RSS {extrapolated['peak_rss_mb']:,.0f} MB"
        )
    elif args.n > probe["n"]:
        runs.append(run_child(args.n, args.queries, args.threshold))
        show(runs[-1])
    own = None
    if kliping_has_own_banding():
        own = run_child(args.n, args.queries, args.threshold, kliping=True)
        print(
            f"n={own['n']:>9,}  (d) kliping lsh_candidates (NumPy banding {tuple(own['lsh_params'])}), "
            f"{own['queries']:,} query documents: {own['seconds']:.1f} s ({own['cpu_seconds']:.1f} s CPU), "
            f"peak RSS {own['peak_rss_mb']:,.0f} MB (signatures alone {own['peak_rss_before_mb']:,.0f} MB), "
            f"{own['candidate_pairs']} candidate pairs"
        )
    report = {
        "command": f"python -m bench.lsh_scale --n {args.n} --threshold {args.threshold}",
        "runs": runs,
        "extrapolated": extrapolated,
        "kliping_lsh_candidates": own,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
