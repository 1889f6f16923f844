"""`kliping explain`: one article's provenance, what the cleaner removed, and its cluster.

An article is named by its doc_id (or a unique prefix of at least 6 digits), its source_path
(`path:record` or `path#record` for one record of a JSONL or WARC file), or its source_url.
`--diff` shows a member's text against the canonical's: a unified diff by paragraph, then
the changed words inside each rewritten paragraph.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from kliping.inspect import Dataset, fmt_span, fmt_time, make_table, print_table, styled

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

# Where the article came from and what made the row, in the order an analyst asks.
PROVENANCE = [
    "doc_id", "source_path", "source_record", "source_url", "source_domain", "outlet", "raw_sha256",
    "fetched_at", "published_at", "published_at_source", "title", "author", "editor", "dateline",
    "declared_source", "wire", "lang", "word_count", "extractor", "rules_version", "pipeline_version",
    "flow_run_id", "processed_at",
]  # fmt: skip
REASONS = {
    "single": "no other article is a copy of it",
    "earliest_published": "it was published before every other member",
    "declared_source": "another member names its outlet as the source",
    "earliest_fetched": "no publication time decides; it was fetched first",
    "smallest_doc_id": "no time decides; smallest doc_id",
}
WORD_CONTEXT = 6  # words shown either side of a change in the word diff


class ExplainError(LookupError):
    """The article (or the member to diff) cannot be found, or the name is ambiguous."""


def record_key(row: Any) -> str:
    """source_path, with `:record` for one record of a many-record file."""
    rec = row["source_record"]
    return str(row["source_path"]) if rec is None or rec != rec else f"{row['source_path']}:{rec}"


def find_article(art: pd.DataFrame, key: str) -> pd.Series:
    """The row named by doc_id (or unique prefix), source_path[:record|#record] or source_url."""
    key = key.strip()
    hits = art[art["doc_id"] == key]
    if hits.empty and len(key) >= 6 and all(c in "0123456789abcdef" for c in key.lower()):
        hits = art[art["doc_id"].str.startswith(key.lower())]
    if hits.empty:
        hits = art[art["source_path"] == key]
    if hits.empty:
        for sep in (":", "#"):
            path, _, rec = key.rpartition(sep)
            if path and rec:
                hits = art[(art["source_path"] == path) & (art["source_record"] == rec)]
                if not hits.empty:
                    break
    if hits.empty:
        hits = art[art["source_url"] == key]
    if hits.empty and "/" in key:  # a path that still has the raw folder in front: raw/x/y.txt
        path = key.replace("\\", "/")
        hits = art[[path.endswith("/" + str(p)) for p in art["source_path"]]]
    if hits.empty:
        raise ExplainError(f"no article with doc_id, source path or URL {key!r}")
    if len(hits) > 1:
        names = ", ".join(f"{r['doc_id']} ({record_key(r)})" for _, r in hits.head(5).iterrows())
        more = f", … {len(hits) - 5} more" if len(hits) > 5 else ""
        raise ExplainError(
            f"{key!r} names {len(hits)} articles; name one as PATH:RECORD or DOC_ID: {names}{more}"
        )
    return hits.iloc[0]


def cluster_members(art: pd.DataFrame, cluster_id: str) -> pd.DataFrame:
    """The cluster's members, canonical first, then by publication time (undated last), doc_id."""
    members = art[art["cluster_id"] == cluster_id].copy()
    members["_order"] = (~members["is_canonical"]).astype(int)
    members["_undated"] = members["published_at"].isna().astype(int)
    members = members.sort_values(["_order", "_undated", "published_at", "doc_id"])
    return members.drop(columns=["_order", "_undated"]).reset_index(drop=True)


def value_text(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return f"{fmt_time(value)} UTC"
    return str(value)


# --- diff ------------------------------------------------------------------------------------


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def paragraph_diff(a: str, b: str, a_label: str, b_label: str, context: int = 1) -> list[str]:
    """A unified diff of two texts, one paragraph a line."""
    return list(difflib.unified_diff(paragraphs(a), paragraphs(b), a_label, b_label, n=context, lineterm=""))


def word_diff(a: str, b: str, context: int = WORD_CONTEXT) -> list[tuple[str, str]]:
    """The changed words of two paragraphs as (kind, text) pieces: kind is ' ' (unchanged
    context), '-' (only in a), '+' (only in b) or '…' (unchanged words left out)."""
    wa, wb = a.split(), b.split()
    pieces: list[tuple[str, str]] = []
    ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
    for i, (tag, a0, a1, b0, b1) in enumerate(ops):
        if tag == "equal":
            words = wa[a0:a1]
            head = words[:context] if i > 0 else []
            tail = words[-context:] if i < len(ops) - 1 else []
            if len(words) <= 2 * context and i > 0 and i < len(ops) - 1:
                pieces.append((" ", " ".join(words)))
                continue
            if head:
                pieces.append((" ", " ".join(head)))
            if len(words) > len(head) + len(tail):
                pieces.append(("…", "…"))
            if tail:
                pieces.append((" ", " ".join(tail)))
            continue
        if a1 > a0:
            pieces.append(("-", " ".join(wa[a0:a1])))
        if b1 > b0:
            pieces.append(("+", " ".join(wb[b0:b1])))
    return pieces


def word_diff_text(pieces: list[tuple[str, str]]) -> str:
    """Plain form of a word diff, as `git diff --word-diff` writes it: [-old-]{+new+}."""
    out = ""
    previous = ""
    for kind, text in pieces:
        piece = f"[-{text}-]" if kind == "-" else f"{{+{text}+}}" if kind == "+" else text
        out += ("" if not out or (previous, kind) == ("-", "+") else " ") + piece
        previous = kind
    return out


def changed_pairs(a: str, b: str) -> list[tuple[int, int, str, str]]:
    """Paragraphs rewritten between a and b: (number in a, number in b, old, new), 1-based."""
    pa, pb = paragraphs(a), paragraphs(b)
    pairs = []
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if tag == "replace":
            for k in range(min(a1 - a0, b1 - b0)):
                pairs.append((a0 + k + 1, b0 + k + 1, pa[a0 + k], pb[b0 + k]))
    return pairs


# --- output ----------------------------------------------------------------------------------


def show_explain(data: Dataset, key: str, console: Console, diff: str | None = None) -> None:
    """Print provenance, removals and cluster of the article named by `key`; with `diff`
    ('' for the default member), a member's text against the canonical's."""
    art = data.articles
    row = find_article(art, key)
    title = f"Article {row['doc_id']}"
    t = make_table(console, title, ["column", "value"])
    for name in PROVENANCE:
        if name in row.index:
            t.add_row(name, value_text(row[name]))
    print_table(console, t, title)

    removed = list(row["removed"])
    title = f"Removed by the cleaner ({len(removed)} lines)"
    t = make_table(console, title, ["#", "rule", "text"], {"#"})
    for i, r in enumerate(removed, 1):
        t.add_row(str(i), str(r["rule"]), str(r["text"]))
    print_table(console, t, title)

    members = cluster_members(art, str(row["cluster_id"]))
    canon = members.iloc[0]
    reason = str(row["canonical_reason"])
    title = (
        f"Cluster {row['cluster_id']}: {len(members)} article{'s' if len(members) != 1 else ''}; "
        f"canonical {canon['doc_id']} ({reason}: {REASONS.get(reason, reason)})"
    )
    cols = [
        "",
        "role",
        "doc_id",
        "outlet",
        "published (UTC)",
        "after canonical",
        "similarity",
        "source",
        "title",
    ]
    t = make_table(console, title, cols, {"after canonical", "similarity"})
    for _, m in members.iterrows():
        role = "canonical" if m["is_canonical"] else "copy"
        delta = m["published_at"] - canon["published_at"] if not m["is_canonical"] else None
        outlet = str(m["source_domain"]) if m["source_domain"] == m["source_domain"] else "(unknown)"
        printed = m["outlet"]
        if isinstance(printed, str) and printed and printed != outlet:
            outlet += f" ({printed})"
        t.add_row(
            "▶" if m["doc_id"] == row["doc_id"] else "",
            role, str(m["doc_id"]), outlet, fmt_time(m["published_at"]),
            ("+" + fmt_span(delta)) if delta is not None and delta == delta else "",
            f"{m['similarity']:.2f}" if m["similarity"] == m["similarity"] else "—",
            record_key(m), value_text(m["title"]),
        )  # fmt: skip
    print_table(console, t, title)

    if diff is not None:
        show_diff(members, row, diff, console)


def pick_member(members: pd.DataFrame, row: pd.Series, diff: str) -> pd.Series:
    """The member `--diff` names; by default the explained article, or (when that is the
    canonical) the copy least similar to it."""
    if diff:
        return find_article(members, diff)
    if not row["is_canonical"]:
        return row
    copies = members[~members["is_canonical"]]
    if copies.empty:
        raise ExplainError(f"{row['doc_id']} has no copies: nothing to diff")
    return copies.sort_values(["similarity", "doc_id"]).iloc[0]


def show_diff(members: pd.DataFrame, row: pd.Series, diff: str, console: Console) -> None:
    from rich.text import Text

    canon = members.iloc[0]
    try:
        member = pick_member(members, row, diff)
    except ExplainError as exc:
        if diff and "no article" in str(exc):
            raise ExplainError(f"{diff!r} is not a member of cluster {row['cluster_id']}") from None
        raise
    a_label = f"canonical {canon['doc_id']} {canon['source_domain']}"
    b_label = f"member {member['doc_id']} {member['source_domain']} (similarity {member['similarity']:.2f})"
    heading = f"Diff: {b_label} against {a_label}"
    color = styled(console)
    console.print(Text(heading, style="bold") if color else heading + ":", markup=False, highlight=False)
    if member["doc_id"] == canon["doc_id"]:
        console.print("the member is the canonical itself: nothing to diff", markup=False)
        return
    lines = paragraph_diff(str(canon["text"]), str(member["text"]), a_label, b_label)
    if not lines:
        console.print("the texts are identical", markup=False)
        return
    for line in lines:
        style = (
            "red"
            if line.startswith("-")
            else "green"
            if line.startswith("+")
            else "cyan"
            if line.startswith("@@")
            else ""
        )
        console.print(
            Text(line, style=style) if color else line, markup=False, highlight=False, soft_wrap=True
        )
    pairs = changed_pairs(str(canon["text"]), str(member["text"]))
    if pairs:
        console.print()
        console.print("Changed words ([-canonical-]{+member+}):", markup=False, highlight=False)
        for pa_n, pb_n, old, new in pairs:
            pieces = word_diff(old, new)
            if color:
                text = Text(f"¶{pa_n}→¶{pb_n}: ")
                for kind, words in pieces:
                    style = (
                        "red strike"
                        if kind == "-"
                        else "bold green"
                        if kind == "+"
                        else "dim"
                        if kind == "…"
                        else ""
                    )
                    text.append(words + " ", style=style)
                console.print(text, soft_wrap=True)
            else:
                console.print(
                    f"¶{pa_n}→¶{pb_n}: {word_diff_text(pieces)}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
