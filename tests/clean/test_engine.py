"""Engine behaviours: wire tags, provenance fields, link lists, islands, titles, glued spans.

The texts here are made up for the tests, in the shapes the outlets print.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kliping.clean import Cleaned, clean_lines, load_rules
from kliping.clean.engine import LINK_LIST_RULE, TAIL_ISLAND_RULE, TITLE_REPEAT_RULE, site_free_title
from kliping.clean.rules import RulePackError

RULES = load_rules()
LEDE = "Pemerintah mengumumkan kebijakan baru itu pada Senin pagi di Jakarta setelah rapat kabinet panjang."
BODY = [
    LEDE,
    "Menurut menteri, aturan itu berlaku mulai bulan depan untuk semua pelaku usaha kecil di daerah.",
    "“Kami sudah menyiapkan petunjuk teknisnya sejak awal tahun,” kata menteri kepada wartawan di kantornya.",
    "Sejumlah asosiasi pengusaha menyambut baik keputusan itu, meskipun meminta masa transisi yang lebih panjang.",
]


def rules_of(cleaned: Cleaned) -> list[str]:
    return [r["rule"] for r in cleaned.removed]


# --- wire agencies: a field, never a removal of content --------------------------------------


@pytest.mark.parametrize(
    ("sentence", "wire"),
    [
        ("Seperti dikutip dari AFP, Kamis (31/10/2024), kedua negara memperdalam kerja sama militer.", "AFP"),
        ("Dilansir Reuters, juru bicara kementerian mengatakan pasokan akan pulih pekan depan.", "Reuters"),
        ("“Stok beras aman,” kata Kepala Bulog kepada ANTARA di Jakarta, Senin.", "Antara"),
        ("“Kami khawatir,” Agence France-Presse mengutip pernyataan juru bicara Pentagon.", "AFP"),
        ("The minister told Reuters the talks would resume next week.", "Reuters"),
        ("The Associated Press reported that three people died in the fire.", "AP"),
    ],
)
def test_wire_named_in_a_sentence_is_tagged_and_the_sentence_stays(sentence: str, wire: str) -> None:
    cleaned = clean_lines([*BODY[:2], sentence, *BODY[2:]], RULES, title="x")
    assert cleaned.fields.get("wire") == wire
    assert sentence in cleaned.paragraphs
    assert cleaned.removed == []


def test_wire_in_a_dateline_becomes_wire_and_the_dateline_a_column() -> None:
    cleaned = clean_lines(["Jakarta (ANTARA) - " + LEDE, *BODY[1:]], RULES, title="x")
    assert cleaned.fields["wire"] == "Antara"
    assert cleaned.fields["dateline"] == "Jakarta (ANTARA) -"
    assert cleaned.paragraphs[0] == LEDE


def test_wire_credited_on_a_closing_line_is_moved_into_the_field() -> None:
    cleaned = clean_lines([*BODY, "ANTARA"], RULES, title="x")
    assert cleaned.fields["wire"] == "Antara"
    assert cleaned.paragraphs == BODY
    assert rules_of(cleaned) == ["id.wire_credit_line"]


def test_wire_closing_a_paragraph_is_tagged_without_removal() -> None:
    last = "Serangan itu menewaskan sedikitnya 12 orang di Gaza pada Selasa malam. (AFP)"
    cleaned = clean_lines([*BODY, last], RULES, title="x")
    assert cleaned.fields["wire"] == "AFP"
    assert last in cleaned.paragraphs


@pytest.mark.parametrize(
    "sentence",
    [
        "Penyanyi itu memeluk sahabatnya di karpet merah, Senin (15/2). (REUTERS / Danny Moloshok)",
        "Bantuan dibagikan kepada antara 500 hingga 700 keluarga di tiga kecamatan, kata camat.",
        "Antara lain, pemerintah menyiapkan dana Rp 5 triliun untuk program itu tahun depan.",
        "Ia mengutip pernyataan presiden dalam pidatonya di depan parlemen, Selasa.",
    ],
)
def test_no_wire_from_photo_credits_or_common_words(sentence: str) -> None:
    cleaned = clean_lines([*BODY, sentence], RULES, title="x")
    assert "wire" not in cleaned.fields
    assert sentence in cleaned.paragraphs


def test_wire_is_not_read_from_removed_boilerplate() -> None:
    """A read-also link about a wire story says nothing about this story's source."""
    cleaned = clean_lines(
        [*BODY[:2], "Baca Juga: Dilansir Reuters, Harga Minyak Naik", *BODY[2:]], RULES, title="x"
    )
    assert "wire" not in cleaned.fields


