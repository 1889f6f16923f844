"""For the analyst: `kliping.load`, the README's readers, `inspect`, `explain` and `report`.

One generated newsroom (40 wire-like stories republished by 1–7 of 8 outlets, 100 single
articles, a few bad records) is cleaned once per session; every test asserts on what the
commands show against what the generator knows.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from corpus import WORDS, article_body, sentence

from kliping.config import RunConfig
from kliping.run import run_local

BASE = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)
WIB = timedelta(hours=7)
HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
         "Oktober", "November", "Desember"]  # fmt: skip


@dataclass(frozen=True)
class Outlet:
    domain: str
    name: str  # as its header line prints it
    dateline: str
    read_also: str
    cta: str
    form: str  # txt (with sidecar), jsonl or html


OUTLETS = [
    Outlet("kabarsatu.co.id", "kabarsatu", "JAKARTA, kabarsatu.co.id –", "Baca Juga: {t}",
           "Ikuti berita terkini kabarsatu.co.id di Google News", "txt"),
    Outlet("warta-nusantara.com", "wartanusantara", "warta-nusantara.com –", "BACA JUGA: {t}",
           "Jangan lupa ikuti update berita lainnya di warta-nusantara.com.", "txt"),
    Outlet("beritaku.id", "beritaku", "SURABAYA, beritaku.id –", "Baca juga: {t}",
           "Simak berita lainnya di Google News beritaku.id", "txt"),
    Outlet("sumatrapos.id", "sumatrapos", "MEDAN, sumatrapos.id –", "Baca: {t}",
           "Dapatkan update berita pilihan setiap hari dari sumatrapos.id", "jsonl"),
    Outlet("jatimnews.co.id", "jatimnews", "jatimnews.co.id, Malang –", "Lihat Juga: {t}",
           "Gabung ke channel WhatsApp jatimnews untuk update terbaru", "txt"),
    Outlet("kalbartoday.com", "Kalbar Today", "PONTIANAK, kalbartoday.com –", "Baca Juga: {t}",
           "Follow akun Instagram kami @kalbartoday", "html"),
    Outlet("nusaharian.com", "nusaharian", "DENPASAR, nusaharian.com –", "Simak Juga: {t}",
           "Ikuti juga berita nusaharian.com di Google News", "jsonl"),
    Outlet("portalsulsel.id", "portalsulsel", "MAKASSAR, portalsulsel.id –", "Berita Terkait: {t}",
           "Jangan lupa kunjungi portalsulsel.id setiap hari", "txt"),
]  # fmt: skip
BY_DOMAIN = {o.domain: o for o in OUTLETS}


@dataclass
class Item:
    """One article the generator wrote, and what kliping must find out about it."""

    key: str  # source_path, or source_path:line for JSONL
    domain: str
    story: str  # story id, or the key itself for a single
    published: datetime | None
    title: str
    read_also: bool = True
    dateline: str | None = None
    declared: str | None = None
    variant: str = "single"  # original, verbatim, cut (last paragraph dropped), edited (a few words)


@dataclass
class Newsroom:
    raw: Path
    items: dict[str, Item] = field(default_factory=dict)
    story_titles: dict[str, str] = field(default_factory=dict)
    story_origin: dict[str, str] = field(default_factory=dict)  # story → key of the original
    story_bodies: dict[str, list[str]] = field(default_factory=dict)
    rejects: dict[str, int] = field(default_factory=dict)  # reason → count
    jsonl: dict[str, list[str]] = field(default_factory=dict)  # jsonl path → lines

    def stories(self) -> dict[str, list[Item]]:
        out: dict[str, list[Item]] = {}
        for it in self.items.values():
            out.setdefault(it.story, []).append(it)
        return {s: m for s, m in out.items() if len(m) > 1}

    def largest(self) -> list[str]:
        """Stories ordered the way the commands order clusters: size, then first published."""
        stories = self.stories()
        return sorted(stories, key=lambda s: (-len(stories[s]), self.items[self.story_origin[s]].published))


def header_line(outlet: Outlet, when: datetime) -> str:
    local = when + WIB
    return (
        f"Nasional | {outlet.name} | {HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} "
        f"{local.year} - {local:%H:%M}"
    )


def headline(rng: random.Random) -> str:
    return sentence(rng, rng.randint(6, 9))[:-1]


def write_record(room: Newsroom, rng: random.Random, outlet: Outlet, slug: str, item: Item, body: list[str],
                 fetched: datetime, extra_tail: list[str]) -> None:  # fmt: skip
    """Write one article the way this outlet's scraper saves it, with the outlet's boilerplate."""
    paras = list(body)
    paras[0] = f"{outlet.dateline} {paras[0]}"
    item.dateline = outlet.dateline
    teaser = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
    paras.insert(min(2, len(paras)), outlet.read_also.format(t=teaser))
    tail = [*extra_tail, outlet.cta]
    url = f"https://{outlet.domain}/berita/{slug}"
    if outlet.form == "html":
        published = (
            f'<meta property="article:published_time" content="{item.published.isoformat()}">'
            if item.published
            else ""
        )
        ps = "\n".join(f"<p>{p}</p>" for p in [*paras, *tail])
        page = (
            f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{item.title}</title>'
            f'<meta property="og:site_name" content="{outlet.name}"><link rel="canonical" href="{url}">'
            f"{published}</head><body><nav><a href='/'>Beranda</a> <a href='/nasional'>Nasional</a></nav>"
            f"<article><h1>{item.title}</h1>{ps}</article><footer>Hak cipta {outlet.domain}</footer></body></html>"
        )
        path = f"{outlet.domain}/{slug}.html"
        (room.raw / path).write_text(page, encoding="utf-8")
        (room.raw / f"{path}.meta.json").write_text(
            json.dumps({"url": url, "fetched_at": fetched.isoformat()})
        )
        item.key = path
        return
    lines = [item.title, ""]
    if item.published:
        lines.append(header_line(outlet, item.published))
    text = "\n".join([*lines, *paras, *tail]) + "\n"
    if outlet.form == "jsonl":
        path = f"{outlet.domain}/feed.jsonl"
        feed = room.jsonl.setdefault(path, [])
        feed.append(json.dumps({"url": url, "text": text, "fetched_at": fetched.isoformat()}))
        item.key = f"{path}:{len(feed)}"
        return
    path = f"{outlet.domain}/{slug}.txt"
    (room.raw / path).write_text(text, encoding="utf-8")
    (room.raw / f"{path}.meta.json").write_text(json.dumps({"url": url, "fetched_at": fetched.isoformat()}))
    item.key = path


def write_newsroom(raw: Path, seed: int = 7) -> Newsroom:
    """40 stories: an original and 1–7 copies by other outlets published later (cut, edited,
    retitled, some naming their source); 100 single articles (10 undated); 7 bad records."""
    rng = random.Random(seed)
    room = Newsroom(raw)
    for o in OUTLETS:
        (raw / o.domain).mkdir(parents=True, exist_ok=True)

    def add(item: Item) -> None:
        room.items[item.key] = item

    for i in range(40):
        story = f"S{i:02d}"
        origin = OUTLETS[i % len(OUTLETS)]
        copies = 7 if i == 0 else 1 + i % 6
        others = rng.sample([o for o in OUTLETS if o is not origin], copies)
        body = article_body(rng, rng.randint(7, 9))
        title = headline(rng)
        when = BASE + timedelta(hours=7 * i, minutes=rng.randint(0, 50))
        room.story_titles[story] = title
        room.story_bodies[story] = body
        item = Item("", origin.domain, story, when, title, variant="original")
        write_record(room, rng, origin, f"{story}-asli", item, body, when + timedelta(minutes=30), [])
        add(item)
        room.story_origin[story] = item.key
        for j, o in enumerate(others):
            later = when + timedelta(minutes=45 * (j + 1) + rng.randint(0, 30))
            cut = 1 if j % 3 == 1 else 0
            paras = body[: len(body) - cut]
            if j % 3 == 2:  # a few edited words
                paras = [
                    " ".join(w if rng.random() > 0.02 else rng.choice(WORDS) for w in p.split())
                    for p in paras
                ]
            declared = origin.domain if j % 4 == 3 else None
            tail = [f"Artikel ini telah tayang di {origin.domain} dengan judul {title}"] if declared else []
            variant = ["verbatim", "cut", "edited"][j % 3]
            copy = Item("", o.domain, story, later, title if j % 2 == 0 else headline(rng), declared=declared,
                        variant=variant)  # fmt: skip
            write_record(room, rng, o, f"{story}-salinan", copy, paras, later + timedelta(hours=1), tail)
            add(copy)
    for k in range(100):
        o = OUTLETS[k % len(OUTLETS)]
        when = (
            None
            if k % 10 == 9
            else BASE + timedelta(hours=rng.randint(0, 7 * 40), minutes=rng.randint(0, 59))
        )
        item = Item("", o.domain, "", when, headline(rng))
        fetched = (when or BASE + timedelta(days=20)) + timedelta(hours=2)
        write_record(room, rng, o, f"lain-{k:03d}", item, article_body(rng, rng.randint(3, 6)), fetched, [])
        item.story = item.key
        add(item)
    for path, lines in room.jsonl.items():
        (raw / path).write_text("\n".join([*lines, "{not json"]) + "\n", encoding="utf-8")
    room.rejects["malformed"] = len(room.jsonl)
    (raw / "kabarsatu.co.id" / "kosong.txt").write_bytes(b"")
    (raw / "beritaku.id" / "kosong.txt").write_text("   \n\n")
    room.rejects["empty"] = 2
    (raw / "beritaku.id" / "rusak.txt").write_bytes(
        bytes(rng.randrange(256) for _ in range(3000)) + b"\x00" * 50
    )
    room.rejects["undecodable"] = 1
    for n, text in enumerate(
        ["Halaman tidak ditemukan.", "Beranda\nNasional\nDaerah", "Maaf, server sibuk."]
    ):
        (raw / "portalsulsel.id" / f"galat-{n}.txt").write_text(text + "\n", encoding="utf-8")
    room.rejects["no_article"] = 3
    return room


_CACHE: dict[str, tuple[Newsroom, Path]] = {}


def newsroom_dataset(factory: pytest.TempPathFactory) -> tuple[Newsroom, Path]:
    """The newsroom, cleaned once per session (the browser test shares it)."""
    if "room" not in _CACHE:
        base = factory.mktemp("newsroom")
        raw, out = base / "raw", base / "clean"
        raw.mkdir()
        room = write_newsroom(raw)
        run_local(raw, out, RunConfig(workers=0))
        _CACHE["room"] = (room, out)
    return _CACHE["room"]


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Newsroom, Path]:
    return newsroom_dataset(tmp_path_factory)


def key_of(row: pd.Series) -> str:
    return (
        row["source_path"]
        if row["source_record"] is None or pd.isna(row["source_record"])
        else (f"{row['source_path']}:{row['source_record']}")
    )


def test_generated_newsroom_clusters_as_written(newsroom: tuple[Newsroom, Path]) -> None:
    room, out = newsroom
    df = pd.read_parquet(out / "articles")
    assert len(df) == len(room.items)
    df["key"] = df.apply(key_of, axis=1)
    assert set(df["key"]) == set(room.items)
    story = df["key"].map(lambda k: room.items[k].story)
    assert (df.groupby(story)["cluster_id"].nunique() == 1).all()
    assert df.groupby("cluster_id")["key"].count().sort_values().tolist() == sorted(
        len(m) for m in {**{s: m for s, m in room.stories().items()},
                         **{k: [1] for k, it in room.items.items() if it.story == k}}.values()
    )  # fmt: skip
    canon = df[df["is_canonical"] & (df["cluster_size"] > 1)]
    assert sorted(canon["key"]) == sorted(room.story_origin.values())
    assert set(canon["canonical_reason"]) == {"earliest_published"}
    rejects = pd.read_parquet(out / "rejects")
    assert rejects["reason"].value_counts().to_dict() == room.rejects


# --- kliping.load and the README's readers ----------------------------------------------------


def test_load_dtypes(newsroom: tuple[Newsroom, Path]) -> None:
    import kliping

    room, out = newsroom
    df = kliping.load(out)
    assert len(df) == len(room.items)
    for col in ("fetched_at", "published_at", "processed_at"):
        assert isinstance(df[col].dtype, pd.DatetimeTZDtype), col
        assert str(df[col].dt.tz) == "UTC", col
    for col in ("source_domain", "outlet", "lang", "extractor", "canonical_reason", "published_at_source",
                "declared_source", "rules_version", "flow_run_id"):  # fmt: skip
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert set(df["source_domain"].cat.categories) == {o.domain for o in OUTLETS}
    assert "earliest_published" in df["canonical_reason"].cat.categories
    assert df["cluster_size"].dtype == "int32" and df["is_canonical"].dtype == bool
    assert df["similarity"].dtype == "float64"
    assert all(isinstance(r, list) for r in df["removed"])
    assert all(isinstance(x, dict) and set(x) == {"rule", "text"} for r in df["removed"] for x in r)
    # the same rows and values as plain pandas, and the same through the table folder itself
    plain = pd.read_parquet(out / "articles").set_index("doc_id")
    mine = df.set_index("doc_id").loc[plain.index]
    assert (mine["published_at"].dropna() == plain["published_at"].dropna()).all()
    assert (mine["source_domain"].astype(str) == plain["source_domain"].astype(str)).all()
    assert mine["removed"].map(len).tolist() == plain["removed"].map(len).tolist()
    assert len(kliping.load(out / "articles")) == len(df)

    rejects = kliping.load(out, table="rejects")
    assert isinstance(rejects["reason"].dtype, pd.CategoricalDtype)
    assert {"no_article", "timeout", "refused"} <= set(rejects["reason"].cat.categories)
    assert rejects["reason"].value_counts()[lambda s: s > 0].to_dict() == room.rejects
    assert isinstance(rejects["processed_at"].dtype, pd.DatetimeTZDtype)
    assert len(kliping.load(out / "rejects", table="rejects")) == len(rejects)
    with pytest.raises(FileNotFoundError):
        kliping.load(out / "articles", table="rejects")  # a table folder is not read as another table
    with pytest.raises(FileNotFoundError):
        kliping.load(out.parent / "nowhere")
    with pytest.raises(ValueError):
        kliping.load(out, table="signatures")  # type: ignore[arg-type]


def test_readme_readers_follow_the_snapshot_link(
    newsroom: tuple[Newsroom, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's ways of loading, run as written from the folder holding `clean/`."""
    import duckdb
    import polars as pl
    import pyarrow.parquet as pq

    room, out = newsroom
    monkeypatch.chdir(out.parent)
    assert Path("clean/articles").is_symlink()  # a link into clean/_snapshots/…
    assert Path("clean/articles").resolve().parent.parent.name == "_snapshots"

    articles = pd.read_parquet("clean/articles")
    copies = articles[articles.cluster_size > 1].sort_values(["cluster_id", "published_at"])
    assert len(articles) == len(room.items)
    assert len(copies) == sum(len(m) for m in room.stories().values())
    assert pq.read_table("clean/articles").num_rows == len(room.items)

    rows = duckdb.sql(
        """
        SELECT source_domain, count(*) AS articles, sum(NOT is_canonical::INT) AS copies
        FROM 'clean/articles/*.parquet' GROUP BY 1 ORDER BY 2 DESC;
        """
    ).fetchall()
    expected = articles.groupby("source_domain").agg(
        n=("doc_id", "size"), copies=("is_canonical", lambda s: int((~s).sum()))
    )
    assert {d: (n, c) for d, n, c in rows} == {d: (r.n, r.copies) for d, r in expected.iterrows()}
    assert [n for _, n, _ in rows] == sorted((n for _, n, _ in rows), reverse=True)

    eager = pl.read_parquet("clean/articles/*.parquet")
    lazy = pl.scan_parquet("clean/articles/*.parquet").filter(pl.col("cluster_size") > 1).collect()
    assert eager.height == len(room.items)
    assert lazy.height == len(copies)
    assert str(eager.schema["published_at"]) == "Datetime(time_unit='us', time_zone='UTC')"
    assert eager.filter(pl.col("is_canonical") & (pl.col("cluster_size") > 1)).height == len(room.stories())
    assert len(pd.read_parquet("clean/rejects")) == sum(room.rejects.values())


