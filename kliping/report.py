"""`kliping report`: one self-contained HTML file of interactive charts (plotly).

The file inlines plotly.js (no CDN, nothing fetched when it is opened), so it can be mailed
or opened offline. Each chart sits in a `<div>` with a stable id that tests and links use:

    chart-outlets-over-time      articles per outlet per day (hour / week by the data's span)
    chart-syndication-network    outlets; an edge from the outlet of a canonical to each outlet
                                 that republished it, weighted by the number of copies
    chart-cluster-timelines      the largest clusters: who published when, after the original
    chart-removals               lines removed per cleaning rule, stacked by outlet
    chart-rejects                rejected records per reason

Times are UTC. The numbers are the ones `kliping inspect` prints (same functions).
"""

from __future__ import annotations

import html
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kliping.inspect import (
    UNKNOWN,
    Dataset,
    domain_of,
    fmt_span,
    fmt_time,
    largest_clusters,
    outlet_table,
    rejects_by_reason,
    removals,
)

if TYPE_CHECKING:
    import pandas as pd

CHART_IDS = {
    "outlets": "chart-outlets-over-time",
    "network": "chart-syndication-network",
    "timelines": "chart-cluster-timelines",
    "removals": "chart-removals",
    "rejects": "chart-rejects",
}
MAX_OUTLET_TRACES = 15  # outlets drawn on their own in the stacked charts; the rest are "other"
MAX_NETWORK_NODES = 40
MAX_NETWORK_EDGES = 200
OTHER = "(other outlets)"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _go() -> Any:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    return go


def palette(outlets: list[str]) -> dict[str, str]:
    """A fixed colour per outlet (in the given order), shared by every chart."""
    from plotly.colors import qualitative  # type: ignore[import-untyped]

    colours = (
        list(qualitative.D3) + list(qualitative.Set2) + list(qualitative.Pastel1) + list(qualitative.Dark2)
    )
    out = {o: colours[i % len(colours)] for i, o in enumerate(outlets)}
    out[OTHER] = "#9a9a9a"
    out[UNKNOWN] = "#c8c8c8"
    return out


def _iso(value: Any) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return str(pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M"))


def _layout(fig: Any, title: str, height: int, **kw: Any) -> None:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        hoverlabel={"align": "left"},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        **kw,
    )