def test_first_wire_in_text_order_wins() -> None:
    cleaned = clean_lines(
        [
            "Jakarta (ANTARA) - " + LEDE,
            "Seperti dikutip dari Reuters, harga minyak naik dua persen pada Senin.",
            *BODY[1:],
        ],
        RULES,
        title="x",
    )
    assert cleaned.fields["wire"] == "Antara"


# --- read-also links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Baca Juga: Polisi Tangkap Dua Pelaku Pencurian Motor",
        "Baca juga",
        "BACA JUGA:",
        "Baca: Harga Emas Turun Lagi",
        "Lihat Juga: Video Banjir di Jakarta Utara",
        "Simak Juga: Jadwal Timnas Pekan Ini",
        'Simak Video "Detik-detik Banjir Bandang"',
        "Read also: Indonesia raises interest rates",
        "Also read: Floods hit Jakarta",
        "Related: Jokowi visits Papua",
    ],
)
def test_read_also_in_every_spelling_is_removed(line: str) -> None:
    cleaned = clean_lines([*BODY[:2], line, *BODY[2:]], RULES, title="x")
    assert cleaned.paragraphs == BODY
    assert [r["text"] for r in cleaned.removed] == [line]


@pytest.mark.parametrize(
    "line",
    [
        "“Baca juga peraturan itu dengan teliti,” kata menteri kepada wartawan di Jakarta, Selasa.",
        "Ia berkata, “Baca juga aturan turunannya sebelum mendaftar,” sambil menunjukkan dokumen itu.",
        "Baca juga peraturan itu dengan teliti, kata menteri kepada wartawan di Jakarta.",
    ],
)
def test_read_also_inside_a_sentence_is_content(line: str) -> None:
    cleaned = clean_lines([*BODY[:2], line, *BODY[2:]], RULES, title="x")
    assert line in cleaned.paragraphs
    assert cleaned.removed == []


# --- provenance lines become fields -------------------------------------------------------------


def test_author_and_editor_lines_become_fields() -> None:
    lines = [*BODY, "| Penulis | : Kontributor Lhokseumawe, Masriadi |", "| Editor | : Ervan Hardoko |"]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.fields["author"] == "Masriadi"
    assert cleaned.fields["editor"] == "Ervan Hardoko"
    assert cleaned.paragraphs == BODY


@pytest.mark.parametrize(
    ("line", "author", "editor"),
    [
        ("Penulis: Tri Wahyuni | Editor: Kurniasih Budi", "Tri Wahyuni", "Kurniasih Budi"),
        ("Pewarta: Desi Purnamawati", "Desi Purnamawati", None),
        ("Reporter : Bayu Septianto", "Bayu Septianto", None),
        ("| Redaktur | : | Mohamad Amin Madani |", None, "Mohamad Amin Madani"),
        ("Editor: Ade Marboen", None, "Ade Marboen"),
        ("By Jane Doe and John Roe", "Jane Doe and John Roe", None),
    ],
)
def test_credit_lines(line: str, author: str | None, editor: str | None) -> None:
    cleaned = clean_lines([*BODY, line], RULES, title="x")
    assert cleaned.fields.get("author") == author
    assert cleaned.fields.get("editor") == editor
    assert cleaned.paragraphs == BODY


def test_a_name_in_capitals_closing_the_text_is_the_author() -> None:
    lines = [
        *BODY,
        "DINI TEJA",
        "Disclaimer : Komentar adalah tanggapan pribadi, tidak mewakili kebijakan redaksi.",
    ]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.fields["author"] == "Dini Teja"
    assert cleaned.paragraphs == BODY


def test_republishing_notice_and_source_trailer_become_declared_source() -> None:
    cleaned = clean_lines(
        [*BODY, 'Artikel ini telah tayang di Kompas.com dengan judul "Kebijakan Baru"'], RULES
    )
    assert cleaned.fields["declared_source"] == "Kompas.com"
    cleaned = clean_lines([*BODY, "Sumber: Reuters"], RULES, title="x")
    assert cleaned.fields["declared_source"] == "Reuters"
    assert cleaned.fields["wire"] == "Reuters"


def test_initials_on_their_own_line_and_closing_the_text_are_removed() -> None:
    cleaned = clean_lines([*BODY, "(kpl/pur/tch)"], RULES, title="x")
    assert cleaned.paragraphs == BODY
    cleaned = clean_lines([*BODY[:-1], BODY[-1] + " (Cas/Isk)"], RULES, title="x")
    assert cleaned.paragraphs == BODY


