"""Syndication detection measured on real article bodies: shingle size × threshold sweep.

    .venv/bin/python -m bench.syndication [--out bench/out/syndication.json] [--quick]

Originals are the real article bodies of ../shared/dev-pages (English bodies annotated by
hand; Indonesian pages extracted by trafilatura, with the boilerplate their own outlet left
in). Each original gets 3-6 copies made the way outlets make them: the copying outlet's
headline (rewritten), its dateline opening the first paragraph, its read-also, share and
follow lines, footer and disclaimer, the last 0-2 paragraphs cut (never more than a quarter
of the words), and either 2-5 % of the words edited (the "copies" condition: replaced,
deleted or inserted) or 10-20 % of the words replaced by synonyms (the "spun" condition).
Both conditions use the same originals, outlets, cuts and headlines; only the word edits
differ, so their numbers compare like with like.

Hard negatives are built in: (a) every outlet republishes many different stories, so its
boilerplate lines are shared across stories; (b) 30 % of the stories quote 1-3 sentences
of another story (same event, different article).

Every document goes through kliping's own cleaner (`clean_lines`, title=None) before
shingling, as the pipeline does ("cleaned"), and is also measured as it was published
("raw": boilerplate kept). Clustering is kliping's own `cluster` (LSH candidates, exact
Jaccard check, union-find). Reported: pairwise precision, recall, F1 and the adjusted Rand
index against the story labels. Seeds are fixed: the same run gives the same numbers.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus_real
from bench.corpus_real import Body
from kliping.clean import clean_lines, load_rules
from kliping.syndication.clusters import DocInfo, cluster, lsh_candidates, lsh_params
from kliping.syndication.shingles import U32Array, jaccard, shingle_hashes
from kliping.syndication.signatures import signatures

SEED = 20241024
SHINGLE_SIZES = (3, 4, 5, 6, 7)
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
NUM_PERM = 128
CURRENT_DEFAULTS = (5, 0.5)  # (shingle_size, threshold) before this measurement
TARGET_PRECISION, TARGET_RECALL = 0.99, 0.95
COPIES = (3, 6)  # copies per original
EDIT_RATE = (0.02, 0.05)  # "copies": share of words replaced, deleted or inserted
SPIN_RATE = (0.10, 0.20)  # "spun": share of words replaced by synonyms
MAX_CUT_SHARE = 0.25  # a cut of the last paragraphs never removes more of the words than this
QUOTING_SHARE = 0.30  # stories that quote 1-3 sentences of another story (hard negatives b)
READ_ALSO_PER_PAGE, TEASER_POOL = 3, 5  # read-also lines per copy, drawn from the outlet's pool
QUICK_STORIES = 45
NEGATIVE_MARGIN = 2.0  # a default's threshold is at least this many times the hardest negative's Jaccard
CONDITIONS = ("copies", "spun")
MODES = ("cleaned", "raw")
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "syndication.json"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_AFFIX = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)

# --- synonyms: what an article spinner swaps --------------------------------------------------

SYNONYMS_ID = dict(
    pair.split("→")
    for pair in """
mengatakan→menyatakan menyatakan→mengungkapkan sebelumnya→terdahulu pemerintah→pemda juga→pula
akan→bakal tidak→tak sudah→telah telah→sudah saat→ketika ketika→saat karena→sebab namun→tetapi
tetapi→namun hanya→cuma banyak→sejumlah besar→raksasa kecil→mungil sangat→amat harus→mesti
bisa→dapat dapat→bisa ingin→hendak jika→apabila apabila→bila kemudian→lalu lalu→kemudian
setelah→usai menurut→berdasarkan masyarakat→warga warga→penduduk rakyat→warga orang→individu
anak→bocah perempuan→wanita wanita→perempuan pria→lelaki negara→bangsa kota→kawasan
daerah→wilayah wilayah→kawasan tempat→lokasi lokasi→tempat rumah→kediaman uang→dana dana→anggaran
harga→tarif biaya→ongkos membuat→menciptakan memberikan→menyerahkan memberi→menyerahkan
mendapatkan→memperoleh mendapat→memperoleh menjadi→menjelma melakukan→menjalankan
menggunakan→memakai memiliki→mempunyai mempunyai→memiliki melihat→menyaksikan mengetahui→memahami
tahu→paham meminta→memohon menjelaskan→menerangkan mengungkapkan→membeberkan menambahkan→menuturkan
ujar→kata kata→ucap ucap→tutur tutur→ujar baru→anyar lama→lawas cepat→kilat sulit→sukar
mudah→gampang penting→krusial utama→pokok bagian→porsi hingga→sampai sampai→hingga agar→supaya
supaya→agar sejak→semenjak semakin→kian makin→kian sedang→tengah segera→lekas langsung→segera
selalu→senantiasa sering→kerap kerap→sering biasanya→lazimnya umumnya→lazimnya berbagai→beragam
beberapa→sejumlah seluruh→segenap semua→seluruh setiap→tiap tiap→setiap pertama→perdana
terakhir→pamungkas kegiatan→aktivitas acara→agenda pertemuan→rapat rapat→pertemuan
masalah→persoalan persoalan→masalah kasus→perkara tujuan→sasaran hasil→capaian upaya→usaha
usaha→upaya kondisi→keadaan keadaan→kondisi informasi→keterangan keterangan→informasi
berita→kabar kabar→berita peristiwa→kejadian kejadian→peristiwa petugas→aparat pejabat→petinggi
pemimpin→pimpinan ketua→pimpinan kendaraan→mobil membantu→menolong bantuan→pertolongan
mencari→memburu menemukan→mendapati memulai→mengawali selesai→rampung menunggu→menanti
datang→tiba tiba→datang pergi→berangkat kembali→balik bertemu→berjumpa berbicara→bertutur
menerima→memperoleh menolak→menampik mendukung→menyokong menyebut→menuturkan indah→elok
bagus→baik baik→bagus buruk→jelek benar→betul betul→benar salah→keliru jelas→gamblang
cukup→lumayan tersebut→itu yakni→yaitu yaitu→yakni seperti→semisal untuk→guna guna→untuk
sebagai→selaku selaku→sebagai maupun→ataupun serta→dan dan→serta
""".split()
)

SYNONYMS_EN = dict(
    pair.split("→")
    for pair in """
