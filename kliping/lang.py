"""Language identification: py3langid's own model and answers, its automaton walked in NumPy.

py3langid walks its byte automaton one byte at a time in Python, which cost about 1 ms per
article, a quarter of a text record's whole cost. Here the texts of a batch are walked side
by side, one byte position at a time for all of them (`_walk`), and the scores then follow
py3langid's own formula on the same features in the same order, so the answers are
py3langid's (tested against it). If the installed py3langid keeps its model differently,
`classify` falls back to py3langid itself.

Readying the model from py3langid's compressed file takes about 1 s, paid by every worker
process as it starts; the arrays it ends with are cached (uncompressed, one .npy file each,
under the user's cache folder or $KLIPING_CACHE_DIR) and mapped into memory by the next
process in a millisecond (reading them, 98 MB, took 0.27 s of every worker's start), and
the workers of a run share their pages."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import os
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import py3langid
import py3langid.langid as langid_impl

from kliping import native
from kliping.arrays import first_seen_counts

_ROOT = 0
# Bumped when what the cache holds changes; the cache's name also carries py3langid's version
# and its model file's size and time, so another model is never read from an old cache.
_CACHE_FORMAT = 3
_CACHED = ("nextmove", "rowbase", "output", "weights", "priors", "classes", "alias_pairs")


@dataclass(frozen=True)
class _Model:
    nextmove: npt.NDArray[np.signedinteger[Any]]
    rowbase: npt.NDArray[np.signedinteger[Any]]
    output: npt.NDArray[np.int64]
    # its weights as float32: NumPy converts float16 in software, and gathering and
    # converting a text's rows cost 3 times the scoring (57 MB a process)
    weights: npt.NDArray[np.float32]
    priors: npt.NDArray[np.float32]  # py3langid's nb_pc
    classes: tuple[str, ...]
    alias_pairs: tuple[tuple[int, int], ...]  # (first, duplicate) columns of a repeated label


_model: _Model | None = None
_unsupported = False


def _load() -> _Model | None:
    """The model, from kliping's cache when it has one for this py3langid (1 ms), else built
    from py3langid's own (1 s: decompressing it, converting the weights)
    and cached for the next process. Every worker process loads it as it starts."""
    global _model, _unsupported
    if _model is None and not _unsupported:
        cache = cache_file()
        _model = _read_cache(cache) if cache is not None else None
        if _model is None:
            try:
                _model = _from_py3langid()
            except (AttributeError, TypeError, ValueError):
                _unsupported = True
            else:
                if cache is not None:
                    _write_cache(_model, cache)
    return _model


def _from_py3langid() -> _Model:
    ident = langid_impl._get_identifier()
    nextmove = _as_index(np.asarray(ident.tk_nextmove))
    rowbase = _as_index(np.asarray(ident._rowbase))
    output = np.asarray(ident.tk_output, dtype=np.int64)
    weights = np.asarray(ident.nb_ptc, dtype=np.float32)
    priors = np.asarray(ident.nb_pc, dtype=np.float32)
    if ident._norm_probs:  # kliping uses py3langid's default identifier, which has none
        raise ValueError("normalised probabilities")
    pairs = tuple((int(i), int(j)) for i, j in ident._alias_pairs)
    return _Model(nextmove, rowbase, output, weights, priors, tuple(ident.nb_classes), pairs)


def cache_file() -> Path | None:
    """Where this py3langid's model is cached: under $KLIPING_CACHE_DIR, else the user's cache
    folder; None when py3langid's model file cannot be found."""
    try:
        model_file = Path(langid_impl.MODEL_DIR) / langid_impl.MODEL_FILE
        st = model_file.stat()
        version = importlib.metadata.version("py3langid")
    except (AttributeError, OSError, importlib.metadata.PackageNotFoundError):
        return None
    folder = os.environ.get("KLIPING_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kliping"
    )
    name = f"py3langid-{version}-{st.st_size}-{st.st_mtime_ns}-v{_CACHE_FORMAT}"
    return Path(folder) / name


def _read_cache(path: Path) -> _Model | None:
    """The cached model, its arrays mapped read-only from the folder's files; None when there
    is none or it cannot be read (it is then rebuilt)."""
    try:
        data = {name: np.asarray(np.load(path / f"{name}.npy", mmap_mode="r")) for name in _CACHED}
        return _Model(
            data["nextmove"],
            data["rowbase"],
            data["output"],
            data["weights"],
            data["priors"],
            tuple(str(c) for c in data["classes"]),
            tuple((int(i), int(j)) for i, j in data["alias_pairs"]),
        )
    except (OSError, KeyError, ValueError, TypeError, EOFError):
        return None


