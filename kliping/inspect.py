"""A plain-text account of a clean dataset, read with pandas alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd


def inspect_dataset(out: Path, top: int = 10) -> str:
    articles_dir, rejects_dir = out / "articles", out / "rejects"
    if not articles_dir.exists():
        return f"no dataset at {out} (run `kliping run` first)"
    art = pd.read_parquet(articles_dir)
    rej = pd.read_parquet(rejects_dir) if rejects_dir.exists() else pd.DataFrame(columns=["reason"])
    lines = [f"{out}: {len(art)} articles, {len(rej)} rejects"]
    if len(rej):
        lines.append(
            "rejects by reason: " + ", ".join(f"{k} {v}" for k, v in rej["reason"].value_counts().items())
        )
    if len(art):
        outlets = art["source_domain"].fillna("(unknown)").value_counts().head(top)
        lines.append("outlets: " + ", ".join(f"{k} {v}" for k, v in outlets.items()))
        multi = art[art["cluster_size"] > 1]
        lines.append(f"clusters: {art['cluster_id'].nunique()} ({multi['cluster_id'].nunique()} with copies)")
        canon = art[art["is_canonical"]].set_index("cluster_id")
        for cid, size in multi.groupby("cluster_id").size().sort_values(ascending=False).head(top).items():
            members = multi[multi["cluster_id"] == cid]
            c = canon.loc[str(cid)]
            lines.append(
                f"  {cid}: {size} articles; original {c['source_domain']} {c['published_at']}: {c['title']}; "
                f"published {members['published_at'].min()} … {members['published_at'].max()}"
            )
        rules: Counter[str] = Counter(r["rule"] for removed in art["removed"] for r in removed)
        lines.append("removed by rule: " + ", ".join(f"{k} {v}" for k, v in rules.most_common()))
    return "\n".join(lines)
