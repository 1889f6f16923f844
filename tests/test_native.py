"""The compiled kernels (kliping.native) agree bit for bit with the NumPy code they replace."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kliping import extract, native
from kliping.syndication import shingles as sh
from kliping.syndication import signatures as sg

CODE_POINTS = 0x110000


@pytest.fixture(scope="module")
def lib() -> object:
    found = native.library()
    if found is None:
        if os.environ.get("KLIPING_NATIVE") == "0":
            pytest.skip("compiled kernels turned off (KLIPING_NATIVE=0)")
        pytest.fail(f"the compiled kernels are not built ({native.LIBRARY_PATH}): run `make install`")
    return found


def _numpy(texts: list[str], size: int, num_perm: int, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(native, "library", lambda: None)
        flat, counts = sh.shingle_hashes_many(texts, size)
        return flat, counts, sg.signatures_of_flat(flat, counts, num_perm, 7)


def test_fold_table_is_str_casefold_of_every_code_point(lib: object) -> None:
    fold, expand, _ = sh.fold_tables()
    rows = expand.reshape(-1, 3)
    mismatched = []
    for cp in range(CODE_POINTS):
        f = int(fold[cp])
        got = "".join(chr(c) for c in rows[f & ~native.FOLD_MANY] if c) if f & native.FOLD_MANY else chr(f)
        if got != chr(cp).casefold():
            mismatched.append(cp)
    assert mismatched == []
    assert rows.shape[0] > 50  # 'ß' → 'ss' and the like are there, not folded to one
    assert int(fold[ord("ß")]) & native.FOLD_MANY


def test_word_table_is_the_tokenizers_word_characters(lib: object) -> None:
    word = sh.fold_tables()[2]
    w = re.compile(r"\w")
    expected = np.fromiter((w.fullmatch(chr(cp)) is not None for cp in range(CODE_POINTS)), dtype=bool)
    assert np.array_equal(word.astype(bool), expected)


PIECES = st.sampled_from(
    ["Jakarta", "ANTARA", " ", "  ", "\n", ".", ",", "-", "ß", "STRASSE", "ǰ", "ﬃ", "İ", "ΐ", "Σίσυφος",
     "𐐀𐐁", "😀", "ǅ", "_", "x2", "\x00", "\ud800", "ʼn", "ﬀ", "ᾈ", "'", "’", "٣", "中文"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=25).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, max_size=8), size=st.integers(1, 5))
@example(texts=["", "ß", "a b c d", "straße STRASSE"], size=3)
@example(texts=["ﬃ ﬃ ﬃ ﬃ"], size=2)
def test_kernels_hash_and_sign_as_numpy_does(
    lib: object, texts: list[str], size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    flat, counts = sh.shingle_hashes_many(texts, size)
    expected = _numpy(texts, size, 16, monkeypatch)
    assert np.array_equal(counts, expected[1])
    assert np.array_equal(flat, expected[0])
    assert np.array_equal(sg.signatures_of_flat(flat, counts, 16, 7), expected[2])


def test_kernels_on_real_lengths_agree_with_numpy(lib: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts of hundreds of words, in groups larger than one kernel call takes."""
    rng = np.random.default_rng(5)
    vocab = ["pemerintah", "Jakarta", "mengumumkan", "kebijakan", "BARU", "itu,", "pada", "Senin", "—", "ß"]
    texts = [" ".join(rng.choice(vocab, size=int(rng.integers(0, 900)))) for _ in range(120)]
    flat, counts = sh.shingle_hashes_many(texts, 3)
    expected = _numpy(texts, 3, 128, monkeypatch)
    assert np.array_equal(flat, expected[0]) and np.array_equal(counts, expected[1])
    assert np.array_equal(sg.sign_texts(texts, 3, 128, 7), expected[2])


def test_the_bindings_refuse_arrays_the_kernels_would_misread(lib: object) -> None:
    a, b = sg.permutations(8, 1)
    with pytest.raises(TypeError):
        native.sign(lib, np.arange(4, dtype=np.int64), np.array([4]), a, b)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        native.sign(lib, np.arange(8, dtype=np.uint32)[::2], np.array([4]), a, b)  # a strided view
    with pytest.raises(ValueError):
        native.sign(lib, np.arange(4, dtype=np.uint32), np.array([5]), a, b)  # sizes beyond the hashes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(TEXT, st.text(min_size=300, max_size=900)), min_size=1, max_size=20))
