"""Benchmarks: ``python -m response_atlas.bench ingest --calls 1000000``."""
