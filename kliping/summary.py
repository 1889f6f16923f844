"""The one-screen account of a run, as Markdown (Prefect artifact) and as plain lines (CLI)."""

from __future__ import annotations

from kliping.run import RunSummary


def _prefixed(counts: dict[str, int], prefix: str) -> list[tuple[str, int]]:
    rows = [(k.removeprefix(prefix), v) for k, v in counts.items() if k.startswith(prefix) and v]
    return sorted(rows, key=lambda kv: (-kv[1], kv[0]))


def file_types(counts: dict[str, int]) -> list[tuple[str, int, int, int]]:
    types = sorted({k.split(".")[1] for k in counts if k.startswith("type.")})
    return [
        (
            t,
            counts.get(f"type.{t}.records", 0),
            counts.get(f"type.{t}.articles", 0),
            counts.get(f"type.{t}.rejects", 0),
        )
        for t in types
    ]


def _table(header: list[str], rows: list[tuple[str, str]]) -> list[str]:
    """A Markdown table, or nothing when it would have no rows."""
    if not rows:
        return []
    return ["", f"| {' | '.join(header)} |", "|---|---:|", *(f"| {a} | {b} |" for a, b in rows)]


def summary_markdown(s: RunSummary) -> str:
    c = s.counts

    def n(key: str) -> int:
        return c.get(key, 0)

    out = [
        "# kliping run",
        "",
        f"- flow run: `{s.flow_run_id}`; snapshot: `{s.snapshot}`"
        + ("" if s.committed else " (nothing new)"),
        f"- files read: {n('read.files')}; unchanged since last run (skipped): "
        f"{n('read.files_skipped_unchanged')}; not raw input (ignored): {n('read.files_ignored')}",
        f"- records read: {n('read.records')} = articles {n('articles')} + rejects {n('rejects')}",
        f"- written: {n('commit.articles_written')} new articles, "
        f"{n('commit.articles_rewritten')} earlier rows updated, {n('commit.rejects_written')} rejects",
        f"- syndication: {n('cluster.multi_member')} clusters with copies touched; "
        f"{s.clusters_new} new clusters, {s.clusters_grown} grown, {len(s.merges)} merges",
        "",
        "| input type | records | articles | rejects |",
        "|---|---:|---:|---:|",
        *(f"| {t} | {r} | {a} | {j} |" for t, r, a, j in file_types(c)),
    ]
    out += _table(["reject reason", "records"], [(k, str(v)) for k, v in _prefixed(c, "reject.")])
    out += _table(
        ["cleaning rule", "lines removed"], [(f"`{k}`", str(v)) for k, v in _prefixed(c, "removed.")]
    )
    if s.largest_clusters:
        out += ["", "| cluster | size | canonical title | outlet | published |", "|---|---:|---|---|---|"]
        out += [
            f"| `{x['cluster_id']}` | {x['size']} | {x.get('title') or ''} | {x.get('source_domain') or ''} "
            f"| {x.get('published_at') or ''} |"
            for x in s.largest_clusters
        ]
    if s.merges:
        out += ["", "Merges: " + ", ".join(f"`{b}` → `{a}`" for a, b in s.merges)]
    return "\n".join(out) + "\n"


def summary_text(s: RunSummary) -> str:
    """Plain text for terminals: the Markdown without table rules."""
    lines = []
    for line in summary_markdown(s).splitlines():
        if line.startswith("|---"):
            continue
        lines.append(line.replace("`", ""))
    return "\n".join(lines)