# --- lists of other articles, widgets, islands ------------------------------------------------------


def teaser_cards(n: int) -> list[str]:
    out = []
    for i in range(n):
        out += [
            "-",
            f"Judul Berita Lain Nomor {i + 1} Tentang Banjir",
            f"Ringkasan singkat berita nomor {i + 1}.",
        ]
    return out


def test_teaser_cards_after_bare_bullets_are_a_link_list() -> None:
    lines = [*BODY, "BERITA LAINNYA", *teaser_cards(4), "More Stories"]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.paragraphs == BODY
    assert rules_of(cleaned).count(LINK_LIST_RULE) == 12


def test_a_list_in_the_text_is_kept() -> None:
    items = [
        f"- Langkah {i}: warga diminta mengecek saluran air di sekitar rumah masing-masing." for i in range(4)
    ]
    cleaned = clean_lines([*BODY, *items], RULES, title="x")
    assert cleaned.paragraphs == [*BODY, *items]


def test_two_bullets_are_no_link_list() -> None:
    lines = [*BODY, *teaser_cards(2)]
    cleaned = clean_lines(lines, RULES, title="x")
    assert LINK_LIST_RULE not in rules_of(cleaned)


def test_related_items_with_dates_and_times_on_two_lines() -> None:
    lines = [
        *BODY,
        "Kamis, 05/11/2015 10:08 WIB",
        "Pengguna Bitcoin Anonim, Tapi Masih Bisa Dilacak",
        "Selasa, 23 Februari 2016 Kebakaran di Bukit Duri",
    ]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.paragraphs == BODY
    assert rules_of(cleaned) == ["id.list_timestamp", "id.list_timestamp", "id.related_item"]


def test_a_widget_between_a_link_list_and_the_closing_boilerplate_is_an_island() -> None:
    lines = [
        *BODY,
        *teaser_cards(3),
        "Indonesia Darurat 4G?",
        "Kalau bukan sekarang, kapan lagi? Layanan 4G akhirnya dikomersialkan di Indonesia tahun ini.",
        "-",
        "Sabtu, 31/10/2015 13:28 WIB",
        "Pulang dari Silicon Valley, Ini Oleh-oleh Menteri",
    ]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.paragraphs == BODY
    assert rules_of(cleaned).count(TAIL_ISLAND_RULE) == 2


def test_the_last_paragraph_is_no_island_without_a_link_list_before_it() -> None:
    last = "Pemerintah berjanji mengevaluasi aturan itu setelah enam bulan berjalan, kata menteri."
    lines = [
        *BODY,
        "Baca Juga: A",
        "Baca Juga: B",
        "Baca Juga: C",
        last,
        "Tags: banjir",
        "share",
        "Topik Menarik",
    ]
    cleaned = clean_lines(lines, RULES, title="x")
    assert cleaned.paragraphs == [*BODY, last]


def test_widgets_glued_to_the_last_paragraph_are_cut_after_its_last_sentence() -> None:
    last = "Penyanyi itu memeluk sahabatnya di karpet merah, Senin (15/2). (REUTERS / Danny Moloshok)"
    glued = last + " Grammy Awards 2016 Taylor Swift Rate artikel ini Like (0) Related News Lady Gaga Tampil"
    cleaned = clean_lines([*BODY, glued], RULES, title="x")
    assert cleaned.paragraphs == [*BODY, last]


# --- the head of the text: dates, sections, titles -------------------------------------------------


def test_printed_date_above_the_body_becomes_published() -> None:
    lines = ["Home >", "Berita", "Selasa, 23 Februari 2016, 17:15 WIB", *BODY]
    cleaned = clean_lines(lines, RULES, title="Judul Berita Tentang Kebijakan Baru")
    assert cleaned.fields["published"] == "Selasa, 23 Februari 2016, 17:15 WIB"
    assert cleaned.paragraphs == BODY


def test_title_repeat_behind_a_kicker_is_removed() -> None:
    title = "KPK Periksa Pejabat Mahkamah Agung yang Tertangkap"
    cleaned = clean_lines([f"In Picture: {title}", *BODY], RULES, title=title)
    assert cleaned.paragraphs == BODY
    assert rules_of(cleaned) == [TITLE_REPEAT_RULE]