def _no_data(fig: Any, text: str) -> None:
    fig.add_annotation(
        text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 14}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (what the charts need, and what type checkers can follow)."""
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]


def _counts(counts: pd.Series, key: str) -> tuple[list[Any], list[int]]:
    """(second level, count) of a two-level count Series for one first-level key."""
    sub = counts.xs(key, level=0)
    return list(sub.index), [int(v) for v in sub.to_numpy()]


def _grouped_domains(domains: pd.Series, keep: list[str]) -> pd.Series:
    kept = set(keep)
    return domains.where(domains.isin(kept) | (domains == UNKNOWN), OTHER)


# --- charts ---------------------------------------------------------------------------------


def time_bin(published: pd.Series) -> tuple[str, str]:
    """(pandas frequency, label) for the span of the data: hours, days or weeks."""
    dated = published.dropna()
    if dated.empty:
        return "D", "day"
    span = dated.max() - dated.min()
    if span.total_seconds() <= 3 * 86400:
        return "h", "hour"
    if span.days <= 120:
        return "D", "day"
    return "W-SUN", "week"  # weeks from Monday to Sunday, labelled by their Monday


def outlets_over_time(art: pd.DataFrame, colours: dict[str, str], keep: list[str]) -> Any:
    """Stacked bars: articles per outlet per time bin (publication time)."""
    go = _go()
    fig = go.Figure()
    dated = art[art["published_at"].notna()]
    undated = len(art) - len(dated)
    freq, unit = time_bin(art["published_at"])
    title = f"Articles per outlet per {unit} (publication time, UTC)"
    if undated:
        title += f" — {undated} undated not shown"
    if dated.empty:
        _no_data(fig, "no article has a publication time")
        _layout(fig, title, 380)
        return fig
    domains = _grouped_domains(domain_of(dated["source_domain"]), keep)
    bins = dated["published_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period(freq).dt.start_time
    counts = dated.assign(domain=domains, bin=bins).groupby(["domain", "bin"]).size()
    order = [d for d in [*keep, UNKNOWN, OTHER] if d in counts.index.get_level_values(0)]
    for domain in order:
        when, n = _counts(counts, domain)
        fig.add_trace(
            go.Bar(
                name=domain,
                x=[t.strftime("%Y-%m-%d %H:%M") for t in when],
                y=n,
                marker_color=colours.get(domain),
                hovertemplate=f"<b>{html.escape(domain)}</b><br>%{{x}}<br>%{{y}} articles<extra></extra>",
            )
        )
    _layout(fig, title, 380, barmode="stack", legend={"title": {"text": "outlet"}}, bargap=0.15)
    fig.update_xaxes(type="date", title_text=f"{unit} (UTC)")
    fig.update_yaxes(title_text="articles")
    return fig


def syndication_edges(art: pd.DataFrame) -> pd.DataFrame:
    """(source, target, copies, stories): the outlet of a canonical → the outlet of each member
    that is a copy of it, counted over all clusters with copies."""
    import pandas as pd

    multi = art[art["cluster_size"] > 1]
    canon = multi[multi["is_canonical"]].drop_duplicates("cluster_id").set_index("cluster_id")
    canon_domain = domain_of(canon["source_domain"])
    copies = multi[~multi["is_canonical"]]
    if copies.empty:
        return pd.DataFrame(columns=["source", "target", "copies", "stories"])
    edges = pd.DataFrame(
        {
            "source": copies["cluster_id"].map(canon_domain).fillna(UNKNOWN).to_numpy(),
            "target": domain_of(copies["source_domain"]).to_numpy(),
            "cluster_id": copies["cluster_id"].to_numpy(),
        }
    )
    g = edges.groupby(["source", "target"])
    out = pd.DataFrame({"copies": g.size(), "stories": g["cluster_id"].nunique()}).reset_index()
    return out.sort_values(["copies", "source", "target"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def _curve(
    x0: float, y0: float, x1: float, y1: float, bend: float = 0.12, n: int = 16
) -> list[tuple[float, float]]:
    """Points of a quadratic curve from (x0, y0) to (x1, y1), bent to the right of its direction
    (so that A→B and B→A do not overlap)."""
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx + bend * dy, my - bend * dx
    pts = []
    for i in range(n + 1):
        t = i / n
        pts.append(
            (
                (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
                (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1,
            )
        )
    return pts


def syndication_network(art: pd.DataFrame, colours: dict[str, str]) -> tuple[Any, int, int]:
    """Outlets on a circle; a curved arrow from the outlet of each canonical to each outlet that
    republished it, as wide as the number of copies. Returns (figure, nodes, edges) drawn."""
    go = _go()
    fig = go.Figure()
    edges = syndication_edges(art)
    loops = edges[edges["source"] == edges["target"]]
    edges = edges[edges["source"] != edges["target"]].head(MAX_NETWORK_EDGES)
    title = "Syndication network: who republishes whom (arrow: outlet of the original → outlet of the copy)"
    if edges.empty:
        _no_data(fig, "no story was republished by another outlet")
        _layout(fig, title, 260)
        return fig, 0, 0
    weight: Counter[str] = Counter()
    for e in records(edges):
        weight[str(e["source"])] += int(e["copies"])
        weight[str(e["target"])] += int(e["copies"])
    nodes = [n for n, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_NETWORK_NODES]
    node_set = set(nodes)
    edges = edges[edges["source"].isin(node_set) & edges["target"].isin(node_set)]
    pos = {
        n: (
            math.cos(math.pi / 2 - 2 * math.pi * i / len(nodes)),
            math.sin(math.pi / 2 - 2 * math.pi * i / len(nodes)),
        )
        for i, n in enumerate(nodes)
    }
    articles = {str(o["source_domain"]): int(o["articles"]) for o in records(outlet_table(art))}
    max_w = max(int(c) for c in edges["copies"])
    mid_x, mid_y, mid_text = [], [], []
    for e in records(edges):
        src, dst, n, stories = str(e["source"]), str(e["target"]), int(e["copies"]), int(e["stories"])
        pts = _curve(*pos[src], *pos[dst])
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in pts],
                y=[p[1] for p in pts],
                mode="lines",
                line={"width": 1 + 7 * n / max_w, "color": colours.get(src, "#888")},
                opacity=0.55,
                hoverinfo="skip",
                showlegend=False,
                meta={"edge": [src, dst, n]},
            )
        )
        # the arrow head, just short of the target node
        k = len(pts) - 3
        fig.add_annotation(
            x=pts[-2][0], y=pts[-2][1], ax=pts[k][0], ay=pts[k][1], xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1 + 2 * n / max_w,
            arrowcolor=colours.get(src, "#888"), opacity=0.8, text="",
        )  # fmt: skip
        mx, my = pts[len(pts) // 2]
        mid_x.append(mx)
        mid_y.append(my)
        mid_text.append(
            f"<b>{html.escape(src)} → {html.escape(dst)}</b><br>{n} cop{'y' if n == 1 else 'ies'} "
            f"of {stories} stor{'y' if stories == 1 else 'ies'} first published by {html.escape(src)}"
        )
    fig.add_trace(
        go.Scatter(
            x=mid_x, y=mid_y, mode="markers", name="edges", showlegend=False,
            marker={"size": 9, "color": "rgba(80,80,80,0.35)", "line": {"width": 0}},
            hovertext=mid_text, hovertemplate="%{hovertext}<extra></extra>",
        )
    )  # fmt: skip
    loop_n = {str(r["source"]): int(r["copies"]) for r in records(loops)}
    node_text, sizes = [], []
    for node in nodes:
        arts = articles.get(node, 0)
        out_w = sum(int(e["copies"]) for e in records(edges) if e["source"] == node)
        into = [e for e in records(edges) if e["target"] == node]
        in_w = sum(int(e["copies"]) for e in into)
        sources = ", ".join(f"{e['source']} {int(e['copies'])}" for e in into[:3])
        text = (
            f"<b>{html.escape(node)}</b><br>{arts} articles<br>{out_w} copies of its stories by other outlets"
            f"<br>{in_w} copies of other outlets' stories"
            + (f" (most from {html.escape(sources)})" if sources else "")
        )
        if node in loop_n:
            text += f"<br>{loop_n[node]} copies of its own stories"
        node_text.append(text)
        sizes.append(14 + 4 * math.sqrt(max(arts, 1)))
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text", name="outlets",
            text=nodes, textposition=["top center" if pos[n][1] >= 0 else "bottom center" for n in nodes],
            marker={"size": sizes, "color": [colours.get(n, "#888") for n in nodes],
                    "line": {"width": 1.5, "color": "white"}},
            hovertext=node_text, hovertemplate="%{hovertext}<extra></extra>", showlegend=False,
        )
    )  # fmt: skip
    _layout(fig, title, 560, showlegend=False)
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.3, 1.3], scaleanchor="x", scaleratio=1)
    return fig, len(nodes), len(edges)


def cluster_timelines(art: pd.DataFrame, colours: dict[str, str], top: int) -> tuple[Any, pd.DataFrame]:
    """For the largest clusters, one row each: every member at its delay after the canonical's
    publication (the canonical is the star). Returns (figure, the clusters drawn)."""
    import pandas as pd

    go = _go()
    fig = go.Figure()
    clusters = largest_clusters(art, top)
    title = (
        f"Largest clusters: who published when (hours after the original; ★ canonical) — top {len(clusters)}"
    )
    if clusters.empty:
        _no_data(fig, "no clusters with copies")
        _layout(fig, title, 300)
        return fig, clusters
    labels: dict[str, str] = {}
    for i, c in enumerate(records(clusters), 1):
        t = str(c["title"]) if isinstance(c["title"], str) and c["title"] else str(c["cluster_id"])
        labels[str(c["cluster_id"])] = f"#{i} · {int(c['size'])}× · {t[:42] + '…' if len(t) > 43 else t}"
    members = art[art["cluster_id"].isin(labels)].copy()
    anchor = clusters.set_index("cluster_id")["canonical_published"].fillna(
        clusters.set_index("cluster_id")["first_published"]
    )
    members["anchor"] = members["cluster_id"].map(anchor)
    members["hours"] = (members["published_at"] - members["anchor"]).dt.total_seconds() / 3600
    members["label"] = members["cluster_id"].map(labels)
    members["domain"] = domain_of(members["source_domain"])
    drawn = members[members["hours"].notna()]
    # the spread of each cluster, as a grey bar under its points
    for cid, label in labels.items():
        hours = drawn.loc[drawn["cluster_id"] == cid, "hours"]
        if len(hours):
            fig.add_trace(
                go.Scatter(
                    x=[float(hours.min()), float(hours.max())], y=[label, label], mode="lines",
                    line={"width": 6, "color": "rgba(150,150,150,0.25)"}, hoverinfo="skip", showlegend=False,
                )
            )  # fmt: skip
    for domain in sorted(drawn["domain"].unique(), key=lambda d: (d == UNKNOWN, d)):
        # copies first: the legend shows a trace's first marker, which should be a circle
        rows = drawn[drawn["domain"] == domain].sort_values(["is_canonical", "hours"], kind="stable")
        hover = [
            f"<b>{html.escape(str(r['domain']))}</b>{' — canonical' if r['is_canonical'] else ''}<br>"
            f"{html.escape(str(r['title']) if isinstance(r['title'], str) else '')}<br>"
            f"published {_iso(r['published_at'])} UTC"
            + ("" if r["is_canonical"] else f" (+{fmt_span(pd.Timedelta(hours=float(r['hours'])))})")
            + f"<br>similarity {float(r['similarity']):.2f} · {r['doc_id']}"
            for r in records(rows)
        ]
        fig.add_trace(
            go.Scatter(
                x=[float(h) for h in rows["hours"]], y=list(rows["label"]), mode="markers", name=str(domain),
                marker={
                    "symbol": ["star" if c else "circle" for c in rows["is_canonical"]],
                    "size": [17 if c else 11 for c in rows["is_canonical"]],
                    "color": colours.get(str(domain), "#888"),
                    "line": {"width": 1, "color": "white"},
                },
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
            )
        )  # fmt: skip
    order = list(labels.values())
    _layout(fig, title, 130 + 34 * len(order), legend={"title": {"text": "outlet"}})
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], type="category")
    fig.update_xaxes(title_text="hours after the canonical was published", zeroline=True)
    return fig, clusters


def removals_chart(art: pd.DataFrame, colours: dict[str, str], keep: list[str]) -> Any:
    """Horizontal bars: lines removed per rule, stacked by outlet."""
    go = _go()
    fig = go.Figure()
    rem = removals(art)
    title = "Lines removed per cleaning rule, by outlet"
    if rem.empty:
        _no_data(fig, "the cleaner removed nothing")
        _layout(fig, title, 300)
        return fig
    rem["domain"] = _grouped_domains(rem["source_domain"], keep)
    rule_order = rem["rule"].value_counts()
    rules = sorted(rule_order.index, key=lambda r: (-int(rule_order[r]), r))
    counts = rem.groupby(["domain", "rule"]).size()
    for domain in [d for d in [*keep, UNKNOWN, OTHER] if d in counts.index.get_level_values(0)]:
        rule_names, n = _counts(counts, domain)
        fig.add_trace(
            go.Bar(
                name=domain, orientation="h", y=rule_names, x=n,
                marker_color=colours.get(domain),
                hovertemplate=f"<b>%{{y}}</b><br>{html.escape(domain)}: %{{x}} lines<extra></extra>",
            )
        )  # fmt: skip
    _layout(fig, title, 140 + 26 * len(rules), barmode="stack", legend={"title": {"text": "outlet"}})
    fig.update_yaxes(categoryorder="array", categoryarray=rules[::-1], type="category", automargin=True)
    fig.update_xaxes(title_text="lines removed")
    return fig


def rejects_chart(rej: pd.DataFrame) -> Any:
    """Bars: rejected records per reason, with an example in the hover."""
    go = _go()
    fig = go.Figure()
    reasons = rejects_by_reason(rej)
    title = f"Rejects per reason ({len(rej)})"
    if reasons.empty:
        _no_data(fig, "no record was rejected")
        _layout(fig, title, 300)
        return fig
    hover = [
        f"<b>{html.escape(str(r['reason']))}</b>: {int(r['records'])} records"
        f"<br>e.g. {html.escape(str(r['example_path']))}<br>{html.escape(str(r['example_detail'])[:160])}"
        for r in records(reasons)
    ]
    fig.add_trace(
        go.Bar(
            x=[str(r) for r in reasons["reason"]], y=[int(n) for n in reasons["records"]],
            marker_color="#d62728", hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
            text=[int(n) for n in reasons["records"]], textposition="auto",
        )
    )  # fmt: skip
    _layout(fig, title, 340, showlegend=False)
    fig.update_yaxes(title_text="records")
    return fig


# --- page -----------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
header { background: #1f2937; color: #fff; padding: 14px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #cbd5e1; font-size: 13px; }
main { padding: 12px 24px 32px; max-width: 1400px; margin: 0 auto; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px; }
.card { background: #fff; border-radius: 8px; padding: 8px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.card b { display: block; font-size: 20px; }
.card span { font-size: 12px; color: #555; }
section { background: #fff; border-radius: 8px; padding: 6px 12px 8px; margin: 10px 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section p.note { margin: 2px 4px 4px; font-size: 12px; color: #555; }
.row { display: grid; grid-template-columns: 3fr 2fr; gap: 10px; }
.row section { margin: 0; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 11px; }
"""