said→stated says→states also→additionally will→shall however→nevertheless but→yet because→since
about→around many→numerous big→large large→big small→little very→extremely must→should can→could
want→wish then→afterwards after→following people→individuals government→administration
company→firm firm→company country→nation nation→country city→town area→region region→area
place→location home→residence house→residence money→funds price→cost cost→price make→create
made→created give→provide gave→provided get→obtain got→obtained become→turn use→utilise
used→utilised see→observe know→understand ask→request asked→requested explain→clarify
added→noted told→informed show→demonstrate showed→demonstrated shows→demonstrates help→assist
helped→assisted find→discover found→discovered start→begin started→began begin→start end→finish
ended→finished come→arrive came→arrived go→proceed went→proceeded meet→encounter talk→speak
work→labour worked→laboured received→got support→back new→fresh old→aged fast→quick
quickly→rapidly difficult→hard hard→difficult easy→simple important→significant
significant→important main→primary part→portion around→roughly until→till so→thus while→whilst
often→frequently always→constantly usually→typically various→diverse several→some every→each
each→every first→initial last→final final→last event→occasion meeting→session problem→issue
issue→matter case→instance goal→aim result→outcome effort→attempt plan→scheme condition→state
information→data data→information news→reports incident→event victim→casualty
official→representative officials→representatives leader→head doctor→physician car→vehicle
vehicle→car buy→purchase bought→purchased good→fine bad→poor right→correct wrong→incorrect
clear→evident enough→sufficient really→truly just→merely only→solely including→comprising
among→amongst whether→if although→though though→although despite→notwithstanding
during→throughout within→inside inside→within huge→enormous high→elevated low→reduced
increase→rise rise→increase fall→drop growth→expansion market→marketplace business→enterprise
businesses→enterprises customers→clients users→consumers
""".split()
)
SYNONYMS = {"id": SYNONYMS_ID, "en": SYNONYMS_EN}

# --- outlets: who copies, and the boilerplate each wraps a copy in ---------------------------


@dataclass(frozen=True)
class Outlet:
    domain: str
    lang: str
    dateline: str  # {PLACE} upper case, {Place} title case
    read_also: str  # with {teaser}
    share: str
    follow: str
    footer: tuple[str, ...]  # closing lines after the follow call
    trail: str = ""  # appended to the last paragraph, e.g. editor initials


OUTLETS = (
    Outlet(
        "kabarsatu.co.id",
        "id",
        "{PLACE}, kabarsatu.co.id –",
        "Baca Juga: {teaser}",
        "Bagikan",
        "Ikuti berita terkini kabarsatu.co.id di Google News",
        ("© 2024 kabarsatu.co.id. All Rights Reserved",),
    ),
    Outlet(
        "warta-nusantara.com",
        "id",
        "warta-nusantara.com, {Place} –",
        "BACA JUGA: {teaser}",
        "Facebook Twitter WhatsApp Telegram",
        "Jangan lupa ikuti update berita lainnya dan follow akun google news warta-nusantara.com.",
        (
            "Disclaimer: Isi komentar sepenuhnya menjadi tanggung jawab pembaca dan diatur dalam UU ITE. "
            "Redaksi warta-nusantara.com berhak menghapus komentar yang mengandung unsur SARA.",
        ),
    ),
    Outlet(
        "beritaku.id",
        "id",
        "{PLACE}, beritaku.id –",
        "Baca juga: {teaser}",
        "17Shares / Facebook Twitter",
        "Simak berita lainnya di Google News beritaku.id",
        ("Hak cipta dilindungi undang-undang.",),
    ),
    Outlet(
        "sp-globalindo.co.id",
        "id",
        "{PLACE}, sp-globalindo.co.id –",
        "Lihat Juga: {teaser}",
        "SHARE",
        "Gabung ke channel WhatsApp sp-globalindo.co.id untuk update terbaru",
        ("Copyright sp-globalindo.co.id 2024, seluruh hak dilindungi",),
    ),
    Outlet(
        "detaktribe.com",
        "id",
        "{Place} (Detak Tribe) -",
        "Baca: {teaser}",
        "Share: Facebook Twitter",
        "Dapatkan update berita pilihan dan breaking news setiap hari dari detaktribe.com.",
        (
            "Topik Menarik",
            "Disclaimer: Artikel ini disadur dari berbagai sumber. Isi di luar tanggung jawab "
            "redaksi detaktribe.com dan komentar pembaca menjadi tanggung jawab masing-masing.",
        ),
    ),
    Outlet(
        "jurnalpos.id",
        "id",
        "jurnalpos.id –",
        "Berita Terkait: {teaser}",
        "Bagikan",
        "Follow akun Instagram kami @jurnalpos untuk berita terbaru setiap hari",
        ("© 2007 - 2024 jurnalpos.id, All Rights Reserved",),
        trail=" (jp/red)",
    ),
    Outlet(
        "lintasdaerah.co.id",
        "id",
        "{PLACE}, lintasdaerah.co.id —",
        "Simak Juga: {teaser}",
        "Facebook Twitter Whatsapp Telegram Copy Link",
        "Ikuti juga berita lintasdaerah.co.id di saluran WhatsApp dan Google News",
        ("Editor: Redaksi Lintas Daerah",),
    ),
    Outlet(
        "infonusa.net",
        "id",
        "{PLACE}, infonusa.net -",
        "BACA JUGA: {teaser}",
        "share",
        "Klik di sini untuk download aplikasi infonusa.net dan dapatkan berita terkini",
        ("Copyright © 2024 infonusa.net",),
    ),
    Outlet(
        "dailyherald-news.com",
        "en",
        "{PLACE}, dailyherald-news.com –",
        "Read more: {teaser}",
        "Share this article",
        "Sign up for our newsletter to get the latest news from Daily Herald News.",
        ("© 2024 dailyherald-news.com. All rights reserved.",),
    ),
    Outlet(
        "worldpost24.com",
        "en",
        "worldpost24.com, {Place} –",
        "Related: {teaser}",
        "Share on Facebook",
        "Follow us on Twitter and Facebook for breaking news and the stories behind them.",
        ("Copyright 2024 WorldPost24",),
    ),
    Outlet(
        "thenewsbeat.net",
        "en",
        "{Place} (The Newsbeat) -",
        "READ MORE: {teaser}",
        "Tweet",
        "Get the latest headlines delivered to your inbox every morning.",
        ("This article originally appeared on The Newsbeat.",),
    ),
    Outlet(
        "metro-wire.co.uk",
        "en",
        "{PLACE}, metro-wire.co.uk —",
        "Also read: {teaser}",
        "Email this",
        "Subscribe to Metro Wire for unlimited access to our journalism.",
        ("Metro Wire Ltd. All rights reserved.",),
    ),
    Outlet(
        "globalbrief.org",
        "en",
        "globalbrief.org –",
        "See also: {teaser}",
        "Share this story",
        "Join our WhatsApp channel for the latest updates from Global Brief.",
        (
            "Disclaimer: The views expressed in reader comments are those of the commenters and do not "
            "reflect the views of Global Brief or its editors.",
        ),
    ),
    Outlet(
        "newsline-today.com",
        "en",
        "{PLACE}, newsline-today.com –",
        "Recommended: {teaser}",
        "Share",
        "Download the app for breaking news alerts and live coverage.",
        ("© Newsline Today 2024",),
    ),
    Outlet(
        "capitalreport.com",
        "en",
        "{Place}, capitalreport.com -",
        "Read also: {teaser}",
        "Share via Email",
        "Follow us on Instagram @capitalreport for daily updates.",
        ("Copyright © 2024 Capital Report",),
    ),
)
PLACES = {
    "id": ("JAKARTA", "BANDUNG", "SURABAYA", "MEDAN", "MAKASSAR", "SEMARANG"),
    "en": ("LONDON", "NEW YORK", "WASHINGTON", "SYDNEY", "SINGAPORE"),
}
SPEAKERS = {
    "id": ("kata juru bicara itu.", "ujar seorang pejabat kepada wartawan.", "kata seorang saksi di lokasi."),
    "en": ("the spokesperson said.", "an official told reporters.", "a witness said at the scene."),
}


# --- the corpus ------------------------------------------------------------------------------


@dataclass
class Doc:
    id: str
    story: int
    lang: str
    kind: str  # original | copy | spun
    outlet: str
    lines: list[str]
    boilerplate: list[str] = field(default_factory=list)  # lines and spans the copying outlet added
    synonym_swaps: int = 0
    fallback_swaps: int = 0


@dataclass
class Story:
    index: int
    body: Body
    lines: list[str]  # the original as published (with quotes of another story when quoting)
    paragraphs: list[str]  # the original's article text (cleaned): what copies are made from
    quotes_from: int | None = None


def _group(lang: str) -> str:
    """Indonesian pages go to Indonesian outlets; every other language to the English ones."""
    return "id" if lang == "id" else "en"


def _swap(word: str, new: str) -> str:
    """`new` in place of the word, keeping its punctuation and capitalisation."""
    m = _AFFIX.fullmatch(word)
    assert m is not None
    pre, core, post = m.groups()
    if core[:1].isupper():
        new = new[:1].upper() + new[1:]
    return f"{pre}{new}{post}"


def _core(word: str) -> str:
    m = _AFFIX.fullmatch(word)
    return m.group(2).casefold() if m else word.casefold()


def _sentences(paragraphs: list[str], lo: int = 8, hi: int = 45) -> list[str]:
    return [s for p in paragraphs for s in _SENTENCE_END.split(p) if lo <= len(s.split()) <= hi]


def edit_words(paras: list[str], rate: float, vocab: list[str], rng: random.Random) -> list[str]:
    """Edit `rate` of the words: each edit replaces, deletes, or inserts a word of the corpus."""
    words = [p.split() for p in paras]
    positions = [(i, j) for i, ws in enumerate(words) for j in range(len(ws))]
    for i, j in sorted(rng.sample(positions, round(rate * len(positions))), reverse=True):
        op = rng.choice(("replace", "delete", "insert"))
        if op == "delete" and len(words[i]) > 1:
            del words[i][j]
        elif op == "insert":
            words[i].insert(j + 1, rng.choice(vocab))
        else:
            words[i][j] = _swap(words[i][j], rng.choice(vocab))
    return [" ".join(ws) for ws in words]


def spin_words(
    paras: list[str], rate: float, synonyms: dict[str, str], vocab: list[str], rng: random.Random
) -> tuple[list[str], int, int]:
    """Replace `rate` of the words: by a synonym where the map has one, else by another corpus word."""
    words = [p.split() for p in paras]
    positions = [(i, j) for i, ws in enumerate(words) for j in range(len(ws))]
    target = round(rate * len(positions))
    known = [pos for pos in positions if _core(words[pos[0]][pos[1]]) in synonyms]
    chosen = rng.sample(known, min(target, len(known)))
    n_syn = len(chosen)
    if len(chosen) < target:
        others = [pos for pos in positions if _core(words[pos[0]][pos[1]]) not in synonyms]
        chosen += rng.sample(others, min(target - len(chosen), len(others)))
    for i, j in chosen:
        core = _core(words[i][j])
        words[i][j] = _swap(words[i][j], synonyms.get(core) or rng.choice(vocab))
    return [" ".join(ws) for ws in words], n_syn, len(chosen) - n_syn


def headline(paragraphs: list[str], synonyms: dict[str, str], rng: random.Random) -> str:
    """A rewritten headline: a few words of the lede, some swapped, no closing full stop."""
    words = paragraphs[0].split()[: rng.randint(6, 11)]
    words = [
        _swap(w, synonyms[_core(w)]) if _core(w) in synonyms and rng.random() < 0.4 else w for w in words
    ]
    text = " ".join(w[:1].upper() + w[1:] for w in words)
    return text.rstrip(".,;:!?\"'”’ ")


def build_stories(bodies: list[Body], rules: Any, rng: random.Random) -> list[Story]:
    """The originals; 30 % of them quote 1-3 sentences of another story of the same language."""
    stories = [Story(i, b, list(b.lines), list(b.paragraphs)) for i, b in enumerate(bodies)]
    for story in stories:
        if rng.random() >= QUOTING_SHARE:
            continue
        peers = [
            s for s in stories if s.index != story.index and _group(s.body.lang) == _group(story.body.lang)
        ]
        source = rng.choice(peers)
        pool = _sentences(source.paragraphs)
        if not pool:
            continue
        speakers = SPEAKERS[_group(story.body.lang)]
        lines = story.lines
        for sentence in rng.sample(pool, min(len(pool), rng.randint(1, 3))):
            quote = f"“{sentence.rstrip('.')},” {rng.choice(speakers)}"
            lines.insert(rng.randint(1, max(1, len(lines) - 1)), quote)
        story.quotes_from = source.index
        story.paragraphs = clean_lines(lines, rules, title=None).paragraphs
    return stories


def make_copy(
    story: Story,
    j: int,
    outlet: Outlet,
    teasers: list[str],
    condition: str,
    vocab: list[str],
    struct_rng: random.Random,
    edit_rng: random.Random,
) -> Doc:
    """One outlet's copy of a story: boilerplate, dateline, cut, rewritten headline, word edits.

    Everything but the word edits comes from `struct_rng`, so a story's "copies" and "spun"
    copies differ only in those edits."""
    group = _group(story.body.lang)
    synonyms = SYNONYMS.get(story.body.lang, {})
    paras = list(story.paragraphs)
    total = sum(len(p.split()) for p in paras)
    cut = struct_rng.choice((0, 1, 2))
    while cut and (len(paras) - cut < 2 or sum(len(p.split()) for p in paras[-cut:]) > MAX_CUT_SHARE * total):
        cut -= 1
    paras = paras[: len(paras) - cut] if cut else paras
    title = headline(paras, synonyms, struct_rng)
    place = struct_rng.choice(PLACES[group])
    picks = struct_rng.sample(teasers, READ_ALSO_PER_PAGE)
    slots = sorted(struct_rng.sample(range(1, len(paras) + 1), min(READ_ALSO_PER_PAGE, len(paras))))
    if condition == "copies":
        paras = edit_words(paras, edit_rng.uniform(*EDIT_RATE), vocab, edit_rng)
        n_syn = n_fallback = 0
    else:
        paras, n_syn, n_fallback = spin_words(paras, edit_rng.uniform(*SPIN_RATE), synonyms, vocab, edit_rng)
    dateline = outlet.dateline.format(PLACE=place, Place=place.title())
    read_also = [outlet.read_also.format(teaser=t) for t in picks]
    paras[0] = f"{dateline} {paras[0]}"
    paras[-1] = paras[-1] + outlet.trail
    body: list[str] = []
    for k, p in enumerate(paras, start=1):
        body.append(p)
        body += [read_also[n] for n, slot in enumerate(slots) if slot == k]
    lines = [title, "", outlet.share, *body, outlet.follow, *outlet.footer]
    boiler = [dateline, outlet.share, *read_also[: len(slots)], outlet.follow, *outlet.footer]
    boiler += [outlet.trail.strip()] if outlet.trail else []
    return Doc(
        f"{story.index:03d}-{condition[0]}{j}",
        story.index,
        story.body.lang,
        "copy" if condition == "copies" else "spun",
        outlet.domain,
        lines,
        boiler,
        n_syn,
        n_fallback,
    )


def build_corpus(bodies: list[Body], seed: int = SEED) -> tuple[list[Story], dict[str, list[Doc]]]:
    """The stories and, per condition, the documents: every original and its copies."""
    rules = load_rules()
    vocab = corpus_real.vocabulary(bodies)
    rng = random.Random(seed)
    stories = build_stories(bodies, rules, rng)
    teasers: dict[str, list[str]] = {}
    for outlet in OUTLETS:
        pool = _sentences([p for s in stories if s.body.lang == outlet.lang for p in s.paragraphs])
        chosen = rng.sample(pool, TEASER_POOL)
        teasers[outlet.domain] = [headline([s], SYNONYMS[outlet.lang], rng) for s in chosen]
    docs: dict[str, list[Doc]] = {c: [] for c in CONDITIONS}
    for story in stories:
        original = Doc(
            f"{story.index:03d}-o", story.index, story.body.lang, "original", story.body.id, story.lines
        )
        group = _group(story.body.lang)
        n_copies = random.Random(f"{seed}:{story.index}:n").randint(*COPIES)
        outlets = random.Random(f"{seed}:{story.index}:o").sample(
            [o for o in OUTLETS if o.lang == group], n_copies
        )
        for condition in CONDITIONS:
            docs[condition].append(original)
            for j, outlet in enumerate(outlets):
                docs[condition].append(
                    make_copy(
                        story,
                        j,
                        outlet,
                        teasers[outlet.domain],
                        condition,
                        vocab[story.body.lang],
                        random.Random(f"{seed}:{story.index}:{j}:structure"),
                        random.Random(f"{seed}:{story.index}:{j}:{condition}"),
                    )
                )
    return stories, docs


# --- measurement -----------------------------------------------------------------------------


def _pairs(counts: np.ndarray) -> int:
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


def pair_metrics(truth: list[Any], pred: list[Any]) -> dict[str, float]:
    """Pairwise precision, recall, F1 and the adjusted Rand index (Hubert & Arabie) of a clustering."""
    t = np.unique(np.asarray(truth), return_inverse=True)[1].astype(np.int64)
    p = np.unique(np.asarray(pred), return_inverse=True)[1].astype(np.int64)
    n = t.size
    tp = _pairs(np.unique(t * (int(p.max()) + 1) + p, return_counts=True)[1])
    true_pairs, pred_pairs, total = _pairs(np.bincount(t)), _pairs(np.bincount(p)), n * (n - 1) // 2
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = true_pairs * pred_pairs / total if total else 0.0
    top = (true_pairs + pred_pairs) / 2
    ari = (tp - expected) / (top - expected) if top != expected else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": ari,
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "correct_pairs": tp,
    }


def texts_of(docs: list[Doc], mode: str, rules: Any) -> list[str]:
    """What gets shingled: the cleaner's paragraphs, as the pipeline joins them, or the raw page."""
    if mode == "raw":
        return ["\n".join(d.lines) for d in docs]
    return ["\n\n".join(clean_lines(d.lines, rules, title=None).paragraphs) for d in docs]


