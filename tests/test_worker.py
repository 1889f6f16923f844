"""A worker process as the pool starts it: ready for batches, and without pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kliping.config import RunConfig
from kliping.pipeline import BatchSpec, process_batch, worker_pool
from kliping.read.files import discover

TEXT = (
    "Pemerintah mengumumkan kebijakan baru tentang harga beras pada Senin pagi di Jakarta. "
    "Menteri mengatakan bahwa pasokan dari daerah cukup untuk tiga bulan ke depan dan harga akan turun. "
) * 4


def test_a_worker_runs_batches_without_importing_pandas(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(3):
        (raw / f"berita-{i}.txt").write_text(f"Judul berita nomor {i}\n\n{TEXT}", encoding="utf-8")
    staging = tmp_path / "staging"
    staging.mkdir()
    spec = BatchSpec(0, str(raw), tuple(discover(raw)), str(staging), "test", RunConfig())
    with worker_pool(1) as pool:
        summary = pool.submit(process_batch, spec).result()
        in_worker = pool.submit(
            eval, "sorted(m for m in __import__('sys').modules if m.split('.')[0] == 'pandas')"
        )
        finders = pool.submit(eval, "[type(f).__name__ for f in __import__('sys').meta_path]")
        imported, meta_path = in_worker.result(), finders.result()
    assert summary.articles == 3 and summary.articles_path  # pyarrow wrote the batch's Parquet
    assert imported == []
    assert "_HidePandas" not in meta_path  # hidden only while pyarrow looked


def test_pandas_stays_importable_after_pyarrow_looked() -> None:
    # a fresh interpreter: this one has imported pandas long ago
    code = (
        "import sys; from kliping.pipeline import arrow_without_pandas; arrow_without_pandas();"
        "assert 'pandas' not in sys.modules;"
        "import pyarrow as pa; pa.array(['x']); assert 'pandas' not in sys.modules;"
        "import pandas; print(pa.table({'a': [1, 2]}).to_pandas()['a'].sum())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_a_worker_imports_the_extractor_before_it_freezes_what_it_loaded() -> None:
    # frozen objects are out of the collector's generations: full collections do not walk them
    check = (
        "(lambda sys, gc: ('trafilatura' in sys.modules, 'lxml.etree' in sys.modules,"
        " any(o is sys.modules['trafilatura'].__dict__ for o in gc.get_objects())))"
        "(__import__('sys'), __import__('gc'))"
    )
    with worker_pool(1) as pool:
        imported, extractor_loaded, collected = pool.submit(eval, check).result()
    assert imported and extractor_loaded  # before any batch ran in the worker
    assert not collected