@pytest.mark.parametrize(
    ("title", "url", "clean"),
    [
        (
            "Samsul Arif Tak Beban Lawan Arema - Kompas.com",
            "http://bola.kompas.com/read/1",
            "Samsul Arif Tak Beban Lawan Arema",
        ),
        (
            "Marcella Promo Pariwisata Lewat Film | Republika Online",
            "",
            "Marcella Promo Pariwisata Lewat Film",
        ),
        (
            "KapanLagi.com: Musik - Bikin Gaduh Kota, Rumah Penyanyi Digrebek",
            "",
            "Bikin Gaduh Kota, Rumah Penyanyi Digrebek",
        ),
        (
            "Jamaah Haji Ikuti Pemeriksaan Kesehatan | ihram.co.id",
            "",
            "Jamaah Haji Ikuti Pemeriksaan Kesehatan",
        ),
        ("AS: 3.000 Tentara Korut Dikerahkan ke Rusia", "", "AS: 3.000 Tentara Korut Dikerahkan ke Rusia"),
        (
            "Suara Rakyat: Jokowi Harus Mundur Sekarang Juga",
            "",
            "Suara Rakyat: Jokowi Harus Mundur Sekarang Juga",
        ),
        (
            "Ini 7 Alasan Mengapa Orang Malas Bergerak | Tempo Gaya",
            "http://gaya.tempo.co/read/news/1",
            "Ini 7 Alasan Mengapa Orang Malas Bergerak",
        ),
        (
            "Bubonic plague: Third case in China – 'The plague is coming'",
            "",
            "Bubonic plague: Third case in China – 'The plague is coming'",
        ),
    ],
)
def test_site_name_around_a_title_is_dropped_only_when_it_names_a_site(
    title: str, url: str, clean: str
) -> None:
    assert site_free_title(title, RULES, url) == clean


def test_title_byline_and_share_bar_glued_to_the_lede() -> None:
    title = "Hadiri Pesta Musik, Dua Penyanyi Saling Berpelukan"
    glued = f"{title} By Arny Christika Putri on 16 Feb 2016 at 09:09 WIB 17Shares / Facebook Twitter Google+ Email Copy Link {LEDE}"
    cleaned = clean_lines([glued, *BODY[1:]], RULES, title=title)
    assert cleaned.paragraphs == BODY
    assert cleaned.fields["author"] == "Arny Christika Putri"
    assert rules_of(cleaned) == [TITLE_REPEAT_RULE, "en.byline_lead", "id.share_lead"]


def test_a_lede_that_starts_like_the_title_keeps_its_words() -> None:
    title = "Pemerintah Mengumumkan Kebijakan Baru"
    cleaned = clean_lines(BODY, RULES, title=title)
    assert cleaned.paragraphs == BODY


# --- packs: fragments, wires, tag rules ---------------------------------------------------------------


def write_pack(tmp_path: Path, body: str) -> str:
    pack = tmp_path / "mine.toml"
    pack.write_text('[pack]\nname = "mine"\nversion = "1"\n' + body, encoding="utf-8")
    return str(pack)


def test_user_pack_can_add_a_wire_and_use_fragments(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path,
        '[wires]\n"Kantor Berita Contoh" = "Contoh"\n'
        "[patterns]\nverb = '''diwartakan|disiarkan'''\n"
        '[[rule]]\nid = "mine.wire"\naction = "tag"\n'
        "pattern = '''(?:<<verb>>)\\s+(?P<wire><<wires>>)'''\n"
        'match = ["Berita itu diwartakan Kantor Berita Contoh pada Senin."]\n',
    )
    rules = load_rules((pack,))
    cleaned = clean_lines([*BODY, "Berita itu diwartakan Kantor Berita Contoh pada Senin."], rules, title="x")
    assert cleaned.fields["wire"] == "Contoh"
    assert len(cleaned.paragraphs) == len(BODY) + 1


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("id = \"x\"\npattern = '''<<nope>>'''", "unknown fragment"),
        ("id = \"x\"\naction = \"tag\"\npattern = '''AFP'''", "needs a named group"),
        (
            "id = \"x\"\naction = \"tag\"\nscope = \"tail\"\npattern = '''(?P<wire>AFP)'''",
            "searches whole paragraphs",
        ),
        ("id = \"x\"\nscope = \"middle\"\npattern = '''x'''", "scope"),
    ],
)
def test_bad_rules_are_refused_with_their_names(tmp_path: Path, rule: str, message: str) -> None:
    pack = write_pack(tmp_path, "[[rule]]\n" + rule + "\n")
    with pytest.raises(RulePackError, match=message):
        load_rules((pack,))


