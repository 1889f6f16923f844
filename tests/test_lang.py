"""Language identification walks py3langid's automaton in NumPy: its answers must be py3langid's."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import py3langid
import py3langid.langid as langid_impl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kliping import lang

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [
    "Pemerintah mengumumkan kebijakan baru itu pada Senin pagi di Jakarta setelah rapat kabinet.",
    "Kerajaan Malaysia akan melaksanakan dasar baharu itu bermula bulan hadapan, kata menteri.",
    "The government announced the new policy on Monday morning after a long cabinet meeting.",
    "Die Regierung kündigte die neue Politik am Montagmorgen nach einer langen Kabinettssitzung an.",
    "Правительство объявило о новой политике в понедельник утром после долгого заседания.",
    "政府は長い閣議の後、月曜日の朝に新しい政策を発表した。",
    "أعلنت الحكومة عن السياسة الجديدة صباح الاثنين بعد اجتماع طويل لمجلس الوزراء.",
    "PEMERINTAH MENGUMUMKAN KEBIJAKAN BARU ITU PADA SENIN PAGI",
    "Le gouvernement a annoncé la nouvelle politique lundi matin 🙂 après une longue réunion.",
    "x",
    "",
    "12345 67890 !!! ???",
]


def _seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "raw").rglob("*.txt"))]


@pytest.mark.parametrize("text", SAMPLES + _seed_texts())
def test_answers_are_py3langids(text: str) -> None:
    for sample in (text, text[:400], text[:37]):
        assert lang.classify(sample) == py3langid.classify(sample)[0]


def test_a_batch_gets_each_texts_own_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts are walked side by side, padded after their ends: each must still get py3langid's
    answer for it alone, in a chunk with longer and shorter texts."""
    texts = [*SAMPLES, *_seed_texts(), *(t[:37] for t in SAMPLES), " ".join(SAMPLES)]
    expected = [py3langid.classify(t)[0] for t in texts]
    assert lang.classify_many(texts) == expected
    monkeypatch.setattr(lang, "_WALK_TEXTS", 3)
    assert lang.classify_many(texts[::-1]) == expected[::-1]
    assert lang.classify_many([]) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=80), max_size=8))
def test_batches_of_any_texts_answer_as_py3langid(texts: list[str]) -> None:
    assert lang.classify_many(texts) == [py3langid.classify(t)[0] for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=120))
def test_features_are_py3langids_for_any_text(text: str) -> None:
    """The vectorised walk finds the features py3langid's byte-by-byte walk finds, as often,
    in the order it first meets them (its scores sum them in that order)."""
    model = lang._load()
    assert model is not None
    ident = langid_impl._get_identifier()
    data = ident._encode(text)
    assert lang.encode(text) == data
    idx, counts = lang.features(model, data)
    reference = (
        langid_impl.visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, data) or Counter()
    )
    assert list(idx) == list(reference)
    assert [int(c) for c in counts] == list(reference.values())
    assert lang.classify(text) == py3langid.classify(text)[0]


def test_scores_match_on_longer_texts() -> None:
    model = lang._load()
    assert model is not None
    for text in [*_seed_texts(), " ".join(SAMPLES)]:
        ours = lang.scores(model, text)
        theirs = langid_impl._get_identifier()._decide(text)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


def test_falls_back_to_py3langid_when_its_model_is_kept_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lang, "_load", lambda: None)
    assert lang.classify(SAMPLES[2]) == py3langid.classify(SAMPLES[2])[0] == "en"


def test_model_cache_gives_the_same_model_and_a_bad_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers map the model from kliping's cache (1 ms instead of 1.1 s); it must be the model
    py3langid's own gives, and a cache that cannot be read is rebuilt, not fatal."""
    monkeypatch.setenv("KLIPING_CACHE_DIR", str(tmp_path / "cache"))
    cache = lang.cache_file()
    assert cache is not None and cache.parent == tmp_path / "cache"

    def fresh() -> lang._Model:
        monkeypatch.setattr(lang, "_model", None)
        model = lang._load()
        assert model is not None
        return model

    built = lang._from_py3langid()
    older = cache.with_name(cache.name.rsplit("-v", 1)[0] + "-v2.npz")
    older.parent.mkdir()
    older.write_bytes(b"this model in an older format")
    first = fresh()  # no cache yet: built and written, the older one gone
    assert cache.is_dir() and [p.name for p in cache.parent.iterdir()] == [cache.name]
    cached = fresh()  # read from the cache
    assert cached is not first
    assert isinstance(cached.nextmove.base, np.memmap)  # mapped, not read
    assert not cached.weights.flags.writeable
    for model in (first, cached):
        for name in ("nextmove", "rowbase", "output", "weights", "priors"):
            np.testing.assert_array_equal(getattr(model, name), getattr(built, name))
            assert getattr(model, name).dtype == getattr(built, name).dtype
        assert (model.classes, model.alias_pairs) == (built.classes, built.alias_pairs)
    for text in SAMPLES:
        assert lang.classify(text) == py3langid.classify(text)[0]

    (cache / "weights.npy").write_bytes(b"not an array")  # a damaged cache
    assert fresh().classes == built.classes
    assert lang._read_cache(cache) is not None  # written again
    (cache / "weights.npy").unlink()  # a file missing
    assert fresh().classes == built.classes
    assert lang._read_cache(cache) is not None
    shutil.rmtree(cache)
    cache.write_bytes(b"a file where the cache's folder would be")
    assert fresh().classes == built.classes
    assert cache.is_dir() and lang._read_cache(cache) is not None
    monkeypatch.setenv("KLIPING_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("a file where the folder would be")
    assert fresh().classes == built.classes  # no cache can be written: the model is still built
