"""`kliping inspect`: what a clean dataset holds, as terminal tables.

The numbers come from a few small functions over the loaded DataFrames (`largest_clusters`,
`outlet_table`, `removals_by_rule`, …) that `kliping report` draws as charts too. On a
terminal the tables are drawn with rich; piped or redirected, the same tables come out as
plain aligned text (no colours, no box drawing) that grep and diff can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

UNKNOWN = "(unknown)"
TIME_FORMAT = "%Y-%m-%d %H:%M"


class NoDatasetError(FileNotFoundError):
    """There is no clean dataset at the given folder."""


@dataclass
class Dataset:
    """Both tables of one committed snapshot."""

    out: Path
    snapshot: str | None
    articles: pd.DataFrame
    rejects: pd.DataFrame


def open_dataset(out: Path) -> Dataset:
    """Load articles and rejects from the same snapshot (the `current` link is resolved once)."""
    from kliping.load import load

    out = Path(out)
    current = out / "current"
    base = current.resolve() if current.exists() else out
    if not (base / "articles").exists() and not (out / "articles").exists():
        raise NoDatasetError(f"no dataset at {out} (run `kliping run` first)")
    snapshot = base.name if current.exists() else None
    articles = load(base, "articles")
    try:
        rejects = load(base, "rejects")
    except FileNotFoundError:  # a dataset with no rejects folder: no rejects
        from kliping.load import to_pandas
        from kliping.schema import rejects_schema

        rejects = to_pandas(rejects_schema().arrow.empty_table(), "rejects")
    return Dataset(out, snapshot, articles, rejects)


# --- numbers -------------------------------------------------------------------------------


def fmt_time(value: Any) -> str:
    import pandas as pd

    if value is None or pd.isna(value):
        return "—"
    return str(pd.Timestamp(value).tz_convert("UTC").strftime(TIME_FORMAT))


def fmt_span(value: Any) -> str:
    """A duration the way an editor says it: 0m, 45m, 5h 12m, 2d 3h."""
    import pandas as pd

    if value is None or pd.isna(value):
        return "—"
    total = int(pd.Timedelta(value).total_seconds() // 60)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def domain_of(series: pd.Series) -> pd.Series:
    """source_domain as plain strings, with `(unknown)` for missing."""
    return series.astype("object").where(series.notna(), UNKNOWN).astype(str)


def largest_clusters(art: pd.DataFrame, top: int | None = 10) -> pd.DataFrame:
    """Clusters with copies, largest first (then the earliest published, then cluster_id).

    One row each: size, the canonical's doc_id/title/domain/outlet/publication time, the first
    and last publication time among the members and their spread, the number of outlets and
    the lowest similarity to the canonical.
    """
    import pandas as pd

    multi = art[art["cluster_size"] > 1]
    columns = [
        "cluster_id", "size", "outlets", "canonical_id", "title", "source_domain", "outlet",
        "canonical_published", "first_published", "last_published", "spread", "min_similarity",
    ]  # fmt: skip
    if multi.empty:
        return pd.DataFrame(columns=columns)
    grouped = multi.groupby("cluster_id", observed=True)
    stats = pd.DataFrame(
        {
            "size": grouped.size(),
            "outlets": grouped["source_domain"].nunique(),
            "first_published": grouped["published_at"].min(),
            "last_published": grouped["published_at"].max(),
            "min_similarity": grouped["similarity"].min(),
        }
    )
    canon = multi[multi["is_canonical"]].drop_duplicates("cluster_id").set_index("cluster_id")
    stats["canonical_id"] = canon["doc_id"]
    stats["title"] = canon["title"]
    stats["source_domain"] = domain_of(canon["source_domain"])
    stats["outlet"] = canon["outlet"].astype("object")
    stats["canonical_published"] = canon["published_at"]
    stats["spread"] = stats["last_published"] - stats["first_published"]
    stats = stats.reset_index()
    stats["_first"] = stats["first_published"].isna()
    stats = stats.sort_values(["size", "_first", "first_published", "cluster_id"],
                              ascending=[False, True, True, True])  # fmt: skip
    stats = stats[columns].reset_index(drop=True)
    return stats if top is None else stats.head(top)


def outlet_table(art: pd.DataFrame) -> pd.DataFrame:
    """Per source_domain: the name it prints most, articles, originals of stories others copied,
    copies of others' stories, and its first and last publication time."""
    import pandas as pd

    if art.empty:
        return pd.DataFrame(columns=["source_domain", "printed_as", "articles", "originals", "copies",
                                     "first_published", "last_published"])  # fmt: skip
    df = art.assign(domain=domain_of(art["source_domain"]))
    multi = df["cluster_size"] > 1
    g = df.groupby("domain")
    table = pd.DataFrame(
        {
            "printed_as": g["outlet"].agg(
                lambda s: s.dropna().astype(str).mode().iloc[0] if s.notna().any() else ""
            ),
            "articles": g.size(),
            "originals": (df["is_canonical"] & multi).groupby(df["domain"]).sum(),
            "copies": (~df["is_canonical"]).groupby(df["domain"]).sum(),
            "first_published": g["published_at"].min(),
            "last_published": g["published_at"].max(),
        }
    )
    table = table.reset_index().rename(columns={"domain": "source_domain"})
    return table.sort_values(["articles", "source_domain"], ascending=[False, True]).reset_index(drop=True)