def test_clean_lines_keeps_its_signature() -> None:
    cleaned = clean_lines(["Judul Berita yang Cukup Panjang", "", *BODY], RULES)
    assert isinstance(cleaned, Cleaned)
    assert cleaned.title == "Judul Berita yang Cukup Panjang"
    assert cleaned.paragraphs == BODY
    assert set(cleaned.fields) <= {
        "author",
        "editor",
        "outlet",
        "published",
        "declared_source",
        "dateline",
        "wire",
    }


def test_line_screens_remembered_across_articles_follow_each_articles_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A line's candidate rules and screen are remembered across articles by the rules each
    article lets through (`RuleSet.let_through`, `RuleSet.screen_for`): an article without a rule's `requires_text`
    does not lend its screen to one that has it, and the answers stay the same however small
    the memory (emptied when full)."""
    from kliping.clean import rules as rules_module

    body = [
        "Pemerintah mengumumkan kebijakan baru untuk menstabilkan harga beras di pasar tradisional "
        "pada Senin pagi, kata juru bicara kementerian kepada wartawan di Jakarta.",
        "Kebijakan itu berlaku mulai bulan depan dan akan dievaluasi setiap tiga bulan sekali.",
    ]
    follow = "Ikuti berita terkini dari Sindonews di Google News"
    articles = [
        # no rule's required text, and a line as long as the one removed below (the same step)
        [*body, "Harga beras naik di dua kota besar pada Senin pagi"],
        [*body, follow],  # id.follow_call's required text, and the line it removes
        [*body, "Bagikan artikel ini kepada teman anda sekarang juga"],
        [follow, *body],
    ] * 3

    def run(max_entries: int) -> list[Cleaned]:
        monkeypatch.setattr(rules_module, "_SCREEN_CACHE_MAX", max_entries)
        fresh = load_rules.__wrapped__(())  # a RuleSet of its own: an empty memory
        return [clean_lines(lines, fresh, title="Judul berita") for lines in articles]

    assert len(articles[0][-1]) == len(follow)
    plenty, tiny = run(4096), run(1)
    assert [(c.paragraphs, c.removed) for c in plenty] == [(c.paragraphs, c.removed) for c in tiny]
    for lines, cleaned in zip(articles, plenty, strict=True):
        removed_follow = any(r["text"] == follow and r["rule"] == "id.follow_call" for r in cleaned.removed)
        assert removed_follow == (follow in lines)
        assert follow not in cleaned.paragraphs


@pytest.mark.parametrize("gated_first", [True, False])
def test_rules_with_required_text_keep_their_place_among_a_lines_candidates(
    tmp_path: Path, gated_first: bool
) -> None:
    """Rules with `requires_text` are tried apart from the line screen, on the lines that hold
    one of their strings (`RuleSet.needle_split`): the first rule in the packs' order still
    wins a line both match, in the body and in the head, and the others are untouched."""
    gated = (
        '[[rule]]\nid = "t.gated"\nscope = "line"\n'
        "pattern = '''.{0,40}\\bpromo\\b.*'''\nrequires_text = [\"promo\"]\nmatch = [\"Diskon promo hari ini\"]\n"
    )
    plain = "[[rule]]\nid = \"t.plain\"\nscope = \"line\"\npattern = '''diskon .*'''\nmatch = [\"Diskon besar\"]\n"
    head = (
        "[[rule]]\nid = \"t.head\"\nscope = \"head\"\npattern = '''kanal .*'''\nmatch = [\"Kanal promo\"]\n"
    )
    pack = tmp_path / "t.toml"
    rules_text = (gated + plain) if gated_first else (plain + gated)
    pack.write_text('[pack]\nname = "t"\nversion = "1"\n' + head + rules_text, encoding="utf-8")
    rules = load_rules((str(pack),), include_builtin=False)
    lines = ["Kanal promo", "Diskon promo di kepala", LEDE, "Diskon promo hari ini", "Diskon besar", "Promo",
             "Harga promo naik", "Diskon"]  # fmt: skip
    removed = clean_lines(lines, rules, title="Judul berita hari ini").removed
    both = "t.gated" if gated_first else "t.plain"
    assert removed == [
        {"rule": "t.head", "text": "Kanal promo"},  # a head rule before the line rules
        {"rule": both, "text": "Diskon promo di kepala"},
        {"rule": both, "text": "Diskon promo hari ini"},
        {"rule": "t.plain", "text": "Diskon besar"},
        {"rule": "t.gated", "text": "Promo"},
        {"rule": "t.gated", "text": "Harga promo naik"},
    ]