@example(texts=["", "a", "Pemerintah mengumumkan kebijakan baru itu pada Senin pagi.", "ß" * 500])
def test_language_walk_scores_as_numpy_does(
    lib: object, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kliping import lang

    model = lang._load()
    assert model is not None and lang._fits_kernel(model)  # the kernel is what is compared
    data = [lang.encode(t) for t in texts]
    got = lang._chunk_scores(model, data)
    with monkeypatch.context() as m:
        m.setattr(native, "library", lambda: None)
        expected = lang._chunk_scores(model, data)
    assert np.array_equal(got, expected)  # bit for bit: the same products in the same order


def test_a_model_with_tables_out_of_range_is_walked_by_numpy(lib: object) -> None:
    """The C walk reads wherever the tables point; a model whose tables point outside them
    (a damaged cache) is never given to it."""
    from dataclasses import replace

    from kliping import lang

    model = lang._load()
    assert model is not None
    output = model.output.copy()
    output[5] = len(model.weights)  # a feature beyond the weights
    nextmove = model.nextmove.copy()
    nextmove[7] = model.rowbase.size  # a state beyond the rows
    rowbase = model.rowbase.copy()
    rowbase[3] = model.nextmove.size  # a row beyond the moves
    for bad in (
        replace(model, output=output),
        replace(model, nextmove=nextmove),
        replace(model, rowbase=rowbase),
    ):
        assert not lang._fits_kernel(bad)


TAG_PIECES = st.sampled_from(
    ["<", ">", "<a", "<B", "<1", '"', "'", " ", "  ", "=", "x", "v=1", "é", "\u00a0", "\u3000", "\x1c", "\t",
     "`", "\ud800", "😀", "中", "\n", "a b", '"q r"', "'s'"]
)  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(TAG_PIECES, max_size=40), need=st.integers(1, 6))
@example(pieces=["<a", " ", "b", " ", "c"], need=1)  # 2 names, one more than `need`
@example(pieces=["<a", "\u3000", "b", "\u3000", "c"], need=1)  # the same, Unicode spaces
@example(pieces=["<a", "=", "b", "=", "c", " "], need=1)  # 'a b c': '=' separates
@example(pieces=["<a", " ", "b", " "], need=1)  # one name: no candidate
@example(pieces=["<a", "=1", "`b", "=1", "`c"], need=1)  # 'a `b `c': a value ends at "`"
@example(pieces=["<a", "\x1c", "b", "\x1f", "c"], need=1)  # str.split() splits at these too
@example(pieces=["<a", " ", "b", '"q r"', "c"], need=1)  # one separator: two names at most
def test_crowded_tag_candidates_are_the_patterns_matches_that_can_hold_the_names(
    lib: object, pieces: list[str], need: int
) -> None:
    html = "".join(pieces)
    pattern = re.compile(
        extract._CROWDED_TAG.pattern.replace(f"{{{extract.MAX_TAG_ATTRIBUTES}}}", f"{{{need}}}")
    )
    matches = [m.start() for m in pattern.finditer(html)]
    found = list(native.crowded_tag_starts(lib, html, need))  # type: ignore[arg-type]
    # the pattern's matches with more than `need` characters that may separate two names
    assert found == [s for s in matches if _separators(html, s) > need]
    # so none that holds more than `need` names is left out
    assert {s for s in matches if extract.tag_attributes(html, s) > need} <= set(found)


def _separators(html: str, start: int) -> int:
    """What may separate two names in the tag at `start`, outside its quoted values: '=', a
    space or control character that str.split() splits at, and any non-ASCII character."""
    body = extract._TAG_BODY.match(html, start + 1)
    outside = extract._QUOTED.sub("", body.group() if body else "")
    return sum(c in " =\t\n\v\f\r\x1c\x1d\x1e\x1f" or ord(c) >= 0x80 for c in outside)


def _crowded(n: int, sep: str = " ", value: str = '="v"') -> str:
    attrs = sep.join(f"a{i}{value}" for i in range(n))
    return f'<html><body><p title="x">{"é" * 50}</p><div {attrs}>teks</div></body></html>'


@pytest.mark.parametrize(
    "html",
    [
        _crowded(extract.MAX_TAG_ATTRIBUTES),  # at the limit: not crowded
        _crowded(extract.MAX_TAG_ATTRIBUTES + 1),
        _crowded(extract.MAX_TAG_ATTRIBUTES + 1, sep="\u3000"),
        _crowded(extract.MAX_TAG_ATTRIBUTES + 1, sep="", value="=1 "),
        _crowded(extract.MAX_TAG_ATTRIBUTES + 1, sep="=1"),  # '=' alone between names
        _crowded(30_000, value=""),
        _crowded(30_000, value='="unclosed'),
        '<a title="' + "<b x y " * 3000 + '">' + _crowded(12_000),  # candidates inside quotes
    ],
)
def test_crowded_tag_with_the_kernel_is_crowded_tag_without(
    lib: object, html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_kernel = extract.crowded_tag(html)
    monkeypatch.setattr(native, "library", lambda: None)
    assert with_kernel == extract.crowded_tag(html)