def removals(art: pd.DataFrame) -> pd.DataFrame:
    """One row per removed line: doc_id, source_domain, rule, text."""
    import pandas as pd

    rows = [
        (doc_id, domain, r["rule"], r["text"])
        for doc_id, domain, removed in zip(
            art["doc_id"], domain_of(art["source_domain"]), art["removed"], strict=True
        )
        for r in removed
    ]
    return pd.DataFrame(rows, columns=["doc_id", "source_domain", "rule", "text"])


def removals_by_rule(art: pd.DataFrame) -> pd.DataFrame:
    """Per rule: lines removed, articles touched, outlets touched; most lines first."""
    import pandas as pd

    rem = removals(art)
    if rem.empty:
        return pd.DataFrame(columns=["rule", "lines", "articles", "outlets"])
    g = rem.groupby("rule")
    table = pd.DataFrame(
        {"lines": g.size(), "articles": g["doc_id"].nunique(), "outlets": g["source_domain"].nunique()}
    ).reset_index()
    return table.sort_values(["lines", "rule"], ascending=[False, True]).reset_index(drop=True)


def rejects_by_reason(rej: pd.DataFrame) -> pd.DataFrame:
    """Per reason that occurs: records, and one example (file and detail)."""
    import pandas as pd

    if rej.empty:
        return pd.DataFrame(columns=["reason", "records", "example_path", "example_detail"])
    df = rej.assign(reason=rej["reason"].astype(str))
    g = df.groupby("reason")
    first = g.first()
    table = pd.DataFrame(
        {"records": g.size(), "example_path": first["source_path"], "example_detail": first["detail"]}
    ).reset_index()
    return table.sort_values(["records", "reason"], ascending=[False, True]).reset_index(drop=True)


def overview(data: Dataset) -> list[tuple[str, str]]:
    art, rej = data.articles, data.rejects
    multi = art[art["cluster_size"] > 1]
    dated = art["published_at"].dropna()
    langs = art["lang"].astype("object").fillna("?").value_counts()
    rows = [
        ("dataset", str(data.out) + (f" (snapshot {data.snapshot})" if data.snapshot else "")),
        ("articles", str(len(art))),
        ("rejects", str(len(rej))),
        ("outlets", str(art["source_domain"].nunique())),
        (
            "clusters",
            f"{art['cluster_id'].nunique()}: {multi['cluster_id'].nunique()} with copies, "
            f"{int((~art['is_canonical']).sum())} articles are copies",
        ),
        ("published", f"{fmt_time(dated.min())} … {fmt_time(dated.max())} UTC" if len(dated) else "no dates"),
        ("undated", str(int(art["published_at"].isna().sum()))),
        ("languages", ", ".join(f"{k} {v}" for k, v in langs.items()) or "—"),
    ]
    return rows


# --- terminal output -------------------------------------------------------------------------


def make_console(file: IO[str] | None = None, *, force_terminal: bool | None = None) -> Console:
    """rich on a terminal; plain text (no colour, no wrapping of long rows) when piped."""
    from rich.console import Console

    console = Console(file=file, highlight=False, force_terminal=force_terminal)
    if console.is_terminal:
        return console
    return Console(file=file, highlight=False, no_color=True, width=1000, force_terminal=False, emoji=False)