def _new_api(fn: Any) -> bool:
    """kliping's cluster step takes (ids, signature matrix) since it does its own banding;
    earlier it took a mapping of doc id to signature. The bench runs against either."""
    return "ids" in inspect.signature(fn).parameters


def candidates_of(ids: list[str], sigs: np.ndarray, threshold: float) -> set[tuple[str, str]]:
    """kliping's LSH candidate pairs with every document a query."""
    if _new_api(lsh_candidates):
        return set(lsh_candidates(ids, sigs, np.ones(len(ids), dtype=bool), threshold))
    return set(lsh_candidates({d: sigs[i] for i, d in enumerate(ids)}, ids, threshold, NUM_PERM))


def cross_story_candidates(ids: list[str], stories: list[int], sigs: np.ndarray, threshold: float) -> int:
    """LSH candidate pairs of different stories: work the exact check throws away."""
    story_of = dict(zip(ids, stories, strict=True))
    return sum(story_of[a] != story_of[b] for a, b in candidates_of(ids, sigs, threshold))


def run_cluster(
    ids: list[str], sets: list[U32Array], sigs: np.ndarray, threshold: float
) -> tuple[list[str], int]:
    """kliping's own cluster step on a fresh history: LSH candidates, exact Jaccard, union-find."""
    set_map = dict(zip(ids, sets, strict=True))
    docs = [DocInfo(d, None, None) for d in ids]
    signature_args: tuple[Any, ...] = (
        (ids, sigs) if _new_api(cluster) else ({d: sigs[i] for i, d in enumerate(ids)},)
    )
    extra = {} if _new_api(cluster) else {"num_perm": NUM_PERM}
    result = cluster(
        docs,
        *signature_args,
        lambda want: {d: set_map[d] for d in want},
        {},
        lambda _ids: {},
        {},
        threshold=threshold,
        **extra,
    )
    return [result.assignments[d].cluster_id for d in ids], result.candidate_pairs


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def jaccard_profile(
    docs: list[Doc], sets: list[U32Array], stories: list[Story], rng: random.Random
) -> dict[str, Any]:
    """Exact Jaccard of copy↔original pairs and of the hard negatives (a) and (b)."""
    index = {d.id: i for i, d in enumerate(docs)}
    by_story: dict[int, list[int]] = {}
    for i, d in enumerate(docs):
        by_story.setdefault(d.story, []).append(i)
    true = [
        jaccard(sets[i], sets[index[f"{d.story:03d}-o"]]) for i, d in enumerate(docs) if d.kind != "original"
    ]
    by_outlet: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        if d.kind != "original":
            by_outlet.setdefault(d.outlet, []).append(i)
    same_outlet = []
    for members in by_outlet.values():
        pairs = [
            (a, b) for n, a in enumerate(members) for b in members[n + 1 :] if docs[a].story != docs[b].story
        ]
        for a, b in rng.sample(pairs, min(len(pairs), 600)):
            same_outlet.append(jaccard(sets[a], sets[b]))
    quoting = [
        jaccard(sets[a], sets[b])
        for s in stories
        if s.quotes_from is not None
        for a in by_story[s.index]
        for b in by_story[s.quotes_from]
    ]

    def summary(values: list[float], qs: tuple[float, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {"pairs": len(values)}
        out.update({f"p{q:g}": _pct(values, q) for q in qs})
        return out

    return {
        "copy_to_original": summary(true, (0, 1, 5, 50)),
        "same_outlet_other_story": summary(same_outlet, (50, 99, 100)),
        "quoting_other_story": summary(quoting, (50, 99, 100)),
    }


def boilerplate_survival(docs: list[Doc], rules: Any) -> dict[str, Any]:
    """How many of the lines and spans the copying outlets added survive kliping's cleaner."""
    added = survived = 0
    survivors: Counter[str] = Counter()
    for d in docs:
        if not d.boilerplate:
            continue
        paragraphs = clean_lines(d.lines, rules, title=None).paragraphs
        for n, b in enumerate(d.boilerplate):
            added += 1
            if n == 0:  # the dateline opens the first paragraph
                left = any(p.startswith(b) for p in paragraphs)
            elif b == d.boilerplate[-1] and b.startswith("("):  # editor initials close the last one
                left = any(p.endswith(b) for p in paragraphs)
            else:
                left = b in paragraphs
            if left:
                survived += 1
                survivors[re.sub(r":.*", ": …", b)[:60]] += 1
    return {"added": added, "survived": survived, "top_survivors": survivors.most_common(8)}


def sweep(
    stories: list[Story], docs: dict[str, list[Doc]], sizes: tuple[int, ...], thresholds: tuple[float, ...]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rules = load_rules()
    rows: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    for condition in CONDITIONS:
        cdocs = docs[condition]
        ids = [d.id for d in cdocs]
        truth = [d.story for d in cdocs]
        langs = np.array([d.lang if d.lang in ("id", "en") else "other" for d in cdocs])
        for mode in MODES:
            texts = texts_of(cdocs, mode, rules)
            for size in sizes:
                sets = [shingle_hashes(t, size) for t in texts]
                sigs = signatures(sets, NUM_PERM)
                profiles[f"{condition}/{mode}/k{size}"] = jaccard_profile(
                    cdocs, sets, stories, random.Random(f"{SEED}:profile")
                )
                for threshold in thresholds:
                    started = time.perf_counter()
                    pred, candidates = run_cluster(ids, sets, sigs, threshold)
                    seconds = time.perf_counter() - started
                    row: dict[str, Any] = {
                        "condition": condition,
                        "mode": mode,
                        "shingle_size": size,
                        "threshold": threshold,
                    }
                    row.update(pair_metrics(truth, pred))
                    row["candidate_pairs"] = candidates
                    row["lsh_bands_rows"] = lsh_params(threshold, NUM_PERM)
                    if mode == "cleaned":
                        row["cross_story_candidates"] = cross_story_candidates(ids, truth, sigs, threshold)
                    row["cluster_seconds"] = round(seconds, 3)
                    row["by_language"] = {
                        lang: {
                            k: round(v, 4) if isinstance(v, float) else v
                            for k, v in pair_metrics(
                                [truth[i] for i in np.flatnonzero(langs == lang)],
                                [pred[i] for i in np.flatnonzero(langs == lang)],
                            ).items()
                            if k in ("precision", "recall", "f1", "ari")
                        }
                        for lang in ("id", "en", "other")
                        if (langs == lang).any()
                    }
                    rows.append(row)
            print(f"  measured {condition}/{mode}", file=sys.stderr, flush=True)
    return rows, profiles


def _meets(r: dict[str, Any]) -> bool:
    return bool(r["precision"] >= TARGET_PRECISION and r["recall"] >= TARGET_RECALL)


def hardest_negative(profiles: dict[str, Any], size: int) -> float:
    """The largest exact Jaccard of any hard-negative pair at this shingle size, cleaned or raw."""
    return max(
        float(profiles[f"{cond}/{mode}/k{size}"][kind]["p100"] or 0.0)
        for cond in CONDITIONS
        for mode in MODES
        for kind in ("same_outlet_other_story", "quoting_other_story")
    )


def recommend(rows: list[dict[str, Any]], profiles: dict[str, Any]) -> dict[str, Any]:
    """Pick the defaults from the sweep, by this rule.

    1. targets: precision >= 0.99 and recall >= 0.95 on cleaned copies (<= 5 % edits);
    2. robust: the same targets on raw copies too (an outlet whose boilerplate no rule knows);
    3. safe: threshold >= 2 x the hardest negative's Jaccard at that shingle size (unmodelled
       negatives such as templated articles are closer than ours), and LSH bands of >= 2 rows
       (one-row bands make a candidate of every pair sharing one min-hash value);
    4. among those, the best recall on cleaned spun copies; ties go to the higher threshold.
    """
    get = {(r["condition"], r["mode"], r["shingle_size"], r["threshold"]): r for r in rows}
    grid = sorted({(r["shingle_size"], r["threshold"]) for r in rows})
    targets = [g for g in grid if _meets(get[("copies", "cleaned", *g)])]
    robust = [g for g in targets if _meets(get[("copies", "raw", *g)])]
    safe = [
        (k, t)
        for k, t in robust
        if t >= NEGATIVE_MARGIN * hardest_negative(profiles, k) and lsh_params(t, NUM_PERM)[1] >= 2
    ]
    out: dict[str, Any] = {
        "rule": " ".join((recommend.__doc__ or "").split("\n\n", 1)[1].split()),
        "meets_targets": targets,
        "robust": robust,
        "safe": safe,
        "hardest_negative_jaccard": {k: hardest_negative(profiles, k) for k in sorted({g[0] for g in grid})},
    }
    pool = safe or robust or targets
    if pool:
        size, thr = max(pool, key=lambda g: (round(get[("spun", "cleaned", *g)]["recall"], 4), g[1]))
        out["shingle_size"], out["threshold"] = size, thr
        out["chosen_from"] = "safe" if safe else "robust" if robust else "meets_targets"
    for name, (size, thr) in (
        ("recommended", (out.get("shingle_size"), out.get("threshold"))),
        ("current_defaults", CURRENT_DEFAULTS),
    ):
        if ("copies", "cleaned", size, thr) not in get:
            continue
        out[name] = {"shingle_size": size, "threshold": thr}
        for cond in CONDITIONS:
            for mode in MODES:
                r = get[(cond, mode, size, thr)]
                out[name][f"{cond}/{mode}"] = {
                    k: round(r[k], 4) for k in ("precision", "recall", "f1", "ari")
                }
                out[name][f"{cond}/{mode}"]["by_language"] = r["by_language"]
    return out


def print_tables(rows: list[dict[str, Any]], sizes: tuple[int, ...], thresholds: tuple[float, ...]) -> None:
    get = {(r["condition"], r["mode"], r["shingle_size"], r["threshold"]): r for r in rows}
    head = "k \\ t " + "".join(f"{t:>13.1f}" for t in thresholds)
    for cond in CONDITIONS:
        for mode in MODES:
            for a, b in (("precision", "recall"), ("f1", "ari")):
                print(f"\n{cond} / {mode}: {a} / {b}")
                print(head)
                for size in sizes:
                    cells = "".join(
                        f"{get[(cond, mode, size, t)][a]:>7.3f}/{get[(cond, mode, size, t)][b]:.3f}"
                        for t in thresholds
                    )
                    print(f"k={size:<4}{cells}")


def corpus_stats(stories: list[Story], docs: dict[str, list[Doc]]) -> dict[str, Any]:
    spun = [d for d in docs["spun"] if d.kind == "spun"]
    swaps = sum(d.synonym_swaps + d.fallback_swaps for d in spun)
    return {
        "stories": len(stories),
        "stories_by_language": dict(Counter(s.body.lang for s in stories)),
        "quoting_stories": sum(s.quotes_from is not None for s in stories),
        "docs_per_condition": {c: len(v) for c, v in docs.items()},
        "copies_per_condition": {c: sum(d.kind != "original" for d in v) for c, v in docs.items()},
        "original_words_median": int(np.median([sum(len(p.split()) for p in s.paragraphs) for s in stories])),
        "spun_synonym_share": round(sum(d.synonym_swaps for d in spun) / swaps, 3) if swaps else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.syndication", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON results (default bench/out/syndication.json)"
    )
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_STORIES} stories instead of all (< 60 s)")
    args = ap.parse_args(argv)
    if not corpus_real.available():
        print(corpus_real.skip_message("bench.syndication"))
        return 0
    started = time.perf_counter()
    bodies = corpus_real.load_bodies()
    if args.quick:  # every Indonesian body, then English and others in a seeded order
        rest = [b for b in bodies if b.lang != "id"]
        random.Random(SEED).shuffle(rest)
        bodies = ([b for b in bodies if b.lang == "id"] + rest)[:QUICK_STORIES]
    stories, docs = build_corpus(bodies)
    stats = corpus_stats(stories, docs)
    rules = load_rules()
    stats["boilerplate_after_cleaning"] = {c: boilerplate_survival(docs[c], rules) for c in CONDITIONS}
    print(f"corpus: {json.dumps(stats, ensure_ascii=False)}", flush=True)
    rows, profiles = sweep(stories, docs, SHINGLE_SIZES, THRESHOLDS)
    print_tables(rows, SHINGLE_SIZES, THRESHOLDS)
    print(
        "\nexact Jaccard (cleaned): copy↔original p1 / p5 / median;"
        " hard negatives max (a) same outlet, (b) quoting"
    )
    for cond in CONDITIONS:
        for size in SHINGLE_SIZES:
            p, raw = profiles[f"{cond}/cleaned/k{size}"], profiles[f"{cond}/raw/k{size}"]
            true, a, b = p["copy_to_original"], p["same_outlet_other_story"], p["quoting_other_story"]
            print(
                f"  {cond:<7} k={size}: {true['p1']:.3f} / {true['p5']:.3f} / {true['p50']:.3f}"
                f"   (a) {a['p100']:.3f} [raw {raw['same_outlet_other_story']['p100']:.3f}]"
                f"   (b) {b['p100']:.3f} [raw {raw['quoting_other_story']['p100']:.3f}]"
            )
    print("\nLSH candidate pairs (cleaned copies): all / of different stories; true pairs", end=" ")
    get = {(r["condition"], r["mode"], r["shingle_size"], r["threshold"]): r for r in rows}
    print(get[("copies", "cleaned", SHINGLE_SIZES[0], THRESHOLDS[0])]["true_pairs"])
    print("k \\ t " + "".join(f"{t:>13.1f}" for t in THRESHOLDS))
    for size in SHINGLE_SIZES:
        cells = [get[("copies", "cleaned", size, t)] for t in THRESHOLDS]
        print(
            f"k={size:<4}"
            + "".join(f"{r['candidate_pairs']:>7d}/{r['cross_story_candidates']:<5d}" for r in cells)
        )
    rec = recommend(rows, profiles)
    print(f"\nrecommendation rule: {rec['rule']}")
    print(f"  meets targets: {rec['meets_targets']}")
    print(f"  robust:        {rec['robust']}")
    print(f"  safe:          {rec['safe']}")
    print(f"  hardest negative Jaccard per shingle size: {rec['hardest_negative_jaccard']}")
    for name in ("recommended", "current_defaults"):
        if name in rec:
            r = rec[name]
            print(f"  {name}: shingle_size={r['shingle_size']} threshold={r['threshold']}")
            for key in ("copies/cleaned", "spun/cleaned", "copies/raw", "spun/raw"):
                print(f"    {key:<15} {json.dumps({k: v for k, v in r[key].items() if k != 'by_language'})}")
            print(f"    by language (spun/cleaned): {json.dumps(r['spun/cleaned']['by_language'])}")
    elapsed = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": "python -m bench.syndication" + (" --quick" if args.quick else ""),
        "seed": SEED,
        "settings": {
            "shingle_sizes": SHINGLE_SIZES,
            "thresholds": THRESHOLDS,
            "num_perm": NUM_PERM,
            "copies_per_original": COPIES,
            "edit_rate": EDIT_RATE,
            "spin_rate": SPIN_RATE,
            "max_cut_share": MAX_CUT_SHARE,
            "quoting_share": QUOTING_SHARE,
            "targets": {"precision": TARGET_PRECISION, "recall": TARGET_RECALL},
        },
        "corpus": stats,
        "results": rows,
        "jaccard": profiles,
        "recommendation": rec,
        "seconds": round(elapsed, 1),
    }
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
