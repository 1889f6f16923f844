"""kliping: scraped news to analysis-ready Parquet with provenance.

The library is a chain of pure steps (read → extract → clean → sign → cluster → write);
`flows/` wires them into Prefect tasks. Nothing here imports Prefect.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kliping")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

# `kliping.load(...)`: pandas is imported only when it is called.
from kliping.load import load

__all__ = ["__version__", "load"]
