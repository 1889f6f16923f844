"""Corpus helpers for tests: made-up articles, and copies made the way outlets make them."""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "raw"

WORDS = """
pemerintah menteri presiden rakyat daerah kota desa jalan pasar harga beras minyak listrik air
sekolah guru murid rumah sakit dokter pasien polisi hakim jaksa kantor pajak bank uang rupiah
dolar ekspor impor kapal pelabuhan bandara pesawat kereta tol banjir gempa hujan kemarau panen
petani nelayan pabrik buruh gaji pekerja usaha kecil menengah koperasi investasi saham bursa
inflasi suku bunga anggaran belanja proyek jembatan bendungan irigasi pupuk subsidi bantuan
sosial keluarga anak ibu bapak warga kampung provinsi kabupaten gubernur bupati wali dewan
partai pemilu suara calon kampanye debat survei hasil laporan data angka naik turun tinggi
rendah besar baru lama cepat lambat kuat lemah ramai sepi aman
""".split()


def sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(n or rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def article_body(rng: random.Random, paragraphs: int = 8) -> list[str]:
    """Paragraphs of made-up Indonesian-looking prose: distinct per seed, never shared by chance."""
    return [" ".join(sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(paragraphs)]


OUTLET_STYLES = {
    # outlet domain: (dateline, read-also line, closing call to action)
    "kabarsatu.co.id": (
        "JAKARTA, kabarsatu.co.id –",
        "Baca Juga: {teaser}",
        "Ikuti berita terkini kabarsatu.co.id di Google News",
    ),
    "warta-nusantara.com": (
        "warta-nusantara.com –",
        "BACA JUGA: {teaser}",
        "Jangan lupa ikuti update berita lainnya di warta-nusantara.com.",
    ),
    "beritaku.id": (
        "SURABAYA, beritaku.id –",
        "Baca juga: {teaser}",
        "Simak berita lainnya di Google News beritaku.id",
    ),
}


def outlet_copy(
    body: list[str],
    outlet: str,
    rng: random.Random,
    *,
    cut: int = 0,
    edits: float = 0.0,
    title: str | None = None,
) -> str:
    """A republished copy: the outlet's dateline and boilerplate, the last `cut` paragraphs
    dropped, a share `edits` of words changed, optionally a rewritten headline."""
    dateline, read_also, cta = OUTLET_STYLES[outlet]
    paras = list(body[: len(body) - cut] if cut else body)
    if edits:
        edited = []
        for p in paras:
            words = p.split()
            for i in range(len(words)):
                if rng.random() < edits:
                    words[i] = rng.choice(WORDS)
            edited.append(" ".join(words))
        paras = edited
    paras[0] = f"{dateline} {paras[0]}"
    teaser = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
    paras.insert(min(2, len(paras)), read_also.format(teaser=teaser))
    lines = ([title, ""] if title else []) + paras + [cta]
    return "\n".join(lines) + "\n"
