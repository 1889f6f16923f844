"""Benchmarks: speed and quality measured against references run in the same process (see README)."""