def styled(console: Console) -> bool:
    return console.is_terminal


def make_table(
    console: Console, title: str, columns: list[str], right: set[str] | frozenset[str] = frozenset()
) -> Table:
    from rich import box
    from rich.table import Table

    if styled(console):
        table = Table(
            title=title, title_justify="left", title_style="bold", box=box.ROUNDED, header_style="bold cyan"
        )
    else:
        table = Table(box=None, show_header=True, header_style="", pad_edge=False, padding=(0, 2, 0, 0))
    for c in columns:
        table.add_column(c, justify="right" if c in right else "left", overflow="fold")
    return table


def print_table(console: Console, table: Table, title: str) -> None:
    if styled(console):
        console.print(table)
        console.print()
        return
    with console.capture() as captured:
        console.print(table)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    console.file.write("\n".join([f"{title}:", *lines, "", ""]))


def show_inspect(data: Dataset, console: Console, top: int = 10) -> None:
    art, rej = data.articles, data.rejects

    t = make_table(console, "kliping dataset", ["", ""])
    t.show_header = False
    for k, v in overview(data):
        t.add_row(k, v)
    print_table(console, t, "kliping dataset")

    reasons = rejects_by_reason(rej)
    t = make_table(console, "Rejects by reason", ["reason", "records", "example"], {"records"})
    for r in reasons.itertuples():
        t.add_row(str(r.reason), str(r.records), f"{r.example_path}: {r.example_detail}")
    if reasons.empty:
        t.add_row("(none)", "0", "")
    print_table(console, t, "Rejects by reason")

    outlets = outlet_table(art)
    cols = ["outlet", "printed as", "articles", "originals", "copies", "first published", "last published"]
    known = int((outlets["source_domain"] != UNKNOWN).sum())
    title = f"Outlets ({known})"
    t = make_table(console, title, cols, {"articles", "originals", "copies"})
    for o in outlets.head(max(top, 20)).itertuples():
        t.add_row(str(o.source_domain), str(o.printed_as), str(o.articles), str(o.originals), str(o.copies),
                  fmt_time(o.first_published), fmt_time(o.last_published))  # fmt: skip
    print_table(console, t, title)

    clusters = largest_clusters(art, top)
    cols = ["cluster", "size", "outlets", "canonical title", "canonical outlet", "published (UTC)",
            "first … last published", "spread", "min sim"]  # fmt: skip
    n_multi = art.loc[art["cluster_size"] > 1, "cluster_id"].nunique()
    title = f"Largest clusters ({len(clusters)} of {n_multi} with copies)"
    t = make_table(console, title, cols, {"size", "outlets", "spread", "min sim"})
    for c in clusters.itertuples():
        t.add_row(
            str(c.cluster_id), str(c.size), str(c.outlets), str(c.title or "—"),
            str(c.source_domain) + (f" ({c.outlet})" if isinstance(c.outlet, str) and c.outlet else ""),
            fmt_time(c.canonical_published), f"{fmt_time(c.first_published)} … {fmt_time(c.last_published)}",
            fmt_span(c.spread), f"{c.min_similarity:.2f}",
        )  # fmt: skip
    if clusters.empty:
        t.add_row("(none)", *[""] * (len(cols) - 1))
    print_table(console, t, title)

    rules = removals_by_rule(art)
    t = make_table(
        console,
        "Removals by rule",
        ["rule", "lines", "articles", "outlets"],
        {"lines", "articles", "outlets"},
    )
    for r in rules.itertuples():
        t.add_row(str(r.rule), str(r.lines), str(r.articles), str(r.outlets))
    print_table(console, t, "Removals by rule")


def inspect_dataset(out: Path, top: int = 10) -> str:
    """The plain-text account (what `kliping inspect` prints when piped)."""
    import io

    buf = io.StringIO()
    try:
        data = open_dataset(out)
    except NoDatasetError as exc:
        return str(exc)
    show_inspect(data, make_console(buf, force_terminal=False), top)
    return buf.getvalue().rstrip() + "\n"
