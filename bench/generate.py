"""Benchmark corpora: 600-word articles as text or HTML, with 10% syndicated copies.

Sentences come from the real article bodies in ../shared/dev-pages when that folder is
there (HTML pages are then built from those real pages' own markup, with the article
body swapped), and from a built-in vocabulary when it is not, so `make bench` runs on a
user's clone too. Seeded: the same arguments give the same files.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from bench import corpus_real

ARTICLE_WORDS = 600
COPY_SHARE = 0.10
FILES_PER_FOLDER = 1000
OUTLETS = ("kabarsatu.co.id", "warta-nusantara.com", "beritaku.id", "detakkota.com", "suarapagi.id")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_FALLBACK_WORDS = """
pemerintah menteri presiden rakyat daerah kota desa jalan pasar harga beras minyak listrik air sekolah
guru murid rumah sakit dokter pasien polisi hakim jaksa kantor pajak bank uang rupiah dolar ekspor impor
kapal pelabuhan bandara pesawat kereta tol banjir gempa hujan kemarau panen petani nelayan pabrik buruh
gaji pekerja usaha kecil menengah koperasi investasi saham bursa inflasi suku bunga anggaran belanja proyek
""".split()
_OWN_TEMPLATE = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"><meta property="article:published_time" content="{published}">
<link rel="canonical" href="{url}"></head><body>
<header><nav>{nav}</nav></header><main><article><h1>{title}</h1>
<div class="byline">Penulis: Redaksi | {published}</div>{body}</article>
<aside><h3>Terpopuler</h3><ul>{links}</ul></aside></main>
<footer><p>Hak cipta dilindungi undang-undang.</p>{nav}</footer>
<script>var ads = {{slot: "top"}};</script></body></html>"""


@dataclass
class CorpusStats:
    records: int
    copies: int
    bytes: int


def sentence_pool(rng: random.Random) -> list[str]:
    if corpus_real.available():
        sentences = [
            s
            for body in corpus_real.load_bodies()
            for p in body.paragraphs
            for s in _SENTENCE.split(p)
            if 5 <= len(s.split()) <= 60
        ]
        if len(sentences) > 200:
            return sentences
    return [
        " ".join(rng.choice(_FALLBACK_WORDS) for _ in range(rng.randint(10, 25))).capitalize() + "."
        for _ in range(5000)
    ]


def article(rng: random.Random, pool: list[str], words: int = ARTICLE_WORDS) -> list[str]:
    """Paragraphs of about `words` words, three sentences each, drawn from the pool."""
    paras: list[str] = []
    count = 0
    while count < words:
        para = " ".join(rng.choice(pool) for _ in range(3))
        paras.append(para)
        count += len(para.split())
    return paras


def syndicated_copy(rng: random.Random, paras: list[str], outlet: str) -> list[str]:
    """The way outlets republish: their dateline and read-also line, a paragraph cut, a few words changed."""
    kept = paras[: max(3, len(paras) - 1)]
    edited = []
    for p in kept:
        words = p.split()
        for _ in range(max(1, len(words) // 50)):
            words[rng.randrange(len(words))] = rng.choice(_FALLBACK_WORDS)
        edited.append(" ".join(words))
    edited[0] = f"JAKARTA, {outlet} – {edited[0]}"
    edited.insert(
        2, f"Baca Juga: {rng.choice(_FALLBACK_WORDS).capitalize()} {rng.choice(_FALLBACK_WORDS)} terbaru"
    )
    edited.append(f"Jangan lupa ikuti update berita lainnya dan follow akun google news {outlet}.")
    return edited


class HtmlTemplates:
    """Real pages with their article body swapped, or a built-in page when there are none."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, str]] = []  # (before body, after body)
        if not corpus_real.available():
            return
        from lxml import html as lxml_html

        for path in sorted((corpus_real.DEV_PAGES / "indonesian").glob("*/*-singlepage*.html")):
            tree = lxml_html.fromstring(path.read_bytes())
            holders = [el for el in tree.iter() if isinstance(el.tag, str) and len(el.findall("p")) >= 2]
            if not holders:
                continue
            holder = max(holders, key=lambda el: len(el.findall("p")))
            for child in list(holder):
                if child.tag == "p":
                    holder.remove(child)
            marker = "KLIPINGBODYMARKER"
            holder.text = marker
            page = lxml_html.tostring(tree, encoding="unicode")
            before, _, after = page.partition(marker)
            if after:
                self.pages.append((before, after))

    def render(self, rng: random.Random, title: str, paras: list[str], url: str, published: str) -> str:
        body = "".join(f"<p>{escape(p)}</p>" for p in paras)
        if self.pages:
            before, after = self.pages[rng.randrange(len(self.pages))]
            return before + body + after
        nav = " ".join(f'<a href="/k/{i}">Kanal {i}</a>' for i in range(12))
        links = "".join(
            f'<li><a href="/a/{i}">{escape(rng.choice(_FALLBACK_WORDS))} terkini</a></li>' for i in range(8)
        )
        return _OWN_TEMPLATE.format(
            title=escape(title), published=published, url=url, nav=nav, links=links, body=body
        )


def write_corpus(dest: Path, n: int, kind: str, seed: int = 1, start: int = 0) -> CorpusStats:
    """Write `n` records (files) of `kind` ("text" or "html") into `dest`, numbered from `start`."""
    rng = random.Random(seed * 1_000_003 + start)
    pool = sentence_pool(random.Random(seed))
    templates = HtmlTemplates() if kind == "html" else None
    originals: list[list[str]] = []
    total = copies = 0
    for i in range(start, start + n):
        folder = dest / f"{i // FILES_PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        outlet = OUTLETS[i % len(OUTLETS)]
        if originals and rng.random() < COPY_SHARE:
            paras = syndicated_copy(rng, rng.choice(originals[-500:]), outlet)
            copies += 1
        else:
            paras = article(rng, pool)
            originals.append(paras)
        title = " ".join(paras[0].split()[:9]).rstrip(".,")
        url = f"https://{outlet}/berita/{i}"
        published = f"2024-10-{1 + i % 28:02d}T{i % 24:02d}:00:00+07:00"
        if templates is not None:
            data = templates.render(rng, title, paras, url, published).encode("utf-8")
            path = folder / f"{i:07d}.html"
        else:
            data = ("\n\n".join([title, *paras]) + "\n").encode("utf-8")
            path = folder / f"{i:07d}.txt"
        path.write_bytes(data)
        (folder / f"{path.name}.meta.json").write_text(json.dumps({"url": url, "fetched_at": published}))
        total += len(data)
    return CorpusStats(n, copies, total)
