"""build_article: how metadata and the text's own provenance lines combine."""

from __future__ import annotations

from datetime import UTC, datetime

from kliping.clean import load_rules
from kliping.pipeline import build_article
from kliping.records import Article, Extracted, InputKind, RawRecord

BODY = [
    "Penyerang anyar Persib Bandung bertekad memberikan penampilan terbaik saat menghadapi Arema di final turnamen.",
    "Pelatih mengatakan seluruh pemain dalam kondisi bugar dan siap bertanding pada Selasa malam di stadion utama.",
]


def extracted(lines: list[str], published: datetime | None, source: str | None) -> Extracted:
    record = RawRecord("x.html", None, InputKind.HTML, b"<html></html>")
    return Extracted(
        record, lines, "trafilatura", title="Judul", published_at=published, published_at_source=source
    )


def test_printed_time_refines_a_metadata_day() -> None:
    day = datetime(2016, 2, 22, 17, 0, tzinfo=UTC)  # 2016-02-23 00:00 WIB: metadata knew only the day
    lines = ["Bola | Kompas.com | Selasa, 23 Februari 2016 - 16:37", *BODY]
    art = build_article(extracted(lines, day, "metadata_date"), load_rules())
    assert isinstance(art, Article)
    assert art.published_at == datetime(2016, 2, 23, 9, 37, tzinfo=UTC)
    assert art.published_at_source == "header"


def test_printed_time_of_another_day_does_not_override_metadata() -> None:
    full = datetime(2016, 2, 20, 3, 0, tzinfo=UTC)
    lines = ["Bola | Kompas.com | Selasa, 23 Februari 2016 - 16:37", *BODY]
    art = build_article(extracted(lines, full, "metadata"), load_rules())
    assert isinstance(art, Article)
    assert art.published_at == full and art.published_at_source == "metadata"


def test_text_without_spaces_is_an_article_when_long_enough() -> None:
    japanese = "東京都は二十四日、新型の台風に備えて避難所を開設したと発表した。" * 8
    art = build_article(extracted([japanese], None, None), load_rules())
    assert isinstance(art, Article) and art.word_count < 20