def _section(fig: Any, chart_id: str, note: str, extra: str = "") -> str:
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id, config=PLOT_CONFIG)
    return f'<section id="{chart_id}-section">{div}<p class="note">{note}</p>{extra}</section>'


def _clusters_table(clusters: pd.DataFrame) -> str:
    rows = []
    for i, c in enumerate(records(clusters), 1):
        title = html.escape(str(c["title"]) if isinstance(c["title"], str) else "—")
        rows.append(
            f"<tr><td class='n'>#{i}</td><td><code>{html.escape(str(c['cluster_id']))}</code></td>"
            f"<td class='n'>{int(c['size'])}</td><td>{title}</td>"
            f"<td>{html.escape(str(c['source_domain']))}</td><td>{fmt_time(c['canonical_published'])}</td>"
            f"<td class='n'>{fmt_span(c['spread'])}</td></tr>"
        )
    head = (
        "<tr><th></th><th>cluster</th><th>size</th><th>canonical title</th><th>canonical outlet</th>"
        "<th>published (UTC)</th><th>spread</th></tr>"
    )
    return f"<table id='largest-clusters'>{head}{''.join(rows)}</table>" if rows else ""


def build_report(data: Dataset, top: int = 10) -> str:
    """The whole HTML page."""
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    art, rej = data.articles, data.rejects
    outlets = outlet_table(art)
    keep = [str(d) for d in outlets["source_domain"] if d != UNKNOWN][:MAX_OUTLET_TRACES]
    colours = palette([str(d) for d in outlets["source_domain"]])
    f_outlets = outlets_over_time(art, colours, keep)
    f_network, n_nodes, n_edges = syndication_network(art, colours)
    f_timelines, clusters = cluster_timelines(art, colours, top)
    f_removals = removals_chart(art, colours, keep)
    f_rejects = rejects_chart(rej)

    multi = art[art["cluster_size"] > 1]
    cards = [
        (len(art), "articles"),
        (len(rej), "rejects"),
        (art["source_domain"].nunique(), "outlets"),
        (multi["cluster_id"].nunique(), "clusters with copies"),
        (int((~art["is_canonical"]).sum()), "articles that are copies"),
        (sum(len(r) for r in art["removed"]), "lines removed"),
    ]
    cards_html = "".join(
        f"<div class='card'><b>{n}</b><span>{html.escape(label)}</span></div>" for n, label in cards
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    snapshot = f" · snapshot {html.escape(data.snapshot)}" if data.snapshot else ""
    sections = [
        _section(
            f_outlets, CHART_IDS["outlets"], "One outlet's articles per period (publication time)."
        ),
        _section(
            f_network, CHART_IDS["network"],
            f"{n_nodes} outlets, {n_edges} directed edges. Node size: articles; hover a node or an edge's "
            "midpoint for the counts. An outlet copying its own stories is counted in its node, not drawn.",
        ),
        _section(
            f_timelines, CHART_IDS["timelines"],
            "Each row is a cluster; each point an article of it, placed by its delay after the original.",
            _clusters_table(clusters),
        ),
        "<div class='row'>",
        _section(
            f_removals, CHART_IDS["removals"], "Boilerplate taken out of the text, by the rule that took it."
        ),
        _section(f_rejects, CHART_IDS["rejects"], "Records that yielded no article, by reason."),
        "</div>",
    ]  # fmt: skip
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kliping report — {html.escape(str(data.out))}</title>
<style>{CSS}</style>
<script>{get_plotlyjs()}</script>
</head><body>
<header><h1>kliping report</h1>
<p>{html.escape(str(data.out))}{snapshot} · generated {generated} · times in UTC</p></header>
<main>
<div class="cards">{cards_html}</div>
{"".join(sections)}
</main></body></html>
"""
    return page


def write_report(data: Dataset, path: Path, top: int = 10) -> Path:
    """Write the report to `path` (a temporary file renamed into place) and return it."""
    page = build_report(data, top)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