# --- kliping inspect ----------------------------------------------------------------------------


def sections(text: str) -> dict[str, list[list[str]]]:
    """Plain `inspect` output → {section title: rows split on runs of 2+ spaces}."""
    out: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            current = out.setdefault(line[:-1], [])
        elif line.strip():
            current.append(re.split(r"\s{2,}", line.strip()))
    return out


def fmt(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def test_inspect_shows_counts_clusters_and_canonicals(
    newsroom: tuple[Newsroom, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from kliping.cli import main

    room, out = newsroom
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "\x1b[" not in text and "│" not in text and "─" not in text  # plain text when not a TTY
    assert all(line == line.rstrip() for line in text.splitlines())
    got = sections(text)
    overview = {row[0]: row[1] for row in got["kliping dataset"]}
    stories = room.stories()
    n_copies = sum(len(m) - 1 for m in stories.values())
    assert overview["articles"] == str(len(room.items))
    assert overview["rejects"] == str(sum(room.rejects.values()))
    assert overview["outlets"] == str(len(OUTLETS))
    assert overview["clusters"] == (
        f"{len(room.items) - n_copies}: {len(stories)} with copies, {n_copies} articles are copies"
    )
    assert overview["undated"] == str(sum(1 for it in room.items.values() if it.published is None))

    reasons = {row[0]: int(row[1]) for row in got["Rejects by reason"][1:]}
    assert reasons == room.rejects

    outlets = {row[0]: row[1:] for row in got[f"Outlets ({len(OUTLETS)})"][1:]}
    for o in OUTLETS:
        mine = [it for it in room.items.values() if it.domain == o.domain]
        originals = sum(1 for key in room.story_origin.values() if room.items[key].domain == o.domain)
        copies = sum(1 for it in mine if it.variant not in ("single", "original"))
        dated = [it.published for it in mine if it.published]
        assert outlets[o.domain][1:4] == [str(len(mine)), str(originals), str(copies)], o.domain
        assert outlets[o.domain][4:] == [fmt(min(dated)), fmt(max(dated))]

    rows = got["Largest clusters (10 of 40 with copies)"][1:]
    assert len(rows) == 10
    for row, story in zip(rows, room.largest()[:10], strict=True):
        members = stories[story]
        origin = room.items[room.story_origin[story]]
        times = [m.published for m in members if m.published]
        _cluster, size, n_outlets, title, outlet, published, first_last, spread, _sim = row
        assert (size, n_outlets) == (str(len(members)), str(len({m.domain for m in members})))
        assert title == room.story_titles[story]
        assert outlet.split(" ")[0] == origin.domain
        assert published == fmt(origin.published)
        assert first_last == f"{fmt(min(times))} … {fmt(max(times))}"
        minutes = int((max(times) - min(times)).total_seconds() // 60)
        assert spread == f"{minutes // 60}h {minutes % 60:02d}m"

    rules = {row[0]: [int(x) for x in row[1:]] for row in got["Removals by rule"][1:]}
    assert rules["id.read_also"] == [len(room.items), len(room.items), len(OUTLETS)]
    declared = sum(1 for it in room.items.values() if it.declared)
    assert rules["id.republished_notice"][:2] == [declared, declared]
    df = pd.read_parquet(out / "articles")
    assert sum(r[0] for r in rules.values()) == int(df["removed"].map(len).sum())


def test_inspect_draws_rich_tables_on_a_terminal(newsroom: tuple[Newsroom, Path]) -> None:
    import io

    from rich.console import Console

    from kliping.inspect import open_dataset, show_inspect

    room, out = newsroom
    buf = io.StringIO()
    show_inspect(
        open_dataset(out), Console(file=buf, force_terminal=True, width=220, color_system="truecolor"), top=3
    )
    text = buf.getvalue()
    assert "\x1b[" in text and "╭" in text and "│" in text
    assert "Largest clusters (3 of 40 with copies)" in text
    for story in room.largest()[:3]:
        assert room.story_titles[story] in text
    assert "kliping: no dataset" in _run_cli(["inspect", str(out.parent / "nowhere")])[2]


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from kliping.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# --- kliping explain ----------------------------------------------------------------------------


def test_explain_shows_provenance_removals_and_cluster(newsroom: tuple[Newsroom, Path]) -> None:
    import hashlib

    room, out = newsroom
    story = room.largest()[0]
    origin = room.items[room.story_origin[story]]
    df = pd.read_parquet(out / "articles")
    df["key"] = df.apply(key_of, axis=1)
    by_key = df.set_index("key")
    code, text, _ = _run_cli(["explain", origin.key, "--out", str(out)])
    assert code == 0
    got = sections(text)
    doc_id = by_key.loc[origin.key, "doc_id"]
    prov = {row[0]: row[1] if len(row) > 1 else "" for row in got[f"Article {doc_id}"][1:]}
    assert prov["source_path"] == origin.key
    assert prov["source_url"] == f"https://{origin.domain}/berita/{story}-asli"
    assert prov["source_domain"] == origin.domain
    assert prov["raw_sha256"] == hashlib.sha256((room.raw / origin.key).read_bytes()).hexdigest()
    assert prov["published_at"] == f"{fmt(origin.published)} UTC"
    assert prov["title"] == room.story_titles[story]
    assert prov["dateline"] == origin.dateline
    assert {
        "fetched_at",
        "extractor",
        "rules_version",
        "pipeline_version",
        "flow_run_id",
        "processed_at",
    } <= set(prov)

    removed = by_key.loc[origin.key, "removed"]
    rows = got[f"Removed by the cleaner ({len(removed)} lines)"][1:]
    assert [(r[1], r[2]) for r in rows] == [(x["rule"], x["text"]) for x in removed]
    assert {"id.read_also", "id.header_line"} <= {r[1] for r in rows}

    members = room.stories()[story]
    title = next(t for t in got if t.startswith("Cluster "))
    assert title.startswith(
        f"Cluster {by_key.loc[origin.key, 'cluster_id']}: {len(members)} articles; canonical {doc_id}"
    )
    assert "earliest_published" in title
    table = got[title][1:]
    assert len(table) == len(members)
    order = sorted(members, key=lambda m: m.published)  # canonical first, then by publication time
    for row, m in zip(table, order, strict=True):
        row = [c for c in row if c != "▶"]
        role, member_id, outlet, published = row[:4]
        assert role == ("canonical" if m is origin else "copy")
        assert member_id == by_key.loc[m.key, "doc_id"]
        assert outlet.split(" ")[0] == m.domain
        assert published == fmt(m.published)
        assert m.key in row
        similarity = float(by_key.loc[m.key, "similarity"])
        assert f"{similarity:.2f}" in row
        if m is not origin:
            minutes = int((m.published - origin.published).total_seconds() // 60)
            assert f"+{minutes // 60}h {minutes % 60:02d}m" in row


def test_explain_diff_against_the_canonical(newsroom: tuple[Newsroom, Path]) -> None:
    room, out = newsroom
    story = room.largest()[0]
    origin = room.items[room.story_origin[story]]
    body = room.story_bodies[story]
    df = pd.read_parquet(out / "articles")
    df["key"] = df.apply(key_of, axis=1)
    ids = df.set_index("key")["doc_id"]
    members = {m.variant: m for m in room.stories()[story]}

    # a copy that dropped the last paragraph: the diff names it, paragraph by paragraph
    code, text, _ = _run_cli(["explain", members["cut"].key, "--out", str(out), "--diff"])
    assert code == 0
    diff = text[text.index("Diff: ") :]
    assert f"--- canonical {ids[origin.key]} {origin.domain}" in diff
    assert f"+++ member {ids[members['cut'].key]} {members['cut'].domain}" in diff
    assert f"\n-{body[-1]}\n" in diff
    assert not any(line.startswith("+") and not line.startswith("+++") for line in diff.splitlines())

    # edited words show up word by word
    code, text, _ = _run_cli(["explain", members["edited"].key, "--out", str(out), "--diff"])
    words = text[text.index("Changed words") :]
    assert re.search(r"\[-\S[^\]]*-\]\{\+\S[^}]*\+\}", words)

    # the verbatim copy, asked for from the canonical's page by doc_id
    code, text, _ = _run_cli(
        ["explain", ids[origin.key], "--out", str(out), "--diff", ids[members["verbatim"].key]]
    )
    assert code == 0 and "the texts are identical" in text

    # from the canonical with no member named: its least similar copy
    code, text, _ = _run_cli(["explain", origin.key, "--out", str(out), "--diff"])
    least = df[
        (df["cluster_id"] == df.loc[df["key"] == origin.key, "cluster_id"].iloc[0]) & ~df["is_canonical"]
    ]
    assert f"member {least.sort_values(['similarity', 'doc_id'])['doc_id'].iloc[0]}" in text


def test_explain_names_and_errors(newsroom: tuple[Newsroom, Path]) -> None:
    room, out = newsroom
    jsonl = next(k for k in room.items if ":" in k)
    path, line = jsonl.rsplit(":", 1)
    code, text, _ = _run_cli(["explain", jsonl, "--out", str(out)])
    prov = {row[0]: row[-1] for row in next(v for k, v in sections(text).items() if k.startswith("Article "))}
    assert code == 0 and (prov["source_path"], prov["source_record"]) == (path, line)
    assert _run_cli(["explain", f"{path}#{line}", "--out", str(out)])[1] == text
    df = pd.read_parquet(out / "articles")
    doc_id = df.loc[(df["source_path"] == path) & (df["source_record"] == line), "doc_id"].iloc[0]
    assert _run_cli(["explain", doc_id[:8], "--out", str(out)])[1] == text  # a unique prefix
    code, _, err = _run_cli(["explain", path, "--out", str(out)])
    assert code == 2 and "names" in err and "PATH:RECORD" in err
    code, _, err = _run_cli(["explain", "nope.txt", "--out", str(out)])
    assert code == 2 and "no article" in err
    single = next(k for k, it in room.items.items() if it.variant == "single")
    code, _, err = _run_cli(["explain", single, "--out", str(out), "--diff"])
    assert code == 2 and "no copies" in err


# --- kliping report -----------------------------------------------------------------------------


def test_report_is_one_offline_file_with_the_right_numbers(
    newsroom: tuple[Newsroom, Path], tmp_path: Path
) -> None:
    from collections import Counter

    from kliping.inspect import open_dataset
    from kliping.report import (
        CHART_IDS,
        cluster_timelines,
        outlets_over_time,
        palette,
        rejects_chart,
        removals_chart,
        syndication_edges,
    )

    room, out = newsroom
    html_path = tmp_path / "r" / "report.html"
    code, text, _ = _run_cli(["report", str(out), "--html", str(html_path)])
    assert code == 0 and f"wrote {html_path}" in text
    page = html_path.read_text(encoding="utf-8")
    assert [p.name for p in html_path.parent.iterdir()] == ["report.html"]  # one file
    assert "plotly.js v" in page  # the library is inlined …
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=", page)  # … and nothing is fetched
    for chart_id in CHART_IDS.values():
        assert page.count(f'id="{chart_id}"') == 1, chart_id

    data = open_dataset(out)
    art = data.articles
    domains = [o.domain for o in OUTLETS]
    colours = palette(domains)
    # articles per outlet over time: every dated article in its outlet's bars
    fig = outlets_over_time(art, colours, domains)
    per_outlet = {t.name: sum(t.y) for t in fig.data}
    dated = Counter(it.domain for it in room.items.values() if it.published)
    assert per_outlet == dict(dated)
    # the network's edges: outlet of the original → outlet of each copy
    truth = Counter(
        (room.items[room.story_origin[s]].domain, m.domain)
        for s, members in room.stories().items() for m in members if m.variant != "original"
    )  # fmt: skip
    edges = syndication_edges(art)
    assert {(e.source, e.target): e.copies for e in edges.itertuples()} == dict(truth)
    # the largest clusters' timelines: the canonical at 0 h, each copy at its delay
    fig, _clusters = cluster_timelines(art, colours, 10)
    points = [
        (x, sym) for t in fig.data if t.mode == "markers" for x, sym in zip(t.x, t.marker.symbol, strict=True)
    ]
    assert len(points) == sum(len(room.stories()[s]) for s in room.largest()[:10])
    assert sorted(x for x, sym in points if sym == "star") == [0.0] * 10
    story = room.largest()[0]
    origin = room.items[room.story_origin[story]]
    delays = sorted((m.published - origin.published).total_seconds() / 3600 for m in room.stories()[story])
    label = next(y for t in fig.data if t.mode == "markers" for y in t.y if y.startswith("#1 "))
    assert label.startswith(f"#1 · {len(room.stories()[story])}× · {room.story_titles[story][:30]}")
    assert sorted(
        x for t in fig.data if t.mode == "markers" for x, y in zip(t.x, t.y, strict=True) if y == label
    ) == pytest.approx(delays)
    # removals per rule and outlet; rejects per reason
    fig = removals_chart(art, colours, domains)
    per_rule: Counter[str] = Counter()
    for t in fig.data:
        for rule, n in zip(t.y, t.x, strict=True):
            per_rule[rule] += n
    assert per_rule == Counter(r["rule"] for removed in art["removed"] for r in removed)
    fig = rejects_chart(data.rejects)
    assert dict(zip(fig.data[0].x, fig.data[0].y, strict=True)) == room.rejects


def test_commands_on_a_dataset_without_copies(tmp_path: Path) -> None:
    """Two unrelated articles and an empty file: no clusters to list, draw or diff."""
    raw, out = tmp_path / "raw", tmp_path / "clean"
    (raw / "site").mkdir(parents=True)
    rng = random.Random(3)
    for i in range(2):
        (raw / "site" / f"a{i}.txt").write_text("\n\n".join(article_body(rng, 4)), encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    run_local(raw, out, RunConfig(workers=0))

    code, text, _ = _run_cli(["inspect", str(out)])
    got = sections(text)
    assert code == 0
    assert got["Largest clusters (0 of 0 with copies)"][1] == ["(none)"]
    assert {row[0]: row[1] for row in got["Rejects by reason"][1:]} == {"empty": "1"}

    # a path as the shell completes it, raw folder included, names the article too
    code, text, _ = _run_cli(["explain", str(raw / "site" / "a1.txt"), "--out", str(out)])
    prov = {row[0]: row[-1] for row in next(v for k, v in sections(text).items() if k.startswith("Article "))}
    assert code == 0 and prov["source_path"] == "site/a1.txt"
    assert "(single: no other article is a copy of it)" in text

    code, _, _ = _run_cli(["report", str(out), "--html", str(tmp_path / "report.html")])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert code == 0
    assert "no story was republished by another outlet" in page and "no clusters with copies" in page