def _write_cache(model: _Model, path: Path) -> None:
    """Write the cache into a temporary folder and rename it into place, so that a process
    reading it never sees half of it (one that has mapped an older one keeps its files); a
    folder that cannot be written is left without one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    arrays = {
        "nextmove": model.nextmove,
        "rowbase": model.rowbase,
        "output": model.output,
        "weights": model.weights,
        "priors": model.priors,
        "classes": np.array(model.classes),
        "alias_pairs": np.array(model.alias_pairs, dtype=np.int64).reshape(-1, 2),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        if path.is_dir() and not path.is_symlink():  # a damaged cache: it was not readable
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        os.rename(tmp, path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    # this model's cache in an older format (one .npz file up to format 2): 98 MB left behind
    for old in path.parent.glob(f"{path.name.rsplit('-v', 1)[0]}-v*.npz"):
        with contextlib.suppress(OSError):
            old.unlink()


def _as_index(table: npt.NDArray[Any]) -> npt.NDArray[np.signedinteger[Any]]:
    """Table entries as signed integers for indexing: py3langid stores its automaton as
    uint32 (39 MB); a 4-byte table is viewed as int32 (its states are far below 2**31)."""
    if table.dtype.kind not in "iu":
        raise TypeError(f"automaton table of {table.dtype}")
    if table.dtype.itemsize == 4 and (table.dtype.kind == "i" or int(table.max(initial=0)) < 2**31):
        return table.view(np.int32)
    return table.astype(np.int64)


def features(model: _Model, data: bytes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """The features the automaton outputs over `data` and their counts, in order of first
    appearance (py3langid's order: its scores sum the features in that order)."""
    _, found = _walk(model, [data])
    if not found.size:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
    uniq, counts = first_seen_counts(found)
    return uniq.astype(np.intp), counts.astype(np.float32)


def _walk(model: _Model, texts: list[bytes]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """The features the automaton outputs over each of `texts` (bytes), walked at once:
    (text of each feature, feature), each text's in the order it meets them.

    The texts are walked side by side, one byte position at a time, each step moving every
    text's state on by its byte: the states are those of py3langid's walk, one lookup in the
    automaton per byte. (Walking every position of every text at once, each position from the
    `depth` bytes ending there, took `depth` lookups per byte in a 39 MB table: 40 µs for a text
    of 400 characters, against 20 here with a thousand texts side by side.) A text shorter than
    the longest is padded, and what the padding reaches is masked out."""
    width = max(map(len, texts), default=0)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    padded = np.zeros((width, len(texts)), dtype=np.uint8)  # a byte position per row
    for col, data in enumerate(texts):
        padded[: len(data), col] = np.frombuffer(data, dtype=np.uint8)
    b = padded.astype(model.nextmove.dtype)
    states = np.empty(b.shape, dtype=model.nextmove.dtype)
    state = np.full(len(texts), _ROOT, dtype=model.nextmove.dtype)
    nextmove, rowbase = model.nextmove, model.rowbase
    for i in range(width):  # np.take: a plain gather, cheaper than indexing with an array
        state = np.take(nextmove, np.take(rowbase, state) + b[i])
        states[i] = state
    out = np.take(model.output, states).T
    out[np.arange(width)[None, :] >= lengths[:, None]] = -1  # past a text's end: not its features
    rows, cols = np.nonzero(out >= 0)  # row-major: each text's features in the order it meets them
    return rows, out[rows, cols]


def encode(text: str) -> bytes:
    """py3langid's `_encode` of a str: the bytes its automaton reads."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def scores(model: _Model, text: str) -> npt.NDArray[np.float32]:
    """py3langid's `_decide` for `text`, with the automaton walked in NumPy."""
    result: npt.NDArray[np.float32] = _chunk_scores(model, [encode(text)])[0]
    return result


def classify(text: str) -> str:
    """The language py3langid names for `text` (for many texts, `classify_many` is far cheaper)."""
    return classify_many([text])[0]


# Texts walked side by side: each step of the walk is a few NumPy calls for all of them (a
# text of 400 characters walked in 20 µs among 1,024, 24 among 256, 47 among 64).
_WALK_TEXTS = 1024


def classify_many(texts: Sequence[str]) -> list[str]:
    """The language py3langid names for each text, walked and counted many texts at once.

    Texts of similar length are walked side by side (`_walk`, padding the shorter ones less)
    and each is scored alone (`_chunk_scores`). The walk is a few NumPy calls per byte position
    for all the texts together: a batch's texts cost about 20 µs each for 400 characters, while
    one text alone costs about 2 ms (the pipeline identifies a batch's languages at once)."""
    model = _load()
    if model is None:
        return [str(py3langid.classify(t)[0]) for t in texts]
    data = [encode(t) for t in texts]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    answers = [""] * len(data)
    order = np.argsort(lengths, kind="stable")
    for lo in range(0, len(order), _WALK_TEXTS):
        chunk = [int(i) for i in order[lo : lo + _WALK_TEXTS]]
        for i, result in zip(chunk, _chunk_scores(model, [data[i] for i in chunk]), strict=True):
            answers[i] = model.classes[int(result.argmax())]
    return answers


def _chunk_scores(model: _Model, chunk: list[bytes]) -> npt.NDArray[np.float32]:
    """py3langid's scores of each text of `chunk` (bytes), each text's own: its features'
    log-counts times their weights, plus the priors; the floor for a text without features.
    Features found by the compiled walk when there is one (`_native_scores`), else by NumPy's."""
    result = np.full((len(chunk), len(model.classes)), langid_impl.RAW_FLOOR, dtype=np.float32)
    lib = native.library()
    if lib is not None and _fits_kernel(model):
        _native_scores(lib, model, chunk, result)
    else:
        _numpy_scores(model, chunk, result)
    for i, j in model.alias_pairs:
        np.maximum(result[:, i], result[:, j], out=result[:, i])
        result[:, j] = langid_impl.RAW_FLOOR
    return result


def _native_scores(
    lib: ctypes.CDLL, model: _Model, chunk: list[bytes], result: npt.NDArray[np.float32]
) -> None:
    """`_numpy_scores` with the features from `native.lang_features`: the same features, in the
    same order, with the same counts, so the same products (tested bit for bit)."""
    idx, counts, n_feats = native.lang_features(
        lib, chunk, model.nextmove, model.rowbase, model.output, len(model.weights)
    )
    starts = (np.cumsum(n_feats) - n_feats).tolist()
    weight = np.log1p(counts)
    for doc in np.flatnonzero(n_feats).tolist():
        lo, hi = starts[doc], starts[doc] + int(n_feats[doc])
        result[doc] = weight[lo:hi] @ model.weights[idx[lo:hi]] + model.priors


def _numpy_scores(model: _Model, chunk: list[bytes], result: npt.NDArray[np.float32]) -> None:
    rows, found = _walk(model, chunk)
    if not rows.size:
        return
    n_feat = len(model.weights)
    uniq, counts = first_seen_counts(rows * n_feat + found)
    doc, idx = np.divmod(uniq, n_feat)
    weight = np.log1p(counts.astype(np.float32))
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    ends = np.r_[starts[1:], doc.size]
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        result[doc[lo]] = weight[lo:hi] @ model.weights[idx[lo:hi]] + model.priors


# whether the loaded model (`_model`) fits the compiled walk, once checked
_model_fits: bool | None = None


def _fits_kernel(model: _Model) -> bool:
    """Whether the compiled walk (`native.lang_features`) can take the model: tables of the
    types it reads, and every state and feature in them within range, so that no walk reads
    outside them (20 ms; remembered for the loaded model; NumPy's walk, for a model that
    fails, raises an IndexError where C would read any memory)."""
    global _model_fits
    if model is _model and _model_fits is not None:
        return _model_fits
    nextmove, rowbase, output = model.nextmove, model.rowbase, model.output
    fits = (
        nextmove.dtype == np.int32 and rowbase.dtype == np.int64 and output.dtype == np.int64
        and nextmove.flags.c_contiguous and rowbase.flags.c_contiguous and output.flags.c_contiguous
        and rowbase.size > 0 and output.size == rowbase.size
        and int(nextmove.min(initial=0)) >= 0 and int(nextmove.max(initial=0)) < rowbase.size
        and int(rowbase.min()) >= 0 and int(rowbase.max()) + 255 < nextmove.size
        and int(output.max(initial=-1)) < len(model.weights)
    )  # fmt: skip
    if model is _model:
        _model_fits = fits
    return fits
